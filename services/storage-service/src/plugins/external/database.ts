import { databasePlugin, type ReplicaReads } from '@soundline/platform'
import { PrismaClient } from '../../generated/prisma/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    storageDatabase: PrismaClient
    storageDatabaseReads: ReplicaReads<PrismaClient>
  }
}

export default databasePlugin(PrismaClient, 'storageDatabase')
