import { connectDatabase } from '@soundline/platform'
import fp from 'fastify-plugin'
import { PrismaClient } from '../../generated/prisma/client.js'
import type { SongServiceConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    songDatabase: PrismaClient
  }
}

export default fp<{ config: SongServiceConfig }>(
  async (app, { config }) => {
    const prisma = await connectDatabase(app, {
      PrismaClient,
      connectionString: config.DATABASE_URL,
      poolMax: config.DATABASE_POOL_MAX,
      migrationsDir: config.MIGRATIONS_DIR,
    })
    app.decorate('songDatabase', prisma)
  },
  { name: 'database' },
)
