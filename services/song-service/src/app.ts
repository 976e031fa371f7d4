import autoload from '@fastify/autoload'
import { createApp, type App, type Logger } from '@soundline/platform'
import { fileURLToPath } from 'node:url'
import type { SongServiceConfig } from './config.js'
import database from './plugins/external/database.js'
import { songServiceErrors } from './plugins/app/domain-errors.js'
import songRepository from './plugins/app/song-repository.js'

export const SERVICE = {
  name: 'song-service',
  version: '0.1.0',
  description: 'Song metadata of resources: one record per resource id.',
}

export async function buildApp(config: SongServiceConfig, logger: Logger): Promise<App> {
  const app = await createApp({ service: SERVICE, logger, server: config, domainErrors: songServiceErrors })
  await app.register(database, { config })
  await app.register(songRepository)
  await app.register(autoload, { dir: fileURLToPath(new URL('./routes', import.meta.url)) })
  return app
}
