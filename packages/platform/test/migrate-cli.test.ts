// The migrate command the charts run as an init container (dist/cli/migrate.js, built by
// `npm run build`), as a real process against a real database: a fresh PGlite behind our
// wire-protocol server, or a fresh database on TEST_POSTGRES_URL's server.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import t, { type Test } from 'tap'
import { startTestDatabase } from '@soundline/dev-stack/testing'
import { fixtureMigrations } from './fixtures/prisma/paths.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const cli = path.join(root, 'packages/platform/dist/cli/migrate.js')

interface Run {
  code: number | null
  lines: { level?: string; msg?: string; applied?: string[] }[]
  output: string
}

/** Runs the CLI asynchronously: the PGlite server lives in this process and must keep answering. */
function runCli(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const lines = output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Run['lines'][number])
      resolve({ code, lines, output })
    })
  })
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows
  } finally {
    await client.end()
  }
}

async function copyMigrations(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'migrate-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await cp(fixtureMigrations, dir, { recursive: true })
  return dir
}

t.before(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`)
})

t.test('applies the pending migrations, then finds nothing to do', async (t) => {
  const db = await startTestDatabase()
  t.teardown(() => db.stop())
  const dir = await copyMigrations(t)

  const first = await runCli({ DATABASE_URL: db.url, MIGRATIONS_DIR: dir })
  t.equal(first.code, 0, 'exit 0', { output: first.output })
  t.ok(
    first.lines.some((l) => l.msg === 'migrate: start'),
    'logs where it starts',
  )
  const done = first.lines.find((l) => l.msg?.startsWith('migrate: done'))
  t.equal(done?.applied?.length, 1, 'one migration applied (the fixture init)')
  t.match(done?.applied?.[0], /_init$/)
  const songs = await query(db.url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'songs'")
  t.equal(songs.length, 1, 'the songs table exists')
  const history = await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL')
  t.equal(Number(history[0]?.n), 1, 'recorded in _prisma_migrations as Prisma does')

  const again = await runCli({ DATABASE_URL: db.url, MIGRATIONS_DIR: dir })
  t.equal(again.code, 0, 'second run: exit 0', { output: again.output })
  t.same(again.lines.find((l) => l.msg?.startsWith('migrate: done'))?.applied, [], 'second run applies nothing')
})

t.test('a failing migration: exit 1, a log line naming it, nothing recorded', async (t) => {
  const db = await startTestDatabase()
  t.teardown(() => db.stop())
  const dir = await copyMigrations(t)
  await mkdir(path.join(dir, '29990101000000_broken'))
  await writeFile(path.join(dir, '29990101000000_broken', 'migration.sql'), 'ALTER TABLE "no_such_table" ADD COLUMN "x" INTEGER;\n')

  const run = await runCli({ DATABASE_URL: db.url, MIGRATIONS_DIR: dir })
  t.equal(run.code, 1, 'exit 1', { output: run.output })
  const error = run.lines.find((l) => l.level === 'error')
  t.match(error?.msg, /migrate: failed: migration 29990101000000_broken failed/, 'the error names the migration')
  // One transaction: the init migration before it is rolled back too, so a retry starts clean.
  const songs = await query(db.url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'songs'")
  t.equal(songs.length, 0, 'nothing applied')
})

t.test('configuration and connection errors: exit 1 and say what is wrong, never the password', async (t) => {
  const missing = await runCli({ MIGRATIONS_DIR: fixtureMigrations })
  t.equal(missing.code, 1, 'no DATABASE_URL: exit 1')
  t.match(missing.lines.find((l) => l.level === 'error')?.msg, /DATABASE_URL: is required/)

  const unreachable = await runCli({
    DATABASE_URL: 'postgres://song:s3cret-pw@127.0.0.1:1/song',
    MIGRATIONS_DIR: fixtureMigrations,
  })
  t.equal(unreachable.code, 1, 'unreachable database: exit 1')
  t.match(unreachable.lines.find((l) => l.level === 'error')?.msg, /ECONNREFUSED/)
  t.match(
    unreachable.lines.find((l) => l.msg === 'migrate: start'),
    { database: '127.0.0.1:1/song' },
    'logs the target',
  )
  t.notMatch(unreachable.output, /s3cret-pw/, 'the password never reaches the log')

  const noDir = await runCli({ DATABASE_URL: 'postgres://song@127.0.0.1:1/song', MIGRATIONS_DIR: '/nonexistent/migrations' })
  t.equal(noDir.code, 1, 'missing migrations directory: exit 1')
  t.match(noDir.lines.find((l) => l.level === 'error')?.msg, /ENOENT/)
})
