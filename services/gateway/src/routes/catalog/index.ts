import {
  pathOf,
  RESOURCE_SERVICE_OPERATIONS,
  ResourceServiceClient,
  SONG_SERVICE_OPERATIONS,
  SongServiceClient,
} from '@soundline/contracts'
import { ErrorBody, IdParams, parsePathId, type App } from '@soundline/platform'
import { catalogEntry } from '../../domain/catalog.js'
import { CatalogEntry } from '../../schemas/catalog.js'

export default async function catalogRoutes(app: App): Promise<void> {
  app.get('/:id', {
    schema: {
      summary: 'Song metadata and resource status of one resource',
      description: 'With one of the two services down: 200 with the part that answered, the other named in "degraded".',
      tags: ['catalog'],
      params: IdParams,
      response: { 200: CatalogEntry, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
    },
    config: { gatewayAccess: 'user' },
    handler: async (request) => {
      const id = parsePathId(request.params.id)
      return catalogEntry(id, {
        song: (songId) =>
          app.gatewayProxy.part(request, 'song', pathOf(SONG_SERVICE_OPERATIONS.get, { id: songId }), (caller) =>
            new SongServiceClient(caller).get(songId),
          ),
        resource: (resourceId) =>
          app.gatewayProxy.part(request, 'resource', pathOf(RESOURCE_SERVICE_OPERATIONS.status, { id: resourceId }), (caller) =>
            new ResourceServiceClient(caller).status(resourceId),
          ),
      })
    },
  })
}
