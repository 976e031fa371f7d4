import { DomainError, exponentialDelay, type Logger } from '@soundline/platform'
import {
  fileNameOf,
  objectKeyIn,
  sameLocation,
  type ObjectLocation,
  type ObjectStore,
  type SongMetadata,
  type StorageCatalog,
} from './resource.js'

/**
 * The deletion saga (docs/consistency.md "The deletion saga"): one durable
 * record per DELETE, its steps run in order, each idempotent, each retried
 * with backoff, and what cannot finish is FAILED with its reason for an admin
 * to retry. Never dropped: the record outlives the request and the process.
 */

export const SAGA_STEPS = ['DELETE_SONGS', 'DELETE_OBJECTS', 'DELETE_ROWS', 'DONE'] as const
export type SagaStep = (typeof SAGA_STEPS)[number]
export const SAGA_STATES = ['RUNNING', 'FAILED', 'COMPLETED'] as const
export type SagaState = (typeof SAGA_STATES)[number]

export interface DeletionSaga {
  id: number
  resourceIds: number[]
  step: SagaStep
  state: SagaState
  /** Failed attempts of the current step. */
  attempts: number
  lastError: string | null
  nextAttemptAt: Date
  createdAt: Date
  updatedAt: Date
  completedAt: Date | null
}

/** Where sagas are kept; the Prisma adapter implements it. Every method is one short transaction. */
export interface DeletionSagaStore {
  /**
   * Marks the ids that exist (and are not already being deleted) DELETING and
   * records their saga, claimed by the caller for `claimMs`, in one
   * transaction; null when none exists.
   */
  begin(ids: number[], claimMs: number): Promise<DeletionSaga | null>
  /** Claims up to `limit` RUNNING sagas that are due and unclaimed (or whose claim expired: a crashed owner). */
  claimDue(limit: number, claimMs: number): Promise<DeletionSaga[]>
  /** Where the files of the DELETING rows among `ids` are: current and staging location. */
  objectsOf(ids: number[]): Promise<ObjectLocation[]>
  /**
   * The last step: removes the DELETING rows among `ids` (with a resource.deleted
   * event each) and completes the saga, in one transaction.
   */
  removeRows(sagaId: number, ids: number[]): Promise<void>
  /** The step succeeded: on to `next` with a clean slate. */
  advance(sagaId: number, next: SagaStep): Promise<void>
  /** A failed attempt: due again at `nextAttemptAt`, or FAILED when that is null. The claim ends. */
  recordFailure(sagaId: number, attempts: number, error: string, nextAttemptAt: Date | null): Promise<void>
  release(sagaId: number): Promise<void>
  find(sagaId: number): Promise<DeletionSaga | null>
  list(state: SagaState | undefined, limit: number): Promise<DeletionSaga[]>
  /** FAILED → RUNNING, attempts reset, due now, claimed by the caller; false when the saga is not FAILED. */
  restart(sagaId: number, claimMs: number): Promise<boolean>
}

export interface SagaOptions {
  /** How long a request runs the saga before answering; the rest continues in the background. */
  inlineBudgetMs: number
  /** Attempts of one step before the saga is FAILED. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** How long a claim lasts: a crashed owner's sagas are resumed after it. */
  claimMs: number
  pollIntervalMs: number
}

export interface SagaObserver {
  stepFinished(step: SagaStep, outcome: 'ok' | 'error', seconds: number): void
  retried(step: SagaStep): void
}

export class SagaNotFound extends DomainError {
  constructor(readonly id: number) {
    super(`no deletion saga ${id}`)
  }
}

export class SagaNotFailed extends DomainError {
  constructor(
    readonly id: number,
    readonly state: SagaState,
  ) {
    super(`deletion saga ${id} is ${state}`)
  }
}

const NEXT: Record<SagaStep, SagaStep> = {
  DELETE_SONGS: 'DELETE_OBJECTS',
  DELETE_OBJECTS: 'DELETE_ROWS',
  DELETE_ROWS: 'DONE',
  DONE: 'DONE',
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 1000)

