import { ErrorBody, IdResponse, BadRequestBody, deleteByIdsSchema, parseIdCsv, type App } from '@soundline/platform'
import { NewStorage, StorageList, StorageQuery } from '../../schemas/storages.js'

export default async function storageRoutes(app: App): Promise<void> {
  app.post('', {
    schema: {
      summary: 'Create a storage (and its bucket)',
      tags: ['storages'],
      body: NewStorage,
      response: { 200: IdResponse, 400: BadRequestBody, 503: ErrorBody },
    },
    handler: async (request) => app.storageRegistry.create(request.body),
  })

  app.get('', {
    schema: {
      summary: 'List storages, lowest id first',
      tags: ['storages'],
      querystring: StorageQuery,
      response: { 200: StorageList, 400: BadRequestBody },
    },
    handler: async (request) => app.storageRegistry.list(request.query.type),
  })

  app.delete('', {
    schema: deleteByIdsSchema({ summary: 'Delete storages by ids', tag: 'storages' }),
    handler: async (request) => app.storageRegistry.delete(parseIdCsv(request.query.id)),
  })
}
