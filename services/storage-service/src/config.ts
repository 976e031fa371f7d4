import { fileURLToPath } from 'node:url'
import { databaseConfig, devDatabaseUrl, env, s3Config, loadConfig, service, serviceConfig, type ConfigOf } from '@soundline/platform'

const spec = {
  ...serviceConfig(service('storage-service').port),
  ...s3Config(),
  ...databaseConfig(devDatabaseUrl('storage-service')),
  MIGRATIONS_DIR: env.string({ default: fileURLToPath(new URL('../../../prisma/storage/migrations', import.meta.url)) }),
}

export type StorageServiceConfig = ConfigOf<typeof spec>

export function loadStorageServiceConfig(environment: NodeJS.ProcessEnv = process.env): StorageServiceConfig {
  return loadConfig(spec, environment)
}
