import type { Storage } from './resource.js'

/** The Storage Service's own defaults (api.md): the stubs when STORAGE_STUBS is not set. */
export const DEFAULT_STUB_STORAGES: readonly Storage[] = Object.freeze([
  { id: 1, storageType: 'STAGING', bucket: 'resources-staging', path: '/staging' },
  { id: 2, storageType: 'PERMANENT', bucket: 'resources-permanent', path: '/permanent' },
])

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

function storageAt(value: unknown, index: number): Storage {
  const where = `item ${index}`
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} is not an object`)
  const { id, storageType, bucket, path, ...rest } = value as Record<string, unknown>
  const extra = Object.keys(rest)
  if (extra.length > 0) throw new Error(`${where} has unknown fields: ${extra.join(', ')}`)
  if (!Number.isSafeInteger(id) || (id as number) < 1) throw new Error(`${where}: id must be a positive integer`)
  if (storageType !== 'STAGING' && storageType !== 'PERMANENT') throw new Error(`${where}: storageType must be STAGING or PERMANENT`)
  if (typeof bucket !== 'string' || !BUCKET.test(bucket)) throw new Error(`${where}: bucket must be an S3 bucket name`)
  if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`${where}: path must start with /`)
  return { id: id as number, storageType, bucket, path }
}

/** A `GET /storages` answer, checked field by field; throws saying what is wrong. */
export function parseStorageList(value: unknown): Storage[] {
  if (!Array.isArray(value)) throw new Error('not an array')
  return value.map(storageAt)
}

/** Stubs must serve both uploads (STAGING) and moves (PERMANENT). */
export function parseStubStorages(value: unknown): Storage[] {
  const storages = parseStorageList(value)
  for (const type of ['STAGING', 'PERMANENT'] as const) {
    if (!storages.some((storage) => storage.storageType === type)) throw new Error(`no ${type} storage`)
  }
  return storages
}
