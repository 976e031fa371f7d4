import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import type { Logger } from '../logging/logger.js'
import { lockForTransaction, PRISMA_MIGRATE_LOCK_KEY } from './advisory-lock.js'

export interface MigrateOptions {
  /** postgres:// URL. A Prisma-style `?schema=name` applies the migrations (and `_prisma_migrations`) in that schema. */
  connectionString: string
  /** A Prisma migrations directory: `<timestamp>_<name>/migration.sql` folders. */
  migrationsDir: string
  logger: Logger
  /** How long to wait for another replica that is migrating; 0 = forever. Default 120 s. */
  lockTimeoutMs?: number
}

export interface MigrationFile {
  name: string
  sql: string
  checksum: string
}

/** Thrown when the database's migration history does not allow starting (edited or failed migrations). */
export class MigrationHistoryError extends Error {
  override readonly name = 'MigrationHistoryError'
}

interface MigrationRow {
  migration_name: string
  checksum: string
  finished_at: Date | null
  rolled_back_at: Date | null
}

const DEFAULT_LOCK_TIMEOUT_MS = 120_000

// Exactly the table the Prisma schema engine creates (sql-schema-connector, postgres flavour).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`

/** What Prisma stores in `_prisma_migrations.checksum`: sha256 hex of migration.sql. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex')
}

/** Like Prisma, a checkout that only turned LF into CRLF still counts as the same migration. */
function matchesChecksum(file: MigrationFile, recorded: string): boolean {
  return file.checksum === recorded || migrationChecksum(file.sql.replaceAll('\r\n', '\n')) === recorded
}

/** Reads `<dir>/<name>/migration.sql` for every subfolder, in name (= timestamp) order, as Prisma does. */
export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true })
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8')
      return { name, sql, checksum: migrationChecksum(sql) }
    }),
  )
}

function schemaFromUrl(connectionString: string): string | null {
  try {
    return new URL(connectionString).searchParams.get('schema')
  } catch {
    return null // not a URL (e.g. key=value form): no schema parameter
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Refuses histories Prisma itself would refuse or that mean the files changed under a live database. */
function checkHistory(files: MigrationFile[], rows: MigrationRow[], logger: Logger): Set<string> {
  const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null)
  if (failed.length > 0) {
    const names = failed.map((r) => r.migration_name).join(', ')
    throw new MigrationHistoryError(
      `migration(s) ${names} failed earlier and are recorded as failed in _prisma_migrations; ` +
        'fix the database, then mark them with `prisma migrate resolve --applied|--rolled-back <name>` or its SQL ' +
        'equivalent (docs/kubernetes.md, "Recovering from a failed migration")',
    )
  }
  const applied = new Map<string, string>()
  for (const row of rows) if (row.finished_at !== null && row.rolled_back_at === null) applied.set(row.migration_name, row.checksum)
  const byName = new Map(files.map((f) => [f.name, f]))
  for (const [name, checksum] of applied) {
    const file = byName.get(name)
    if (!file) {
      logger.warn({ migration: name }, 'migration recorded in the database has no folder here (newer code ran against this database?)')
    } else if (!matchesChecksum(file, checksum)) {
      throw new MigrationHistoryError(
        `migration ${name} was modified after it was applied: migration.sql has checksum ${file.checksum}, ` +
          `the database recorded ${checksum}. Restore the file; add changes as a new migration`,
      )
    }
  }
  return new Set(applied.keys())
}

/**
 * Applies the migrations not yet applied, recording them in Prisma's `_prisma_migrations`
 * exactly as `prisma migrate deploy` does (so either tool sees the other's work).
 * Everything runs in ONE transaction under an advisory transaction lock: concurrent
 * replicas serialize, the loser sees the winner's rows and applies nothing, and a failing
 * migration leaves the database unchanged (nothing is recorded; the error is thrown).
 */
export async function applyMigrations(opts: MigrateOptions): Promise<{ applied: string[] }> {
  const { connectionString, migrationsDir, logger } = opts
  const files = await readMigrations(migrationsDir)
  const schema = schemaFromUrl(connectionString)
  const client = new pg.Client({ connectionString })
  // An idle-client error must not crash the process; the failing query rejects anyway.
  client.on('error', (err) => logger.warn({ err }, 'migrate: database connection error'))
  await client.connect()
  try {
    await client.query('BEGIN')
    try {
      await lockForTransaction(client, PRISMA_MIGRATE_LOCK_KEY, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS)
      if (schema !== null) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`)
        // LOCAL: on PGlite every connection shares one session; a session SET would leak.
        await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`)
      }
      await client.query(CREATE_MIGRATIONS_TABLE)
      const { rows } = await client.query<MigrationRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
      )
      const alreadyApplied = checkHistory(files, rows, logger)
      const applied: string[] = []
      for (const file of files) {
        if (alreadyApplied.has(file.name)) continue
        const startedAt = new Date()
        try {
          // Simple-query protocol (no parameters): runs the multi-statement script as Prisma does.
          await client.query(file.sql)
        } catch (err) {
          throw new Error(`migration ${file.name} failed: ${(err as Error).message}`, { cause: err })
        }
        await client.query(
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
           VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, $4, 1)`,
          [randomUUID(), file.checksum, file.name, startedAt],
        )
        applied.push(file.name)
      }
      await client.query('COMMIT')
      if (applied.length > 0) logger.info({ applied, migrationsDir }, 'migrate: applied migrations')
      else logger.info({ migrationsDir, count: files.length }, 'migrate: database schema is up to date')
      return { applied }
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => logger.warn({ err: rollbackErr }, 'migrate: rollback failed'))
      throw err
    }
  } finally {
    await client.end()
  }
}
