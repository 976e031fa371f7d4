/**
 * Login throttles: requests per address in fixed windows, and a backoff per
 * user and address that grows with each failed password. In memory, per process:
 * a replica counts its own share, which still bounds guessing (docs/security.md).
 * (The gateway's request limit is @fastify/rate-limit, shared through Redis.)
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

/**
 * Growing waits per key after failures in a row (a login per user and
 * address): the first `freeFailures` cost nothing, each one after that
 * doubles the wait, up to `maxDelayMs`. A success forgets the key. Unlike a
 * fixed lock-out, the wait falls only on the key that failed.
 */
export interface BackoffLimiter {
  /** Whether the key may try now; refused while its wait runs. Counts nothing. */
  check(key: string): Promise<RateLimitDecision>
  /** One more failure in a row; returns the wait it earned (0 while free). */
  fail(key: string): Promise<number>
  succeed(key: string): Promise<void>
}

export interface BackoffSettings {
  freeFailures: number
  baseDelayMs: number
  maxDelayMs: number
  /** After its wait has run out, a key is remembered this long: the next failure keeps growing the wait. */
  memoryMs: number
}

interface Backoff {
  failures: number
  blockedUntil: number
}

export class MemoryBackoffLimiter implements BackoffLimiter {
  private readonly entries = new Map<string, Backoff>()

  constructor(
    private readonly settings: BackoffSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The wait after this many failures in a row. */
  delayMs(failures: number): number {
    const { freeFailures, baseDelayMs, maxDelayMs } = this.settings
    if (failures <= freeFailures) return 0
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failures - freeFailures - 1, 40))
  }

  async check(key: string): Promise<RateLimitDecision> {
    const entry = this.live(key)
    const waitMs = entry ? entry.blockedUntil - this.now() : 0
    if (waitMs <= 0) return { allowed: true, remaining: 1, retryAfterSeconds: 0 }
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
  }

  async fail(key: string): Promise<number> {
    const failures = (this.live(key)?.failures ?? 0) + 1
    const delay = this.delayMs(failures)
    if (!this.entries.has(key) && this.entries.size >= MAX_KEYS) this.sweep()
    this.entries.set(key, { failures, blockedUntil: this.now() + delay })
    return delay
  }

  async succeed(key: string): Promise<void> {
    this.entries.delete(key)
  }

  private live(key: string): Backoff | undefined {
    const entry = this.entries.get(key)
    if (entry && entry.blockedUntil + this.settings.memoryMs <= this.now()) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  private sweep(): void {
    const now = this.now()
    for (const [key, entry] of this.entries) if (entry.blockedUntil + this.settings.memoryMs <= now) this.entries.delete(key)
    for (const key of this.entries.keys()) {
      if (this.entries.size < MAX_KEYS) break
      this.entries.delete(key)
    }
  }
}
