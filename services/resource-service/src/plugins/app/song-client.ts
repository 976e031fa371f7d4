import type { GuardedServiceClient } from '@soundline/platform'
import type { SongMetadata } from '../../domain/resource.js'

/**
 * The one way to the Song Service, through its breaker. The delete is
 * idempotent (DELETE /songs?id=), so it is retried briefly; with the breaker
 * open it fails at once, and the deletion saga retries it with its own
 * backoff (docs/consistency.md "The deletion saga").
 */
export class SongServiceMetadata implements SongMetadata {
  constructor(private readonly client: GuardedServiceClient) {}

  async deleteFor(resourceIds: number[]): Promise<void> {
    const response = await this.client.request('DELETE', `/songs?id=${resourceIds.join(',')}`, {}, { idempotent: true })
    await response.discard()
    if (response.status !== 200) throw new Error(`DELETE /songs answered ${response.status}`)
  }
}
