import type { ServiceCaller } from '@soundline/platform'
import { OperationClient, type Operations } from './operation.js'
import { StorageList, StorageQuery, type Storage, type StorageType } from './storages.js'

/** What the Storage Service's callers use of it. */
export const STORAGE_SERVICE_OPERATIONS = {
  list: { method: 'GET', path: '/storages', query: StorageQuery, success: { status: 200, body: StorageList }, idempotent: true },
} as const satisfies Operations

export class StorageServiceClient extends OperationClient {
  static readonly operations = STORAGE_SERVICE_OPERATIONS

  constructor(caller: ServiceCaller) {
    super(caller, 'storage-service')
  }

  /** Every storage, or those of one type; a body outside the contract throws, like a failed call. */
  async list(type?: StorageType): Promise<Storage[]> {
    const op = STORAGE_SERVICE_OPERATIONS.list
    return this.expect<Storage[]>(op, await this.call(op, { query: { type } }), 'GET /storages')
  }
}
