import type { NewStorage, Storage, StorageType } from '../schemas/storages.js'

/** The storages every installation has, created at start when missing. */
export const DEFAULT_STORAGES: readonly NewStorage[] = [
  { storageType: 'STAGING', bucket: 'resources-staging', path: '/staging' },
  { storageType: 'PERMANENT', bucket: 'resources-permanent', path: '/permanent' },
]

export interface StorageRepository {
  create(storage: NewStorage): Promise<number>
  /** Ordered by id: when several storages share a type, the lowest id is the one used. */
  list(type?: StorageType): Promise<Storage[]>
  deleteByIds(ids: number[]): Promise<number[]>
  /** Inserts each default whose type has no storage yet; safe when replicas race. */
  ensureDefaults(defaults: readonly NewStorage[]): Promise<Storage[]>
}

export interface Buckets {
  ensure(bucket: string): Promise<void>
}

/** The Storage Service's rules: every storage has a bucket; each type has at least one storage. */
export class StorageRegistry {
  constructor(
    private readonly storages: StorageRepository,
    private readonly buckets: Buckets,
  ) {}

  /** The bucket first: a storage row never points at a bucket that does not exist. */
  async create(storage: NewStorage): Promise<{ id: number }> {
    await this.buckets.ensure(storage.bucket)
    return { id: await this.storages.create(storage) }
  }

  async list(type?: StorageType): Promise<Storage[]> {
    return this.storages.list(type)
  }

  async delete(ids: number[]): Promise<{ ids: number[] }> {
    return { ids: await this.storages.deleteByIds(ids) }
  }

  /** At start: defaults present, and every storage's bucket present. */
  async initialize(): Promise<{ created: Storage[] }> {
    const created = await this.storages.ensureDefaults(DEFAULT_STORAGES)
    const buckets = new Set((await this.storages.list()).map((storage) => storage.bucket))
    for (const bucket of buckets) await this.buckets.ensure(bucket)
    return { created }
  }
}
