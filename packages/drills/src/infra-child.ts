// Hosts the embedded PostgreSQL (PGlite) databases and the S3 server in their
// own process. In the drill process, PGlite's synchronous WASM queries would
// stall the event loop that times the uploads and inflate every latency.
// Prints one JSON line with the URLs when ready; SIGTERM stops both cleanly.
import { join } from 'node:path'
import { pino } from 'pino'
import { INFRA_READY_PREFIX, type InfraUrls } from './infra-protocol.js'
import { startEmbeddedPostgres, startEmbeddedS3 } from '@soundline/dev-stack/infra'

async function main(): Promise<void> {
  const dataDir = process.env.DRILL_INFRA_DIR
  const databases = (process.env.DRILL_DATABASES ?? '').split(',').filter(Boolean)
  if (!dataDir) throw new Error('DRILL_INFRA_DIR is not set')
  // Keep warnings and errors only (the S3 server's own output arrives at debug).
  const logger = pino(
    { level: 'debug', base: null },
    {
      write(line: string) {
        if (line.includes('"level":40') || line.includes('"level":50')) process.stderr.write(line)
      },
    },
  )
  const postgres = await startEmbeddedPostgres({
    dataDir,
    databases: databases.map((name) => ({ name, port: 0 })),
    logger,
    maxConnections: 32,
  })
  const s3 = await startEmbeddedS3({ dataDir: join(dataDir, 'objects'), port: 0, logger })
  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    await s3.stop().catch((error: unknown) => logger.error({ err: error }, 's3 did not stop cleanly'))
    await postgres.stop().catch((error: unknown) => logger.error({ err: error }, 'postgres did not stop cleanly'))
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop())
  process.on('SIGINT', () => void stop())
  // The drill process died without stopping us: nothing would ever read these databases again.
  process.on('disconnect', () => void stop())
  const urls: InfraUrls = { databaseUrls: postgres.urls, s3Endpoint: s3.endpoint }
  process.stdout.write(`${INFRA_READY_PREFIX}${JSON.stringify(urls)}\n`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
