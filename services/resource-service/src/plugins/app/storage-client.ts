import { httpErrors, UnavailableError, type ServiceClient } from '@soundline/platform'
import type { Storage, StorageCatalog } from '../../domain/resource.js'

const RETRY_AFTER_SECONDS = 5

/**
 * The one way to the Storage Service (`GET /storages?type=…`, lowest id
 * wins). Timeouts, and later the circuit breaker and the fallback, live here.
 */
export class StorageServiceCatalog implements StorageCatalog {
  constructor(private readonly client: ServiceClient) {}

  stagingStorage(): Promise<Storage> {
    return this.first('STAGING')
  }

  permanentStorage(): Promise<Storage> {
    return this.first('PERMANENT')
  }

  private async first(type: Storage['storageType']): Promise<Storage> {
    let storages: Storage[]
    try {
      const response = await this.client.request('GET', `/storages?type=${type}`)
      if (response.status !== 200) {
        await response.discard()
        throw new UnavailableError(this.client.options.name, `GET /storages answered ${response.status}`)
      }
      storages = await response.json<Storage[]>()
    } catch (error) {
      if (!(error instanceof UnavailableError)) throw error
      throw httpErrors.serviceUnavailable('Storage Service is unavailable', RETRY_AFTER_SECONDS)
    }
    const [lowest] = storages.filter((storage) => storage.storageType === type).sort((a, b) => a.id - b.id)
    if (!lowest) throw httpErrors.serviceUnavailable(`No ${type} storage is configured`, RETRY_AFTER_SECONDS)
    return lowest
  }
}
