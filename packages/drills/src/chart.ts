// The timeline as a chart: outcomes per second as stacked bars, latency as
// lines on a log axis, the fault window shaded and the breaker's state as a
// strip underneath. Plain SVG rendered to PNG by resvg (no browser).
import { Resvg } from '@resvg/resvg-js'
import type { DrillResult } from './drill.js'
import type { Criterion } from './verdict.js'
import { breakerTimeline } from './verdict.js'
import type { SecondRow } from './timeline.js'

const WIDTH = 1200
const HEIGHT = 560
const PLOT = { left: 70, right: 1110, top: 70, bottom: 420 }
const STRIP = { top: 445, height: 18 }
const COLORS = {
  ok: '#4caf50',
  failed: '#e53935',
  p50: '#1e88e5',
  max: '#8e24aa',
  processed: '#fb8c00',
  fault: '#ffcdd2',
  open: '#e53935',
  half_open: '#fdd835',
  closed: '#a5d6a7',
}
const FONT = 'DejaVu Sans'

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function text(x: number, y: number, content: string, attrs = '', size = 12): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${size}" ${attrs}>${escape(content)}</text>`
}

export function niceMax(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(1, value)))
  return [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= value) ?? 10 * magnitude
}

export function chartSvg(result: DrillResult, rows: SecondRow[], criteria: Criterion[]): string {
  const seconds = Math.max(1, rows.length)
  // Clamped: samples go on a little after the last whole second.
  const x = (ms: number): number => Math.min(PLOT.right, PLOT.left + ((PLOT.right - PLOT.left) * ms) / (seconds * 1000))
  const barWidth = (PLOT.right - PLOT.left) / seconds
  const countMax = niceMax(Math.max(...rows.map((r) => Math.max(r.ok + r.failed, r.processed))))
  const yCount = (n: number): number => PLOT.bottom - ((PLOT.bottom - PLOT.top) * n) / countMax
  const latencyMax = niceMax(Math.max(10, ...rows.map((r) => r.max ?? 0)))
  const latencyMin = 1
  const yLatency = (ms: number): number =>
    PLOT.bottom - ((PLOT.bottom - PLOT.top) * Math.log10(Math.max(latencyMin, ms))) / Math.log10(latencyMax)
  const parts: string[] = [`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`]

  const passed = criteria.every((c) => c.pass)
  parts.push(text(PLOT.left, 28, `${result.scenario.name}: ${result.scenario.summary}`, 'font-weight="bold"', 16))
  parts.push(
    text(
      PLOT.left,
      50,
      `${result.options.rate} uploads/s, fault ${result.options.faultSeconds} s — verdict ${passed ? 'PASS' : 'FAIL'} (${criteria.filter((c) => c.pass).length}/${criteria.length} criteria)`,
      `fill="${passed ? '#2e7d32' : '#c62828'}"`,
    ),
  )

  // Fault window: from the fault to the broken part answering again.
  parts.push(
    `<rect x="${x(result.faultAt)}" y="${PLOT.top}" width="${Math.max(1, x(result.backAt) - x(result.faultAt))}" height="${PLOT.bottom - PLOT.top}" fill="${COLORS.fault}" opacity="0.6"/>`,
  )
  parts.push(text(x(result.faultAt) + 4, PLOT.top + 14, 'fault', 'fill="#c62828"'))
  if (result.settledAt !== undefined)
    parts.push(
      `<line x1="${x(result.settledAt)}" x2="${x(result.settledAt)}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#555" stroke-dasharray="4 3"/>`,
      text(x(result.settledAt) + 4, PLOT.top + 14, 'settled', 'fill="#555"'),
    )

  // Axes and grid.
  for (let i = 0; i <= 4; i++) {
    const n = (countMax * i) / 4
    parts.push(
      `<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${yCount(n)}" y2="${yCount(n)}" stroke="#eee"/>`,
      text(PLOT.left - 8, yCount(n) + 4, String(n), 'text-anchor="end"'),
    )
  }
  for (let ms = 1; ms <= latencyMax; ms *= 10)
    parts.push(text(PLOT.right + 8, yLatency(ms) + 4, ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`, `fill="${COLORS.p50}"`))
  const tick = Math.max(1, niceMax(seconds / 12))
  for (let s = 0; s <= seconds; s += tick) parts.push(text(x(s * 1000), PLOT.bottom + 16, `${s}`, 'text-anchor="middle"'))
  parts.push(text((PLOT.left + PLOT.right) / 2, STRIP.top + STRIP.height + 32, 'seconds since the load started', 'text-anchor="middle"'))
  parts.push(
    text(
      18,
      (PLOT.top + PLOT.bottom) / 2,
      'uploads started / events processed per second',
      `transform="rotate(-90 18 ${(PLOT.top + PLOT.bottom) / 2})" text-anchor="middle"`,
    ),
  )
  parts.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#999"/>`,
  )

  // Outcomes per second.
  for (const row of rows) {
    const left = x(row.second * 1000) + barWidth * 0.15
    const width = barWidth * 0.7
    parts.push(`<rect x="${left}" y="${yCount(row.ok)}" width="${width}" height="${PLOT.bottom - yCount(row.ok)}" fill="${COLORS.ok}"/>`)
    if (row.failed > 0)
      parts.push(
        `<rect x="${left}" y="${yCount(row.ok + row.failed)}" width="${width}" height="${yCount(row.ok) - yCount(row.ok + row.failed)}" fill="${COLORS.failed}"/>`,
      )
  }
  const line = (values: (number | undefined)[], y: (v: number) => number, color: string, dash = ''): string => {
    const points = values.flatMap((v, i) => (v === undefined ? [] : [`${(x(i * 1000) + barWidth / 2).toFixed(1)},${y(v).toFixed(1)}`]))
    return points.length > 1 ? `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2" ${dash}/>` : ''
  }
  parts.push(
    line(
      rows.map((r) => r.processed),
      yCount,
      COLORS.processed,
      'stroke-dasharray="5 3"',
    ),
  )
  parts.push(
    line(
      rows.map((r) => r.p50),
      yLatency,
      COLORS.p50,
    ),
  )
  parts.push(
    line(
      rows.map((r) => r.max),
      yLatency,
      COLORS.max,
    ),
  )

  // Breaker strip.
  const timeline = breakerTimeline(result)
  if (result.scenario.breaker) {
    parts.push(text(PLOT.left - 8, STRIP.top + 13, 'breaker', 'text-anchor="end"'))
    parts.push(
      `<rect x="${PLOT.left}" y="${STRIP.top}" width="${PLOT.right - PLOT.left}" height="${STRIP.height}" fill="${timeline?.exported ? COLORS.closed : '#eee'}"/>`,
    )
    for (const period of timeline?.notClosed ?? []) {
      parts.push(
        `<rect x="${x(period.from)}" y="${STRIP.top}" width="${Math.max(1, x(period.to) - x(period.from))}" height="${STRIP.height}" fill="${COLORS[period.state]}"/>`,
      )
      if (period.state === 'open')
        parts.push(
          `<rect x="${x(period.from)}" y="${PLOT.top}" width="${Math.max(1, x(period.to) - x(period.from))}" height="4" fill="${COLORS.open}"/>`,
        )
    }
    if (!timeline?.exported) parts.push(text(PLOT.left + 6, STRIP.top + 13, `${result.scenario.breaker.name}: not on /metrics`))
  }

  // Legend.
  const legend: [string, string][] = [
    ['uploads ok', COLORS.ok],
    ['uploads failed', COLORS.failed],
    ['latency p50 (log, right)', COLORS.p50],
    ['latency max', COLORS.max],
    ['processed', COLORS.processed],
    ['fault → back', COLORS.fault],
    ['open', COLORS.open],
    ['half-open', COLORS.half_open],
    ['closed', COLORS.closed],
  ]
  let lx = PLOT.left
  for (const [label, color] of legend) {
    parts.push(`<rect x="${lx}" y="${HEIGHT - 40}" width="12" height="12" fill="${color}"/>`, text(lx + 16, HEIGHT - 30, label))
    lx += 28 + label.length * 7
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">${parts.join('')}</svg>`
}

export function renderPng(svg: string): Buffer {
  const resvg = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: FONT }, background: 'white' })
  return resvg.render().asPng()
}
