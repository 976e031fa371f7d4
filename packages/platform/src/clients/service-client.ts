import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'

/**
 * Calls another Soundline service over HTTP with a deadline. Connection errors
 * and timeouts become UnavailableError; a 5xx answer is returned like any
 * other (callers decide), so a breaker can count both the same way.
 */

export class UnavailableError extends Error {
  override name = 'UnavailableError'
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} is unavailable: ${message}`, options)
  }
}

export interface ServiceResponse {
  status: number
  headers: Headers
  json<T>(): Promise<T>
  /** The body as a Node stream; consume it or call discard(). */
  stream(): Readable
  discard(): Promise<void>
}

export interface ServiceRequest {
  json?: unknown
  headers?: Record<string, string>
  /** Overrides the client's timeout, e.g. for a long download. Covers the whole call until headers arrive. */
  timeoutMs?: number
}

export interface ServiceClientOptions {
  /** Used in errors and logs, e.g. "song-service". */
  name: string
  baseUrl: string
  timeoutMs: number
}

export class ServiceClient {
  constructor(readonly options: ServiceClientOptions) {}

  async request(method: string, path: string, request: ServiceRequest = {}): Promise<ServiceResponse> {
    const headers: Record<string, string> = { ...request.headers }
    let body: string | undefined
    if (request.json !== undefined) {
      body = JSON.stringify(request.json)
      headers['content-type'] = 'application/json'
    }
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs
    let response: Response
    try {
      response = await fetch(new URL(path, this.options.baseUrl), { method, headers, body, signal: AbortSignal.timeout(timeoutMs) })
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String((error as Error).cause ?? error)
      throw new UnavailableError(this.options.name, reason, { cause: error })
    }
    return {
      status: response.status,
      headers: response.headers,
      json: async <T>() => (await response.json()) as T,
      stream: () => (response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([])),
      discard: async () => {
        await response.body?.cancel()
      },
    }
  }
}
