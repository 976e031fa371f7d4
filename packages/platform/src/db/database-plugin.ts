import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { connectDatabase, connectReplicaReads } from './database.js'
import type { PrismaClientFactoryOptions, PrismaClientLike, RawQueryable } from './prisma.js'

/** The configuration a database-owning service reads (databaseConfig() plus its migrations folder). */
export interface DatabasePluginConfig {
  DATABASE_URL: string
  DATABASE_POOL_MAX: number
  /** The read-only endpoint (replicas), when there is one. */
  DATABASE_READ_URL?: string
  MIGRATIONS_DIR: string
}

/**
 * The `database` plugin of a service: migrations, the Prisma client, readiness
 * and shutdown (connectDatabase), decorated under a service-specific name
 * (`songDatabase`, `authDatabase`: decorator types are global across the
 * test type-check), and its replica reads under `<name>Reads`
 * (connectReplicaReads). The service declares the decorators' types itself.
 */
export function databasePlugin<T extends PrismaClientLike & RawQueryable>(
  PrismaClient: new (options: PrismaClientFactoryOptions) => T,
  decorator: string,
) {
  return fp<{ config: DatabasePluginConfig }>(
    async (app: FastifyInstance, { config }) => {
      const prisma = await connectDatabase(app, {
        PrismaClient,
        connectionString: config.DATABASE_URL,
        poolMax: config.DATABASE_POOL_MAX,
        migrationsDir: config.MIGRATIONS_DIR,
      })
      // decorate's value type is conditional on T, which TypeScript cannot resolve for a generic T; the service types the decorator.
      app.decorate<T>(decorator, prisma as never)
      const reads = connectReplicaReads(app, {
        PrismaClient,
        connectionString: config.DATABASE_READ_URL,
        poolMax: config.DATABASE_POOL_MAX,
        primary: prisma,
      })
      app.decorate(`${decorator}Reads`, reads as never)
    },
    { name: 'database' },
  )
}
