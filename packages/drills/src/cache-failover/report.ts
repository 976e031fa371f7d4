// The cache drill's timeline, verdict and chart (docs/high-availability.md).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { percentile } from '@soundline/dev-stack/stats'
import { renderPng } from '../chart.js'
import type { DrillReport } from '../report.js'
import { formatMs, textTable } from '../stats.js'
import type { Criterion } from '../verdict.js'
import { lookupsBetween, type CacheDrillResult } from './drill.js'

/** No read may take longer: a hang (a cache call without a deadline) would. */
const MAX_READ_MS = 5_000
/** The hit rate is back when every later second reaches this share of the warm-up's. */
const RECOVERED_SHARE = 0.95
const RECOVERY_WITHIN_MS = 15_000

export interface CacheSecond {
  second: number
  reads: number
  hits: number
  misses: number
  errors: number
  hitRate?: number
  p50?: number
  max?: number
  cluster: string
  events: string[]
}

export function cacheSeconds(result: CacheDrillResult): CacheSecond[] {
  const rows: CacheSecond[] = []
  for (let second = 0; second * 1000 < result.loadEndAt; second++) {
    const [from, to] = [second * 1000, second * 1000 + 1000]
    const reads = result.records.filter((r) => r.startedAt >= from && r.startedAt < to)
    const latencies = reads.map((r) => r.latencyMs)
    const hits = reads.filter((r) => r.correct && r.cache === 'HIT').length
    const errors = reads.filter((r) => !r.correct).length
    const samples = result.cluster.filter((s) => s.t >= from && s.t < to)
    const events: string[] = []
    if (result.faultAt >= from && result.faultAt < to) events.push('master killed')
    const failedAt = result.cluster.find((s) => s.victimFailed)?.t
    if (failedAt !== undefined && failedAt >= from && failedAt < to) events.push('flagged fail')
    if (result.promotedAt !== undefined && result.promotedAt >= from && result.promotedAt < to) events.push('replica promoted')
    rows.push({
      second,
      reads: reads.length,
      hits,
      misses: reads.length - hits - errors,
      errors,
      ...(reads.length ? { hitRate: hits / reads.length, p50: percentile(latencies, 50), max: Math.max(...latencies) } : {}),
      cluster: samples.some((s) => s.state !== 'ok') ? 'fail' : samples.length ? 'ok' : '-',
      events,
    })
  }
  return rows
}

export interface CacheFigures {
  baseline: number
  dip: number
  /** Drill ms of the start of the first second from which every full second is back. */
  recoveredAt?: number
  errors: number
  maxLatency: number
  lookupsAfter: Record<string, number>
  lookupsDuring: Record<string, number>
}

