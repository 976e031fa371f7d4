import type { Readable } from 'node:stream'
import type { Logger } from '@soundline/platform'
import { parseRange } from './byte-range.js'
import { RangeNotSatisfiable, ResourceNotFound } from './errors.js'
import type { DeletedResource, ResourceRepository } from './resource-repository.js'
import { sameLocation, type ByteRange, type ObjectLocation, type ObjectStore, type Resource, type SongMetadata } from './resource.js'

export interface FileResponse {
  status: 200 | 206
  size: number
  /** Set for 206. */
  range?: ByteRange
  /** Undefined for HEAD. */
  body?: Readable
}

/** Reading and deleting resources. */
export class ResourceLibrary {
  constructor(
    private readonly resources: ResourceRepository,
    private readonly objects: ObjectStore,
    private readonly songs: SongMetadata,
    private readonly logger: Logger,
  ) {}

  async get(id: number): Promise<Resource> {
    const resource = await this.resources.findById(id)
    if (!resource) throw new ResourceNotFound(id)
    return resource
  }

  /** The file, or a byte range of it; `withBody: false` for HEAD. */
  async file(id: number, rangeHeader: string | undefined, withBody: boolean): Promise<FileResponse> {
    let resource = await this.get(id)
    const request = parseRange(rangeHeader, resource.size)
    if (request.kind === 'unsatisfiable') {
      throw new RangeNotSatisfiable(rangeHeader ?? '', resource.size)
    }
    const range = request.kind === 'range' ? request.range : undefined
    const answer: FileResponse = { status: range ? 206 : 200, size: resource.size, ...(range ? { range } : {}) }
    if (!withBody) return answer
    let body = await this.objects.download(resource, range)
    if (!body) {
      // The file moved to PERMANENT between reading the row and opening the object: read the row again.
      resource = await this.get(id)
      body = await this.objects.download(resource, range)
    }
    if (!body) throw new Error(`the object of resource ${id} is missing: ${resource.bucket}/${resource.key}`)
    return { ...answer, body }
  }

  /**
   * Objects first (a failure leaves everything in place for a retry), then
   * the rows with their resource.deleted events, then the song metadata, best
   * effort: when the Song Service is down, the processor deletes it on the event.
   */
  async delete(ids: number[]): Promise<{ ids: number[] }> {
    const deletedObjects: ObjectLocation[] = []
    for (const resource of await this.resources.findByIds(ids)) {
      for (const location of locationsOf(resource)) {
        await this.objects.delete(location)
        deletedObjects.push(location)
      }
    }
    const deleted = await this.resources.deleteByIds(ids)
    // A move that committed meanwhile put the file somewhere we did not delete.
    for (const location of deleted.flatMap(locationsOf)) {
      if (deletedObjects.some((done) => sameLocation(done, location))) continue
      await this.objects
        .delete(location)
        .catch((error: unknown) => this.logger.warn({ err: error, ...location }, 'could not delete a moved object'))
    }
    const deletedIds = deleted.map((resource) => resource.id).sort((a, b) => a - b)
    if (deletedIds.length > 0) {
      await this.songs.deleteFor(deletedIds).catch((error: unknown) => {
        this.logger.warn({ err: error, ids: deletedIds }, 'song metadata not deleted now; the resource.deleted events will have it deleted')
      })
    }
    return { ids: deletedIds }
  }
}

function locationsOf(resource: DeletedResource): ObjectLocation[] {
  const current = { bucket: resource.bucket, key: resource.key }
  return sameLocation(current, resource.staging) ? [current] : [current, resource.staging]
}
