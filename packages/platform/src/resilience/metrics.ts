import { Counter, Gauge, type Registry } from 'prom-client'
import { CALL_KINDS, DURATION_BUCKETS, TIMED_KINDS } from './call-stats.js'
import { BucketHistogram } from './duration-histogram.js'
import { CIRCUIT_STATES, type CircuitState, type RingWindowBreaker } from './ring-window-breaker.js'

export type FallbackSource = 'cache' | 'stub'
export const FALLBACK_SOURCES: readonly FallbackSource[] = ['cache', 'stub']

interface Tracked {
  name: string
  module: RingWindowBreaker
  /** The module's cumulative stats as of the last export, to export increments. */
  exportedCounts: Float64Array
  exportedBuckets: Float64Array
  exportedSums: Float64Array
}

// A global symbol, so that two copies of this package in one process still
// share the metric objects of a registry instead of failing "already registered".
const METRICS_OF_REGISTRY = Symbol.for('soundline.platform.circuitbreaker-metrics')
type RegistryWithBreakerMetrics = Registry & { [METRICS_OF_REGISTRY]?: BreakerMetrics }

/**
 * The circuitbreaker_* metrics of one registry, shared by all its breakers
 * (labelled by name). Gauges are set from the breakers' live state at scrape
 * time, so nothing resets between scrapes; call counts and durations are
 * exported as increments of the breakers' own counters.
 */
export class BreakerMetrics {
  private readonly tracked = new Map<string, Tracked>()
  private readonly state: Gauge<'name' | 'state'>
  private readonly failureRate: Gauge<'name'>
  private readonly slowCallRate: Gauge<'name'>
  private readonly bufferedCalls: Gauge<'name'>
  private readonly calls: Counter<'name' | 'kind'>
  private readonly durations: BucketHistogram
  private readonly transitions: Counter<'name' | 'from' | 'to'>
  private readonly fallbacks: Counter<'name' | 'source'>

  static of(registry: Registry): BreakerMetrics {
    const holder = registry as RegistryWithBreakerMetrics
    holder[METRICS_OF_REGISTRY] ??= new BreakerMetrics(registry)
    return holder[METRICS_OF_REGISTRY]
  }

  private constructor(registry: Registry) {
    const registers = [registry]
    this.state = new Gauge({
      name: 'circuitbreaker_state',
      help: 'Circuit breaker state: 1 for the current state, 0 for the others',
      labelNames: ['name', 'state'],
      registers,
      collect: () => {
        for (const { name, module } of this.tracked.values()) {
          for (const state of CIRCUIT_STATES) this.state.set({ name, state }, module.state === state ? 1 : 0)
        }
      },
    })
    this.failureRate = this.rateGauge(
      registers,
      'circuitbreaker_failure_rate',
      'Failure rate of the breaker window in percent (-1: fewer calls than the minimum)',
      (m) => m.failureRate,
    )
    this.slowCallRate = this.rateGauge(
      registers,
      'circuitbreaker_slow_call_rate',
      'Slow-call rate of the breaker window in percent (-1: fewer calls than the minimum)',
      (m) => m.slowCallRate,
    )
    this.bufferedCalls = this.rateGauge(registers, 'circuitbreaker_buffered_calls', 'Calls in the breaker window', (m) => m.bufferedCalls)
    this.calls = new Counter({
      name: 'circuitbreaker_calls_total',
      help: 'Calls through the breaker by kind: successful, failed, ignored, not_permitted',
      labelNames: ['name', 'kind'],
      registers,
      collect: () => this.exportIncrements(),
    })
    this.durations = new BucketHistogram(
      'circuitbreaker_call_duration_seconds',
      'Duration of calls through the breaker in seconds, by kind',
      () => this.exportIncrements(),
    )
    this.durations.register(registry)
    this.transitions = new Counter({
      name: 'circuitbreaker_transitions_total',
      help: 'Breaker state transitions',
      labelNames: ['name', 'from', 'to'],
      registers,
    })
    this.fallbacks = new Counter({
      name: 'circuitbreaker_fallback_calls_total',
      help: 'Answers served by a fallback, by source: cache, stub',
      labelNames: ['name', 'source'],
      registers,
    })
  }

  /** Starts exporting a breaker; the name must be unique in this registry. */
  track(name: string, module: RingWindowBreaker): void {
    if (this.tracked.has(name)) throw new Error(`a circuit breaker named ${name} is already registered in this metrics registry`)
    const { stats } = module
    this.tracked.set(name, {
      name,
      module,
      exportedCounts: new Float64Array(stats.counts.length),
      exportedBuckets: new Float64Array(stats.buckets.length),
      exportedSums: new Float64Array(stats.sums.length),
    })
    // Every series exists from the start, at zero, so rate() and alerts see it.
    for (const source of FALLBACK_SOURCES) this.fallbacks.inc({ name, source }, 0)
    this.exportIncrements()
  }

  /** Exports what is left and drops the breaker's gauges; counters keep their totals. */
  untrack(name: string): void {
    const tracked = this.tracked.get(name)
    if (!tracked) return
    this.exportOne(tracked)
    this.tracked.delete(name)
    for (const state of CIRCUIT_STATES) this.state.remove({ name, state })
    for (const gauge of [this.failureRate, this.slowCallRate, this.bufferedCalls]) gauge.remove({ name })
  }

  recordTransition(name: string, from: CircuitState, to: CircuitState): void {
    this.transitions.inc({ name, from, to })
  }

  recordFallback(name: string, source: FallbackSource): void {
    this.fallbacks.inc({ name, source })
  }

  private rateGauge(registers: Registry[], name: string, help: string, read: (module: RingWindowBreaker) => number): Gauge<'name'> {
    const gauge: Gauge<'name'> = new Gauge({
      name,
      help,
      labelNames: ['name'],
      registers,
      collect: () => {
        for (const tracked of this.tracked.values()) gauge.set({ name: tracked.name }, read(tracked.module))
      },
    })
    return gauge
  }

  private exportIncrements(): void {
    for (const tracked of this.tracked.values()) this.exportOne(tracked)
  }

  private exportOne(tracked: Tracked): void {
    const { name, module, exportedCounts, exportedBuckets, exportedSums } = tracked
    const { counts, buckets, sums } = module.stats
    CALL_KINDS.forEach((kind, k) => {
      this.calls.inc({ name, kind }, (counts[k] ?? 0) - (exportedCounts[k] ?? 0))
    })
    const width = DURATION_BUCKETS.length + 1
    for (let k = 0; k < TIMED_KINDS; k++) {
      const increments = new Float64Array(width)
      for (let b = 0; b < width; b++) increments[b] = (buckets[k * width + b] ?? 0) - (exportedBuckets[k * width + b] ?? 0)
      const count = (counts[k] ?? 0) - (exportedCounts[k] ?? 0)
      this.durations.add({ name, kind: CALL_KINDS[k] ?? 'unknown' }, increments, (sums[k] ?? 0) - (exportedSums[k] ?? 0), count)
    }
    exportedCounts.set(counts)
    exportedBuckets.set(buckets)
    exportedSums.set(sums)
  }
}
