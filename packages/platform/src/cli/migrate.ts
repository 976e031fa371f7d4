#!/usr/bin/env node
// Applies a service's pending migrations and exits: 0 when the schema is up to date,
// 1 on any failure (bad configuration, unreachable database, failed or edited
// migration). The charts run it as the init container from the service's own image
// (docs/kubernetes.md, "Migrations"):
//   DATABASE_URL=postgres://… MIGRATIONS_DIR=prisma/song/migrations node packages/platform/dist/cli/migrate.js
// Same code, advisory lock and _prisma_migrations bookkeeping as the migration a
// service runs at start, so no Prisma engine is needed anywhere.
import { env, loadConfig } from '../config/env.js'
import { applyMigrations } from '../db/migrate.js'
import { createLogger } from '../logging/logger.js'

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const logger = createLogger({ service: 'migrate', level: levels.find((l) => l === process.env.LOG_LEVEL) ?? 'info' })

/** host:port/database of a postgres:// URL, never its password. */
function describeTarget(connectionString: string): string {
  try {
    const url = new URL(connectionString)
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`
  } catch {
    return '(not a URL)'
  }
}

try {
  const config = loadConfig({
    DATABASE_URL: env.string({ secret: true }),
    MIGRATIONS_DIR: env.string(),
    // How long to wait for another pod that is migrating the same database; 0 = forever.
    MIGRATE_LOCK_TIMEOUT_MS: env.integer({ default: 120_000, min: 0 }),
  })
  const target = describeTarget(config.DATABASE_URL)
  logger.info({ database: target, migrationsDir: config.MIGRATIONS_DIR }, 'migrate: start')
  const { applied } = await applyMigrations({
    connectionString: config.DATABASE_URL,
    migrationsDir: config.MIGRATIONS_DIR,
    lockTimeoutMs: config.MIGRATE_LOCK_TIMEOUT_MS,
    logger,
  })
  logger.info({ database: target, applied }, `migrate: done, ${applied.length} migration(s) applied`)
} catch (error) {
  logger.error({ err: error }, `migrate: failed: ${(error as Error).message}`)
  process.exitCode = 1
}
