import { SongServiceClient } from '@soundline/contracts'
import type { ServiceCaller } from '@soundline/platform'
import type { SongMetadata } from '../../domain/resource.js'

/**
 * The one way to the Song Service, through its contract client and breaker. The
 * delete is idempotent (DELETE /songs?id=), so it is retried briefly; with the
 * breaker open it fails at once, and the deletion saga retries it with its own
 * backoff (docs/consistency.md "The deletion saga").
 */
export function songServiceMetadata(caller: ServiceCaller): SongMetadata {
  const songs = new SongServiceClient(caller)
  return {
    async deleteFor(resourceIds) {
      await songs.delete(resourceIds)
    },
  }
}
