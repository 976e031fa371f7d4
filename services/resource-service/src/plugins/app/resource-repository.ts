import { newEvent, TOPICS, type ResourceDeleted, type ResourceUploaded, type TopicNames } from '@soundline/contracts'
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js'
import type { Resource as ResourceRow } from '../../generated/prisma/client.js'
import type { ResourceRepository } from '../../domain/resource-repository.js'
import type { NewResource, ObjectLocation, Resource, ResourceState } from '../../domain/resource.js'

const UNIQUE_VIOLATION = 'P2002'

export type Transaction = Prisma.TransactionClient

/** Rows users may see: a DELETING row reads as gone (docs/consistency.md "The deletion saga"). */
export const VISIBLE = { state: { not: 'DELETING' } } as const

function visibleState(row: ResourceRow): ResourceState {
  if (row.state === 'DELETING') throw new Error(`resource ${row.id} is being deleted: it must not be read`)
  return row.state
}

function toResource(row: ResourceRow): Resource {
  return {
    id: row.id,
    state: visibleState(row),
    storageId: row.storageId,
    bucket: row.bucket,
    key: row.key,
    staging: { bucket: row.stagingBucket, key: row.stagingKey },
    size: Number(row.size),
    sha256: row.sha256,
    failureReason: row.failureReason,
    idempotencyKey: row.idempotencyKey,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

/** The envelope is stored as it will be published (JSON value of the Kafka record). */
function asJson(event: ResourceUploaded | ResourceDeleted): Prisma.InputJsonObject {
  return event as unknown as Prisma.InputJsonObject
}

/**
 * Prisma adapter. `onCommitted` runs after every transaction that wrote to
 * the outbox (it wakes the relay).
 */
/**
 * Interactive transactions wait up to 10 s to start (Prisma's default is 2 s):
 * the embedded PGlite runs one transaction at a time, and a burst of uploads
 * queues behind each other rather than failing.
 */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 }
export function inTransaction<T>(prisma: PrismaClient, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return prisma.$transaction(work, TRANSACTION_OPTIONS)
}

/** The resource.deleted events of rows the deletion saga removed, in its transaction. */
export async function announceDeletes(tx: Transaction, topics: TopicNames, ids: number[]): Promise<void> {
  if (ids.length === 0) return
  await tx.outboxEvent.createMany({
    data: ids.map((id) => ({
      topic: topics.resourceDeleted,
      payload: asJson(newEvent<ResourceDeleted>(TOPICS.resourceDeleted, id, {})),
    })),
  })
}

export function prismaResourceRepository(prisma: PrismaClient, topics: TopicNames, onCommitted: () => void): ResourceRepository {
  const recordProcessed = async (tx: Transaction | PrismaClient, eventId: string): Promise<void> => {
    await tx.processedEvent.createMany({ data: [{ eventId }], skipDuplicates: true })
  }

  return {
    async createStaged(resource: NewResource) {
      try {
        const row = await inTransaction(prisma, async (tx) => {
          const created = await tx.resource.create({
            data: { ...resource, stagingBucket: resource.bucket, stagingKey: resource.key, size: BigInt(resource.size) },
          })
          const event = newEvent<ResourceUploaded>(TOPICS.resourceUploaded, created.id, { size: resource.size, sha256: resource.sha256 })
          await tx.outboxEvent.create({ data: { topic: topics.resourceUploaded, payload: asJson(event) } })
          return created
        })
        onCommitted()
        return { created: toResource(row) }
      } catch (error) {
        const duplicate = error instanceof Prisma.PrismaClientKnownRequestError && error.code === UNIQUE_VIOLATION
        const existing =
          duplicate && resource.idempotencyKey
            ? await prisma.resource.findFirst({ where: { idempotencyKey: resource.idempotencyKey, ...VISIBLE } })
            : null
        if (existing) return { existing: toResource(existing) }
        throw error
      }
    },

    async findById(id: number) {
      const row = await prisma.resource.findFirst({ where: { id, ...VISIBLE } })
      return row ? toResource(row) : null
    },

    async findByIdempotencyKey(key: string) {
      const row = await prisma.resource.findFirst({ where: { idempotencyKey: key, ...VISIBLE } })
      return row ? toResource(row) : null
    },

    async isProcessed(eventId: string) {
      return (await prisma.processedEvent.findUnique({ where: { eventId } })) !== null
    },

    async recordProcessed(eventId: string) {
      await recordProcessed(prisma, eventId)
    },

    async markPermanent(id: number, storageId: number, location: ObjectLocation, eventId: string) {
      return inTransaction(prisma, async (tx) => {
        const { count } = await tx.resource.updateMany({
          where: { id, ...VISIBLE },
          data: { state: 'PERMANENT', storageId, bucket: location.bucket, key: location.key, failureReason: null },
        })
        if (count > 0) await recordProcessed(tx, eventId)
        return count > 0
      })
    },

    async markFailed(id: number, reason: string, eventId: string) {
      return inTransaction(prisma, async (tx) => {
        const { count } = await tx.resource.updateMany({
          where: { id, ...VISIBLE },
          data: { state: 'FAILED', failureReason: reason.slice(0, 1000) },
        })
        if (count > 0) await recordProcessed(tx, eventId)
        return count > 0
      })
    },

    async scheduleSongCleanup(id: number, eventId: string) {
      await inTransaction(prisma, async (tx) => {
        await tx.deletionSaga.create({ data: { resourceIds: [id] } })
        await recordProcessed(tx, eventId)
      })
    },
  }
}
