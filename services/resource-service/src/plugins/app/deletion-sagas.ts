import type { Logger, ServiceCaller } from '@soundline/platform'
import type { TopicNames } from '@soundline/contracts'
import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { ResourceServiceConfig } from '../../config.js'
import {
  DeletionSagaCoordinator,
  SAGA_STATES,
  SAGA_STEPS,
  type DeletionSaga,
  type DeletionSagaStore,
  type SagaObserver,
} from '../../domain/deletion-saga.js'
import { sameLocation, type ObjectLocation, type ObjectStore, type StorageCatalog } from '../../domain/resource.js'
import type { DeletionSaga as SagaRow, PrismaClient } from '../../generated/prisma/client.js'
import { announceDeletes, inTransaction, VISIBLE } from './resource-repository.js'
import { songServiceMetadata } from './song-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    deletionSagas: DeletionSagaCoordinator
  }
}

function toSaga(row: SagaRow): DeletionSaga {
  const { id, resourceIds, step, state, attempts, lastError, nextAttemptAt, createdAt, updatedAt, completedAt } = row
  return { id, resourceIds, step, state, attempts, lastError, nextAttemptAt, createdAt, updatedAt, completedAt }
}

const claimUntil = (claimMs: number) => new Date(Date.now() + claimMs)

export function prismaDeletionSagaStore(prisma: PrismaClient, topics: TopicNames, onCommitted: () => void): DeletionSagaStore {
  return {
    async begin(ids, claimMs) {
      return inTransaction(prisma, async (tx) => {
        // The idempotency key goes with the resource: a retry of its upload after the DELETE is a new upload.
        const marked = await tx.resource.updateManyAndReturn({
          where: { id: { in: ids }, ...VISIBLE },
          data: { state: 'DELETING', idempotencyKey: null },
          select: { id: true },
        })
        if (marked.length === 0) return null
        const row = await tx.deletionSaga.create({
          data: { resourceIds: marked.map((resource) => resource.id).sort((a, b) => a - b), claimedUntil: claimUntil(claimMs) },
        })
        return toSaga(row)
      })
    },

    async claimDue(limit, claimMs) {
      // The claim is one statement; SKIP LOCKED lets replicas claim disjoint sagas (as the outbox relay does).
      const claimed = await prisma.$queryRaw<{ id: number }[]>`
        UPDATE "deletion_sagas" SET "claimed_until" = ${claimUntil(claimMs)}
        WHERE "id" IN (
          SELECT "id" FROM "deletion_sagas"
          WHERE "state" = 'RUNNING' AND "next_attempt_at" <= now()
            AND ("claimed_until" IS NULL OR "claimed_until" < now())
          ORDER BY "next_attempt_at" LIMIT ${limit}::int
          FOR UPDATE SKIP LOCKED)
        RETURNING "id"`
      if (claimed.length === 0) return []
      const rows = await prisma.deletionSaga.findMany({
        where: { id: { in: claimed.map((row) => row.id) } },
        orderBy: { nextAttemptAt: 'asc' },
      })
      return rows.map(toSaga)
    },

    async objectsOf(ids) {
      const rows = await prisma.resource.findMany({
        where: { id: { in: ids }, state: 'DELETING' },
        select: { bucket: true, key: true, stagingBucket: true, stagingKey: true },
      })
      return rows.flatMap((row): ObjectLocation[] => {
        const current = { bucket: row.bucket, key: row.key }
        const staging = { bucket: row.stagingBucket, key: row.stagingKey }
        // Still in staging, the two are one object: one delete.
        return sameLocation(current, staging) ? [current] : [current, staging]
      })
    },

    async removeRows(sagaId, ids) {
      const removed = await inTransaction(prisma, async (tx) => {
        const deleted = await tx.$queryRaw<{ id: number }[]>`
          DELETE FROM "resources" WHERE "id" = ANY(${ids}::int[]) AND "state" = 'DELETING' RETURNING "id"`
        const removedIds = deleted.map((row) => row.id)
        await announceDeletes(tx, topics, removedIds)
        await tx.deletionSaga.update({
          where: { id: sagaId },
          data: { step: 'DONE', state: 'COMPLETED', attempts: 0, lastError: null, completedAt: new Date(), claimedUntil: null },
        })
        return removedIds.length
      })
      if (removed > 0) onCommitted()
    },

    async advance(sagaId, next) {
      await prisma.deletionSaga.update({ where: { id: sagaId }, data: { step: next, attempts: 0, lastError: null } })
    },

    async recordFailure(sagaId, attempts, error, nextAttemptAt) {
      await prisma.deletionSaga.update({
        where: { id: sagaId },
        data: nextAttemptAt ? { attempts, lastError: error, nextAttemptAt } : { attempts, lastError: error, state: 'FAILED' },
      })
    },

    async release(sagaId) {
      await prisma.deletionSaga.updateMany({ where: { id: sagaId }, data: { claimedUntil: null } })
    },

    async find(sagaId) {
      const row = await prisma.deletionSaga.findUnique({ where: { id: sagaId } })
      return row ? toSaga(row) : null
    },

    async list(state, limit) {
      const rows = await prisma.deletionSaga.findMany({ where: state ? { state } : {}, orderBy: { id: 'asc' }, take: limit })
      return rows.map(toSaga)
    },

    async restart(sagaId, claimMs) {
      const { count } = await prisma.deletionSaga.updateMany({
        where: { id: sagaId, state: 'FAILED' },
        data: { state: 'RUNNING', attempts: 0, nextAttemptAt: new Date(), claimedUntil: claimUntil(claimMs) },
      })
      return count > 0
    },
  }
}

