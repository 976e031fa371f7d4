import { fileURLToPath } from 'node:url'
import { databaseConfig, env, s3Config, loadConfig, serviceConfig, type ConfigOf } from '@soundline/platform'

const spec = {
  ...serviceConfig(8083),
  ...s3Config(),
  ...databaseConfig('postgres://postgres@127.0.0.1:5434/postgres'),
  MIGRATIONS_DIR: env.string({ default: fileURLToPath(new URL('../../../prisma/storage/migrations', import.meta.url)) }),
}

export type StorageServiceConfig = ConfigOf<typeof spec>

export function loadStorageServiceConfig(environment: NodeJS.ProcessEnv = process.env): StorageServiceConfig {
  return loadConfig(spec, environment)
}
