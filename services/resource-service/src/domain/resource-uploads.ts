import { randomUUID } from 'node:crypto'
import { Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { httpErrors, type Logger } from '@soundline/platform'
import { EmptyFileError, Mp3Inspector, NotMp3Error, TooLargeError, type InspectedFile } from './mp3-inspector.js'
import type { ResourceRepository } from './resource-repository.js'
import { objectKeyIn, type ObjectLocation, type ObjectStore, type Resource, type StorageCatalog } from './resource.js'

export const MP3_CONTENT_TYPE = 'audio/mpeg'

export interface Upload {
  /** The Content-Type header as received; undefined when absent. */
  contentType: string | undefined
  /** The Content-Length header, when the client sent one. */
  contentLength: number | undefined
  idempotencyKey: string | undefined
  body: Readable
}

/** `audio/mpeg`, in any case, with or without parameters. */
export function isMp3ContentType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === MP3_CONTENT_TYPE
}

/** docs/api.md "Resource Service specifics": the type is right, the file is missing. */
export const EMPTY_BODY_MESSAGE = 'Request body is empty: an MP3 file is required'

function invalidFormat(contentType: string | undefined) {
  return httpErrors.badRequest(`Invalid file format: ${contentType ?? '(none)'}. Only MP3 files are allowed`)
}

/**
 * Uploads: the bytes stream through an MP3 check straight into the STAGING
 * storage, then the row and its resource.uploaded event commit together.
 * Nothing stays behind for a rejected upload.
 */
export class ResourceUploads {
  constructor(
    private readonly resources: ResourceRepository,
    private readonly storages: StorageCatalog,
    private readonly objects: ObjectStore,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {}

  async upload(upload: Upload): Promise<{ id: number }> {
    if (!isMp3ContentType(upload.contentType)) throw invalidFormat(upload.contentType)
    if (upload.contentLength !== undefined && upload.contentLength > this.maxBytes) throw this.tooLarge()
    if (upload.contentLength === 0) throw httpErrors.badRequest(EMPTY_BODY_MESSAGE)
    const previous = upload.idempotencyKey ? await this.resources.findByIdempotencyKey(upload.idempotencyKey) : null
    if (previous) {
      // A retry: check the bytes but store nothing.
      const file = await this.inspect(upload, new Writable({ write: (_chunk, _encoding, done) => done() }))
      return this.sameUpload(previous, file)
    }

    const staging = await this.storages.stagingStorage()
    const location = { bucket: staging.bucket, key: objectKeyIn(staging, `${randomUUID()}.mp3`) }
    const file = await this.inspect(upload, undefined, location)
    let saved: Awaited<ReturnType<ResourceRepository['createStaged']>>
    try {
      saved = await this.resources.createStaged({
        ...location,
        storageId: staging.id,
        ...file,
        idempotencyKey: upload.idempotencyKey ?? null,
      })
    } catch (error) {
      // No row, so no object either: a failed insert must not leave an orphan in staging.
      await this.discard(location)
      throw error
    }
    if ('created' in saved) return { id: saved.created.id }
    // A concurrent upload with the same key won the insert: ours is the duplicate.
    await this.discard(location)
    return this.sameUpload(saved.existing, file)
  }

  /** Streams the body through the MP3 check into `sink`, or into the object at `location`. */
  private async inspect(upload: Upload, sink: Writable | undefined, location?: ObjectLocation): Promise<InspectedFile> {
    const inspector = new Mp3Inspector(this.maxBytes)
    // pipe(), not pipeline(): a rejected upload must not destroy the request,
    // or the client would never read the 400.
    upload.body.on('error', (error) => inspector.destroy(error))
    upload.body.pipe(inspector)
    try {
      if (sink) await pipeline(inspector, sink)
      else if (location) await this.objects.upload(location, inspector)
    } catch (error) {
      if (location) await this.discard(location)
      if (error instanceof EmptyFileError) throw httpErrors.badRequest(EMPTY_BODY_MESSAGE)
      if (error instanceof NotMp3Error) throw invalidFormat(upload.contentType)
      if (error instanceof TooLargeError) throw this.tooLarge()
      throw error
    }
    if (!inspector.result) throw new Error('the MP3 check ended without a result')
    return inspector.result
  }

  private sameUpload(previous: Resource, file: InspectedFile): { id: number } {
    if (previous.sha256 !== file.sha256) {
      throw httpErrors.conflict(`Idempotency-Key '${previous.idempotencyKey ?? ''}' was already used for a different file`)
    }
    return { id: previous.id }
  }

  private async discard(location: ObjectLocation): Promise<void> {
    try {
      await this.objects.delete(location)
    } catch (error) {
      this.logger.warn({ err: error, ...location }, 'could not delete the object of a rejected upload')
    }
  }

  private tooLarge() {
    return httpErrors.payloadTooLarge(`File is too large: the limit is ${this.maxBytes} bytes`)
  }
}
