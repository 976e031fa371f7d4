// One drill: steady load, fault, heal, settle, then everything the verdict
// needs, measured from outside the services.
import { makeFixtures, type Fixture } from './fixtures.js'
import { StackInspector, type SongRow } from './inspect.js'
import { runLoad, type UploadRecord } from './load.js'
import { breakerState, scrape, startSampler, type MetricsSample } from './metrics.js'
import type { Scenario } from './scenarios.js'
import type { DrillStack } from './stack.js'

export interface DrillOptions {
  rate: number
  /** Healthy load before the fault: the baseline latency comes from it. */
  warmupSeconds: number
  faultSeconds: number
  /** Load after the broken part answers again. */
  afterSeconds: number
  /** How long the pipeline may take to finish after the load ends. */
  settleTimeoutMs: number
  /** The breaker and client settings the stack was started with (the verdict's limits). */
  breakerOpenMs: number
  storageTimeoutMs: number
}

export interface DrillResult {
  scenario: Scenario
  options: DrillOptions
  records: UploadRecord[]
  samples: MetricsSample[]
  /** Drill clock (ms) of: the fault, the start of the heal, the broken part answering again, the end of the load. */
  faultAt: number
  healAt: number
  backAt: number
  loadEndAt: number
  /** When every upload was PERMANENT with its song, or undefined when the deadline passed first. */
  settledAt?: number
  /** When the last missing song appeared (the Song Service's recovery). */
  songsCompleteAt?: number
  states: Map<number, string>
  songs: Map<number, SongRow>
  phantomResourceIds: number[]
  phantomSongIds: number[]
  orphanObjects: string[]
  stagingLeftovers: string[]
  deadLettersAdded: Record<string, number>
}

const SETTLE_POLL_MS = 500
const MAX_HEAL_SECONDS = 60
const HEALTHY_BREAKER_TIMEOUT_MS = 60_000

export function songMatches(row: SongRow | undefined, fixture: Fixture): boolean {
  const want = fixture.song
  return (
    row !== undefined &&
    row.name === want.name &&
    row.artist === want.artist &&
    row.album === want.album &&
    row.year === want.year &&
    row.duration === want.duration
  )
}

/** Waits until the watched breaker is closed, so one drill does not start inside the previous one's recovery. */
async function waitBreakerClosed(stack: DrillStack, scenario: Scenario): Promise<void> {
  const breaker = scenario.breaker
  if (!breaker) return
  const url = stack.url(breaker.target === 'resource' ? 'resource-service' : 'resource-processor')
  const deadline = Date.now() + HEALTHY_BREAKER_TIMEOUT_MS
  while (Date.now() < deadline) {
    // A readiness probe, as the kubelet sends: a half-open breaker needs calls to close, and a
    // stale storage answer is refreshed by it. Without traffic it would stay half-open.
    await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.body?.cancel(),
      () => undefined,
    )
    const series = await scrape(url)
    const state = series ? breakerState(series, breaker.name) : 'closed'
    if (state === undefined || state === 'closed') return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

export async function runDrill(stack: DrillStack, scenario: Scenario, options: DrillOptions, runId: string): Promise<DrillResult> {
  const inspector = new StackInspector(stack)
  try {
    // The heal's length is unknown (a restart may take a while): fixtures for up to a minute of it.
    const loadSeconds = options.warmupSeconds + options.faultSeconds + options.afterSeconds + MAX_HEAL_SECONDS
    const fixtures = makeFixtures(Math.round(options.rate * loadSeconds), `${scenario.name} ${runId}`)
    await stack.waitReady('resource-service')
    await waitBreakerClosed(stack, scenario)
    const idsBefore = await inspector.maxResourceId()
    const deadLettersBefore = await inspector.deadLetters()

    const t0 = performance.now()
    const clock = (): number => performance.now() - t0
    const sampler = startSampler({ resource: stack.url('resource-service'), processor: stack.url('resource-processor') }, clock)
    // The load goes on for afterSeconds once the broken part is back, so the recovery (a breaker closing) is seen under load.
    let stopAt = Number.POSITIVE_INFINITY
    const load = runLoad({ url: stack.url('resource-service'), rate: options.rate, stopAt: () => stopAt, fixtures, clock })

    await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000))
    const faultAt = clock()
    stack.note(`${scenario.name}: fault (${scenario.summary})`)
    await scenario.inject(stack)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, faultAt + options.faultSeconds * 1000 - clock())))
    const healAt = clock()
    stack.note(`${scenario.name}: heal`)
    await scenario.heal(stack)
    const backAt = clock()
    stopAt = backAt + options.afterSeconds * 1000
    stack.note(`${scenario.name}: back`)
    const records = await load
    const loadEndAt = clock()

    const ids = records.flatMap((r) => (r.id === undefined ? [] : [r.id]))
    const fixtureOf = new Map(records.flatMap((r) => (r.id === undefined ? [] : [[r.id, r.fixture] as const])))
    let states = new Map<number, string>()
    let songs = new Map<number, SongRow>()
    let settledAt: number | undefined
    let songsCompleteAt: number | undefined
    const deadline = loadEndAt + options.settleTimeoutMs
    while (clock() < deadline) {
      states = await inspector.states(ids)
      songs = await inspector.songs(ids)
      const songsDone = ids.every((id) => songMatches(songs.get(id), fixtureOf.get(id) as Fixture))
      if (songsDone && songsCompleteAt === undefined) songsCompleteAt = clock()
      if (songsDone && ids.every((id) => states.get(id) === 'PERMANENT')) {
        settledAt = clock()
        break
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS))
    }
    // Step 4 of the move (deleting the staging copy) follows the PERMANENT commit.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const samples = await sampler.stop()

    const created = await inspector.createdAfter(idsBefore)
    const known = new Set(ids)
    const objects = await inspector.objects()
    const deadLetters = await inspector.deadLetters()
    const deadLettersAdded: Record<string, number> = {}
    for (const [topic, count] of Object.entries(deadLetters)) {
      const added = count - (deadLettersBefore[topic] ?? 0)
      if (added !== 0) deadLettersAdded[topic] = added
    }
    return {
      scenario,
      options,
      records,
      samples,
      faultAt,
      healAt,
      backAt,
      loadEndAt,
      settledAt,
      songsCompleteAt,
      states,
      songs,
      phantomResourceIds: created.resourceIds.filter((id) => !known.has(id)),
      phantomSongIds: created.songIds.filter((id) => !known.has(id)),
      orphanObjects: objects.permanentObjects.filter((key) => !objects.permanentKeys.has(key)),
      stagingLeftovers: objects.stagingObjects,
      deadLettersAdded,
    }
  } finally {
    await inspector.close()
  }
}
