import { HttpError } from './errors.js'

/**
 * Counting requests per key (a user, an address) in fixed windows. The
 * in-memory limiter is per process; a shared one (Redis) implements the same
 * interface so that replicas count together.
 */

export interface RateLimitDecision {
  allowed: boolean
  /** Hits left in the current window (0 when refused). */
  remaining: number
  /** Seconds until the window resets; what Retry-After says. */
  retryAfterSeconds: number
}

export interface RateLimiter {
  /** Counts one hit for the key and says whether it is within the limit. */
  hit(key: string): Promise<RateLimitDecision>
  /** Forgets the key (e.g. after a successful login). */
  reset(key: string): Promise<void>
}

export interface RateLimitSettings {
  /** Hits allowed per window. */
  max: number
  windowMs: number
}

interface Window {
  count: number
  resetAt: number
}

/** Largest number of keys kept; beyond it expired windows are swept, then the oldest dropped. */
const MAX_KEYS = 100_000

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>()

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(key: string): Promise<RateLimitDecision> {
    return this.hitSync(key)
  }

  hitSync(key: string): RateLimitDecision {
    const now = this.now()
    let window = this.windows.get(key)
    if (!window || window.resetAt <= now) {
      if (!window && this.windows.size >= MAX_KEYS) this.sweep(now)
      window = { count: 0, resetAt: now + this.settings.windowMs }
      this.windows.set(key, window)
    }
    window.count += 1
    const retryAfterSeconds = Math.max(1, Math.ceil((window.resetAt - now) / 1000))
    const allowed = window.count <= this.settings.max
    return { allowed, remaining: Math.max(0, this.settings.max - window.count), retryAfterSeconds }
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key)
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key)
    // Still full: drop the oldest (Map keeps insertion order).
    for (const key of this.windows.keys()) {
      if (this.windows.size < MAX_KEYS) break
      this.windows.delete(key)
    }
  }
}

/** 429 in the contract's form, with Retry-After. */
export function tooManyRequests(message: string, retryAfterSeconds: number): HttpError {
  return new HttpError(429, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) })
}
