import { createBreaker, type Breaker } from '../resilience/breaker.js'
import { CallTimeoutError } from '../resilience/errors.js'
import { retryWithBackoff, type RetryPolicy } from '../resilience/retry.js'
import { breakerSettingsFromEnv, type BreakerSettings } from '../resilience/settings.js'
import type { Logger } from '../logging/logger.js'
import type { Registry } from 'prom-client'
import { ServiceClient, UnavailableError, type ServiceRequest, type ServiceResponse } from './service-client.js'

/** A 5xx answer on its way through the retry loop; unwrapped before the caller sees it. */
class ServerErrorAnswer extends Error {
  constructor(readonly response: ServiceResponse) {
    super(`answered HTTP ${response.status}`)
  }
}

/** What is worth another attempt: the dependency failed, not the request and not the breaker. */
function isTransient(error: unknown): boolean {
  return error instanceof UnavailableError || error instanceof CallTimeoutError || error instanceof ServerErrorAnswer
}

/** What adapters call: a GuardedServiceClient, or a bare ServiceClient (which ignores `options`) in tests of the adapter alone. */
export interface ServiceCaller {
  request(method: string, path: string, request?: ServiceRequest, options?: { idempotent?: boolean }): Promise<ServiceResponse>
}

/** How often an idempotent call is tried; how long it may take is the call's deadline, not part of this. */
export type CallRetry = Omit<RetryPolicy, 'maxTotalMs'>

/** Tried once: e.g. a download that the event's retry topic retries as a whole. */
export const NO_RETRY: CallRetry = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 }

/**
 * A ServiceClient whose every request goes through a breaker, within ONE
 * deadline: the client's `timeoutMs` (or the request's) bounds the whole call,
 * every attempt and every wait between them; each attempt gets what is left
 * (docs/resilience.md "One deadline per call"). Requests marked idempotent —
 * GET, DELETE by id, a PUT of the whole record — are retried with backoff and
 * full jitter on connection errors, timeouts and 5xx, while time is left;
 * anything else is tried once. A CircuitOpenError is never retried: the
 * breaker's "no" is the answer.
 */
export class GuardedServiceClient implements ServiceCaller {
  constructor(
    readonly client: ServiceClient,
    readonly breaker: Breaker,
    readonly retry: CallRetry,
  ) {}

  /** Resolves with the last answer (a 5xx included, as ServiceClient does) or rejects with the last error. */
  async request(
    method: string,
    path: string,
    request: ServiceRequest = {},
    options: { idempotent?: boolean } = {},
  ): Promise<ServiceResponse> {
    const deadlineMs = request.timeoutMs ?? this.client.options.timeoutMs
    const deadline = Date.now() + deadlineMs
    let unread: ServiceResponse | undefined
    try {
      return await retryWithBackoff(
        async () => {
          await unread?.discard()
          unread = undefined
          const left = deadline - Date.now()
          if (left <= 0) throw new CallTimeoutError(this.client.options.name, deadlineMs)
          const response = await this.breaker.execute(() => this.client.request(method, path, { ...request, timeoutMs: left }))
          if (response.status < 500) return response
          unread = response
          throw new ServerErrorAnswer(response)
        },
        {
          ...this.retry,
          maxAttempts: options.idempotent ? this.retry.maxAttempts : 1,
          maxTotalMs: deadlineMs,
          isRetryable: isTransient,
        },
      )
    } catch (error) {
      if (error instanceof ServerErrorAnswer) return error.response
      throw error
    }
  }
}

export interface GuardedClientOptions {
  /** Breaker, metric label and log name, e.g. "song-service"; BREAKER_<NAME>_* tune the breaker. */
  name: string
  baseUrl: string
  /** The call's one deadline, retries included (e.g. SONG_SERVICE_TIMEOUT_MS). */
  deadlineMs: number
  retry: CallRetry
  logger: Logger
  registry: Registry
  /** Breaker defaults under the BREAKER_<NAME>_* variables, e.g. a smaller window for rare calls. */
  breaker?: Partial<BreakerSettings>
}

/**
 * The one way a service builds its client of another service. The breaker's
 * own timeout defaults to 0 (none): the call's deadline already bounds every
 * attempt, and a second, longer clock would only say the same later.
 */
export function createGuardedClient(options: GuardedClientOptions): GuardedServiceClient {
  const { name, logger, registry } = options
  const settings = breakerSettingsFromEnv(name, { defaults: { timeoutMs: 0, ...options.breaker } })
  const breaker = createBreaker({ name, settings, logger, registry })
  return new GuardedServiceClient(
    new ServiceClient({ name, baseUrl: options.baseUrl, timeoutMs: options.deadlineMs }),
    breaker,
    options.retry,
  )
}
