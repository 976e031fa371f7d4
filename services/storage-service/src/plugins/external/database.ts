import { connectDatabase } from '@soundline/platform'
import fp from 'fastify-plugin'
import { PrismaClient } from '../../generated/prisma/client.js'
import type { StorageServiceConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    storageDatabase: PrismaClient
  }
}

export default fp<{ config: StorageServiceConfig }>(
  async (app, { config }) => {
    const prisma = await connectDatabase(app, {
      PrismaClient,
      connectionString: config.DATABASE_URL,
      poolMax: config.DATABASE_POOL_MAX,
      migrationsDir: config.MIGRATIONS_DIR,
    })
    app.decorate('storageDatabase', prisma)
  },
  { name: 'database' },
)
