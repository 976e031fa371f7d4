import type { ServiceClient } from '@soundline/platform'
import type { SongMetadata } from '../../domain/resource.js'

/** The one way to the Song Service. */
export class SongServiceMetadata implements SongMetadata {
  constructor(private readonly client: ServiceClient) {}

  async deleteFor(resourceIds: number[]): Promise<void> {
    const response = await this.client.request('DELETE', `/songs?id=${resourceIds.join(',')}`)
    await response.discard()
    if (response.status !== 200) throw new Error(`DELETE /songs answered ${response.status}`)
  }
}
