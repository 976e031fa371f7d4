import { Module, modules, type Circuit, type CircuitFunction, type ModuleOptions } from 'mollitia'
import { CallStats, KIND_FAILED, KIND_IGNORED, KIND_SUCCESSFUL } from './call-stats.js'
import { defaultClassifier, type CallClassifier, type CallOutcome } from './classify.js'
import { CircuitOpenError } from './errors.js'
import { CountWindow, OUTCOME_FAILED, OUTCOME_SLOW, TimeWindow, type OutcomeWindow } from './outcome-window.js'
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from './settings.js'

/** Resilience4j's states, spelled as its metric labels. */
export const CircuitState = { CLOSED: 'closed', OPEN: 'open', HALF_OPEN: 'half_open' } as const
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState]
export const CIRCUIT_STATES: readonly CircuitState[] = [CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN]

export interface StateChange {
  from: CircuitState
  to: CircuitState
  /** The rates the decision was taken on (-1: fewer calls than the minimum). */
  failureRate: number
  slowCallRate: number
  bufferedCalls: number
}

export interface RingWindowBreakerOptions extends ModuleOptions, Partial<Omit<BreakerSettings, 'timeoutMs'>> {
  classifier?: CallClassifier
  /** Milliseconds from any fixed origin; tests pass a fake one. */
  clock?: () => number
  /** Called once per transition, before the `state-changed` event. */
  onStateChange?: (change: StateChange) => void
}

const monotonicClock = () => performance.now()

/**
 * A mollitia breaker module with Resilience4j's semantics whose cost per call
 * does not depend on the window size: the window keeps running totals next to
 * its ring (see outcome-window.ts), and the rates are compared in integers.
 *
 * CLOSED records every non-ignored call; once the window holds `minimumCalls`,
 * a failure or slow-call rate at its threshold opens the breaker. OPEN refuses
 * calls with CircuitOpenError for `openDurationMs`, then HALF_OPEN lets
 * `halfOpenCalls` trial calls through; when all have been recorded their rates
 * close or re-open it. A call that started under an earlier state still
 * counts in the metrics, but not in the new state's window.
 */
export class RingWindowBreaker extends Module {
  state: CircuitState = CircuitState.CLOSED
  readonly stats = new CallStats()
  readonly settings: Readonly<Omit<BreakerSettings, 'timeoutMs'>>
  private readonly classifier: CallClassifier
  private readonly clock: () => number
  private readonly onStateChange: ((change: StateChange) => void) | undefined
  private readonly closedWindow: OutcomeWindow
  private readonly halfOpenWindow: CountWindow
  private readonly minimumCalls: number
  /** The window the rates are read from; OPEN keeps the one that opened it, as Resilience4j does. */
  private ratesWindow: OutcomeWindow
  private ratesMinimum: number
  /** Bumped on every transition, so late outcomes cannot land in the next state's window. */
  private epoch = 0
  private openUntil = 0
  private halfOpenPermits = 0
  private openTimer: NodeJS.Timeout | undefined

  constructor(options: RingWindowBreakerOptions = {}) {
    super(options)
    // Only the window's settings: the options also carry mollitia's, and the call timeout is the client's.
    const { timeoutMs: _clientTimeout, ...settings } = { ...DEFAULT_BREAKER_SETTINGS, ...windowSettings(options) }
    this.settings = settings
    const { windowType, windowSize, minimumCalls, halfOpenCalls } = settings
    for (const [key, value] of Object.entries(this.settings)) {
      if (key !== 'windowType' && !(Number.isFinite(value) && (value as number) > 0))
        throw new RangeError(`${key} must be a positive number, got ${String(value)}`)
    }
    this.classifier = options.classifier ?? defaultClassifier
    this.clock = options.clock ?? monotonicClock
    this.onStateChange = options.onStateChange
    this.closedWindow = windowType === 'time' ? new TimeWindow(windowSize) : new CountWindow(windowSize)
    // A count window can never hold more than its size (Resilience4j clamps the same way).
    this.minimumCalls = windowType === 'count' ? Math.min(minimumCalls, windowSize) : minimumCalls
    this.halfOpenWindow = new CountWindow(halfOpenCalls)
    this.ratesWindow = this.closedWindow
    this.ratesMinimum = this.minimumCalls
  }

  // `params` and CircuitFunction are mollitia's untyped pass-through arguments.
  override execute<T>(_circuit: Circuit, promise: CircuitFunction, ...params: unknown[]): Promise<T> {
    return this.run(() => promise(...params) as Promise<T>)
  }