export function figures(result: CacheDrillResult, rows: CacheSecond[]): CacheFigures {
  const warm = result.records.filter((r) => r.startedAt >= 1000 && r.startedAt < result.faultAt)
  const baseline = warm.filter((r) => r.cache === 'HIT').length / Math.max(1, warm.length)
  const faultSecond = Math.floor(result.faultAt / 1000)
  const full = rows.filter((r) => r.second >= faultSecond && (r.second + 1) * 1000 <= result.loadEndAt)
  const dip = Math.min(...full.map((r) => r.hitRate ?? 1))
  const back = full.findIndex((_, i) => full.slice(i).every((r) => (r.hitRate ?? 0) >= RECOVERED_SHARE * baseline))
  const recoveredAt = back < 0 ? undefined : (full[back]?.second ?? 0) * 1000
  return {
    baseline,
    dip,
    ...(recoveredAt === undefined ? {} : { recoveredAt }),
    errors: result.records.filter((r) => !r.correct).length,
    maxLatency: Math.max(0, ...result.records.map((r) => r.latencyMs)),
    lookupsDuring: lookupsBetween(result.metrics, result.faultAt - 250, recoveredAt ?? result.loadEndAt),
    lookupsAfter: lookupsBetween(result.metrics, recoveredAt ?? result.loadEndAt, result.loadEndAt + 1000),
  }
}

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`

export function judgeCache(result: CacheDrillResult, f: CacheFigures): Criterion[] {
  const after = f.lookupsAfter
  const afterTotal = Object.values(after).reduce((a, b) => a + b, 0)
  const afterRate = (after.fresh ?? 0) / Math.max(1, afterTotal)
  const failover = result.promotedAt === undefined ? undefined : result.promotedAt - result.faultAt
  const recovery =
    f.recoveredAt === undefined || result.promotedAt === undefined ? undefined : Math.max(0, f.recoveredAt - result.promotedAt)
  return [
    { name: 'no client saw an error: every read answered 200 with its exact song', pass: f.errors === 0, actual: `${f.errors} of ${result.records.length} reads wrong or failed` },
    { name: `no read took longer than ${formatMs(MAX_READ_MS)}`, pass: f.maxLatency <= MAX_READ_MS, actual: `max ${formatMs(f.maxLatency)}` },
    { name: 'the killed master\'s replica was promoted (CLUSTER NODES, cluster_state:ok)', pass: failover !== undefined, actual: failover === undefined ? 'not promoted' : `${formatMs(failover)} after the kill` },
    { name: 'the fault reached the cache: gateway lookups failed and were served from upstream', pass: (f.lookupsDuring.error ?? 0) > 0, actual: `${f.lookupsDuring.error ?? 0} failed lookups (gateway_cache_lookups_total{outcome="error"})` },
    {
      name: `the hit rate recovered to ≥ ${RECOVERED_SHARE * 100}% of the warm-up's within ${formatMs(RECOVERY_WITHIN_MS)} of the promotion`,
      pass: recovery !== undefined && recovery <= RECOVERY_WITHIN_MS,
      actual: `warm-up ${pct(f.baseline)}, lowest second ${pct(f.dip)}, ` + (recovery === undefined ? 'never recovered' : `back ${formatMs(recovery)} after the promotion`),
    },
    {
      name: `after the recovery the gateway's own hit rate (/metrics) is ≥ ${RECOVERED_SHARE * 100}% of the warm-up's`,
      pass: afterTotal > 0 && afterRate >= RECOVERED_SHARE * f.baseline,
      actual: `${pct(afterRate)} of ${afterTotal} lookups fresh`,
    },
  ] // prettier-ignore
}

