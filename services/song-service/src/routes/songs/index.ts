import {
  ErrorBody,
  IdResponse,
  BadRequestBody,
  deleteByIdsSchema,
  getByIdSchema,
  parseIdCsv,
  parsePathId,
  type App,
} from '@soundline/platform'
import { Song } from '../../schemas/songs.js'

export default async function songRoutes(app: App): Promise<void> {
  app.post('', {
    schema: {
      summary: 'Create song metadata for a resource',
      tags: ['songs'],
      body: Song,
      response: { 200: IdResponse, 400: BadRequestBody, 409: ErrorBody },
    },
    handler: async (request) => app.songCatalog.create(request.body),
  })

  app.get('/:id', {
    schema: getByIdSchema({ summary: 'Get the song metadata of a resource', tag: 'songs' }, Song),
    handler: async (request) => app.songCatalog.get(parsePathId(request.params.id)),
  })

  app.delete('', {
    schema: deleteByIdsSchema({ summary: 'Delete song metadata by resource ids', tag: 'songs' }),
    handler: async (request) => app.songCatalog.delete(parseIdCsv(request.query.id)),
  })
}
