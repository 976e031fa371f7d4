import { connectDatabase, type App } from '@soundline/platform'
import fp from 'fastify-plugin'
import { PrismaClient } from '../../generated/prisma/client.js'
import type { ResourceServiceConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
  }
}

export default fp<{ config: ResourceServiceConfig }>(
  async (app, { config }) => {
    const prisma = await connectDatabase(app as unknown as App, {
      PrismaClient,
      connectionString: config.DATABASE_URL,
      poolMax: config.DATABASE_POOL_MAX,
      migrationsDir: config.MIGRATIONS_DIR,
    })
    app.decorate('prisma', prisma)
  },
  { name: 'database' },
)
