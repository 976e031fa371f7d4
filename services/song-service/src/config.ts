import { fileURLToPath } from 'node:url'
import { databaseConfig, env, loadConfig, serviceConfig, type ConfigOf } from '@soundline/platform'

const spec = {
  ...serviceConfig(8082),
  ...databaseConfig('postgres://postgres@127.0.0.1:5433/postgres'),
  MIGRATIONS_DIR: env.string({ default: fileURLToPath(new URL('../../../prisma/song/migrations', import.meta.url)) }),
}

export type SongServiceConfig = ConfigOf<typeof spec>

export function loadSongServiceConfig(environment: NodeJS.ProcessEnv = process.env): SongServiceConfig {
  return loadConfig(spec, environment)
}
