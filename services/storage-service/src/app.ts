import { serviceApp } from '@soundline/platform'
import type { StorageServiceConfig } from './config.js'
import database from './plugins/external/database.js'
import s3 from './plugins/external/s3.js'
import storageRegistry from './plugins/app/storage-registry.js'

export const buildApp = serviceApp<StorageServiceConfig>({
  name: 'storage-service',
  description: 'Storages (bucket and path per STAGING or PERMANENT type) and their buckets.',
  plugins: [database, s3, storageRegistry],
  version: '0.1.0',
  routes: new URL('./routes', import.meta.url),
})

export const SERVICE = buildApp.service
