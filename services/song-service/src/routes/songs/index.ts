import {
  ErrorBody,
  IdCsvQuery,
  IdParams,
  IdResponse,
  IdsResponse,
  BadRequestBody,
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
    schema: {
      summary: 'Get the song metadata of a resource',
      tags: ['songs'],
      params: IdParams,
      response: { 200: Song, 400: ErrorBody, 404: ErrorBody },
    },
    handler: async (request) => app.songCatalog.get(parsePathId(request.params.id)),
  })

  app.delete('', {
    schema: {
      summary: 'Delete song metadata by resource ids',
      tags: ['songs'],
      querystring: IdCsvQuery,
      response: { 200: IdsResponse, 400: ErrorBody },
    },
    handler: async (request) => app.songCatalog.delete(parseIdCsv(request.query.id)),
  })
}