function chartSvg(result: CacheDrillResult, rows: CacheSecond[], passed: boolean, f: CacheFigures): string {
  const [W, H, L, R, T, B] = [1200, 520, 70, 1110, 70, 420]
  const seconds = Math.max(1, rows.length)
  const x = (ms: number): number => Math.min(R, L + ((R - L) * ms) / (seconds * 1000))
  const bar = (R - L) / seconds
  const top = Math.max(1, ...rows.map((r) => r.reads)) * 1.1
  const y = (n: number): number => B - ((B - T) * n) / top
  const latencyTop = Math.max(10, ...rows.map((r) => r.max ?? 0)) * 1.5
  const yl = (ms: number): number => B - ((B - T) * Math.log10(Math.max(1, ms))) / Math.log10(latencyTop)
  const label = (tx: number, ty: number, s: string, attrs = ''): string => `<text x="${tx}" y="${ty}" font-family="DejaVu Sans" ${attrs.includes("font-size") ? "" : 'font-size="12"'} ${attrs}>${s}</text>`
  const parts = [`<rect width="${W}" height="${H}" fill="white"/>`]
  parts.push(label(L, 28, 'cache-failover: a Redis master SIGKILLed under reads through the gateway', 'font-weight="bold" font-size="16"'))
  parts.push(label(L, 50, `${result.options.rate} reads/s over ${result.options.songs} songs; hit rate ${pct(f.baseline)} → lowest ${pct(f.dip)}; ${f.errors} client errors — verdict ${passed ? 'PASS' : 'FAIL'}`, `fill="${passed ? '#2e7d32' : '#c62828'}"`))
  const end = result.promotedAt ?? result.loadEndAt
  parts.push(`<rect x="${x(result.faultAt)}" y="${T}" width="${Math.max(1, x(end) - x(result.faultAt))}" height="${B - T}" fill="#ffcdd2" opacity="0.6"/>`)
  parts.push(label(x(result.faultAt) + 4, T + 14, 'master killed → replica promoted', 'fill="#c62828"'))
  for (const row of rows) {
    const left = x(row.second * 1000) + bar * 0.15
    const stack: [number, string][] = [[row.hits, '#4caf50'], [row.misses, '#fb8c00'], [row.errors, '#e53935']]
    let base = 0
    for (const [n, color] of stack) {
      if (n > 0) parts.push(`<rect x="${left}" y="${y(base + n)}" width="${bar * 0.7}" height="${y(base) - y(base + n)}" fill="${color}"/>`)
      base += n
    }
  }
  const line = (pick: (r: CacheSecond) => number | undefined, color: string): string =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${rows.flatMap((r) => { const v = pick(r); return v === undefined ? [] : [`${x(r.second * 1000) + bar / 2},${yl(v)}`] }).join(' ')}"/>`
  parts.push(line((r) => r.p50, '#1e88e5'), line((r) => r.max, '#8e24aa'))
  for (let ms = 1; ms <= latencyTop; ms *= 10) parts.push(label(R + 8, yl(ms) + 4, ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`, 'fill="#1e88e5"'))
  for (let i = 0; i <= 4; i++) parts.push(label(L - 8, y((top * i) / 4) + 4, String(Math.round((top * i) / 4)), 'text-anchor="end"'))
  const tick = Math.max(1, Math.ceil(seconds / 12))
  for (let s = 0; s <= seconds; s += tick) parts.push(label(x(s * 1000), B + 16, String(s), 'text-anchor="middle"'))
  parts.push(`<rect x="${L}" y="${T}" width="${R - L}" height="${B - T}" fill="none" stroke="#999"/>`)
  parts.push(label((L + R) / 2, B + 36, 'seconds since the load started; bars: reads per second, lines: latency (log, right)', 'text-anchor="middle"'))
  let lx = L
  for (const [name, color] of [['hit', '#4caf50'], ['miss (served from upstream)', '#fb8c00'], ['error', '#e53935'], ['latency p50', '#1e88e5'], ['latency max', '#8e24aa'], ['kill → promotion', '#ffcdd2']]) {
    parts.push(`<rect x="${lx}" y="${H - 40}" width="12" height="12" fill="${color}"/>`, label(lx + 16, H - 30, name ?? ''))
    lx += 40 + (name ?? '').length * 7
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`
} // prettier-ignore

export async function reportCacheDrill(result: CacheDrillResult, outDir: string, stamp: string): Promise<DrillReport> {
  const rows = cacheSeconds(result)
  const f = figures(result, rows)
  const criteria = judgeCache(result, f)
  const passed = criteria.every((c) => c.pass)
  await mkdir(outDir, { recursive: true })
  const pngPath = join(outDir, `cache-failover-${stamp}.png`)
  await writeFile(pngPath, renderPng(chartSvg(result, rows, passed, f)))
  const timeline = textTable([
    ['t(s)', 'reads', 'hit', 'miss', 'error', 'hit%', 'p50', 'max', 'cluster', ''],
    ...rows.map((r) => [String(r.second), String(r.reads), String(r.hits), String(r.misses), String(r.errors), r.hitRate === undefined ? '-' : pct(r.hitRate), formatMs(r.p50), formatMs(r.max), r.cluster, r.events.join(', ')]),
  ]) // prettier-ignore
  const failedAt = result.cluster.find((s) => s.victimFailed && s.t >= result.faultAt)?.t
  const text = [
    `== cache-failover: a Redis master SIGKILLed (127.0.0.1:${result.victimPort}) under ${result.options.rate} reads/s through the gateway`,
    `warm-up ${result.options.warmupSeconds} s, ${result.options.afterSeconds} s of load after the promotion; cluster-node-timeout ${result.options.nodeTimeoutMs} ms`,
    '',
    timeline,
    '',
    `master killed at ${formatMs(result.faultAt)}; flagged fail ${failedAt === undefined ? 'never seen' : `${formatMs(failedAt - result.faultAt)} later`}; ` +
      `replica promoted ${result.promotedAt === undefined ? 'never' : `${formatMs(result.promotedAt - result.faultAt)} after the kill`}`,
    `gateway lookups from the kill to the recovery: ${JSON.stringify(f.lookupsDuring)}; after: ${JSON.stringify(f.lookupsAfter)}`,
    '',
    textTable([['', 'criterion', 'measured'], ...criteria.map((c) => [c.pass ? 'PASS' : 'FAIL', c.name, c.actual])]),
    '',
    `verdict: ${passed ? 'PASS' : 'FAIL'}   chart: ${pngPath}`,
  ].join('\n')
  return { criteria, passed, text, pngPath }
}
