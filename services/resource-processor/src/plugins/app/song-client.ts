import {
  GuardedServiceClient,
  ServiceClient,
  createBreaker,
  registerBreakers,
  type ServiceCaller,
  type ValidationErrorBodyShape,
} from '@soundline/platform'
import fp from 'fastify-plugin'
import type { ResourceProcessorConfig } from '../../config.js'
import type { SongStore } from '../../domain/resource-processor.js'

declare module 'fastify' {
  interface FastifyInstance {
    songStore: SongStore
  }
}

/**
 * The Song Service's internal upsert (PUT /internal/songs/{id}). It is safe
 * to repeat, so it is marked idempotent: retried briefly in place. The upsert makes the record the file's own whatever was
 * there before: a 409 from POST /songs could not tell a redelivery from other
 * metadata planted under the id (docs/resilience.md "Song metadata is the file's own").
 */
export function httpSongStore(client: ServiceCaller): SongStore {
  return {
    async create(resourceId, song) {
      const response = await client.request('PUT', `/internal/songs/${resourceId}`, { json: song }, { idempotent: true })
      if (response.status === 200) {
        await response.discard()
        return { accepted: true }
      }
      if (response.status === 400) {
        const body = await response.json<Partial<ValidationErrorBodyShape>>().catch(() => ({}) as Partial<ValidationErrorBodyShape>)
        const details = Object.values(body.details ?? {})
        return { accepted: false, reason: details.length > 0 ? details.join('; ') : 'rejected by the Song Service' }
      }
      await response.discard()
      throw new Error(`song-service answered HTTP ${response.status} to PUT /internal/songs/${resourceId}`)
    },
  }
}

/** Three tries within 3 s; then the event waits on the retry topic (the breaker stops even these while it is open). */
export const SONG_RETRY = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 1_000, maxTotalMs: 3_000 }

export default fp<{ config: ResourceProcessorConfig }>(
  async (app, { config }) => {
    const breaker = createBreaker({ name: 'song-service', logger: app.log, registry: app.metrics })
    registerBreakers(app, [breaker])
    const client = new ServiceClient({ name: 'song-service', baseUrl: config.SONG_SERVICE_URL, timeoutMs: config.SONG_SERVICE_TIMEOUT_MS })
    app.decorate('songStore', httpSongStore(new GuardedServiceClient(client, breaker, SONG_RETRY)))
  },
  { name: 'song-client' },
)
