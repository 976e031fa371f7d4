import type { Breaker } from '../resilience/breaker.js'
import { CallTimeoutError } from '../resilience/errors.js'
import { retryWithBackoff, type RetryPolicy } from '../resilience/retry.js'
import { UnavailableError, type ServiceClient, type ServiceRequest, type ServiceResponse } from './service-client.js'

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

/**
 * A ServiceClient whose every request goes through a breaker (timeouts come
 * from the client). Requests marked idempotent — GET, DELETE by id, a POST
 * carrying an idempotency key — are retried with backoff and full jitter on
 * connection errors, timeouts and 5xx, within `retry`; anything else is tried
 * once. A CircuitOpenError is never retried: the breaker's "no" is the answer.
 */
export class GuardedServiceClient implements ServiceCaller {
  constructor(
    readonly client: ServiceClient,
    readonly breaker: Breaker,
    readonly retry: RetryPolicy,
  ) {}

  /** Resolves with the last answer (a 5xx included, as ServiceClient does) or rejects with the last error. */
  async request(
    method: string,
    path: string,
    request: ServiceRequest = {},
    options: { idempotent?: boolean } = {},
  ): Promise<ServiceResponse> {
    let unread: ServiceResponse | undefined
    try {
      return await retryWithBackoff(
        async () => {
          await unread?.discard()
          unread = undefined
          const response = await this.breaker.execute(() => this.client.request(method, path, request))
          if (response.status < 500) return response
          unread = response
          throw new ServerErrorAnswer(response)
        },
        { ...this.retry, maxAttempts: options.idempotent ? this.retry.maxAttempts : 1, isRetryable: isTransient },
      )
    } catch (error) {
      if (error instanceof ServerErrorAnswer) return error.response
      throw error
    }
  }
}
