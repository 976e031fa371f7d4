import autoload from '@fastify/autoload'
import { createApp, type App, type Logger } from '@soundline/platform'
import { fileURLToPath } from 'node:url'
import type { StorageServiceConfig } from './config.js'
import database from './plugins/external/database.js'
import s3 from './plugins/external/s3.js'
import storageRegistry from './plugins/app/storage-registry.js'

export const SERVICE = {
  name: 'storage-service',
  version: '0.1.0',
  description: 'Storages (bucket and path per STAGING or PERMANENT type) and their buckets.',
}

export async function buildApp(config: StorageServiceConfig, logger: Logger): Promise<App> {
  const app = await createApp({ service: SERVICE, logger, server: config })
  await app.register(database, { config })
  await app.register(s3, { config })
  await app.register(storageRegistry)
  await app.register(autoload, { dir: fileURLToPath(new URL('./routes', import.meta.url)) })
  return app
}
