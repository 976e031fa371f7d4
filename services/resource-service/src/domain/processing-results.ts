import type { ResourceProcessed } from '@soundline/contracts'
import type { Logger } from '@soundline/platform'
import type { ResourceRepository } from './resource-repository.js'
import {
  fileNameOf,
  objectKeyIn,
  sameLocation,
  type ObjectLocation,
  type ObjectStore,
  type Resource,
  type StorageCatalog,
} from './resource.js'

export const MISSING_FILE_REASON = 'The uploaded file is missing from the staging storage'

/**
 * Applies resource.processed events. Delivery is at-least-once, so every
 * step is idempotent and the order of steps keeps the row pointing at an
 * object that exists:
 *
 *   1. copy staging → permanent (skipped when the copy is already there with the right size)
 *   2. check the copy's size
 *   3. commit the row as PERMANENT together with the eventId
 *   4. delete the staging object
 *
 * A crash before 3 leaves the row in STAGING and at most a spare copy that
 * the redelivery reuses; a crash between 3 and 4 leaves a staging object that
 * the redelivery deletes (for a PERMANENT row step 4 runs even for an event
 * already recorded). The staging location stays on the row for exactly that.
 */
export class ProcessingResults {
  constructor(
    private readonly resources: ResourceRepository,
    private readonly storages: StorageCatalog,
    private readonly objects: ObjectStore,
    private readonly logger: Logger,
    private readonly observer: { movedToPermanent(resource: Resource): void } = { movedToPermanent: () => undefined },
  ) {}

  async apply(event: ResourceProcessed): Promise<void> {
    const { eventId, resourceId } = event
    const resource = await this.resources.findById(resourceId)
    if (!resource) {
      // Deleted meanwhile: the processor may just have created its metadata; have it deleted again.
      if (!(await this.resources.isProcessed(eventId))) await this.resources.scheduleSongCleanup(resourceId, eventId)
      return
    }
    if (await this.resources.isProcessed(eventId)) {
      await this.deleteStagingCopy(resource)
      return
    }
    if (event.status === 'FAILED') return this.fail(resource, event.reason ?? 'Processing failed', eventId)
    if (resource.state !== 'PERMANENT') {
      const moved = await this.moveToPermanent(resource, eventId)
      if (!moved) return
      this.observer.movedToPermanent(resource)
    } else {
      await this.resources.recordProcessed(eventId)
    }
    await this.deleteStagingCopy((await this.resources.findById(resourceId)) ?? resource)
  }

  private async fail(resource: Resource, reason: string, eventId: string): Promise<void> {
    if (resource.state === 'PERMANENT') {
      // A late failure report for a file that was already moved: the move stands.
      this.logger.warn({ resourceId: resource.id, eventId, reason }, 'ignoring FAILED for a PERMANENT resource')
      await this.resources.recordProcessed(eventId)
      return
    }
    if (!(await this.resources.markFailed(resource.id, reason, eventId))) await this.resources.scheduleSongCleanup(resource.id, eventId)
  }

  /** Steps 1-3; false when the resource is gone or its file is lost. */
  private async moveToPermanent(resource: Resource, eventId: string): Promise<boolean> {
    const permanent = await this.storages.permanentStorage()
    const target = { bucket: permanent.bucket, key: objectKeyIn(permanent, fileNameOf(resource.staging.key)) }
    if (!sameLocation(target, resource.staging) && (await this.objects.sizeOf(target)) !== resource.size) {
      if ((await this.objects.sizeOf(resource.staging)) === undefined) {
        this.logger.error({ resourceId: resource.id, ...resource.staging }, 'staging object missing: marking the resource FAILED')
        await this.fail(resource, MISSING_FILE_REASON, eventId)
        return false
      }
      await this.objects.copy(resource.staging, target)
      const copied = await this.objects.sizeOf(target)
      if (copied !== resource.size) throw new Error(`copy of resource ${resource.id} has ${copied} bytes, expected ${resource.size}`)
    }
    if (await this.resources.markPermanent(resource.id, permanent.id, target, eventId)) return true
    // Deleted while we copied: the copy is an orphan.
    await this.objects.delete(target)
    await this.resources.scheduleSongCleanup(resource.id, eventId)
    return false
  }

  /** Step 4. */
  private async deleteStagingCopy(resource: Resource): Promise<void> {
    const current: ObjectLocation = { bucket: resource.bucket, key: resource.key }
    if (resource.state === 'PERMANENT' && !sameLocation(current, resource.staging)) await this.objects.delete(resource.staging)
  }
}
