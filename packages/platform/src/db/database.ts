import type { FastifyInstance } from 'fastify'
import { applyMigrations } from './migrate.js'
import { replicaReads, type ReplicaReads } from './replica-reads.js'
import { createPrismaClient, pingDatabase, type PrismaClientFactoryOptions, type PrismaClientLike, type RawQueryable } from './prisma.js'

export interface DatabaseOptions<T> {
  PrismaClient: new (options: PrismaClientFactoryOptions) => T
  connectionString: string
  poolMax: number
  /** The service's `prisma/<service>/migrations` folder. */
  migrationsDir: string
}

/**
 * Everything a database-owning service does with its database at start, in
 * one place: apply pending migrations (under a lock, so replicas can start
 * together), open the Prisma client, report it in /health/ready, close it on
 * shutdown.
 */
export async function connectDatabase<T extends PrismaClientLike & RawQueryable>(
  app: FastifyInstance,
  options: DatabaseOptions<T>,
): Promise<T> {
  const logger = app.log
  const { applied } = await applyMigrations({
    connectionString: options.connectionString,
    migrationsDir: options.migrationsDir,
    logger,
  })
  if (applied.length > 0) app.log.info({ applied }, 'database migrations applied')
  const client = createPrismaClient(options.PrismaClient, {
    connectionString: options.connectionString,
    poolMax: options.poolMax,
    logger,
  })
  app.readiness.register({
    name: 'db',
    critical: true,
    check: async () => {
      const started = performance.now()
      await pingDatabase(client)
      return { status: 'UP', details: { latencyMs: Math.round(performance.now() - started) } }
    },
  })
  app.addHook('onClose', async () => {
    await client.$disconnect()
  })
  return client
}

/**
 * The replica side of a service's database: a second Prisma client on the
 * read-only endpoint when `connectionString` is set (closed on shutdown), wrapped
 * so that a read falls back to `primary` when no replica answers. Not a
 * readiness component: the primary can serve every read.
 */
export function connectReplicaReads<T extends PrismaClientLike>(
  app: FastifyInstance,
  options: { PrismaClient: new (options: PrismaClientFactoryOptions) => T; connectionString?: string; poolMax: number; primary: T },
): ReplicaReads<T> {
  if (options.connectionString === undefined) return replicaReads(options.primary, undefined, app.log)
  const replica = createPrismaClient(options.PrismaClient, {
    connectionString: options.connectionString,
    poolMax: options.poolMax,
    logger: app.log,
  })
  app.addHook('onClose', async () => {
    await replica.$disconnect()
  })
  return replicaReads(options.primary, replica, app.log)
}
