// applyMigrations + createPrismaClient against real databases over real sockets:
// an embedded PGlite behind our wire-protocol server, and, when TEST_POSTGRES_URL
// is set, a fresh database on that PostgreSQL server. The schema, its migrations
// and its client are the platform's own fixture (test/fixtures/prisma), not a service's.
import { randomBytes } from 'node:crypto'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import { PrismaPg } from '@prisma/adapter-pg'
import * as schemaEngineGlue from '@prisma/schema-engine-wasm/schema_engine_bg'
import pg from 'pg'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { applyMigrations, migrationChecksum, MigrationHistoryError } from '../src/db/migrate.js'
import { createPrismaClient, pingDatabase } from '../src/db/prisma.js'
import { startPgliteDatabase } from '@soundline/dev-stack/testing'
import { PrismaClient as FixturePrismaClient } from './fixtures/prisma/generated/client.js'
import { fixtureMigrations } from './fixtures/prisma/paths.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const logger = pino({ level: 'silent' })

interface Target {
  name: string
  start(): Promise<{ url: string; stop(): Promise<void> }>
}

const targets: Target[] = [
  {
    name: 'pglite',
    start: () => startPgliteDatabase({ maxConnections: 8 }),
  },
]
const adminUrl = process.env.TEST_POSTGRES_URL
if (adminUrl) {
  targets.push({
    name: 'postgresql',
    async start() {
      const database = `soundline_migrate_${randomBytes(6).toString('hex')}`
      const admin = new pg.Client({ connectionString: adminUrl })
      await admin.connect()
      await admin.query(`CREATE DATABASE ${database}`)
      const url = new URL(adminUrl)
      url.pathname = `/${database}`
      return {
        url: url.toString(),
        async stop() {
          await admin.query(`DROP DATABASE ${database} WITH (FORCE)`)
          await admin.end()
        },
      }
    },
  })
}

function withSchema(url: string, schema: string): string {
  const u = new URL(url)
  u.searchParams.set('schema', schema)
  return u.toString()
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql, values)).rows
  } finally {
    await client.end()
  }
}

/** A private copy of the fixture migrations that the test may extend or corrupt. */
async function copyMigrations(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'migrate-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await cp(fixtureMigrations, dir, { recursive: true })
  return dir
}

const SECOND_MIGRATION = '29990101000000_artist_index'
async function addSecondMigration(dir: string): Promise<void> {
  await mkdir(path.join(dir, SECOND_MIGRATION))
  await writeFile(path.join(dir, SECOND_MIGRATION, 'migration.sql'), 'CREATE INDEX "songs_artist_idx" ON "songs"("artist");\n')
}

// Neither lib ES2023 nor @types/node 20 types the WebAssembly global; declare the one call used.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: { exports: Record<string, unknown> } }>
}

let engineLoaded: Promise<void> | undefined
function loadSchemaEngine(): Promise<void> {
  engineLoaded ??= (async () => {
    const wasm = path.join(root, 'node_modules/prisma/build/schema_engine_bg.wasm')
    const { instance } = await WebAssembly.instantiate(await readFile(wasm), { './schema_engine_bg.js': schemaEngineGlue })
    schemaEngineGlue.__wbg_set_wasm(instance.exports)
    ;(instance.exports.__wbindgen_start as () => void)()
  })()
  return engineLoaded
}

/**
 * Prisma's own `migrate deploy` logic: the schema engine's applyMigrations (WASM build of
 * the installed CLI's engine; the native binary cannot be downloaded here).
 */
async function prismaDeploy(url: string, migrationsDir: string): Promise<string[]> {
  await loadSchemaEngine()
  const names = (await readdir(migrationsDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok' as const, value: await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8') },
      },
    })),
  )
  const lockfile = path.join(migrationsDir, 'migration_lock.toml')
  // The engine holds Prisma's session advisory lock on a pooled connection until that
  // connection closes (the CLI process would exit); close idle ones fast so we are not blocked.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: url, idleTimeoutMillis: 50 }))
  const engine = await schemaEngineGlue.SchemaEngine.new({ datamodels: undefined }, () => {}, adapter)
  try {
    const result = await engine.applyMigrations({
      migrationsList: {
        baseDir: migrationsDir,
        lockfile: { path: lockfile, content: await readFile(lockfile, 'utf8') },
        shadowDbInitScript: '',
        migrationDirectories,
      },
      filters: { externalTables: [], externalEnums: [] },
    })
    return result.appliedMigrationNames
  } finally {
    engine.free()
  }
}

