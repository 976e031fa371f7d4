// The delete-saga drill as a chart: uploads per second as bars, DELETEs,
// RUNNING sagas, completions and retries as lines, the faults shaded.
import { niceMax, text } from '../chart.js'
import type { Criterion } from '../verdict.js'
import type { DeleteSagaResult } from './drill.js'
import type { SagaSecond } from './report.js'

const WIDTH = 1200
const HEIGHT = 560
const PLOT = { left: 70, right: 1130, top: 70, bottom: 440 }
const COLORS = {
  uploadsOk: '#a5d6a7',
  uploadsFailed: '#e53935',
  deletes: '#1e88e5',
  running: '#fb8c00',
  completed: '#00897b',
  retries: '#8e24aa',
  frozen: '#fff59d',
  killed: '#ffcdd2',
  songDown: '#ffe0b2',
}

export function deleteSagaChartSvg(result: DeleteSagaResult, rows: SagaSecond[], criteria: Criterion[]): string {
  const { marks } = result
  const seconds = Math.max(1, rows.length)
  const x = (ms: number): number => Math.min(PLOT.right, PLOT.left + ((PLOT.right - PLOT.left) * ms) / (seconds * 1000))
  const barWidth = (PLOT.right - PLOT.left) / seconds
  const top = niceMax(
    Math.max(
      1,
      ...rows.map((r) => Math.max(r.uploadsOk + r.uploadsFailed, r.deletesOk + r.deletesFailed, r.running, r.sagasCompleted, r.retries)),
    ),
  )
  const y = (n: number): number => PLOT.bottom - ((PLOT.bottom - PLOT.top) * Math.min(n, top)) / top
  const passed = criteria.every((c) => c.pass)
  const parts: string[] = [`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`]
  parts.push(text(PLOT.left, 28, `${result.scenario.name}: ${result.scenario.summary}`, 'font-weight="bold"', 15))
  parts.push(
    text(
      PLOT.left,
      50,
      `${result.options.rate} uploads/s, ${result.deletions.length} DELETEs, Song Service down ${result.options.faultSeconds} s — verdict ${passed ? 'PASS' : 'FAIL'} (${criteria.filter((c) => c.pass).length}/${criteria.length} criteria)`,
      `fill="${passed ? '#2e7d32' : '#c62828'}"`,
    ),
  )

  const windows: [number, number, string, string][] = [
    [marks.freezeAt, marks.killAt, COLORS.frozen, 'song frozen'],
    [marks.killAt, marks.readyAt, COLORS.killed, 'resource killed'],
    [marks.songDownAt, marks.songBackAt, COLORS.songDown, 'song down'],
  ]
  for (const [from, to, color, label] of windows) {
    parts.push(
      `<rect x="${x(from)}" y="${PLOT.top}" width="${Math.max(1, x(to) - x(from))}" height="${PLOT.bottom - PLOT.top}" fill="${color}" opacity="0.7"/>`,
    )
    parts.push(text(x(from) + 3, PLOT.top - 6, label, 'fill="#555"', 11))
  }
  const marker = (t: number | undefined, label: string, row: number): void => {
    if (t === undefined) return
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#555" stroke-dasharray="4 3"/>`)
    parts.push(text(x(t) + 4, PLOT.top + 14 + row * 14, label, 'fill="#555"', 11))
  }
  marker(marks.interruptedDoneAt, 'interrupted sagas done', 0)
  marker(result.settledAt, 'settled', 1)

  for (let i = 0; i <= 4; i++) {
    const n = (top * i) / 4
    parts.push(
      `<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${y(n)}" y2="${y(n)}" stroke="#eee"/>`,
      text(PLOT.left - 8, y(n) + 4, String(n), 'text-anchor="end"'),
    )
  }
  const tick = Math.max(1, niceMax(seconds / 12))
  for (let s = 0; s <= seconds; s += tick) parts.push(text(x(s * 1000), PLOT.bottom + 16, `${s}`, 'text-anchor="middle"'))
  parts.push(text((PLOT.left + PLOT.right) / 2, PLOT.bottom + 36, 'seconds since the load started', 'text-anchor="middle"'))
  parts.push(
    text(18, (PLOT.top + PLOT.bottom) / 2, 'per second', `transform="rotate(-90 18 ${(PLOT.top + PLOT.bottom) / 2})" text-anchor="middle"`),
  )
  parts.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#999"/>`,
  )

  for (const row of rows) {
    const left = x(row.second * 1000) + barWidth * 0.15
    const width = barWidth * 0.7
    parts.push(
      `<rect x="${left}" y="${y(row.uploadsOk)}" width="${width}" height="${PLOT.bottom - y(row.uploadsOk)}" fill="${COLORS.uploadsOk}"/>`,
    )
    if (row.uploadsFailed > 0)
      parts.push(
        `<rect x="${left}" y="${y(row.uploadsOk + row.uploadsFailed)}" width="${width}" height="${y(row.uploadsOk) - y(row.uploadsOk + row.uploadsFailed)}" fill="${COLORS.uploadsFailed}"/>`,
      )
  }
  const line = (values: number[], color: string, dash = ''): string => {
    const points = values.map((v, i) => `${(x(i * 1000) + barWidth / 2).toFixed(1)},${y(v).toFixed(1)}`)
    return points.length > 1 ? `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2" ${dash}/>` : ''
  }
  parts.push(
    line(
      rows.map((r) => r.deletesOk + r.deletesFailed),
      COLORS.deletes,
    ),
  )
  parts.push(
    line(
      rows.map((r) => r.running),
      COLORS.running,
    ),
  )
  parts.push(
    line(
      rows.map((r) => r.sagasCompleted),
      COLORS.completed,
      'stroke-dasharray="5 3"',
    ),
  )
  parts.push(
    line(
      rows.map((r) => r.retries),
      COLORS.retries,
      'stroke-dasharray="2 2"',
    ),
  )

  const legend: [string, string][] = [
    ['uploads ok', COLORS.uploadsOk],
    ['uploads failed', COLORS.uploadsFailed],
    ['DELETE attempts', COLORS.deletes],
    ['sagas RUNNING', COLORS.running],
    ['sagas completed', COLORS.completed],
    ['step retries', COLORS.retries],
    ['song frozen', COLORS.frozen],
    ['resource killed → ready', COLORS.killed],
    ['song down', COLORS.songDown],
  ]
  let lx = PLOT.left
  for (const [label, color] of legend) {
    parts.push(`<rect x="${lx}" y="${HEIGHT - 40}" width="12" height="12" fill="${color}"/>`, text(lx + 16, HEIGHT - 30, label))
    lx += 28 + label.length * 7
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">${parts.join('')}</svg>`
}
