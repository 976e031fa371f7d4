import { SongServiceClient } from '@soundline/contracts'
import { registerServiceClient, type CallRetry, type ServiceCaller } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { ResourceProcessorConfig } from '../../config.js'
import type { SongStore } from '../../domain/resource-processor.js'

declare module 'fastify' {
  interface FastifyInstance {
    songStore: SongStore
  }
}

/**
 * The Song Service's internal upsert (PUT /internal/songs/{id}), through its
 * contract client. It is safe to repeat, so it is retried briefly in place. The
 * upsert makes the record the file's own whatever was there before: a 409 from
 * POST /songs could not tell a redelivery from other
 * metadata planted under the id (docs/resilience.md "Song metadata is the file's own").
 */
export function httpSongStore(caller: ServiceCaller): SongStore {
  const songs = new SongServiceClient(caller)
  return {
    create: (resourceId, song) => songs.record(resourceId, song),
  }
}

/** Three tries within the call's deadline (SONG_SERVICE_TIMEOUT_MS); then the event waits on the retry topic. */
export const SONG_RETRY: CallRetry = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 1_000 }

export default fp<{ config: ResourceProcessorConfig }>(
  async (app, { config }) => {
    const client = registerServiceClient(app, {
      name: 'song-service',
      baseUrl: config.SONG_SERVICE_URL,
      deadlineMs: config.SONG_SERVICE_TIMEOUT_MS,
      retry: SONG_RETRY,
    })
    app.decorate('songStore', httpSongStore(client))
  },
  { name: 'song-client' },
)
