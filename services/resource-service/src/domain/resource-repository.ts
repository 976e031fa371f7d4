import type { NewResource, ObjectLocation, Resource } from './resource.js'

/**
 * Where resources are kept. Every method that changes a resource also writes
 * the event announcing it to the outbox, in the same transaction, and every
 * method that takes an `eventId` records it as processed in that transaction.
 * A resource being deleted (DELETING, docs/consistency.md) is not found by any
 * read and not changed by any write here: for users it is gone.
 */
export interface ResourceRepository {
  /**
   * Inserts a STAGING resource with its resource.uploaded event. When its
   * idempotency key is taken, inserts nothing and returns the holder.
   */
  createStaged(resource: NewResource): Promise<{ created: Resource } | { existing: Resource }>
  findById(id: number): Promise<Resource | null>
  findByIdempotencyKey(key: string): Promise<Resource | null>

  isProcessed(eventId: string): Promise<boolean>
  recordProcessed(eventId: string): Promise<void>
  /** False when the resource no longer exists (nothing is written then). */
  markPermanent(id: number, storageId: number, location: ObjectLocation, eventId: string): Promise<boolean>
  markFailed(id: number, reason: string, eventId: string): Promise<boolean>
  /**
   * For a resource deleted (or being deleted) while it was processed: the
   * processor may just have written its song, after the deletion saga removed
   * songs. A deletion saga of its own removes it again (idempotent).
   */
  scheduleSongCleanup(id: number, eventId: string): Promise<void>
}
