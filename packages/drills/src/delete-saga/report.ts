// What the delete-saga drill prints and keeps: a per-second timeline, the
// measured numbers, the verdict, and the chart.
import { composeReport, type DrillReport } from '../report.js'
import { formatMs, textTable } from '../stats.js'
import { counterIncrease } from '../verdict.js'
import { deleteSagaChartSvg } from './chart.js'
import type { DeleteSagaResult } from './drill.js'
import { judgeDeleteSaga, measure, spreadText, type Measures } from './verdict.js'

export interface SagaSecond {
  second: number
  uploadsOk: number
  uploadsFailed: number
  /** DELETE attempts started in the second, by outcome. */
  deletesOk: number
  deletesFailed: number
  sagasStarted: number
  sagasCompleted: number
  /** The most RUNNING sagas one poll of the table saw in the second. */
  running: number
  retries: number
  events: string[]
}

export function sagaSeconds(result: DeleteSagaResult): SagaSecond[] {
  const { marks } = result
  const end = Math.ceil(Math.max(marks.loadEndAt, result.settledAt ?? 0) / 1000)
  const attempts = result.deletions.flatMap((d) => d.attempts)
  const at = (wall: number): number => wall - result.epoch
  const events: [number | undefined, string][] = [
    [marks.freezeAt, 'song frozen'],
    [marks.killAt, 'resource KILLED, song continued'],
    [marks.restartAt, 'restart'],
    [marks.readyAt, 'ready'],
    [marks.interruptedDoneAt, 'interrupted sagas done'],
    [marks.songDownAt, 'song KILLED'],
    [marks.songBackAt, 'song back'],
    [marks.loadEndAt, 'load end'],
    [result.settledAt, 'settled'],
  ]
  const rows: SagaSecond[] = []
  for (let second = 0; second < end; second++) {
    const from = second * 1000
    const to = from + 1000
    const within = (t: number | undefined): boolean => t !== undefined && t >= from && t < to
    const uploads = result.uploads.filter((r) => within(r.startedAt))
    const deletes = attempts.filter((a) => within(a.startedAt))
    rows.push({
      second,
      uploadsOk: uploads.filter((r) => r.status === 200).length,
      uploadsFailed: uploads.filter((r) => r.status !== 200).length,
      deletesOk: deletes.filter((a) => a.status === 200).length,
      deletesFailed: deletes.filter((a) => a.status !== 200).length,
      sagasStarted: result.sagas.filter((s) => within(at(s.createdAt))).length,
      sagasCompleted: result.sagas.filter((s) => s.completedAt !== undefined && within(at(s.completedAt))).length,
      running: Math.max(0, ...result.running.filter((p) => within(p.t)).map((p) => p.count)),
      retries: counterIncrease(result.samples, 'resource', 'soundline_deletion_saga_retries_total', {}, from - 250, to),
      events: events.flatMap(([t, name]) => (within(t) ? [name] : [])),
    })
  }
  return rows
}

function timelineText(rows: SagaSecond[]): string {
  return textTable([
    ['t(s)', 'uploads ok', 'failed', 'DELETE ok', 'failed', 'sagas started', 'completed', 'RUNNING', 'retries', ''],
    ...rows.map((r) => [
      String(r.second),
      String(r.uploadsOk),
      String(r.uploadsFailed),
      String(r.deletesOk),
      String(r.deletesFailed),
      String(r.sagasStarted),
      String(r.sagasCompleted),
      String(r.running),
      String(r.retries),
      r.events.join(', '),
    ]),
  ])
}

function summary(result: DeleteSagaResult, m: Measures): string {
  const { marks } = result
  const claimed = result.interrupted.filter((s) => s.claimedUntil !== undefined && s.claimedUntil > result.epoch + marks.killAt)
  return [
    `Song Service frozen at ${formatMs(marks.freezeAt)}; Resource Service killed at ${formatMs(marks.killAt)}, ready again ${formatMs(marks.readyAt - marks.restartAt)} after its restart`,
    `interrupted sagas: ${result.interrupted.length} (${claimed.length} still claimed by the killed process, steps ${[...new Set(result.interrupted.map((s) => s.step))].join(', ') || '-'})`,
    `  restart (process started) → resumption: ${spreadText(m.resume)}`,
    `  kill → COMPLETED: ${spreadText(m.killToDone)}`,
    `Song Service down ${formatMs(marks.songDownAt)} → ${formatMs(marks.songBackAt)}: ${m.outage.deletes} DELETEs (${m.outage.ids} ids), ${m.outage.sagas} sagas started, DELETE latency ${spreadText(m.outage.latency)}`,
    `saga completion time (created → COMPLETED): all ${spreadText(m.completion.all)}`,
    `  steady ${spreadText(m.completion.steady)}`,
    `  interrupted by the kill ${spreadText(m.completion.interrupted)}`,
    `  started during the Song outage ${spreadText(m.completion.outage)}`,
    `retries (soundline_deletion_saga_retries_total): ${Object.entries(m.retries)
      .map(([step, n]) => `${step} +${n}`)
      .join(
        ', ',
      )}; during the Song outage +${m.retriesDuringOutage}; failed attempts seen in the saga table ${result.attemptsSeen.total} (${result.attemptsSeen.duringOutage} during the outage)`,
    `uploads ${result.uploads.filter((r) => r.status === 200).length}/${result.uploads.length} ok; deletions ${result.deletions.length} (${result.deletedIds.length} ids); kept ${result.keptIds.length}`,
    `objects without a row (not judged: an upload killed between its PUT and its commit leaves its staging object): ${result.orphanObjects.length}`,
    result.settledAt === undefined
      ? 'NOT settled'
      : `settled at ${formatMs(result.settledAt)} (${formatMs(result.settledAt - marks.loadEndAt)} after the load)`,
  ].join('\n')
}

export async function reportDeleteSaga(result: DeleteSagaResult, outDir: string, stamp: string): Promise<DrillReport> {
  const rows = sagaSeconds(result)
  const m = measure(result)
  const criteria = judgeDeleteSaga(result, m)
  return composeReport({
    criteria,
    svg: deleteSagaChartSvg(result, rows, criteria),
    outDir,
    file: `${result.scenario.name}-${stamp}.png`,
    heading: [
      `== ${result.scenario.name}: ${result.scenario.summary}`,
      `${result.options.rate} uploads/s and ${result.deletions.length} DELETEs; warm-up ${result.options.warmupSeconds} s, Song Service down ${result.options.faultSeconds} s, after ${result.options.afterSeconds} s`,
    ],
    sections: [timelineText(rows), summary(result, m)],
  })
}