/**
 * Runs deletion sagas: inline for the request that started one (within
 * `inlineBudgetMs`), and from a poller for those due again, left by a crash,
 * or restarted by an admin. A claim (`claimedUntil`) keeps two runners off
 * the same saga; a step repeated after a crash does nothing twice with effect
 * because every step is idempotent.
 */
export class DeletionSagaCoordinator {
  private readonly running = new Set<Promise<void>>()
  private stopped = false
  private poller: Promise<void> | undefined
  private readonly sleepers = new Set<() => void>()

  constructor(
    private readonly store: DeletionSagaStore,
    private readonly songs: SongMetadata,
    private readonly objects: ObjectStore,
    private readonly storages: Pick<StorageCatalog, 'permanentStorage'>,
    private readonly logger: Logger,
    private readonly options: SagaOptions,
    private readonly observer: SagaObserver = { stepFinished: () => undefined, retried: () => undefined },
  ) {}

  /** DELETE /resources: the ids that existed, once their saga is recorded; the steps run until the budget is spent. */
  async delete(ids: number[]): Promise<{ ids: number[] }> {
    const saga = await this.store.begin(ids, this.options.claimMs)
    if (!saga) return { ids: [] }
    await this.runInline(saga.id, saga.resourceIds)
    return { ids: [...saga.resourceIds].sort((a, b) => a - b) }
  }

  /** An admin's retry of a FAILED saga: runs it like a request does and answers its record. */
  async retry(sagaId: number): Promise<DeletionSaga> {
    const saga = await this.store.find(sagaId)
    if (!saga) throw new SagaNotFound(sagaId)
    if (saga.state !== 'FAILED' || !(await this.store.restart(sagaId, this.options.claimMs))) {
      throw new SagaNotFailed(sagaId, saga.state)
    }
    this.logger.info({ sagaId, step: saga.step, lastError: saga.lastError }, 'deletion saga retried by an admin')
    await this.runInline(sagaId, saga.resourceIds)
    return (await this.store.find(sagaId)) ?? saga
  }

  async get(sagaId: number): Promise<DeletionSaga> {
    const saga = await this.store.find(sagaId)
    if (!saga) throw new SagaNotFound(sagaId)
    return saga
  }

  list(state: SagaState | undefined, limit: number): Promise<DeletionSaga[]> {
    return this.store.list(state, limit)
  }

  /** Resumes what is due, at once (sagas left by a crash) and then every `pollIntervalMs`. */
  start(): void {
    this.poller ??= this.poll()
  }

