import type { Readable } from 'node:stream'
import { parseRange } from './byte-range.js'
import { RangeNotSatisfiable, ResourceNotFound } from './errors.js'
import type { ResourceRepository } from './resource-repository.js'
import type { ByteRange, ObjectStore, Resource } from './resource.js'

export interface FileResponse {
  status: 200 | 206
  size: number
  /** Set for 206. */
  range?: ByteRange
  /** Undefined for HEAD. */
  body?: Readable
}

/** Reading resources; deleting them is the deletion saga's (deletion-saga.ts). */
export class ResourceLibrary {
  constructor(
    private readonly resources: ResourceRepository,
    private readonly objects: ObjectStore,
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
}
