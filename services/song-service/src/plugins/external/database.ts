import { databasePlugin } from '@soundline/platform'
import { PrismaClient } from '../../generated/prisma/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    songDatabase: PrismaClient
  }
}

export default databasePlugin(PrismaClient, 'songDatabase')
