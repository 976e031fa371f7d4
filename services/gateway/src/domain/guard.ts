/**
 * What the gateway needs from a circuit breaker, so that the upstream client
 * does not depend on one implementation (the platform's Breaker is adapted
 * in plugins/app/upstreams.ts).
 */
export interface CallGuard {
  /** Runs the call unless the circuit refuses it; outcomes are classified by the breaker. */
  execute<T>(call: () => Promise<T>): Promise<T>
  /** Seconds until a refused call may be tried again when `error` is this guard's refusal; else undefined. */
  refusal(error: unknown): number | undefined
  /** An answer was served by a fallback (the response cache) instead of the upstream. */
  recordFallback(): void
}
