import { ServiceClient, type ValidationErrorBodyShape } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { ResourceProcessorConfig } from '../../config.js'
import type { SongStore } from '../../domain/resource-processor.js'

declare module 'fastify' {
  interface FastifyInstance {
    songStore: SongStore
  }
}

/** POST /songs and DELETE /songs of the Song Service. */
export function httpSongStore(client: ServiceClient): SongStore {
  return {
    async create(resourceId, song) {
      const response = await client.request('POST', '/songs', { json: { id: resourceId, ...song } })
      // 409: created by an earlier delivery of the same event.
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
      const response = await client.request('DELETE', `/songs?id=${resourceId}`)
      await response.discard()
      if (response.status !== 200) {
        throw new Error(`song-service answered HTTP ${response.status} to DELETE /songs for resource ${resourceId}`)
      }
    },
  }
}

export default fp<{ config: ResourceProcessorConfig }>(
  async (app, { config }) => {
    const client = new ServiceClient({ name: 'song-service', baseUrl: config.SONG_SERVICE_URL, timeoutMs: config.SONG_SERVICE_TIMEOUT_MS })
    app.decorate('songStore', httpSongStore(client))
  },
  { name: 'song-client' },
)
