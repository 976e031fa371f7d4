import { tmpdir } from 'node:os'
import { devDatabaseUrl, env, loadConfig, s3Config } from '@soundline/platform'
import { SOURCES, type SourceName } from './tables.js'

/**
 * The warehouse's environment: each service database under the variable the local stack
 * already uses to point a service elsewhere (`SONG_DATABASE_URL`, …; default: `npm start`'s
 * embedded database), S3 as the services read it, and its own bucket.
 */
export function warehouseConfigSpec() {
  const databases = Object.fromEntries(
    Object.values(SOURCES).map(({ variable, service }) => [
      variable,
      env.url({ default: devDatabaseUrl(service), protocols: ['postgres', 'postgresql'] }),
    ]),
  ) as Record<(typeof SOURCES)[SourceName]['variable'], ReturnType<typeof env.url>>
  return {
    ...databases,
    ...s3Config(),
    WAREHOUSE_BUCKET: env.string({ default: 'warehouse' }),
    /** Parquet files are built and read here (an emptyDir in Kubernetes: the root fs is read-only). */
    WAREHOUSE_TMP_DIR: env.string({ default: tmpdir() }),
    LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  }
}

export type WarehouseConfig = ReturnType<typeof loadWarehouseConfig>

export function loadWarehouseConfig(environment: NodeJS.ProcessEnv = process.env) {
  return loadConfig(warehouseConfigSpec(), environment)
}

export function databaseUrl(config: WarehouseConfig, source: SourceName): string {
  return config[SOURCES[source].variable]
}