  /**
   * One call through the breaker, as `execute` without mollitia's
   * pass-through arguments: the breaker's hot path allocates only the
   * async function's own promise. docs/performance.md ("Breaker")
   */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.state !== CircuitState.CLOSED && !this.permitTrialCall()) {
      this.stats.recordNotPermitted()
      throw this.refusal()
    }
    const epoch = this.epoch
    const started = this.clock()
    let value: T
    try {
      value = await call()
    } catch (error) {
      this.settle(this.classifier.error(error), started, epoch)
      throw error
    }
    this.settle(this.classifier.result(value), started, epoch)
    return value
  }

  /** Failure rate (%) of the current window, or -1 below its minimum number of calls. */
  get failureRate(): number {
    return this.rate('failed')
  }

  /** Slow-call rate (%) of the current window, or -1 below its minimum number of calls. */
  get slowCallRate(): number {
    return this.rate('slow')
  }

  get bufferedCalls(): number {
    this.ratesWindow.advance(this.clock())
    return this.ratesWindow.total
  }

  get failedCalls(): number {
    this.ratesWindow.advance(this.clock())
    return this.ratesWindow.failed
  }

  get slowCalls(): number {
    this.ratesWindow.advance(this.clock())
    return this.ratesWindow.slow
  }

  /** Milliseconds until an open breaker lets trial calls through (0 unless open). */
  get remainingOpenMs(): number {
    return this.state === CircuitState.OPEN ? Math.max(0, this.openUntil - this.clock()) : 0
  }

  /** Forces a state, e.g. for a drill; logged and counted like any transition. */
  open(): void {
    this.transition(CircuitState.OPEN)
  }

  halfOpen(): void {
    this.transition(CircuitState.HALF_OPEN)
  }

  close(): void {
    this.transition(CircuitState.CLOSED)
  }

  override dispose(): void {
    clearTimeout(this.openTimer)
    this.openTimer = undefined
    super.dispose()
    // mollitia keeps every module ever made in a global list; let this one go.
    const index = modules.indexOf(this)
    if (index >= 0) modules.splice(index, 1)
  }

  private permitTrialCall(): boolean {
    if (this.state === CircuitState.OPEN) {
      // The timer normally does this; checking here keeps a busy event loop from delaying it.
      if (this.clock() < this.openUntil) return false
      this.transition(CircuitState.HALF_OPEN)
    }
    if (this.halfOpenPermits >= this.settings.halfOpenCalls) return false
    this.halfOpenPermits++
    return true
  }

  private refusal(): CircuitOpenError {
    return this.state === CircuitState.OPEN
      ? new CircuitOpenError(this.name, 'open', this.openUntil - this.clock())
      : new CircuitOpenError(this.name, 'half_open', 0)
  }

  private settle(outcome: CallOutcome, started: number, epoch: number): void {
    const now = this.clock()
    const durationMs = now - started
    if (outcome === 'ignored') {
      this.stats.recordCall(KIND_IGNORED, durationMs)
      // An ignored trial call proves nothing: give its permit to another call.
      if (epoch === this.epoch && this.state === CircuitState.HALF_OPEN) this.halfOpenPermits--
      return
    }
    const failed = outcome === 'failure'
    this.stats.recordCall(failed ? KIND_FAILED : KIND_SUCCESSFUL, durationMs)
    if (epoch !== this.epoch) return
    const bits = (failed ? OUTCOME_FAILED : 0) | (durationMs > this.settings.slowCallDurationMs ? OUTCOME_SLOW : 0)
    if (this.state === CircuitState.CLOSED) {
      this.closedWindow.record(bits, now)
      if (this.exceedsThresholds(this.closedWindow, this.minimumCalls)) this.transition(CircuitState.OPEN)
    } else if (this.state === CircuitState.HALF_OPEN) {
      this.halfOpenWindow.record(bits, now)
      if (this.halfOpenWindow.total >= this.settings.halfOpenCalls) {
        this.transition(this.exceedsThresholds(this.halfOpenWindow, this.settings.halfOpenCalls) ? CircuitState.OPEN : CircuitState.CLOSED)
      }
    }
  }

  /** rate >= threshold, in integers: failed * 100 >= threshold * total. */
  private exceedsThresholds(window: OutcomeWindow, minimum: number): boolean {
    const total = window.total
    return (
      total >= minimum &&
      (window.failed * 100 >= this.settings.failureRateThreshold * total ||
        window.slow * 100 >= this.settings.slowCallRateThreshold * total)
    )
  }

  private rate(of: 'failed' | 'slow'): number {
    const window = this.ratesWindow
    window.advance(this.clock())
    const total = window.total
    return total >= this.ratesMinimum && total > 0 ? (window[of] * 100) / total : -1
  }

  private transition(to: CircuitState): void {
    const from = this.state
    if (from === to) return
    const change: StateChange = {
      from,
      to,
      failureRate: this.failureRate,
      slowCallRate: this.slowCallRate,
      bufferedCalls: this.bufferedCalls,
    }
    this.state = to
    this.epoch++
    clearTimeout(this.openTimer)
    this.openTimer = undefined
    if (to === CircuitState.OPEN) {
      this.openUntil = this.clock() + this.settings.openDurationMs
      const epoch = this.epoch
      this.openTimer = setTimeout(() => {
        if (this.epoch === epoch) this.transition(CircuitState.HALF_OPEN)
      }, this.settings.openDurationMs)
      // Waiting to half-open must never keep a process alive.
      this.openTimer.unref()
    } else if (to === CircuitState.HALF_OPEN) {
      this.halfOpenPermits = 0
      this.halfOpenWindow.clear()
      this.ratesWindow = this.halfOpenWindow
      this.ratesMinimum = this.settings.halfOpenCalls
    } else {
      this.closedWindow.clear()
      this.ratesWindow = this.closedWindow
      this.ratesMinimum = this.minimumCalls
    }
    this.onStateChange?.(change)
    this.emit('state-changed', to)
  }
}

/** The breaker settings given among `options` (which also carry mollitia's own and callbacks). */
function windowSettings(options: RingWindowBreakerOptions): Partial<BreakerSettings> {
  return Object.fromEntries(
    Object.entries(options).filter(([key, value]) => key in DEFAULT_BREAKER_SETTINGS && value !== undefined),
  ) as Partial<BreakerSettings>
}
