/**
 * The breaker's sliding windows. Each keeps running totals next to its ring,
 * so recording a call and reading the rates never walks the window: the cost
 * per call is the same for 10 calls or 100,000.
 */

/** Outcome bits, combined: a call can be both failed and slow. */
export const OUTCOME_FAILED = 1
export const OUTCOME_SLOW = 2

export interface OutcomeWindow {
  /** Calls currently in the window (read after `advance`). */
  readonly total: number
  readonly failed: number
  readonly slow: number
  /** Adds one call's outcome bits at `nowMs`. */
  record(outcome: number, nowMs: number): void
  /** Drops what has aged out by `nowMs` (a no-op for count windows). */
  advance(nowMs: number): void
  clear(): void
}

/** The last `size` calls, in a ring of outcome bits. */
export class CountWindow implements OutcomeWindow {
  total = 0
  failed = 0
  slow = 0
  private readonly outcomes: Uint8Array
  private next = 0

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`window size must be a positive integer, got ${size}`)
    this.outcomes = new Uint8Array(size)
  }

  record(outcome: number, _nowMs?: number): void {
    const index = this.next
    if (this.total === this.size) {
      // Full: the oldest call leaves as this one enters its slot.
      const evicted = this.outcomes[index] ?? 0
      this.failed -= evicted & OUTCOME_FAILED
      this.slow -= (evicted & OUTCOME_SLOW) >> 1
    } else {
      this.total++
    }
    this.outcomes[index] = outcome
    this.failed += outcome & OUTCOME_FAILED
    this.slow += (outcome & OUTCOME_SLOW) >> 1
    this.next = index + 1 === this.size ? 0 : index + 1
  }

  advance(): void {}

  clear(): void {
    // Slots are overwritten before they are read again, so only the totals reset.
    this.total = 0
    this.failed = 0
    this.slow = 0
    this.next = 0
  }
}

/**
 * The calls of the last `seconds` seconds (the current one included), in one
 * bucket per second. Moving to a later second clears the buckets in between:
 * at most `seconds` of them, and each only once per second of clock time, so
 * the work is O(1) per call amortised.
 */
export class TimeWindow implements OutcomeWindow {
  total = 0
  failed = 0
  slow = 0
  private readonly totals: Uint32Array
  private readonly failures: Uint32Array
  private readonly slows: Uint32Array
  private currentSecond = -1

  constructor(readonly seconds: number) {
    if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`window seconds must be a positive integer, got ${seconds}`)
    this.totals = new Uint32Array(seconds)
    this.failures = new Uint32Array(seconds)
    this.slows = new Uint32Array(seconds)
  }

  record(outcome: number, nowMs: number): void {
    this.advance(nowMs)
    const index = this.currentSecond % this.seconds
    const failed = outcome & OUTCOME_FAILED
    const slow = (outcome & OUTCOME_SLOW) >> 1
    this.totals[index] = (this.totals[index] ?? 0) + 1
    this.failures[index] = (this.failures[index] ?? 0) + failed
    this.slows[index] = (this.slows[index] ?? 0) + slow
    this.total++
    this.failed += failed
    this.slow += slow
  }

  advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000)
    if (second <= this.currentSecond) return
    if (this.currentSecond < 0 || second - this.currentSecond >= this.seconds) {
      this.clear()
      this.currentSecond = second
      return
    }
    for (let s = this.currentSecond + 1; s <= second; s++) this.evict(s % this.seconds)
    this.currentSecond = second
  }

  clear(): void {
    if (this.total > 0) {
      this.totals.fill(0)
      this.failures.fill(0)
      this.slows.fill(0)
    }
    this.total = 0
    this.failed = 0
    this.slow = 0
  }

  private evict(index: number): void {
    const total = this.totals[index] ?? 0
    if (total === 0) return
    this.total -= total
    this.failed -= this.failures[index] ?? 0
    this.slow -= this.slows[index] ?? 0
    this.totals[index] = 0
    this.failures[index] = 0
    this.slows[index] = 0
  }
}
