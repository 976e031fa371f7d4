// After the load of the delete-saga drill: waits until the stores agree with
// what was asked (every deleted resource gone, every other one PERMANENT with
// its song, no saga RUNNING), then reads them once more for the verdict.
import { songMatches } from '../drill.js'
import type { Fixture } from '../fixtures.js'
import { PERMANENT_BUCKET, StackInspector, type SongRow } from '../inspect.js'
import type { UploadRecord } from '../load.js'
import type { DrillStack } from '../stack.js'
import type { Deletion } from './deleter.js'
import type { SagaRow, SagaWatcher } from './sagas.js'

export interface Before {
  maxResourceId: number
  deadLetters: Record<string, number>
}

export interface Settled {
  /** Drill ms when the stores agreed, or undefined when the deadline passed first. */
  settledAt?: number
  /** Every saga of this drill as the table holds it at the end. */
  sagas: SagaRow[]
  /** Every id a DELETE asked for. */
  deletedIds: number[]
  /** Every resource row this drill created and did not delete, answered or not. */
  keptIds: number[]
  /** Kept rows whose upload never answered (in flight at the kill). */
  unansweredKept: number[]
  /** What is left of the deleted resources. */
  left: { rows: number[]; songs: number[]; objects: string[] }
  /** Deleted ids whose file name the drill could not note before the DELETE (their objects go unchecked). */
  unknownFiles: number[]
  notPermanent: number[]
  /** Kept resources without their song, or (for answered uploads) with other metadata. */
  wrongSong: number[]
  /** Kept resources whose object is not where their row says. */
  missingObject: number[]
  /** Songs of this drill belonging to no resource row it knows. */
  extraSongs: number[]
  /** Objects belonging to no row and to no deleted resource: permanent ones, and anything in staging. */
  orphanObjects: string[]
  /** Sagas of this drill the admin API lists as RUNNING or FAILED (its view, next to the table's), or why it could not say. */
  adminUnfinished: { ids: number[]; error?: string }
  deadLettersAdded: Record<string, number>
}

const POLL_MS = 500
/** Step 4 of a move (deleting the staging copy) follows the PERMANENT commit. */
const AFTER_SETTLE_MS = 1_500

const baseName = (key: string): string => key.split('/').at(-1) ?? key

/** The admin API's RUNNING and FAILED sagas of this drill, or why it could not say. */
async function adminUnfinished(url: string, ours: Set<number>): Promise<{ ids: number[]; error?: string }> {
  const ids: number[] = []
  for (const state of ['RUNNING', 'FAILED']) {
    const path = `/internal/admin/sagas?state=${state}&limit=1000`
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => error as Error)
    if (response instanceof Error) return { ids, error: `GET ${path}: ${response.message}` }
    if (response.status !== 200) return { ids, error: `GET ${path} answered ${response.status}: ${(await response.text()).slice(0, 200)}` }
    for (const saga of (await response.json()) as { id: number }[]) if (ours.has(saga.id)) ids.push(saga.id)
  }
  return { ids }
}

export const settle = {
  async snapshot(stack: DrillStack): Promise<Before> {
    const inspector = new StackInspector(stack)
    try {
      return { maxResourceId: await inspector.maxResourceId(), deadLetters: await inspector.deadLetters() }
    } finally {
      await inspector.close()
    }
  },

  async run(
    stack: DrillStack,
    watcher: SagaWatcher,
    input: {
      before: Before
      uploads: UploadRecord[]
      deletions: Deletion[]
      fileNames: Map<number, string>
      deadline: number
      clock: () => number
    },
  ): Promise<Settled> {
    const inspector = new StackInspector(stack)
    try {
      const { before, clock } = input
      const deleted = new Set(input.deletions.flatMap((d) => d.ids))
      const fixtureOf = new Map(input.uploads.flatMap((r) => (r.id === undefined ? [] : [[r.id, r.fixture] as const])))
      // An upload that never answered (in flight at the kill) has no known fixture: its song must exist.
      const songOk = (id: number, songs: Map<number, SongRow>): boolean => {
        const fixture: Fixture | undefined = fixtureOf.get(id)
        return fixture ? songMatches(songs.get(id), fixture) : songs.has(id)
      }
      let settledAt: number | undefined
      let sagas: SagaRow[] = []
      let kept: number[] = []
      let states = new Map<number, string>()
      let songs = new Map<number, SongRow>()
      let created = { resourceIds: [] as number[], songIds: [] as number[] }
      for (;;) {
        const open = await watcher.poll()
        created = await inspector.createdAfter(before.maxResourceId)
        kept = created.resourceIds.filter((id) => !deleted.has(id))
        const ids = [...kept, ...deleted]
        states = await inspector.states(ids)
        songs = await inspector.songs(ids)
        const sagasDone = open.every((saga) => saga.state !== 'RUNNING')
        const deletedGone = [...deleted].every((id) => !states.has(id) && !songs.has(id))
        const keptDone = kept.every((id) => states.get(id) === 'PERMANENT' && songOk(id, songs))
        if (sagasDone && deletedGone && keptDone) {
          settledAt = clock()
          break
        }
        if (clock() > input.deadline) break
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      }
      await new Promise((resolve) => setTimeout(resolve, AFTER_SETTLE_MS))
      sagas = await watcher.read()

      const objects = await inspector.objects()
      const locations = await watcher.locations(kept)
      const permanent = new Set(objects.permanentObjects)
      const present = new Set([...objects.permanentObjects, ...objects.stagingObjects])
      const deletedFiles = new Set([...deleted].flatMap((id) => input.fileNames.get(id) ?? []))
      const ofDeleted = (key: string): boolean => deletedFiles.has(baseName(key))
      const deadLetters = await inspector.deadLetters()
      const deadLettersAdded: Record<string, number> = {}
      for (const [topic, count] of Object.entries(deadLetters)) {
        const added = count - (before.deadLetters[topic] ?? 0)
        if (added !== 0) deadLettersAdded[topic] = added
      }
      const known = new Set([...kept, ...deleted])
      return {
        settledAt,
        sagas,
        deletedIds: [...deleted].sort((a, b) => a - b),
        keptIds: kept,
        unansweredKept: kept.filter((id) => !fixtureOf.has(id)),
        left: {
          rows: [...deleted].filter((id) => states.has(id)),
          songs: [...deleted].filter((id) => songs.has(id)),
          objects: [...present].filter(ofDeleted),
        },
        unknownFiles: [...deleted].filter((id) => !input.fileNames.has(id)),
        notPermanent: kept.filter((id) => states.get(id) !== 'PERMANENT'),
        wrongSong: kept.filter((id) => !songOk(id, songs)),
        missingObject: kept.filter((id) => {
          const location = locations.get(id)
          return location?.bucket !== PERMANENT_BUCKET || !permanent.has(location.key)
        }),
        extraSongs: created.songIds.filter((id) => !known.has(id)),
        orphanObjects: [
          ...objects.permanentObjects.filter((key) => !objects.permanentKeys.has(key) && !ofDeleted(key)),
          ...objects.stagingObjects.filter((key) => !ofDeleted(key)),
        ],
        adminUnfinished: await adminUnfinished(stack.url('resource-service'), new Set(sagas.map((saga) => saga.id))),
        deadLettersAdded,
      }
    } finally {
      await inspector.close()
    }
  },
}
