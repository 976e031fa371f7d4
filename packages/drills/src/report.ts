// What a drill prints and keeps: the timeline, the verdict, and the chart.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chartSvg, renderPng } from './chart.js'
import type { DrillResult } from './drill.js'
import { formatMs, textTable } from './stats.js'
import { secondsOf, timelineText } from './timeline.js'
import { breakerTimeline, judge, type Criterion } from './verdict.js'

export interface DrillReport {
  criteria: Criterion[]
  passed: boolean
  text: string
  pngPath: string
}

function summary(result: DrillResult): string {
  const timeline = breakerTimeline(result)
  const lines = [
    `fault at ${formatMs(result.faultAt)}, heal at ${formatMs(result.healAt)}, back at ${formatMs(result.backAt)}, load ended at ${formatMs(result.loadEndAt)}, ` +
      (result.settledAt === undefined
        ? 'NOT settled'
        : `settled at ${formatMs(result.settledAt)} (${formatMs(result.settledAt - result.loadEndAt)} after the load)`),
  ]
  if (timeline) {
    lines.push(
      `breaker ${result.scenario.breaker?.name}: ` +
        (timeline.openAt === undefined ? 'never opened' : `opened ${formatMs(timeline.openAt - result.faultAt)} after the fault`) +
        (timeline.closeAt === undefined ? '' : `, closed ${formatMs(timeline.closeAt - result.backAt)} after the service was back`),
    )
  }
  lines.push(...(result.scenario.summaryLines?.(result) ?? []))
  return lines.join('\n')
}

/** Writes the chart and lays out the verdict, as every drill's report has them. */
/**
 * Writes the chart and assembles a drill's report: its heading lines, its sections (timeline,
 * summary), the criteria table and the verdict line. Shared by every drill's own report.
 */
export async function composeReport(parts: {
  criteria: Criterion[]
  svg: string
  outDir: string
  file: string
  heading: string[]
  sections: string[]
}): Promise<DrillReport> {
  const { criteria, outDir } = parts
  await mkdir(outDir, { recursive: true })
  const pngPath = join(outDir, parts.file)
  await writeFile(pngPath, renderPng(parts.svg))
  const verdict = textTable([['', 'criterion', 'measured'], ...criteria.map((c) => [c.pass ? 'PASS' : 'FAIL', c.name, c.actual])])
  const passed = criteria.every((c) => c.pass)
  const text = [
    ...parts.heading,
    ...parts.sections.flatMap((section) => ['', section]),
    '',
    verdict,
    '',
    `verdict: ${passed ? 'PASS' : 'FAIL'}   chart: ${pngPath}`,
  ].join('\n')
  return { criteria, passed, text, pngPath }
}

export async function reportDrill(result: DrillResult, outDir: string, stamp: string): Promise<DrillReport> {
  const rows = secondsOf(result)
  const criteria = judge(result)
  return composeReport({
    criteria,
    svg: chartSvg(result, rows, criteria),
    outDir,
    file: `${result.scenario.name}-${stamp}.png`,
    heading: [
      `== ${result.scenario.name}: ${result.scenario.summary}`,
      `${result.options.rate} uploads/s; warm-up ${result.options.warmupSeconds} s, fault ${result.options.faultSeconds} s, after ${result.options.afterSeconds} s`,
    ],
    sections: [timelineText(result, rows), summary(result)],
  })
}
