import { randomUUID } from 'node:crypto'
import { Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Logger } from '@soundline/platform'
import { EmptyUpload, IdempotencyKeyReused, NotMp3Upload, UploadTooLarge } from './errors.js'
import { Mp3Inspector, NotMp3Error, type InspectedFile } from './mp3-inspector.js'
import type { ResourceRepository } from './resource-repository.js'
import { objectKeyIn, type ObjectLocation, type ObjectStore, type Resource, type StorageCatalog } from './resource.js'

export const MP3_CONTENT_TYPE = 'audio/mpeg'

export interface Upload {
  /** The type the client declared for the file (a raw body's Content-Type, a form's file part type); undefined when absent. */
  contentType: string | undefined
  /**
   * Whether `contentType` must be audio/mpeg. A form's part type is the
   * client's guess from the file name (curl has none for .mp3 and sends
   * application/octet-stream), so there the bytes alone decide.
   */
  requireMp3Type: boolean
  /** The file's length when the client declared it (a raw body's Content-Length). */
  contentLength: number | undefined
  idempotencyKey: string | undefined
  body: Readable
  /**
   * Awaited once `body` has ended, before anything is committed: rejects when
   * what follows the file refuses the upload (a form's second file).
   */
  rest?: () => Promise<void>
}

/** `audio/mpeg`, in any case, with or without parameters. */
export function isMp3ContentType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === MP3_CONTENT_TYPE
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
    if (upload.requireMp3Type && !isMp3ContentType(upload.contentType)) throw new NotMp3Upload(upload.contentType)
    if (upload.contentLength !== undefined && upload.contentLength > this.maxBytes) throw new UploadTooLarge(this.maxBytes)
    if (upload.contentLength === 0) throw new EmptyUpload()
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

  /** Streams the body through the MP3 check into `sink`, or into the object at `location`; then awaits the rest of the request. */
  private async inspect(upload: Upload, sink: Writable | undefined, location?: ObjectLocation): Promise<InspectedFile> {
    const inspector = new Mp3Inspector(this.maxBytes)
    // pipe(), not pipeline(): a rejected upload must not destroy the request,
    // or the client would never read the 400.
    upload.body.on('error', (error) => inspector.destroy(error))
    // A body can fail before the upload reads it (a form cut off while the storage was being chosen).
    if (upload.body.errored) inspector.destroy(upload.body.errored)
    upload.body.pipe(inspector)
    try {
      if (sink) await pipeline(inspector, sink)
      else if (location) await this.objects.upload(location, inspector, upload.contentLength)
      await upload.rest?.()
    } catch (error) {
      if (location) await this.discard(location)
      if (error instanceof NotMp3Error) throw new NotMp3Upload(upload.contentType)
      throw error
    }
    if (!inspector.result) throw new Error('the MP3 check ended without a result')
    return inspector.result
  }

  private sameUpload(previous: Resource, file: InspectedFile): { id: number } {
    if (previous.sha256 !== file.sha256) {
      throw new IdempotencyKeyReused(previous.idempotencyKey ?? '')
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
}