for (const target of targets) {
  t.test(target.name, async (t) => {
    const database = await target.start()
    t.teardown(() => database.stop())
    const { url } = database

    t.test('applies once, records like Prisma, then applies only what is new', async (t) => {
      const dir = await copyMigrations(t)
      const initName = (await readdir(dir)).find((n) => n.endsWith('_init'))
      t.ok(initName, 'the fixture migrations have an _init migration')

      const first = await applyMigrations({ connectionString: url, migrationsDir: dir, logger })
      t.same(first.applied, [initName])
      const again = await applyMigrations({ connectionString: url, migrationsDir: dir, logger })
      t.same(again.applied, [], 'second run applies nothing')

      const rows = await query<{
        id: string
        checksum: string
        finished_at: Date | null
        applied_steps_count: number
        logs: string | null
      }>(url, 'SELECT id, checksum, finished_at, applied_steps_count, logs FROM _prisma_migrations WHERE migration_name = $1', [initName])
      t.equal(rows.length, 1, 'one history row')
      const sql = await readFile(path.join(dir, String(initName), 'migration.sql'), 'utf8')
      t.equal(rows[0]?.checksum, migrationChecksum(sql), 'checksum is sha256 of migration.sql')
      t.match(rows[0]?.checksum, /^[0-9a-f]{64}$/)
      t.equal(rows[0]?.id.length, 36, 'id is a uuid')
      t.ok(rows[0]?.finished_at instanceof Date, 'finished_at set')
      t.equal(rows[0]?.applied_steps_count, 1)
      t.equal(rows[0]?.logs, null)
      const tables = await query<{ table_name: string }>(
        url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'songs'",
      )
      t.equal(tables.length, 1, 'songs table exists')

      await addSecondMigration(dir)
      const next = await applyMigrations({ connectionString: url, migrationsDir: dir, logger })
      t.same(next.applied, [SECOND_MIGRATION], 'only the new migration is applied')
    })

    t.test('concurrent applies: each migration exactly once, all succeed', async (t) => {
      const dir = await copyMigrations(t)
      await addSecondMigration(dir)
      const schemaUrl = withSchema(url, 'concurrent')
      const results = await Promise.all(
        Array.from({ length: 4 }, () => applyMigrations({ connectionString: schemaUrl, migrationsDir: dir, logger })),
      )
      const all = results.flatMap((r) => r.applied).sort()
      t.equal(all.length, 2, 'two migrations applied in total')
      t.equal(new Set(all).size, 2, 'no migration applied twice')
      t.equal(results.filter((r) => r.applied.length > 0).length, 1, 'one replica did the work (one transaction)')
      const rows = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM concurrent._prisma_migrations')
      t.equal(Number(rows[0]?.n), 2, 'history in the ?schema= schema has two rows')
    })

    t.test('refuses an edited migration and a failed one', async (t) => {
      const dir = await copyMigrations(t)
      const schemaUrl = withSchema(url, 'refuse')
      const { applied } = await applyMigrations({ connectionString: schemaUrl, migrationsDir: dir, logger })
      const initName = applied[0]
      t.ok(initName)
      const file = path.join(dir, String(initName), 'migration.sql')
      const original = await readFile(file, 'utf8')

      await writeFile(file, `${original}\n-- edited after it was applied\n`)
      await t.rejects(applyMigrations({ connectionString: schemaUrl, migrationsDir: dir, logger }), {
        name: 'MigrationHistoryError',
        message: /modified after it was applied/,
      })
      await writeFile(file, original.replaceAll('\n', '\r\n'))
      t.same(
        (await applyMigrations({ connectionString: schemaUrl, migrationsDir: dir, logger })).applied,
        [],
        'CRLF-only change is accepted, as Prisma does',
      )
      await writeFile(file, original)

      await query(schemaUrl, `INSERT INTO refuse._prisma_migrations (id, checksum, migration_name, logs) VALUES ($1, $2, $3, 'boom')`, [
        '00000000-0000-4000-8000-000000000000',
        'f'.repeat(64),
        '20000101000000_broken',
      ])
      const failed = applyMigrations({ connectionString: schemaUrl, migrationsDir: dir, logger })
      await t.rejects(failed, /recorded as failed/)
      await failed.catch((err: unknown) => t.ok(err instanceof MigrationHistoryError, 'typed error'))
    })

    t.test('a migration that fails leaves nothing behind', async (t) => {
      const dir = await copyMigrations(t)
      await mkdir(path.join(dir, '29990101000000_bad'))
      await writeFile(path.join(dir, '29990101000000_bad', 'migration.sql'), 'ALTER TABLE "songs" ADD COLUMN "x" NO_SUCH_TYPE;\n')
      const schemaUrl = withSchema(url, 'failing')
      await t.rejects(applyMigrations({ connectionString: schemaUrl, migrationsDir: dir, logger }), /migration 29990101000000_bad failed/)
      const tables = await query(url, "SELECT 1 FROM information_schema.tables WHERE table_schema = 'failing' AND table_name = 'songs'")
      t.equal(tables.length, 0, 'the init migration was rolled back with it')
    })

    t.test('interoperates with Prisma migrate deploy, both ways', async (t) => {
      const dir = await copyMigrations(t)
      // A fresh database: the engine's adapter path ignores ?schema= for the migration scripts.
      const prismaFirst = await target.start()
      t.teardown(() => prismaFirst.stop())
      t.equal((await prismaDeploy(prismaFirst.url, dir)).length, 1, 'prisma applied init')
      t.same((await applyMigrations({ connectionString: prismaFirst.url, migrationsDir: dir, logger })).applied, [], 'we see it as applied')

      // Us first (the first subtest applied init + the second migration to `public`), then Prisma.
      await addSecondMigration(dir)
      t.same(await prismaDeploy(url, dir), [], 'prisma sees ours as applied')
    })

    t.test('a generated client works through createPrismaClient', async (t) => {
      // The fixture schema in `public` was migrated by the first subtest; a second copy gets its own schema.
      const client = createPrismaClient(FixturePrismaClient, { connectionString: url, poolMax: 2, logger })
      t.teardown(() => client.$disconnect())
      await pingDatabase(client)
      await client.song.create({ data: { id: 7, name: 'Blue', artist: 'Joni' } })
      const found = await client.song.findUnique({ where: { id: 7 } })
      t.match(found, { id: 7, name: 'Blue', artist: 'Joni' })
      t.ok(found?.createdAt instanceof Date, 'createdAt defaulted')

      const shelvesUrl = withSchema(url, 'shelves')
      await applyMigrations({ connectionString: shelvesUrl, migrationsDir: fixtureMigrations, logger })
      const inSchemaClient = createPrismaClient(FixturePrismaClient, { connectionString: shelvesUrl, logger })
      t.teardown(() => inSchemaClient.$disconnect())
      const created = await inSchemaClient.shelf.create({ data: { kind: 'STAGING', label: 'staging' } })
      const listed = await inSchemaClient.shelf.findMany({ where: { kind: 'STAGING' }, orderBy: { id: 'asc' } })
      t.same(
        listed.map((s) => [s.id, s.kind, s.label]),
        [[created.id, 'STAGING', 'staging']],
        'enum column round-trips',
      )
      const inSchema = await query(url, 'SELECT 1 FROM shelves.shelves')
      t.equal(inSchema.length, 1, 'rows live in the ?schema= schema')
    })

    t.test('pingDatabase rejects when the database is gone', async (t) => {
      const dead = createPrismaClient(FixturePrismaClient, { connectionString: 'postgres://postgres@127.0.0.1:1/postgres', logger })
      t.teardown(() => dead.$disconnect())
      await t.rejects(pingDatabase(dead))
    })
  })
}
