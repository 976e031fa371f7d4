import type { Metric, Registry } from 'prom-client'
import { DURATION_BUCKETS } from './call-stats.js'

interface Series {
  labels: Record<string, string>
  /** Non-cumulative counts per bound, then the +Inf overflow. */
  buckets: Float64Array
  sum: number
  count: number
}

interface ExportedValue {
  metricName: string
  labels: Record<string, string | number>
  value: number
}

/**
 * A Prometheus histogram fed with bucket counts instead of single
 * observations. prom-client's Histogram can only `observe` (≈0.7 µs each), and
 * the breaker records durations into plain arrays; this metric takes their
 * increments at scrape time and renders the usual _bucket/_sum/_count series.
 * It implements the interface prom-client's Registry reads (name, help, type,
 * aggregator, get, reset).
 */
export class BucketHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly series = new Map<string, Series>()

  constructor(
    readonly name: string,
    readonly help: string,
    /** Runs before every read, to pull pending increments in. */
    private readonly beforeRead: () => void,
  ) {}

  register(registry: Registry): void {
    // The Registry is typed for prom-client's own classes but reads only the members above.
    registry.registerMetric(this as unknown as Metric)
  }

  /** Adds increments for one label set; `buckets` as in Series. */
  add(labels: Record<string, string>, buckets: ArrayLike<number>, sum: number, count: number): void {
    const key = JSON.stringify(labels)
    let series = this.series.get(key)
    if (!series) {
      series = { labels, buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 }
      this.series.set(key, series)
    }
    for (let i = 0; i < series.buckets.length; i++) series.buckets[i] = (series.buckets[i] ?? 0) + (buckets[i] ?? 0)
    series.sum += sum
    series.count += count
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    this.beforeRead()
    const values: ExportedValue[] = []
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0
      DURATION_BUCKETS.forEach((bound, index) => {
        cumulative += buckets[index] ?? 0
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: cumulative })
      })
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count })
      values.push({ metricName: `${this.name}_sum`, labels: { ...labels }, value: sum })
      values.push({ metricName: `${this.name}_count`, labels: { ...labels }, value: count })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    this.series.clear()
  }
}
