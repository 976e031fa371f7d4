import { createS3Client, ensureBucket, type Logger } from '@soundline/platform'
import { databaseUrl, type WarehouseConfig } from './config.js'
import { query } from './query.js'
import { refresh, type RefreshOptions, type RefreshReport } from './refresh.js'
import { WarehouseStore } from './store.js'
import { SOURCES, type SourceName } from './tables.js'

export { refresh, query, WarehouseStore, type RefreshReport }
export { loadWarehouseConfig, type WarehouseConfig } from './config.js'

/** The warehouse's bucket through the same S3 settings the services use; created on first use. */
export async function openStore(config: WarehouseConfig, logger: Logger): Promise<WarehouseStore> {
  const s3 = createS3Client({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  })
  await ensureBucket(s3, config.WAREHOUSE_BUCKET, logger)
  return new WarehouseStore(s3, config.WAREHOUSE_BUCKET)
}

export function refreshWith(
  config: WarehouseConfig,
  store: WarehouseStore,
  hooks: Pick<RefreshOptions, 'afterWrite'> = {},
): Promise<RefreshReport> {
  const databaseUrls = Object.fromEntries(
    (Object.keys(SOURCES) as SourceName[]).map((source) => [source, databaseUrl(config, source)]),
  ) as Record<SourceName, string>
  return refresh({ store, databaseUrls, tmpDir: config.WAREHOUSE_TMP_DIR, ...hooks })
}
