// The Storage schemas are the contract callers share (docs/architecture.md "Contracts").
export { NewStorage, Storage, StorageList, StorageQuery, StorageType } from '@soundline/contracts'
