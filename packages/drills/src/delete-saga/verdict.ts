// The criteria of the delete-saga drill (docs/consistency.md "The drill") and
// the numbers it reports. Every limit is written out in the criterion's text.
import { percentile } from '@soundline/dev-stack/stats'
import { formatMs } from '../stats.js'
import { counterIncrease, type Criterion } from '../verdict.js'
import type { DeleteSagaResult } from './drill.js'

/** The service's default SAGA_CLAIM_MS: a killed runner's claim keeps its sagas this long. */
export const SAGA_CLAIM_MS = 30_000
/** A poll (1 s), the resumed steps, and a busy machine on top of the claim's expiry. */
const RESUME_SLACK_MS = 10_000

export interface Spread {
  count: number
  p50: number
  p95: number
  max: number
}

const spread = (values: number[]): Spread => ({
  count: values.length,
  p50: percentile(values, 50),
  p95: percentile(values, 95),
  max: values.length ? Math.max(...values) : NaN,
})

export const spreadText = (s: Spread): string =>
  s.count === 0 ? 'none' : `${s.count}: p50 ${formatMs(s.p50)}, p95 ${formatMs(s.p95)}, max ${formatMs(s.max)}`

const list = (ids: (number | string)[], max = 8): string => (ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')}, …`)

export interface Measures {
  /** Saga completion time (created → COMPLETED, the table's timestamps): all, steady, interrupted, started during the outage. */
  completion: { all: Spread; steady: Spread; interrupted: Spread; outage: Spread }
  /** Restart (the new process started) → first move of each interrupted saga. */
  resume: Spread
  /** Kill → each interrupted saga COMPLETED. */
  killToDone: Spread
  /** soundline_deletion_saga_retries_total increases, by step; and during the Song Service's outage. */
  retries: Record<string, number>
  retriesDuringOutage: number
  outage: { deletes: number; ids: number; sagas: number; latency: Spread }
  restartSeconds: number
}

const RETRY_STEPS = ['DELETE_SONGS', 'DELETE_OBJECTS', 'DELETE_ROWS']

export function measure(result: DeleteSagaResult): Measures {
  const { marks, epoch } = result
  const drillTime = (wall: number): number => wall - epoch
  const interrupted = new Set(result.interrupted.map((saga) => saga.id))
  const createdIn = (from: number, to: number) => (saga: { createdAt: number }) =>
    drillTime(saga.createdAt) >= from && drillTime(saga.createdAt) < to
  const duringPhase1 = createdIn(marks.freezeAt, marks.readyAt)
  const duringOutage = createdIn(marks.songDownAt, marks.songBackAt)
  const completed = result.sagas.filter((saga) => saga.state === 'COMPLETED' && saga.completedAt !== undefined)
  const took = (sagas: typeof completed) => sagas.map((saga) => (saga.completedAt as number) - saga.createdAt)
  const retries = Object.fromEntries(
    RETRY_STEPS.map((step) => [step, counterIncrease(result.samples, 'resource', 'soundline_deletion_saga_retries_total', { step })]),
  )
  const outageDeletes = result.deletions.filter((d) => {
    const first = d.attempts[0]
    return first !== undefined && first.startedAt >= marks.songDownAt && first.startedAt < marks.songBackAt
  })
  const resumed = [...result.resumed.values()]
  return {
    completion: {
      all: spread(took(completed)),
      steady: spread(took(completed.filter((s) => !interrupted.has(s.id) && !duringPhase1(s) && !duringOutage(s)))),
      interrupted: spread(took(completed.filter((s) => interrupted.has(s.id)))),
      outage: spread(took(completed.filter(duringOutage))),
    },
    resume: spread(resumed.flatMap((r) => (r.movedAt === undefined ? [] : [r.movedAt - marks.restartAt]))),
    killToDone: spread(resumed.flatMap((r) => (r.doneAt === undefined ? [] : [r.doneAt - marks.killAt]))),
    retries,
    retriesDuringOutage: counterIncrease(
      result.samples,
      'resource',
      'soundline_deletion_saga_retries_total',
      {},
      marks.songDownAt,
      marks.songBackAt,
    ),
    outage: {
      deletes: outageDeletes.length,
      ids: outageDeletes.reduce((sum, d) => sum + d.ids.length, 0),
      sagas: result.sagas.filter(duringOutage).length,
      latency: spread(outageDeletes.flatMap((d) => (d.attempts[0] ? [d.attempts[0].latencyMs] : []))),
    },
    restartSeconds: (marks.readyAt - marks.restartAt) / 1000,
  }
}

/** A failure is expected only for a request in flight at the kill or sent while the service was not ready. */
const duringRestart = (result: DeleteSagaResult) => (r: { startedAt: number; latencyMs: number }) =>
  r.startedAt + r.latencyMs >= result.marks.killAt && r.startedAt <= result.marks.readyAt

export function judgeDeleteSaga(result: DeleteSagaResult, m: Measures): Criterion[] {
  const { marks } = result
  const interrupted = result.interrupted
  const attempts = result.deletions.flatMap((d) => d.attempts)
  const failedAttempts = attempts.filter((a) => a.status !== 200)
  const unanswered = result.deletions.filter((d) => d.done === undefined)
  const failedUploads = result.uploads.filter((r) => r.status !== 200)
  const stateOf = new Map(result.sagas.map((saga) => [saga.id, saga.state]))
  const resumeLimit = Math.max(marks.killAt + SAGA_CLAIM_MS, marks.readyAt) + RESUME_SLACK_MS
  const lateOrUnfinished = interrupted.filter((saga) => {
    const done = result.resumed.get(saga.id)?.doneAt
    return stateOf.get(saga.id) !== 'COMPLETED' || done === undefined || done > resumeLimit
  })
  const outageDeletes = result.deletions.filter(
    (d) => (d.attempts[0]?.startedAt ?? -1) >= marks.songDownAt && (d.attempts[0]?.startedAt ?? Infinity) < marks.songBackAt,
  )
  const outageFirstFailed = outageDeletes.filter((d) => d.attempts[0]?.status !== 200)
  const byState = (state: string) => result.sagas.filter((saga) => saga.state === state).map((saga) => saga.id)
  const notCompleted = result.sagas.filter((saga) => saga.state !== 'COMPLETED')
  const dlq = Object.entries(result.deadLettersAdded)
  return [
    {
      name: 'a deletion saga was in flight when the Resource Service was killed (the saga table right after the kill)',
      pass: interrupted.length > 0,
      actual:
        interrupted.length === 0
          ? 'no saga RUNNING at the kill'
          : `${interrupted.length} RUNNING: ${interrupted
              .slice(0, 4)
              .map(
                (s) =>
                  `#${s.id} ${s.step} (${s.attempts} failed attempts${s.claimedUntil && s.claimedUntil > result.epoch + marks.killAt ? ', claimed' : ''})`,
              )
              .join(', ')}${interrupted.length > 4 ? ', …' : ''}`,
    },
    {
      name: `every interrupted saga resumed and COMPLETED within max(kill + SAGA_CLAIM_MS ${formatMs(SAGA_CLAIM_MS)}, restart) + ${formatMs(RESUME_SLACK_MS)}`,
      pass: interrupted.length > 0 && lateOrUnfinished.length === 0,
      actual: `moved ${spreadText(m.resume)} after the restart began; completed ${spreadText(m.killToDone)} after the kill${lateOrUnfinished.length ? `; late or unfinished: ${list(lateOrUnfinished.map((s) => s.id))}` : ''}`,
    },
    {
      name: 'every DELETE answered 200 (a client retrying every second while the Resource Service was down)',
      pass: unanswered.length === 0,
      actual: `${result.deletions.length - unanswered.length}/${result.deletions.length} answered, ${attempts.length} attempts`,
    },
    {
      name: 'DELETEs and uploads failed only in flight at the kill or before the restart was ready',
      pass: failedAttempts.every(duringRestart(result)) && failedUploads.every(duringRestart(result)),
      actual: `${failedAttempts.length} DELETE attempts and ${failedUploads.length}/${result.uploads.length} uploads failed, ${failedAttempts.filter((a) => !duringRestart(result)(a)).length + failedUploads.filter((r) => !duringRestart(result)(r)).length} outside the restart`,
    },
    {
      name: 'DELETEs during the Song Service outage answered 200 at their first attempt (and there were some)',
      pass: outageDeletes.length > 0 && outageFirstFailed.length === 0,
      actual: `${outageDeletes.length - outageFirstFailed.length}/${outageDeletes.length} (${m.outage.ids} ids), latency ${spreadText(m.outage.latency)}`,
    },
    {
      name: 'sagas retried the Song Service with backoff during its outage (soundline_deletion_saga_retries_total)',
      pass: m.retriesDuringOutage > 0 || result.attemptsSeen.duringOutage > 0,
      actual: `+${m.retriesDuringOutage} during the outage (failed attempts seen in the table: ${result.attemptsSeen.duringOutage}); ${Object.entries(
        m.retries,
      )
        .map(([step, n]) => `${step} +${n}`)
        .join(', ')} in all`,
    },
    {
      name: 'no resource row of a deleted resource left (DELETING included)',
      pass: result.left.rows.length === 0,
      actual: `${result.left.rows.length} of ${result.deletedIds.length} deleted ids${result.left.rows.length ? `: ${list(result.left.rows)}` : ''}`,
    },
    {
      name: 'no song of a deleted resource left',
      pass: result.left.songs.length === 0,
      actual: `${result.left.songs.length}${result.left.songs.length ? `: ${list(result.left.songs)}` : ''}`,
    },
    {
      name: 'no object of a deleted resource left (staging and permanent buckets)',
      pass: result.left.objects.length === 0 && result.unknownFiles.length === 0,
      actual: `${result.left.objects.length}${result.left.objects.length ? `: ${list(result.left.objects, 3)}` : ''}${result.unknownFiles.length ? `; file name unknown for ${result.unknownFiles.length}` : ''}`,
    },
    {
      name: 'every other resource intact: PERMANENT, its exact song, its object',
      pass: result.notPermanent.length + result.wrongSong.length + result.missingObject.length === 0,
      actual: `${result.keptIds.length} kept (${result.unansweredKept.length} never answered): ${result.notPermanent.length} not PERMANENT, ${result.wrongSong.length} song missing or wrong, ${result.missingObject.length} object missing${result.settledAt === undefined ? `; not settled within ${formatMs(result.options.settleTimeoutMs)}` : ''}`,
    },
    {
      name: 'every saga COMPLETED (none RUNNING or FAILED in the table or the admin API)',
      pass:
        notCompleted.length === 0 && result.adminUnfinished.ids.length === 0 && !result.adminUnfinished.error && result.sagas.length > 0,
      actual: `${byState('COMPLETED').length}/${result.sagas.length} COMPLETED; RUNNING ${byState('RUNNING').length}, FAILED ${byState('FAILED').length}${notCompleted[0]?.lastError ? ` (${notCompleted[0].lastError})` : ''}; ${result.adminUnfinished.error ? `admin API: ${result.adminUnfinished.error}` : `admin API lists ${result.adminUnfinished.ids.length} unfinished`}`,
    },
    {
      name: 'no song without its resource',
      pass: result.extraSongs.length === 0,
      actual: `${result.extraSongs.length}${result.extraSongs.length ? `: ${list(result.extraSongs)}` : ''}`,
    },
    {
      name: 'dead-letter topics stay empty',
      pass: dlq.length === 0,
      actual: dlq.length === 0 ? 'no new dead letters' : dlq.map(([t, n]) => `${t}: +${n}`).join(', '),
    },
  ]
}
