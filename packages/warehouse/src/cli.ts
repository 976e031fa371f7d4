#!/usr/bin/env node
// npm run warehouse -- refresh | sql "<query>" (docs/warehouse.md). Configuration from the
// environment, as the services read it: <SOURCE>_DATABASE_URL, S3_*, WAREHOUSE_BUCKET.
import { ConfigError, loggerOptions } from '@soundline/platform'
import { pino } from 'pino'
import { loadWarehouseConfig, openStore, query, refreshWith } from './warehouse.js'

const USAGE = 'usage: npm run warehouse -- refresh\n       npm run warehouse -- sql "<query>"'

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const statement = rest[0] ?? ''
  if (command !== 'refresh' && command !== 'sql') return usage()
  if (command === 'sql' && (rest.length !== 1 || statement.trim() === '')) return usage()
  const config = loadWarehouseConfig()
  // Logs to stderr: stdout carries only the answer (JSON).
  const logger = pino(loggerOptions({ service: 'warehouse', level: config.LOG_LEVEL }), pino.destination(2))
  const store = await openStore(config, logger)
  if (command === 'refresh') {
    const report = await refreshWith(config, store)
    process.stdout.write(`${JSON.stringify(report)}\n`)
  } else {
    process.stdout.write(`${JSON.stringify(await query(store, statement, config.WAREHOUSE_TMP_DIR), null, 2)}\n`)
  }
  return 0
}

function usage(): number {
  process.stderr.write(`${USAGE}\n`)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(
      `warehouse: ${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    process.exitCode = 1
  },
)
