import { Circuit, circuits } from 'mollitia'
import type { Registry } from 'prom-client'
import type { Logger } from '../logging/logger.js'
import { defaultClassifier, type CallClassifier } from './classify.js'
import { CallTimeoutError } from './errors.js'
import { BreakerMetrics, type FallbackSource } from './metrics.js'
import { RingWindowBreaker, type CircuitState, type StateChange } from './ring-window-breaker.js'
import { breakerSettingsFromEnv, type BreakerSettings } from './settings.js'

export interface BreakerOptions {
  /** Metric label, log field, env prefix (BREAKER_<NAME>_*): e.g. `storage-service`. */
  name: string
  /** Default: breakerSettingsFromEnv(name), which throws a ConfigError on a wrong variable. */
  settings?: BreakerSettings
  logger: Logger
  /** Where the circuitbreaker_* metrics go (the app's: `app.metrics`). */
  registry: Registry
  /** Overrides either half of the default classifier (see classify.ts). */
  classify?: Partial<CallClassifier>
  /** Milliseconds from any fixed origin; for tests. */
  clock?: () => number
}

/** One breaker as /health/ready shows it (names as Resilience4j's health details). */
export interface BreakerSnapshot {
  state: CircuitState
  /** Percent of the window, -1 while it holds fewer calls than the minimum. */
  failureRate: number
  slowCallRate: number
  bufferedCalls: number
  failedCalls: number
  slowCalls: number
  /** Calls refused since start (open, or half-open with every trial call taken). */
  notPermittedCalls: number
  /** Milliseconds until an open breaker lets trial calls through. */
  remainingOpenMs: number
}

type Call = () => Promise<unknown>

/**
 * mollitia's Circuit with a fast path for the one call shape Breaker makes.
 * Circuit.execute copies its module list on every call (`activeModules`
 * filters it) and spreads rest parameters through three layers; with our one
 * active RingWindowBreaker, `run` does what it does — run the module, emit
 * `execute` — without those allocations, and emits only once someone listens.
 * docs/performance.md ("Breaker")
 */
class BreakerCircuit extends Circuit {
  private executeListened = false

  constructor(
    name: string,
    private readonly breaker: RingWindowBreaker,
    /** The call as the module runs it (the deadline, when there is one); undefined: the call itself. */
    private readonly wrap: ((call: Call) => Promise<unknown>) | undefined,
  ) {
    super({ name, func: wrap ?? ((call: Call) => call()), options: { modules: [breaker] } })
  }

  override on(eventName: string, cb: Parameters<Circuit['on']>[1]): ReturnType<Circuit['on']> {
    if (eventName === 'execute') this.executeListened = true
    return super.on(eventName, cb)
  }

  // `params` are mollitia's untyped pass-through arguments.
  override execute<T>(...params: unknown[]): Promise<T> {
    return params.length === 1 && typeof params[0] === 'function' ? this.run(params[0] as () => Promise<T>) : super.execute<T>(...params)
  }

  run<T>(call: () => Promise<T>): Promise<T> {
    const module = this.breaker
    if (this.modules.length !== 1 || this.modules[0] !== module || !module.active) return super.execute<T>(call)
    const wrap = this.wrap
    const result = module.run<T>(wrap ? () => wrap(call) as Promise<T> : call)
    if (this.executeListened) this.emit('execute', this, result, [call])
    return result
  }
}

/**
 * A named circuit breaker: a mollitia Circuit running a RingWindowBreaker
 * (plus the breaker's own deadline when `timeoutMs` > 0), exported as
 * circuitbreaker_* metrics and logged once per state transition.
 */
export class Breaker {
  readonly name: string
  readonly settings: Readonly<BreakerSettings>
  readonly circuit: Circuit
  private readonly fastCircuit: BreakerCircuit
  readonly module: RingWindowBreaker
  private readonly metrics: BreakerMetrics
  private isDisposed = false

  constructor(options: BreakerOptions) {
    const { name, logger } = options
    this.name = name
    this.settings = Object.freeze({ ...(options.settings ?? breakerSettingsFromEnv(name)) })
    this.metrics = BreakerMetrics.of(options.registry)
    this.module = new RingWindowBreaker({
      ...this.settings,
      name,
      classifier: { ...defaultClassifier, ...options.classify },
      clock: options.clock,
      onStateChange: (change: StateChange) => {
        this.metrics.recordTransition(name, change.from, change.to)
        const fields = {
          breaker: name,
          from: change.from,
          to: change.to,
          failureRate: change.failureRate,
          slowCallRate: change.slowCallRate,
          bufferedCalls: change.bufferedCalls,
        }
        const message = `circuit breaker ${name}: ${change.from} → ${change.to}`
        if (change.to === 'open') logger.warn(fields, message)
        else logger.info(fields, message)
      },
    })
    const timeoutMs = this.settings.timeoutMs
    const wrap = timeoutMs > 0 ? (call: Call) => withDeadline(call, timeoutMs, name) : undefined
    this.fastCircuit = new BreakerCircuit(name, this.module, wrap)
    this.circuit = this.fastCircuit
    this.metrics.track(name, this.module)
  }

  get disposed(): boolean {
    return this.isDisposed
  }

  get state(): CircuitState {
    return this.module.state
  }

  /**
   * Runs `call` through the breaker. Rejects with CircuitOpenError (without
   * calling it) while open; otherwise settles as `call` does — a resolved 5xx
   * response still resolves, it only counts as a failure.
   */
  execute<T>(call: () => Promise<T>): Promise<T> {
    return this.fastCircuit.run(call)
  }

  snapshot(): BreakerSnapshot {
    const m = this.module
    return {
      state: m.state,
      failureRate: m.failureRate,
      slowCallRate: m.slowCallRate,
      bufferedCalls: m.bufferedCalls,
      failedCalls: m.failedCalls,
      slowCalls: m.slowCalls,
      notPermittedCalls: m.stats.count('not_permitted'),
      remainingOpenMs: Math.ceil(m.remainingOpenMs),
    }
  }

  /** Counts an answer served by a fallback (circuitbreaker_fallback_calls_total). */
  recordFallback(source: FallbackSource): void {
    this.metrics.recordFallback(this.name, source)
  }

  /** Stops the open-state timer and the breaker's gauges; safe to call twice. */
  dispose(): void {
    if (this.isDisposed) return
    this.isDisposed = true
    this.circuit.dispose()
    // mollitia keeps every circuit ever made in a global list; let this one go.
    const index = circuits.indexOf(this.circuit)
    if (index >= 0) circuits.splice(index, 1)
    this.metrics.untrack(this.name)
  }
}

export function createBreaker(options: BreakerOptions): Breaker {
  return new Breaker(options)
}

function withDeadline<T>(call: () => Promise<T>, timeoutMs: number, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // Left ref'd on purpose: it only lives while a call is in flight, and an
    // unref'd one would let a process exit with that call never settled.
    const timer = setTimeout(() => reject(new CallTimeoutError(name, timeoutMs)), timeoutMs)
    const settle = () => clearTimeout(timer)
    let pending: Promise<T>
    try {
      pending = call()
    } catch (error) {
      settle()
      reject(error)
      return
    }
    pending.then(
      (value) => {
        settle()
        resolve(value)
      },
      (error: unknown) => {
        settle()
        reject(error)
      },
    )
  })
}
