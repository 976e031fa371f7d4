/**
 * Retries with exponential backoff and full jitter (AWS architecture blog,
 * "Exponential Backoff And Jitter"), bounded in count and in total time.
 * Only for calls that are safe to repeat: idempotent ones (GET, DELETE by id)
 * or ones carrying an idempotency key (POST /songs with its id: 409 = done).
 */

export interface RetryPolicy {
  /** Attempts in all, the first included; 1 = no retry. */
  maxAttempts: number
  /** The cap of the first retry's delay; doubles per retry. */
  baseDelayMs: number
  /** No delay is longer. */
  maxDelayMs: number
  /** No retry starts when its delay would end later than this after the first attempt. */
  maxTotalMs: number
}

export interface RetryOptions extends RetryPolicy {
  /** False stops at once and rethrows (e.g. a CircuitOpenError: the breaker said no). */
  isRetryable(error: unknown): boolean
  /** A number in [0, 1); for tests. */
  random?: () => number
  sleep?: (ms: number) => Promise<void>
}

/** Doubling from `baseDelayMs` for retry 1, capped at `maxDelayMs` (no jitter: a schedule). */
export function exponentialDelay(retry: number, baseDelayMs: number, maxDelayMs: number): number {
  // 2 ** 30 is past any sane cap; bounding the exponent keeps it finite.
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(Math.max(retry - 1, 0), 30))
}

/** Full jitter: uniformly 0..exponentialDelay, so callers that failed together do not retry together. */
export function fullJitterDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * exponentialDelay(retry, baseDelayMs, maxDelayMs))
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Runs `call` until it resolves, a non-retryable error, or the count or time budget is spent; rethrows the last error. */
export async function retryWithBackoff<T>(call: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const started = Date.now()
  const sleep = options.sleep ?? sleepFor
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt)
    } catch (error) {
      if (attempt >= options.maxAttempts || !options.isRetryable(error)) throw error
      const delay = fullJitterDelay(attempt, options.baseDelayMs, options.maxDelayMs, options.random)
      if (Date.now() - started + delay > options.maxTotalMs) throw error
      await sleep(delay)
    }
  }
}
