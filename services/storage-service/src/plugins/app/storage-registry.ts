import { ensureBucket, expireIncompleteUploads, httpErrors, type Logger, type ReplicaReads } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { S3Client } from '@aws-sdk/client-s3'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { StorageRegistry, type Buckets, type StorageRepository } from '../../domain/storage-registry.js'
import type { NewStorage, StorageType } from '../../schemas/storages.js'

declare module 'fastify' {
  interface FastifyInstance {
    storageRegistry: StorageRegistry
  }
}

// Any constant works; it only has to be the same in every replica.
const DEFAULTS_LOCK_KEY = 830_001
const storageFields = { id: true, storageType: true, bucket: true, path: true } as const

/** `reads`: where the listing may come from (a replica: docs/high-availability.md "Which reads go to replicas"). */
export function prismaStorageRepository(prisma: PrismaClient, reads: ReplicaReads<PrismaClient>): StorageRepository {
  return {
    async create(storage: NewStorage) {
      const { id } = await prisma.storage.create({ data: storage, select: { id: true } })
      return id
    },

    async list(type?: StorageType) {
      return reads.read((client) =>
        client.storage.findMany({
          where: type ? { storageType: type } : {},
          select: storageFields,
          orderBy: { id: 'asc' },
        }),
      )
    },

    async deleteByIds(ids: number[]) {
      const rows = await prisma.$queryRaw<{ id: number }[]>`DELETE FROM "storages" WHERE "id" = ANY(${ids}::int[]) RETURNING "id"`
      return rows.map((row) => row.id).sort((a, b) => a - b)
    },

    async ensureDefaults(defaults: readonly NewStorage[]) {
      // A transaction-scoped advisory lock makes check-then-insert atomic across
      // replicas starting together (and is released even if this process dies).
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${DEFAULTS_LOCK_KEY})`
        const created = []
        for (const storage of defaults) {
          const existing = await tx.storage.findFirst({ where: { storageType: storage.storageType }, select: { id: true } })
          if (!existing) created.push(await tx.storage.create({ data: storage, select: storageFields }))
        }
        return created
      })
    },
  }
}

export function s3Buckets(s3: S3Client, logger: Logger): Buckets {
  return {
    async ensure(bucket: string) {
      try {
        // Parts of uploads that could not abort would otherwise stay (and be billed) forever.
        if ((await ensureBucket(s3, bucket, logger)) === 'created') await expireIncompleteUploads(s3, bucket, logger)
      } catch (error) {
        logger.warn({ err: error, bucket }, 'could not ensure bucket')
        throw httpErrors.serviceUnavailable(`Object storage is unavailable: could not create bucket '${bucket}'`, 5)
      }
    },
  }
}

export default fp(
  async (app) => {
    const registry = new StorageRegistry(prismaStorageRepository(app.storageDatabase, app.storageDatabaseReads), s3Buckets(app.s3, app.log))
    const { created } = await registry.initialize()
    if (created.length > 0) app.log.info({ created }, 'default storages created')
    app.decorate('storageRegistry', registry)
  },
  { name: 'storage-registry', dependencies: ['database', 's3'] },
)
