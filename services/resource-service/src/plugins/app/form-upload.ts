import type { Multipart, MultipartFile } from '@fastify/multipart'
import { httpErrors, type HttpError } from '@soundline/platform'
import type { FastifyRequest } from 'fastify'
import { PassThrough } from 'node:stream'
import type { Upload } from '../../domain/resource-uploads.js'
import { ClientClosedUploadError, isClientAbort } from './object-store.js'

/** Text fields a form may send beside its file: ignored, but each is held in memory while the form is read. */
export const MAX_FORM_FIELDS = 20
const MAX_FIELD_BYTES = 16 * 1024

/** @fastify/multipart's options: the file is never cut (the upload counts its bytes against MAX_UPLOAD_BYTES). */
export const FORM_OPTIONS = {
  throwFileSizeLimit: false,
  limits: { fileSize: Number.POSITIVE_INFINITY, fields: MAX_FORM_FIELDS, fieldSize: MAX_FIELD_BYTES },
}

export const FORM_MESSAGES = {
  noFile: 'Multipart body has no file part: an MP3 file is required',
  secondFile: 'Multipart body has more than one file part: upload one MP3 file per request',
  tooManyFields: `Multipart body has too many fields: the limit is ${MAX_FORM_FIELDS}`,
  malformed: 'Malformed multipart/form-data body',
}

/** What the form parser's failures answer; a client that went away gets no answer anyone reads. */
function formError(error: unknown): unknown {
  if (isClientAbort(error)) return error
  if ((error as { code?: string } | null)?.code === 'FST_FIELDS_LIMIT') return httpErrors.payloadTooLarge(FORM_MESSAGES.tooManyFields)
  return httpErrors.badRequest(FORM_MESSAGES.malformed)
}

async function nextFile(parts: AsyncIterator<Multipart>): Promise<MultipartFile | undefined> {
  try {
    for (;;) {
      const part = await parts.next()
      if (part.done) return undefined
      if (part.value.type === 'file') return part.value
    }
  } catch (error) {
    const answer = formError(error)
    throw answer === error ? new ClientClosedUploadError() : (answer as HttpError)
  }
}

/**
 * The one file of a multipart/form-data upload as the domain's Upload: its
 * bytes stream through as a raw body's do (nothing is buffered). Text fields
 * are ignored; no file part, a second one or a malformed body is refused.
 * A part is a file when it has a file name (as browsers and `curl -F
 * file=@song.mp3` send it) or the type application/octet-stream.
 */
export async function formUpload(request: FastifyRequest, idempotencyKey: string | undefined): Promise<Upload> {
  const parts = request.parts()
  const file = await nextFile(parts)
  if (!file) throw httpErrors.badRequest(FORM_MESSAGES.noFile)
  // The parser's failures inside the file (a body cut short) reach the upload in the contract's form.
  const body = new PassThrough()
  // Until the upload reads the body (after choosing the storage) its failure waits in `body.errored`.
  body.on('error', () => undefined)
  file.file.on('error', (error) => body.destroy(formError(error) as Error))
  file.file.pipe(body)
  return {
    contentType: file.mimetype,
    requireMp3Type: false,
    contentLength: undefined,
    idempotencyKey,
    body,
    rest: async () => {
      if (await nextFile(parts)) throw httpErrors.badRequest(FORM_MESSAGES.secondFile)
    },
  }
}
