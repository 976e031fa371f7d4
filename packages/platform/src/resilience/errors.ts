/** Thrown instead of calling the protected function while a breaker refuses calls. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError'
  /** The breaker's name. */
  readonly breaker: string
  /** `open`: waiting out its open duration; `half_open`: its trial calls are all taken. */
  readonly state: 'open' | 'half_open'
  /** Milliseconds until the breaker lets a call through again (0 when half-open). */
  readonly remainingMs: number

  constructor(breaker: string, state: 'open' | 'half_open', remainingMs: number) {
    // Rejections while open are the hot path of an outage: skip the stack
    // trace, as Resilience4j does for CallNotPermittedException.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(
      state === 'open'
        ? `circuit breaker ${breaker} is open; calls resume in ${Math.ceil(remainingMs)} ms`
        : `circuit breaker ${breaker} is half-open and all its trial calls are in flight`,
    )
    Error.stackTraceLimit = stackTraceLimit
    this.breaker = breaker
    this.state = state
    this.remainingMs = Math.max(0, remainingMs)
  }

  /** For a Retry-After header: whole seconds, at least 1. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.remainingMs / 1000))
  }
}

/** The breaker's own deadline passed before the protected function settled. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError'
  constructor(
    readonly breaker: string,
    readonly timeoutMs: number,
  ) {
    super(`call through circuit breaker ${breaker} got no answer within ${timeoutMs} ms`)
  }
}
