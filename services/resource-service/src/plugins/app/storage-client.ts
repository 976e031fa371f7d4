import { StorageServiceClient } from '@soundline/contracts'
import { httpErrors, type GuardedServiceClient, type Logger } from '@soundline/platform'
import type { Storage, StorageCatalog } from '../../domain/resource.js'

const RETRY_AFTER_SECONDS = 5

/** Where the storages of the last lookup came from: the Storage Service (or its fresh answer), or a fallback. */
export type StorageSource = 'live' | 'cache' | 'stub'

export interface StorageCatalogOptions {
  /** Its deadline bounds how long an upload waits for a hanging Storage Service; its breaker counts the fallbacks. */
  client: GuardedServiceClient
  /** The answer when the Storage Service has never answered since start. */
  stubs: Storage[]
  /** A good answer younger than this is used without calling; 0 calls every time. */
  cacheTtlMs: number
  logger: Logger
  /** Milliseconds; for tests. */
  clock?: () => number
}

/**
 * The one way to the Storage Service: `GET /storages` (all types; for each
 * type the lowest id wins) through its contract client, cached for `cacheTtlMs`. When
 * the call fails or the breaker is open, the answer comes from the last good
 * one, else from the stubs: uploads and moves go on while the service is down
 * or hanging, waiting at most the call's deadline, and not at all once the
 * breaker is open.
 */
export class StorageServiceCatalog implements StorageCatalog {
  private cached: { storages: Storage[]; at: number } | undefined
  private inFlight: Promise<Storage[]> | undefined
  private source: StorageSource | undefined
  private failure: string | undefined
  private readonly clock: () => number

  private readonly client: StorageServiceClient

  constructor(private readonly options: StorageCatalogOptions) {
    this.clock = options.clock ?? Date.now
    this.client = new StorageServiceClient(options.client)
  }

  stagingStorage(): Promise<Storage> {
    return this.first('STAGING')
  }

  permanentStorage(): Promise<Storage> {
    return this.first('PERMANENT')
  }

  /** Where the last answer came from, and why when it was a fallback; undefined before the first lookup. */
  get lastAnswer(): { source: StorageSource; error?: string } | undefined {
    return this.source && { source: this.source, ...(this.failure ? { error: this.failure } : {}) }
  }

  /** Every storage; never rejects. Concurrent lookups share one call. */
  async storages(): Promise<Storage[]> {
    if (this.cached && this.clock() - this.cached.at < this.options.cacheTtlMs) return this.cached.storages
    this.inFlight ??= this.lookUp().finally(() => {
      this.inFlight = undefined
    })
    return this.inFlight
  }

  private async first(type: Storage['storageType']): Promise<Storage> {
    const [lowest] = (await this.storages()).filter((storage) => storage.storageType === type).sort((a, b) => a.id - b.id)
    if (!lowest) throw httpErrors.serviceUnavailable(`No ${type} storage is configured`, RETRY_AFTER_SECONDS)
    return lowest
  }

  private async lookUp(): Promise<Storage[]> {
    try {
      // A garbled answer (outside the contract's schema) throws too, and falls back like a failed call.
      const storages = await this.client.list()
      this.cached = { storages, at: this.clock() }
      if (this.source && this.source !== 'live') this.options.logger.info('Storage Service answers again; fallback over')
      this.source = 'live'
      this.failure = undefined
      return storages
    } catch (error) {
      // Whatever went wrong, uploads go on: docs/architecture.md, "Resilience semantics".
      return this.fallback(error)
    }
  }

  private fallback(error: unknown): Storage[] {
    const source = this.cached ? 'cache' : 'stub'
    this.options.client.breaker.recordFallback(source)
    // One line per switch, not per upload.
    if (this.source !== source)
      this.options.logger.warn({ err: error, source }, `Storage Service unavailable: storages come from the ${source}`)
    this.source = source
    this.failure = error instanceof Error ? error.message : String(error)
    return this.cached?.storages ?? this.options.stubs
  }
}
