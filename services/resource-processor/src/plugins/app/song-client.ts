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
 * POST /songs and DELETE /songs of the Song Service. Both are safe to repeat
 * — the POST carries the resource id, so a repeat answers 409 (done), and the
 * DELETE is by id — so both are marked idempotent: retried briefly in place.
 */
export function httpSongStore(client: ServiceCaller): SongStore {
  return {
    async create(resourceId, song) {
      const response = await client.request('POST', '/songs', { json: { id: resourceId, ...song } }, { idempotent: true })
      // 409: created by an earlier delivery of the same event (or an earlier attempt of this one).
      if (response.status === 200 || response.status === 409) {
        await response.discard()
        return { accepted: true }
      }
      if (response.status === 400) {
        const body = await response.json<Partial<ValidationErrorBodyShape>>().catch(() => ({}) as Partial<ValidationErrorBodyShape>)
        const details = Object.values(body.details ?? {})
        return { accepted: false, reason: details.length > 0 ? details.join('; ') : 'rejected by the Song Service' }
      }
      await response.discard()
      throw new Error(`song-service answered HTTP ${response.status} to POST /songs for resource ${resourceId}`)
    },

    async delete(resourceId) {
      const response = await client.request('DELETE', `/songs?id=${resourceId}`, {}, { idempotent: true })
      await response.discard()
      if (response.status !== 200) {
        throw new Error(`song-service answered HTTP ${response.status} to DELETE /songs for resource ${resourceId}`)
      }
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
