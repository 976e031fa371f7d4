// The delete-saga drill (docs/consistency.md "The drill"): deletions under a
// steady upload load, in two phases.
//
//   1. The Song Service is frozen (SIGSTOP) until the saga table shows a
//      deletion saga RUNNING with a failed attempt, one more DELETE is fired,
//      and the Resource Service is SIGKILLed: sagas are in flight by
//      construction, read from the table right after the kill. The Song
//      Service is continued, the Resource Service restarted at once (as a
//      kubelet would) and the interrupted sagas watched until they complete.
//   2. The Song Service is SIGKILLed for the fault's length while deletions go
//      on (the scenario's inject and heal), then restarted.
//
// Then the load stops, the pipeline settles, and the stores are read.
import type { DrillOptions } from '../drill.js'
import { makeFixtures } from '../fixtures.js'
import { runLoad, type UploadRecord } from '../load.js'
import { startSampler, type MetricsSample } from '../metrics.js'
import type { DrillReport } from '../report.js'
import type { CustomDrillOutput, Scenario } from '../scenarios.js'
import type { DrillStack } from '../stack.js'
import { Deleter, type Deletion } from './deleter.js'
import { reportDeleteSaga } from './report.js'
import { SagaWatcher, type SagaRow } from './sagas.js'
import { settle, type Settled } from './settle.js'

export interface Marks {
  /** Drill ms: the Song Service frozen, the Resource Service killed, restarted, ready again. */
  freezeAt: number
  killAt: number
  restartAt: number
  readyAt: number
  /** Every saga interrupted by the kill is COMPLETED (or FAILED) again. */
  interruptedDoneAt?: number
  songDownAt: number
  songBackAt: number
  loadEndAt: number
}

export interface DeleteSagaResult extends Settled {
  scenario: Scenario
  options: DrillOptions
  uploads: UploadRecord[]
  deletions: Deletion[]
  samples: MetricsSample[]
  marks: Marks
  /** Wall clock (ms) of drill time 0: the saga table's timestamps are wall clock. */
  epoch: number
  /** The RUNNING sagas of this drill as the table held them right after the kill. */
  interrupted: SagaRow[]
  /** Per interrupted saga: drill ms of the first change after the restart, and of its completion. */
  resumed: Map<number, { movedAt?: number; doneAt?: number }>
  /** Drill ms and the RUNNING sagas each poll of the table saw. */
  running: { t: number; count: number }[]
  /** Failed attempts the polls of the table saw recorded: in all, and during the Song Service's outage. */
  attemptsSeen: { total: number; duringOutage: number }
}

/** A DELETE of two ids per five uploads: about 40 % of what is uploaded is deleted. */
const DELETES_PER_UPLOAD = 0.2
const IDS_PER_DELETE = 2
/** How long the frozen Song Service may take to leave a saga mid-step. */
const IN_FLIGHT_WAIT_MS = 30_000
/** The batch fired before the kill has recorded its saga by then (one short transaction). */
const BATCH_LEAD_MS = 300
/** The service's default SAGA_CLAIM_MS (a killed runner's sagas wait for it) plus time to finish them. */
const RESUME_WAIT_MS = 30_000 + 60_000
const PHASE_GAP_MS = 3_000
/** Fixtures for the longest phase 1 and a slow heal. */
const SPARE_LOAD_SECONDS = 150

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await sleep(250)
  }
  return false
}

