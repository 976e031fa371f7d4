import type { NewResource, ObjectLocation, Resource } from './resource.js'

/** What a delete reports: the rows removed, with where their objects were. */
export type DeletedResource = Pick<Resource, 'id' | 'bucket' | 'key' | 'staging'>

/**
 * Where resources are kept. Every method that changes a resource also writes
 * the event announcing it to the outbox, in the same transaction, and every
 * method that takes an `eventId` records it as processed in that transaction.
 */
export interface ResourceRepository {
  /**
   * Inserts a STAGING resource with its resource.uploaded event. When its
   * idempotency key is taken, inserts nothing and returns the holder.
   */
  createStaged(resource: NewResource): Promise<{ created: Resource } | { existing: Resource }>
  findById(id: number): Promise<Resource | null>
  findByIds(ids: number[]): Promise<Resource[]>
  findByIdempotencyKey(key: string): Promise<Resource | null>
  /** Deletes the existing ids with a resource.deleted event each; returns the rows deleted. */
  deleteByIds(ids: number[]): Promise<DeletedResource[]>

  isProcessed(eventId: string): Promise<boolean>
  recordProcessed(eventId: string): Promise<void>
  /** False when the resource no longer exists (nothing is written then). */
  markPermanent(id: number, storageId: number, location: ObjectLocation, eventId: string): Promise<boolean>
  markFailed(id: number, reason: string, eventId: string): Promise<boolean>
  /** For a resource that no longer exists: announce resource.deleted (again). */
  announceDeleted(id: number, eventId: string): Promise<void>
}
