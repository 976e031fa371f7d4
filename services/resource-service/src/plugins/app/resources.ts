import { topicNames } from '@soundline/contracts'
import { NO_RETRY, registerServiceClient, type Logger } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { ResourceServiceConfig } from '../../config.js'
import { ProcessingResults } from '../../domain/processing-results.js'
import { ResourceLibrary } from '../../domain/resource-library.js'
import { ResourceUploads } from '../../domain/resource-uploads.js'
import { registerDeletionSagas } from './deletion-sagas.js'
import { s3ObjectStore } from './object-store.js'
import { pipelineMetrics } from './pipeline-metrics.js'
import { prismaResourceRepository } from './resource-repository.js'
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
    const topics = topicNames(config.KAFKA_TOPIC_PREFIX)
    const repository = prismaResourceRepository(app.prisma, topics, () => app.outboxRelay.wake())
    const objects = s3ObjectStore(app.s3, { logger: logger.child({ component: 'object-store' }), registry: app.metrics })
    app.addHook('onClose', () => objects.settle())
    const storageClient = registerServiceClient(app, {
      name: 'storage-service',
      baseUrl: config.STORAGE_SERVICE_URL,
      deadlineMs: config.STORAGE_SERVICE_TIMEOUT_MS,
      // Tried once: the cache or the stubs answer at once, which beats waiting for a second try.
      retry: NO_RETRY,
      // Calls are few (the answer is cached), so judge on fewer of them; slow = half the call's deadline.
      breaker: { windowSize: 10, minimumCalls: 5, slowCallDurationMs: Math.max(1, Math.floor(config.STORAGE_SERVICE_TIMEOUT_MS / 2)) },
    })
    const songClient = registerServiceClient(app, {
      name: 'song-service',
      baseUrl: config.SONG_SERVICE_URL,
      deadlineMs: config.SONG_SERVICE_TIMEOUT_MS,
      // The user's DELETE may wait for these: two quick tries within the deadline, then the saga's own backoff takes over.
      retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 200 },
    })
    const storages = new StorageServiceCatalog({
      client: storageClient,
      stubs: config.STORAGE_STUBS,
      cacheTtlMs: config.STORAGE_CACHE_TTL_MS,
      logger: logger.child({ component: 'storage-catalog' }),
    })
    app.decorate('resourceUploads', new ResourceUploads(repository, storages, objects, config.MAX_UPLOAD_BYTES, logger))
    app.decorate('resourceLibrary', new ResourceLibrary(repository, objects))
    registerDeletionSagas(app, { config, topics, objects, storages, songClient })
    app.decorate(
      'processingResults',
      new ProcessingResults(
        repository,
        storages,
        objects,
        logger.child({ component: 'processing-results' }),
        pipelineMetrics(app.metrics, app.prisma),
      ),
    )

    // Soft dependency: while a fallback answers, uploads and moves go on and the service is DEGRADED.
    app.readiness.register({
      name: 'storageService',
      critical: false,
      check: async () => {
        // Refreshes a stale answer through the breaker (no call while it is open).
        await storages.storages()
        const answer = storages.lastAnswer
        return answer?.source === 'live' ? { status: 'UP' } : { status: 'DEGRADED', details: { ...answer } }
      },
    })
  },
  { name: 'resources', dependencies: ['database', 's3', 'outbox'] },
)
