// The drill second by second: what the uploads saw and what the breaker and
// the processor did, for the printed table and the chart.
import type { DrillResult } from './drill.js'
import { breakerState, type BreakerState } from './metrics.js'
import { percentile } from '@soundline/dev-stack/stats'
import { formatMs, textTable } from './stats.js'
import { counterIncrease } from './verdict.js'

export interface SecondRow {
  second: number
  ok: number
  failed: number
  p50?: number
  max?: number
  /** The worst state seen in the second (open over half-open over closed); undefined: not exported or unreachable. */
  breaker?: BreakerState
  fallbacks: number
  /** resource.uploaded events the processor finished OK. */
  processed: number
  /** fault, heal, back: what happened in this second. */
  events: string[]
}

const SEVERITY: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 }

export function secondsOf(result: DrillResult): SecondRow[] {
  const end = Math.ceil(Math.max(result.loadEndAt, result.settledAt ?? 0, ...result.records.map((r) => r.startedAt + r.latencyMs)) / 1000)
  const rows: SecondRow[] = []
  const watched = result.scenario.breaker
  for (let second = 0; second < end; second++) {
    const from = second * 1000
    const to = from + 1000
    const started = result.records.filter((r) => r.startedAt >= from && r.startedAt < to)
    const latencies = started.map((r) => r.latencyMs)
    let breaker: BreakerState | undefined
    for (const sample of result.samples) {
      if (sample.t < from || sample.t >= to || !watched) continue
      const series = sample.series[watched.target]
      const state = series ? breakerState(series, watched.name) : undefined
      if (state && (breaker === undefined || SEVERITY[state] > SEVERITY[breaker])) breaker = state
    }
    const events: string[] = []
    if (result.faultAt >= from && result.faultAt < to) events.push('fault')
    if (result.healAt >= from && result.healAt < to) events.push('heal')
    if (result.backAt >= from && result.backAt < to) events.push('back')
    if (result.settledAt !== undefined && result.settledAt >= from && result.settledAt < to) events.push('settled')
    rows.push({
      second,
      ok: started.filter((r) => r.status === 200).length,
      failed: started.filter((r) => r.status !== 200).length,
      p50: latencies.length ? percentile(latencies, 50) : undefined,
      max: latencies.length ? Math.max(...latencies) : undefined,
      breaker,
      fallbacks: watched
        ? counterIncrease(result.samples, watched.target, 'circuitbreaker_fallback_calls_total', { name: watched.name }, from - 250, to)
        : 0,
      processed: counterIncrease(result.samples, 'processor', 'processor_resources_total', { outcome: 'ok' }, from - 250, to),
      events,
    })
  }
  return rows
}

export function timelineText(result: DrillResult, rows: SecondRow[]): string {
  const breakerName = result.scenario.breaker?.name
  const header = ['t(s)', 'ok', 'failed', 'p50', 'max', ...(breakerName ? [`breaker ${breakerName}`, 'fallbacks'] : []), 'processed', '']
  return textTable([
    header,
    ...rows.map((row) => [
      String(row.second),
      String(row.ok),
      String(row.failed),
      formatMs(row.p50),
      formatMs(row.max),
      ...(breakerName ? [row.breaker ?? 'n/a', String(row.fallbacks)] : []),
      String(row.processed),
      row.events.join(' '),
    ]),
  ])
}
