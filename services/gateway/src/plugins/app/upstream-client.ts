import { HttpError, httpErrors, type ServiceCaller, type ServiceResponse } from '@soundline/platform'
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import type { CallGuard } from '../../domain/guard.js'

/** One call to an upstream; the body, when there is one, streams through. */
export interface UpstreamCall {
  method: string
  /** Path and query, exactly as the client sent them. */
  path: string
  headers: Record<string, string | string[]>
  body?: Readable
  /** Aborted when the client goes away: the upstream call stops too. */
  signal?: AbortSignal
}

export interface UpstreamResponse {
  statusCode: number
  headers: IncomingHttpHeaders
  body: Dispatcher.ResponseData['body']
}

/** A 5xx answer: counted against the upstream, and still forwardable (its body is unread). */
export class UpstreamServerError extends Error {
  override name = 'UpstreamServerError'
  constructor(
    readonly service: string,
    readonly response: UpstreamResponse,
  ) {
    super(`${service} answered ${response.statusCode}`)
  }
}

/** The client went away: not the upstream's fault, not a breaker failure. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError'
}

export interface UpstreamSettings {
  /** e.g. song-service; in errors, logs and breaker names. */
  service: string
  baseUrl: string
  timeoutMs: number
  bodyTimeoutMs: number
  retries: number
  retryBaseMs: number
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
])
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
/** nginx's status for a request the client abandoned; logged, never seen by the client. */
const CLIENT_CLOSED_REQUEST = 499
const code = (error: unknown): string => String((error as { code?: unknown }).code ?? '')

/**
 * An upstream service behind its breaker: timeouts on every call, retries
 * (exponential backoff, full jitter) only for idempotent calls without a body
 * and only after a connection error, 503 with Retry-After when it is down.
 */
export class Upstream {
  private readonly basePath: string

  constructor(
    readonly settings: UpstreamSettings,
    private readonly pool: Dispatcher,
    readonly guard: CallGuard,
  ) {
    this.basePath = new URL(settings.baseUrl).pathname.replace(/\/$/, '')
  }

  get service(): string {
    return this.settings.service
  }

  /**
   * The upstream's answer when it is below 500. Rejects with
   * UpstreamServerError (5xx), ClientGoneError, or a 503 HttpError when the
   * upstream cannot be reached or its circuit is open.
   */
  async call(call: UpstreamCall, retryable: boolean): Promise<UpstreamResponse> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.guard.execute(() => this.once(call))
      } catch (error) {
        const retryAfter = this.guard.refusal(error)
        if (retryAfter !== undefined) {
          throw httpErrors.serviceUnavailable(`${this.service} is unavailable (circuit open): retry in ${retryAfter} s`, retryAfter)
        }
        if (error instanceof ClientGoneError) throw new HttpError(CLIENT_CLOSED_REQUEST, 'Client closed the request')
        if (error instanceof UpstreamServerError || error instanceof HttpError) throw error
        if (retryable && attempt < this.settings.retries && CONNECTION_ERRORS.has(code(error))) {
          await sleep(Math.random() * this.settings.retryBaseMs * 2 ** attempt)
          continue
        }
        throw this.unavailable(error)
      }
    }
  }

  private async once(call: UpstreamCall): Promise<UpstreamResponse> {
    let response: Dispatcher.ResponseData
    try {
      response = await this.pool.request({
        method: call.method as Dispatcher.HttpMethod,
        path: this.basePath + call.path,
        headers: call.headers,
        body: call.body ?? null,
        signal: call.signal,
        headersTimeout: this.settings.timeoutMs,
        bodyTimeout: this.settings.bodyTimeoutMs,
      })
    } catch (error) {
      if (call.signal?.aborted) throw new ClientGoneError('the client went away', { cause: error })
      throw error
    }
    if (response.statusCode >= 500) throw new UpstreamServerError(this.service, response)
    return response
  }

  private unavailable(error: unknown): HttpError {
    const reason = TIMEOUTS.has(code(error))
      ? `no answer within ${this.settings.timeoutMs} ms`
      : CONNECTION_ERRORS.has(code(error))
        ? `connection failed (${code(error)})`
        : (error as Error).message
    const failure = httpErrors.serviceUnavailable(`${this.service} is unavailable: ${reason}`, 1)
    failure.cause = error
    return failure
  }
}

function serviceResponse(response: UpstreamResponse): ServiceResponse {
  const headers = new Headers()
  for (const [name, value] of Object.entries(response.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one)
  }
  return {
    status: response.statusCode,
    headers,
    json: async <T>() => (await response.body.json()) as T,
    stream: () => response.body,
    discard: () => response.body.dump(),
  }
}

/**
 * The upstream as the caller of a contracts client (docs/architecture.md
 * "Contracts"), for the calls the gateway makes for itself: they share the
 * upstream's pool, breaker and retries with the proxied traffic. A 5xx is
 * returned as an answer (the breaker has counted it), as GuardedServiceClient does.
 */
export function callerOf(upstream: Upstream, headers: Record<string, string | string[]> = {}): ServiceCaller {
  return {
    async request(method, path, request = {}, options = {}) {
      const json = request.json === undefined ? undefined : Buffer.from(JSON.stringify(request.json))
      const call: UpstreamCall = {
        method,
        path,
        headers: {
          ...headers,
          ...request.headers,
          ...(json ? { 'content-type': 'application/json', 'content-length': String(json.length) } : {}),
        },
        ...(json ? { body: Readable.from([json]) } : {}),
      }
      try {
        return serviceResponse(await upstream.call(call, options.idempotent === true && json === undefined))
      } catch (error) {
        if (error instanceof UpstreamServerError) return serviceResponse(error.response)
        throw error
      }
    },
  }
}
