// The Song Service's embedded database (PGlite) in its own process, as
// infra-child does for the upload drills, without an S3 server (this drill
// reads songs only). Prints one JSON line with the URLs when ready.
import { pino } from 'pino'
import { startEmbeddedPostgres } from '@soundline/dev-stack/infra'
import { INFRA_READY_PREFIX, type InfraUrls } from '../infra-protocol.js'

async function main(): Promise<void> {
  const dataDir = process.env.DRILL_INFRA_DIR
  const databases = (process.env.DRILL_DATABASES ?? '').split(',').filter(Boolean)
  if (!dataDir) throw new Error('DRILL_INFRA_DIR is not set')
  const logger = pino({ level: 'warn', base: null }, process.stderr)
  const postgres = await startEmbeddedPostgres({
    dataDir,
    databases: databases.map((name) => ({ name, port: 0 })),
    logger,
    maxConnections: 32,
  })
  const stop = (): void => void postgres.stop().finally(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('disconnect', stop)
  const urls: InfraUrls = { databaseUrls: postgres.urls, s3Endpoint: '' }
  process.stdout.write(`${INFRA_READY_PREFIX}${JSON.stringify(urls)}\n`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
