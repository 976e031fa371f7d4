/**
 * Cumulative call counts and durations of one breaker, kept as plain numbers:
 * prom-client's labelled inc/observe cost 0.3–0.7 µs each, more than the whole
 * breaker, so the metrics read these at scrape time instead.
 */

/** Kinds of `circuitbreaker_calls_total`, in index order. */
export const CALL_KINDS = ['successful', 'failed', 'ignored', 'not_permitted'] as const
export type CallKind = (typeof CALL_KINDS)[number]

export const KIND_SUCCESSFUL = 0
export const KIND_FAILED = 1
export const KIND_IGNORED = 2
export const KIND_NOT_PERMITTED = 3

/** Kinds that have a duration (a refused call never ran). */
export const TIMED_KINDS = 3

/** Upper bounds in seconds, the same as the platform's HTTP server histogram. */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export class CallStats {
  /** Calls by kind index (see CALL_KINDS). */
  readonly counts = new Float64Array(CALL_KINDS.length)
  /** Per timed kind: non-cumulative bucket counts, then one overflow slot (+Inf). */
  readonly buckets = new Float64Array(TIMED_KINDS * (DURATION_BUCKETS.length + 1))
  /** Per timed kind: the sum of durations in seconds. */
  readonly sums = new Float64Array(TIMED_KINDS)

  /** Records a call that ran, of kind 0..2, taking `durationMs`. */
  recordCall(kind: number, durationMs: number): void {
    const seconds = durationMs / 1000
    let bucket = 0
    // A fixed, short list: constant work whatever the window size.
    while (bucket < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[bucket] ?? Infinity)) bucket++
    this.counts[kind] = (this.counts[kind] ?? 0) + 1
    const slot = kind * (DURATION_BUCKETS.length + 1) + bucket
    this.buckets[slot] = (this.buckets[slot] ?? 0) + 1
    this.sums[kind] = (this.sums[kind] ?? 0) + seconds
  }

  recordNotPermitted(): void {
    this.counts[KIND_NOT_PERMITTED] = (this.counts[KIND_NOT_PERMITTED] ?? 0) + 1
  }

  count(kind: CallKind): number {
    return this.counts[CALL_KINDS.indexOf(kind)] ?? 0
  }
}
