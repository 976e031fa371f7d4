// Samples the services' /metrics while a drill runs: the breaker states and
// counters that build the timeline are read from outside, as Prometheus would.

export interface Series {
  name: string
  labels: Record<string, string>
  value: number
}

/** The Prometheus text format, samples only (comments and timestamps dropped). */
export function parsePrometheusText(text: string): Series[] {
  const series: Series[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)
    if (!match?.[1] || match[3] === undefined) continue
    const labels: Record<string, string> = {}
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (label[1] !== undefined) labels[label[1]] = (label[2] ?? '').replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c))
    }
    series.push({ name: match[1], labels, value: Number(match[3]) })
  }
  return series
}

/** Sum of the series named `name` whose labels include `match`. */
export function sumOf(series: Series[], name: string, match: Record<string, string> = {}): number {
  let total = 0
  for (const s of series) {
    if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value
  }
  return total
}

export type BreakerState = 'closed' | 'open' | 'half_open'

/** The state whose `circuitbreaker_state` gauge is 1, or undefined when the breaker is not exported. */
export function breakerState(series: Series[], breaker: string): BreakerState | undefined {
  const current = series.find((s) => s.name === 'circuitbreaker_state' && s.labels.name === breaker && s.value === 1)
  return current?.labels.state as BreakerState | undefined
}

export interface MetricsSample {
  /** Drill clock, ms. */
  t: number
  /** undefined when /metrics did not answer (the process is down or frozen). */
  series: Record<string, Series[] | undefined>
}

const SCRAPE_TIMEOUT_MS = 800

export async function scrape(url: string): Promise<Series[] | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) })
    if (response.status !== 200) {
      await response.body?.cancel()
      return undefined
    }
    return parsePrometheusText(await response.text())
  } catch {
    return undefined
  }
}

/** Scrapes every target each `intervalMs` until stopped; one scrape round at a time. */
export function startSampler(targets: Record<string, string>, clock: () => number, intervalMs = 250): { stop(): Promise<MetricsSample[]> } {
  const samples: MetricsSample[] = []
  let running = true
  const loop = (async () => {
    while (running) {
      const t = clock()
      const entries = await Promise.all(Object.entries(targets).map(async ([name, url]) => [name, await scrape(url)] as const))
      samples.push({ t, series: Object.fromEntries(entries) })
      const wait = t + intervalMs - clock()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return samples
    },
  }
}
