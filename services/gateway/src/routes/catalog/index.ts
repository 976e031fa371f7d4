import { ErrorBody, IdParams, parsePathId, type App } from '@soundline/platform'
import { catalogEntry } from '../../domain/catalog.js'
import { CatalogEntry } from '../../schemas/catalog.js'

type Json = Record<string, unknown>

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
      return catalogEntry<Json, Json>(id, {
        song: (songId) => app.gatewayProxy.part<Json>(request, 'song', `/songs/${songId}`),
        resource: (resourceId) => app.gatewayProxy.part<Json>(request, 'resource', `/resources/${resourceId}/status`),
      })
    },
  })
}
