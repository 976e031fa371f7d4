import { IdParams, IdResponse, BadRequestBody, parsePathId, type App } from '@soundline/platform'
import { SongFields } from '../../schemas/songs.js'

/**
 * Service-to-service writes, outside the public contract: the gateway proxies
 * only the public prefixes (/songs, /resources, /storages, /auth, /catalog), so
 * no client reaches these (docs/resilience.md "Song metadata is the file's own").
 */
export default async function internalRoutes(app: App): Promise<void> {
  app.put('/songs/:id', {
    schema: {
      summary:
        'Record the song metadata of a resource as read from its file (internal: the Resource Processor; not proxied by the gateway)',
      description:
        "Idempotent upsert: creates the record, or replaces one that differs. The metadata of a resource is always its own file's, even when other metadata was created first under its id.",
      tags: ['internal'],
      params: IdParams,
      body: SongFields,
      response: { 200: IdResponse, 400: BadRequestBody },
    },
    handler: async (request) => app.songCatalog.put({ id: parsePathId(request.params.id), ...request.body }),
  })
}