  /** Stops between attempts; every saga still RUNNING is released, so the next start resumes it at once. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const wake of [...this.sleepers]) wake()
    await this.poller
    await Promise.all([...this.running])
  }

  private async runInline(sagaId: number, resourceIds: number[]): Promise<void> {
    const run = this.drive(sagaId, resourceIds, Date.now() + this.options.inlineBudgetMs)
    this.running.add(run)
    try {
      await run
    } finally {
      this.running.delete(run)
    }
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      try {
        for (const saga of await this.store.claimDue(10, this.options.claimMs)) {
          if (this.stopped) {
            await this.store.release(saga.id)
            continue
          }
          this.logger.info({ sagaId: saga.id, step: saga.step, attempts: saga.attempts }, 'resuming a deletion saga')
          // Half the claim: the runner lets go well before another replica may take over.
          const run = this.drive(saga.id, saga.resourceIds, Date.now() + this.options.claimMs / 2, saga)
          this.running.add(run)
          void run.finally(() => this.running.delete(run))
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'deletion sagas: cannot look for due sagas; trying again')
      }
      await this.sleep(this.options.pollIntervalMs)
    }
  }

  /**
   * Runs the saga's steps from where its record says until it is COMPLETED or
   * FAILED, or the next attempt falls after `deadline` (released then: the
   * poller takes it up when due). Never throws.
   */
  private async drive(sagaId: number, resourceIds: number[], deadline: number, claimed?: DeletionSaga): Promise<void> {
    try {
      let saga = claimed ?? (await this.store.find(sagaId))
      while (saga && saga.state === 'RUNNING' && saga.step !== 'DONE' && !this.stopped) {
        const step = saga.step
        const started = performance.now()
        try {
          await this.runStep(sagaId, step, resourceIds)
          this.observer.stepFinished(step, 'ok', (performance.now() - started) / 1000)
          if (step !== 'DELETE_ROWS') await this.store.advance(sagaId, NEXT[step])
          saga = { ...saga, step: NEXT[step], attempts: 0, state: step === 'DELETE_ROWS' ? 'COMPLETED' : 'RUNNING' }
        } catch (error) {
          this.observer.stepFinished(step, 'error', (performance.now() - started) / 1000)
          const attempts = saga.attempts + 1
          const reason = `${step}: ${errorText(error)}`
          if (attempts >= this.options.maxAttempts) {
            this.logger.error({ sagaId, step, attempts, err: error }, 'deletion saga FAILED: an admin can retry it (docs/consistency.md)')
            await this.store.recordFailure(sagaId, attempts, reason, null)
            return
          }
          const delay = exponentialDelay(attempts, this.options.baseDelayMs, this.options.maxDelayMs)
          await this.store.recordFailure(sagaId, attempts, reason, new Date(Date.now() + delay))
          this.observer.retried(step)
          this.logger.warn({ sagaId, step, attempts, retryInMs: delay, err: error }, 'deletion saga step failed; will retry')
          // Past the deadline the poller takes it up when due (the claim is released below).
          if (Date.now() + delay > deadline) return
          await this.sleep(delay)
          saga = { ...saga, attempts }
        }
      }
    } catch (error) {
      // The database is unreachable: the claim expires and the poller resumes the saga.
      this.logger.warn({ err: error, sagaId }, 'deletion saga interrupted; it resumes when its claim expires')
    } finally {
      // The claim ends with the run (a deadline, a stop): the next runner needs no expiry.
      await this.store.release(sagaId).catch(() => undefined)
    }
  }

  private async runStep(sagaId: number, step: SagaStep, resourceIds: number[]): Promise<void> {
    switch (step) {
      case 'DELETE_SONGS':
        // DELETE /songs?id= is idempotent: ids without a song are simply not in its answer.
        return this.songs.deleteFor(resourceIds)
      case 'DELETE_OBJECTS': {
        const done: ObjectLocation[] = []
        for (const location of await this.withPermanentCopies(await this.store.objectsOf(resourceIds))) {
          if (done.some((other) => sameLocation(other, location))) continue
          // S3 DeleteObject of a missing key succeeds: a repeat after a crash is harmless.
          await this.objects.delete(location)
          done.push(location)
        }
        return
      }
      case 'DELETE_ROWS':
        return this.store.removeRows(sagaId, resourceIds)
      case 'DONE':
        return
    }
  }

  /**
   * Adds, for each object, where a move to PERMANENT puts its file
   * (processing-results.ts): a move that copied and then never committed (a
   * crash, a failed write) before the DELETE leaves a copy there that no row
   * names and nothing else would delete. For a moved resource it is its
   * current object again (one delete). Without a permanent storage to ask,
   * the step goes on with the rows' objects.
   */
  private async withPermanentCopies(locations: ObjectLocation[]): Promise<ObjectLocation[]> {
    const permanent = await this.storages.permanentStorage().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'deletion saga: no permanent storage to look for unfinished moves in')
      return undefined
    })
    if (!permanent) return locations
    return [...locations, ...locations.map((l) => ({ bucket: permanent.bucket, key: objectKeyIn(permanent, fileNameOf(l.key)) }))]
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.sleepers.add(wake)
    })
  }
}