export async function runDeleteSagaDrill(
  stack: DrillStack,
  scenario: Scenario,
  options: DrillOptions,
  output: CustomDrillOutput,
): Promise<DrillReport> {
  const say = output.progress
  const t0 = performance.now()
  const epoch = Date.now()
  const clock = (): number => performance.now() - t0
  const watcher = new SagaWatcher(stack.databaseUrls.resource ?? '', clock)
  try {
    const fixtures = makeFixtures(
      Math.round(options.rate * (options.warmupSeconds + options.faultSeconds + options.afterSeconds + SPARE_LOAD_SECONDS)),
      `${scenario.name} ${output.stamp}`,
    )
    await Promise.all([stack.waitReady('resource-service'), stack.waitReady('song-service')])
    await watcher.begin()
    const before = await settle.snapshot(stack)
    const fileNames = new Map<number, string>()
    const deleter = new Deleter({
      url: stack.url('resource-service'),
      rate: Math.max(1, options.rate * DELETES_PER_UPLOAD),
      idsPerDelete: IDS_PER_DELETE,
      clock,
      beforeDelete: async (ids) => (await watcher.fileNames(ids)).forEach((name, id) => fileNames.set(id, name)),
    })
    const sampler = startSampler({ resource: stack.url('resource-service'), processor: stack.url('resource-processor') }, clock)
    watcher.start()
    let stopAt = Number.POSITIVE_INFINITY
    const load = runLoad({
      url: stack.url('resource-service'),
      rate: options.rate,
      stopAt: () => stopAt,
      fixtures,
      clock,
      onRecord: (record) => {
        if (record.id !== undefined) deleter.offer(record.id)
      },
    })
    deleter.start()
    await sleep(options.warmupSeconds * 1000)

    // Phase 1: a saga in flight when the Resource Service dies.
    const freezeAt = clock()
    stack.note(`${scenario.name}: Song Service frozen (SIGSTOP) so that deletion sagas stay mid-step`)
    stack.pause('song-service')
    const inFlight = await waitFor(
      () => [...watcher.histories.values()].some((h) => h.last.state === 'RUNNING' && h.last.attempts >= 1),
      IN_FLIGHT_WAIT_MS,
    )
    say(
      `${scenario.name}: ${inFlight ? 'a deletion saga is RUNNING with a failed attempt' : 'no saga stuck mid-step yet'}; killing the Resource Service`,
    )
    deleter.fireNow()
    await sleep(BATCH_LEAD_MS)
    const killAt = clock()
    stack.note(`${scenario.name}: Resource Service SIGKILLed`)
    await stack.kill('resource-service')
    const interrupted = (await watcher.read()).filter((saga) => saga.state === 'RUNNING')
    stack.resume('song-service')
    const restartAt = clock()
    await stack.startService('resource-service')
    const readyAt = clock()
    stack.note(`${scenario.name}: Resource Service ready again`)
    say(
      `${scenario.name}: ${interrupted.length} sagas were RUNNING at the kill; restarted in ${((readyAt - restartAt) / 1000).toFixed(1)} s`,
    )
    const finished = (id: number): boolean => ['COMPLETED', 'FAILED'].includes(watcher.histories.get(id)?.last.state ?? '')
    await waitFor(() => interrupted.every((saga) => finished(saga.id)), RESUME_WAIT_MS)
    const interruptedDoneAt = interrupted.every((saga) => finished(saga.id)) ? clock() : undefined
    say(`${scenario.name}: interrupted sagas ${interruptedDoneAt === undefined ? 'NOT all finished' : 'finished'}`)
    await sleep(PHASE_GAP_MS)

    // Phase 2: the Song Service down while deletions go on.
    const songDownAt = clock()
    stack.note(`${scenario.name}: Song Service SIGKILLed for ${options.faultSeconds} s`)
    await scenario.inject(stack)
    await sleep(songDownAt + options.faultSeconds * 1000 - clock())
    await scenario.heal(stack)
    const songBackAt = clock()
    stack.note(`${scenario.name}: Song Service back`)
    stopAt = songBackAt + options.afterSeconds * 1000
    const uploads = await load
    const deletions = await deleter.stop()
    const loadEndAt = clock()
    say(`${scenario.name}: load ended; settling`)

    const settled = await settle.run(stack, watcher, {
      before,
      uploads,
      deletions,
      fileNames,
      deadline: loadEndAt + options.settleTimeoutMs,
      clock,
    })
    const samples = await sampler.stop()
    await watcher.stop()
    const resumed = new Map(
      interrupted.map((saga) => {
        const history = watcher.histories.get(saga.id)
        const doneAt = history?.changes.find((c) => c.state !== 'RUNNING')?.t
        return [saga.id, { movedAt: watcher.movedAfter(saga, restartAt), doneAt }] as const
      }),
    )
    const result: DeleteSagaResult = {
      ...settled,
      scenario,
      options,
      uploads,
      deletions,
      samples,
      marks: { freezeAt, killAt, restartAt, readyAt, interruptedDoneAt, songDownAt, songBackAt, loadEndAt },
      epoch,
      interrupted,
      resumed,
      running: watcher.running,
      attemptsSeen: { total: watcher.failedAttemptsSeen(), duringOutage: watcher.failedAttemptsSeen(songDownAt, songBackAt) },
    }
    return await reportDeleteSaga(result, output.outDir, output.stamp)
  } finally {
    // A drill that failed half-way must not leave a service frozen or down for the next one.
    stack.resume('song-service')
    for (const name of ['song-service', 'resource-service'] as const)
      if (!stack.isRunning(name)) await stack.startService(name).catch(() => undefined)
    await watcher.close()
  }
}
