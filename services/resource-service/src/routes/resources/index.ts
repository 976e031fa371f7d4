import {
  ErrorBody,
  IdCsvQuery,
  IdParams,
  IdResponse,
  IdsResponse,
  BadRequestBody,
  documentedBody,
  getByIdSchema,
  parseIdCsv,
  parsePathId,
  type App,
} from '@soundline/platform'
import multipart from '@fastify/multipart'
import type { FastifyReply } from 'fastify'
import type { FileResponse } from '../../domain/resource-library.js'
import { MP3_CONTENT_TYPE } from '../../domain/resource-uploads.js'
import type { Resource } from '../../domain/resource.js'
import { FORM_OPTIONS, formUpload } from '../../plugins/app/form-upload.js'
import { RangeHeaders, ResourceStatus, UploadBody, UploadHeaders } from '../../schemas/resources.js'

/** The bytes, declared so that the OpenAPI document shows what GET and HEAD answer. */
function fileAnswer(description: string) {
  return { description, content: { 'audio/mpeg': { schema: { type: 'string', format: 'binary' } } } }
}

const fileResponses = {
  200: fileAnswer('The whole file (Content-Length > 0, Accept-Ranges: bytes); HEAD: the same headers, no body'),
  206: fileAnswer('One satisfiable byte range (Content-Range: bytes a-b/size); HEAD: the same headers, no body'),
  400: ErrorBody,
  404: ErrorBody,
  416: { ...ErrorBody, description: 'Unsatisfiable range; Content-Range: bytes */size' },
}

function sendFile(reply: FastifyReply, file: FileResponse): FastifyReply {
  const length = file.range ? file.range.end - file.range.start + 1 : file.size
  reply.code(file.status).headers({ 'content-type': MP3_CONTENT_TYPE, 'content-length': String(length), 'accept-ranges': 'bytes' })
  if (file.range) reply.header('content-range', `bytes ${file.range.start}-${file.range.end}/${file.size}`)
  return reply.send(file.body)
}

function toStatus(resource: Resource): ResourceStatus {
  const { id, state, storageId, bucket, key, size, sha256, failureReason } = resource
  return {
    id,
    state,
    storageId,
    bucket,
    key,
    size,
    sha256,
    failureReason,
    createdAt: resource.createdAt.toISOString(),
    updatedAt: resource.updatedAt.toISOString(),
  }
}

export default async function resourceRoutes(app: App): Promise<void> {
  // Uploads are streamed, never buffered or parsed: every content type reaches
  // the handler as the raw stream, which rejects anything but audio/mpeg;
  // multipart/form-data is read part by part, its file streamed the same way.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  await app.register(multipart, FORM_OPTIONS)

  app.post('', {
    schema: {
      summary: 'Upload an MP3 file: the request body (Content-Type: audio/mpeg), or the one file part of a multipart/form-data body',
      tags: ['resources'],
      headers: UploadHeaders,
      // 415: a Content-Type header that is not a media type at all (an empty value) is
      // refused by the framework before the upload sees it.
      response: { 200: IdResponse, 400: BadRequestBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 503: ErrorBody },
    },
    // The body is a stream, never validated as a whole; the document still shows both forms.
    config: documentedBody(UploadBody),
    handler: async (request) => {
      const idempotencyKey = request.headers['idempotency-key']
      if (request.isMultipart()) return app.resourceUploads.upload(await formUpload(request, idempotencyKey))
      const length = request.headers['content-length']
      return app.resourceUploads.upload({
        contentType: request.headers['content-type'],
        requireMp3Type: true,
        contentLength: length === undefined ? undefined : Number(length),
        idempotencyKey,
        body: request.raw,
      })
    },
  })

  // The file's two routes differ only in the body. HEAD is declared before GET, so that
  // Fastify does not derive a HEAD that would open the object.
  for (const [method, summary, withBody] of [
    ['HEAD', 'Size and type of the file, no body', false],
    ['GET', 'Download the file, or one byte range of it', true],
  ] as const) {
    app.route({
      method,
      url: '/:id',
      schema: { summary, tags: ['resources'], params: IdParams, headers: RangeHeaders, response: fileResponses },
      handler: async (request, reply) =>
        sendFile(reply, await app.resourceLibrary.file(parsePathId(request.params.id), request.headers.range, withBody)),
    })
  }

  app.get('/:id/status', {
    schema: getByIdSchema({ summary: 'Where the file is and how processing went', tag: 'resources' }, ResourceStatus),
    handler: async (request) => toStatus(await app.resourceLibrary.get(parsePathId(request.params.id))),
  })

  app.delete('', {
    schema: {
      summary: 'Delete resources, their files and their song metadata',
      description:
        'Answers the ids that existed once their deletion saga is recorded; its steps (song metadata, files, rows) run before the answer when they can, else in the background (docs/consistency.md).',
      tags: ['resources'],
      querystring: IdCsvQuery,
      response: { 200: IdsResponse, 400: ErrorBody },
    },
    handler: async (request) => app.deletionSagas.delete(parseIdCsv(request.query.id)),
  })
}
