import { fileURLToPath } from 'node:url'
import { databaseConfig, devDatabaseUrl, env, loadConfig, service, serviceConfig, type ConfigOf } from '@soundline/platform'

const spec = {
  ...serviceConfig(service('song-service').port),
  ...databaseConfig(devDatabaseUrl('song-service')),
  MIGRATIONS_DIR: env.string({ default: fileURLToPath(new URL('../../../prisma/song/migrations', import.meta.url)) }),
}

export type SongServiceConfig = ConfigOf<typeof spec>

export function loadSongServiceConfig(environment: NodeJS.ProcessEnv = process.env): SongServiceConfig {
  return loadConfig(spec, environment)
}
