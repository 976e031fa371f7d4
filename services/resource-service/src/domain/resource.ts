import type { Readable } from 'node:stream'

/** What the service knows about one uploaded file. */

/** The states users see; a row being deleted (DELETING) is never read as a Resource. */
export type ResourceState = 'STAGING' | 'PERMANENT' | 'FAILED'

export interface ObjectLocation {
  bucket: string
  key: string
}

export interface Resource extends ObjectLocation {
  id: number
  state: ResourceState
  /** The storage the file is in now. */
  storageId: number
  /** Where the upload landed; unchanged after the move to PERMANENT. */
  staging: ObjectLocation
  size: number
  sha256: string
  failureReason: string | null
  idempotencyKey: string | null
  createdAt: Date
  updatedAt: Date
}

export interface NewResource extends ObjectLocation {
  storageId: number
  size: number
  sha256: string
  idempotencyKey: string | null
}

/** A storage as the Storage Service lists it. */
export interface Storage {
  id: number
  storageType: 'STAGING' | 'PERMANENT'
  bucket: string
  path: string
}

/** Where storages come from; the Storage Service client implements it (one adapter, one place for breaker and fallback). */
export interface StorageCatalog {
  stagingStorage(): Promise<Storage>
  permanentStorage(): Promise<Storage>
}

/** `/staging` + `a.mp3` → `staging/a.mp3`; `/` + `a.mp3` → `a.mp3`. */
export function objectKeyIn(storage: Storage, fileName: string): string {
  const prefix = storage.path.replace(/^\/+|\/+$/g, '')
  return prefix === '' ? fileName : `${prefix}/${fileName}`
}

export function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1)
}

export function sameLocation(a: ObjectLocation, b: ObjectLocation): boolean {
  return a.bucket === b.bucket && a.key === b.key
}

export interface ByteRange {
  start: number
  /** Inclusive. */
  end: number
}

/** The objects; the S3 adapter implements it. Deletes are idempotent. */
export interface ObjectStore {
  /**
   * Streams the body to the object; rethrows the body's own error when the
   * body fails. `length`, when the client declared it, lets the adapter send
   * one request instead of buffering parts (docs/performance.md).
   */
  upload(location: ObjectLocation, body: Readable, length?: number): Promise<void>
  /** The object's bytes, or undefined when it does not exist. */
  download(location: ObjectLocation, range?: ByteRange): Promise<Readable | undefined>
  /** The object's size, or undefined when it does not exist. */
  sizeOf(location: ObjectLocation): Promise<number | undefined>
  copy(from: ObjectLocation, to: ObjectLocation): Promise<void>
  delete(location: ObjectLocation): Promise<void>
}

/** Song metadata of resources; the Song Service client implements it. */
export interface SongMetadata {
  /** Idempotent: ids without a song are fine. Throws when the Song Service cannot confirm. */
  deleteFor(resourceIds: number[]): Promise<void>
}
