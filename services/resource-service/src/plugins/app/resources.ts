import { ServiceClient, type Logger } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { ResourceServiceConfig } from '../../config.js'
import { ProcessingResults } from '../../domain/processing-results.js'
import { ResourceLibrary } from '../../domain/resource-library.js'
import { ResourceUploads } from '../../domain/resource-uploads.js'
import { topicNames } from '../../kafka-topics.js'
import { s3ObjectStore } from './object-store.js'
import { prismaResourceRepository } from './resource-repository.js'
import { SongServiceMetadata } from './song-client.js'
import { StorageServiceCatalog } from './storage-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    resourceUploads: ResourceUploads
    resourceLibrary: ResourceLibrary
    processingResults: ProcessingResults
  }
}

/** The domain objects, wired to their adapters. */
export default fp<{ config: ResourceServiceConfig }>(
  async (app, { config }) => {
    const logger = app.log as unknown as Logger
    const repository = prismaResourceRepository(app.prisma, topicNames(config.KAFKA_TOPIC_PREFIX), () => app.outboxRelay.wake())
    const objects = s3ObjectStore(app.s3)
    const storages = new StorageServiceCatalog(
      new ServiceClient({ name: 'storage-service', baseUrl: config.STORAGE_SERVICE_URL, timeoutMs: config.STORAGE_SERVICE_TIMEOUT_MS }),
    )
    const songs = new SongServiceMetadata(
      new ServiceClient({ name: 'song-service', baseUrl: config.SONG_SERVICE_URL, timeoutMs: config.SONG_SERVICE_TIMEOUT_MS }),
    )
    app.decorate('resourceUploads', new ResourceUploads(repository, storages, objects, config.MAX_UPLOAD_BYTES, logger))
    app.decorate('resourceLibrary', new ResourceLibrary(repository, objects, songs, logger))
    app.decorate('processingResults', new ProcessingResults(repository, storages, objects, logger.child({ component: 'processing-results' })))

    // Soft dependency: without it uploads and moves stop, reads and deletes go on.
    app.readiness.register({
      name: 'storageService',
      critical: false,
      check: async () => {
        await storages.stagingStorage()
        return { status: 'UP' }
      },
    })
  },
  { name: 'resources', dependencies: ['database', 's3', 'outbox'] },
)
