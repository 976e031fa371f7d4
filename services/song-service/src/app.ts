import { serviceApp } from '@soundline/platform'
import type { SongServiceConfig } from './config.js'
import database from './plugins/external/database.js'
import { songServiceErrors } from './plugins/app/domain-errors.js'
import songRepository from './plugins/app/song-repository.js'

export const buildApp = serviceApp<SongServiceConfig>({
  name: 'song-service',
  description: 'Song metadata of resources: one record per resource id.',
  plugins: [database, songRepository],
  version: '0.1.0',
  domainErrors: songServiceErrors,
  routes: new URL('./routes', import.meta.url),
})

export const SERVICE = buildApp.service