/**
 * What the Pipeline dashboard and the DeletionSagaStuck alert read
 * (docs/consistency.md "The deletion saga"): sagas by state and the age of
 * the oldest unfinished one (both from the database at scrape time), step
 * latency, and retries.
 */
export function sagaMetrics(registry: Registry, prisma: PrismaClient): SagaObserver {
  new Gauge({
    name: 'soundline_deletion_sagas',
    help: 'Deletion sagas by state (RUNNING, FAILED, COMPLETED), read at scrape time',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await prisma.deletionSaga.groupBy({ by: ['state'], _count: { _all: true } })
      for (const state of SAGA_STATES) this.set({ state }, counts.find((row) => row.state === state)?._count._all ?? 0)
    },
  })
  new Gauge({
    name: 'soundline_deletion_saga_oldest_unfinished_seconds',
    help: 'Age of the oldest deletion saga not COMPLETED (RUNNING or FAILED); 0 when there is none',
    registers: [registry],
    async collect() {
      const oldest = await prisma.deletionSaga.findFirst({
        where: { state: { not: 'COMPLETED' } },
        orderBy: { createdAt: 'asc' },
        select: { createdAt: true },
      })
      this.set(oldest ? (Date.now() - oldest.createdAt.getTime()) / 1000 : 0)
    },
  })
  const duration = new Histogram({
    name: 'soundline_deletion_saga_step_duration_seconds',
    help: 'Time of one attempt of a deletion saga step, by step and outcome (ok, error)',
    labelNames: ['step', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const retries = new Counter({
    name: 'soundline_deletion_saga_retries_total',
    help: 'Failed deletion saga step attempts that will be retried, by step',
    labelNames: ['step'],
    registers: [registry],
  })
  // Known steps start at 0: "no retries" and "no deletion yet" read as a rate of 0 (a
  // latency of NaN), not as no data, on the pipeline dashboard.
  for (const step of SAGA_STEPS.filter((step) => step !== 'DONE')) {
    retries.inc({ step }, 0)
    for (const outcome of ['ok', 'error']) duration.zero({ step, outcome })
  }
  return {
    stepFinished: (step, outcome, seconds) => duration.observe({ step, outcome }, seconds),
    retried: (step) => retries.inc({ step }),
  }
}

export interface DeletionSagaDeps {
  config: ResourceServiceConfig
  topics: TopicNames
  objects: ObjectStore
  /** Where a move to PERMANENT copies a file: a deletion looks there too (deletion-saga.ts). */
  storages: StorageCatalog
  songClient: ServiceCaller
}

/** The coordinator, started with the service (it resumes what a crash left) and stopped before the database closes. */
export function registerDeletionSagas(app: FastifyInstance, { config, topics, objects, storages, songClient }: DeletionSagaDeps): void {
  const coordinator = new DeletionSagaCoordinator(
    prismaDeletionSagaStore(app.prisma, topics, () => app.outboxRelay.wake()),
    songServiceMetadata(songClient),
    objects,
    storages,
    (app.log as unknown as Logger).child({ component: 'deletion-saga' }),
    {
      inlineBudgetMs: config.SAGA_INLINE_BUDGET_MS,
      maxAttempts: config.SAGA_STEP_MAX_ATTEMPTS,
      baseDelayMs: config.SAGA_RETRY_BASE_DELAY_MS,
      maxDelayMs: config.SAGA_RETRY_MAX_DELAY_MS,
      claimMs: config.SAGA_CLAIM_MS,
      pollIntervalMs: config.SAGA_POLL_INTERVAL_MS,
    },
    sagaMetrics(app.metrics, app.prisma),
  )
  app.decorate('deletionSagas', coordinator)
  app.addHook('onReady', async () => coordinator.start())
  // preClose: the runs end (and release their sagas) before the database closes.
  app.addHook('preClose', async () => coordinator.stop())
}
