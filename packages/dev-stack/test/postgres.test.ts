import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { pino } from 'pino'
import t from 'tap'
import { startTestDatabase } from '../src/testing/index.js'
import { startEmbeddedPostgres } from '../src/infra/postgres.js'

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'soundline-pg-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {}) // a destroyed socket emits; the test asserts on its effects
  await client.connect()
  return client
}

t.test('data survives stop and start; databases are separate', async (t) => {
  const dataDir = await tempDir()
  const databases = [
    { name: 'song', port: 0 },
    { name: 'storage', port: 0 },
  ]
  const first = await startEmbeddedPostgres({ dataDir, databases, logger })
  t.match(first.urls.song, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/)
  const song = await connect(first.urls.song ?? '')
  await song.query('CREATE TABLE songs (id int PRIMARY KEY, title text)')
  await song.query('INSERT INTO songs VALUES ($1, $2)', [1, 'Blue in Green'])
  await song.end()
  await first.stop()

  const second = await startEmbeddedPostgres({ dataDir, databases, logger })
  t.teardown(() => second.stop())
  const again = await connect(second.urls.song ?? '')
  t.same((await again.query('SELECT id, title FROM songs')).rows, [{ id: 1, title: 'Blue in Green' }])
  await again.end()
  const storage = await connect(second.urls.storage ?? '')
  t.equal((await storage.query("SELECT to_regclass('songs') AS t")).rows[0].t, null, 'storage db does not see song tables')
  await storage.end()
})

t.test('wire behaviour', async (t) => {
  const dataDir = await tempDir()
  const stack = await startEmbeddedPostgres({ dataDir, databases: [{ name: 'main', port: 0 }], logger, maxConnections: 12 })
  const url = stack.urls.main ?? ''
  const setup = await connect(url)
  t.teardown(async () => {
    await setup.end()
    await stack.stop()
  })
  await setup.query('CREATE TABLE items (id int, body text)')

  t.test('a transaction excludes other connections until it ends', async (t) => {
    await setup.query('DELETE FROM items')
    const a = await connect(url)
    const b = await connect(url)
    await a.query('BEGIN')
    await a.query('INSERT INTO items (id) VALUES (1)')
    let bDone = false
    const bInsert = b.query('INSERT INTO items (id) VALUES (2)').then(() => {
      bDone = true
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.equal(bDone, false, "b waits while a's transaction is open")
    await a.query('ROLLBACK')
    await bInsert
    // Had b's insert run inside a's transaction, the rollback would have removed it too.
    t.same((await setup.query('SELECT id FROM items ORDER BY id')).rows, [{ id: 2 }])
    await Promise.all([a.end(), b.end()])
  })

  t.test('concurrent extended-protocol batches never interleave', async (t) => {
    const pool = new pg.Pool({ connectionString: url, max: 8 })
    const big = 'x'.repeat(300_000) // large enough to arrive in several TCP chunks
    let wrong = 0
    const jobs: Promise<void>[] = []
    for (let i = 0; i < 120; i++) {
      const job =
        i % 2
          ? pool.query('INSERT INTO items (id, body) VALUES ($1, $2) RETURNING id', [i, big]).then((r) => {
              if (r.rows[0].id !== i) wrong++
            })
          : pool.query('SELECT $1::int AS v, 7 AS w', [i]).then((r) => {
              if (r.rows[0].v !== i || r.rows[0].w !== 7) wrong++
            })
      jobs.push(job.catch(() => void wrong++))
    }
    await Promise.all(jobs)
    t.equal(wrong, 0)
    await pool.end()
  })

  t.test('a client killed mid-transaction is rolled back and frees the backend', async (t) => {
    await setup.query('DELETE FROM items')
    const doomed = await connect(url)
    await doomed.query('BEGIN')
    await doomed.query('INSERT INTO items (id) VALUES (42)')
    // The socket dies without COMMIT or Terminate, as when a process is killed.
    ;(doomed as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
    const rows = await setup.query('SELECT id FROM items WHERE id = 42')
    t.same(rows.rows, [], 'uncommitted row is gone')
    t.equal((await setup.query('SELECT 1 AS one')).rows[0].one, 1, 'others continue')
  })

  t.test('errors do not stall the server', async (t) => {
    await t.rejects(setup.query('SELECT * FROM no_such_table'), /does not exist/)
    const c = await connect(url)
    await c.query('BEGIN')
    await t.rejects(c.query('SELECT 1/0'), /division by zero/)
    await t.rejects(c.query('SELECT 1'), /aborted/, 'failed transaction stays failed')
    await c.query('ROLLBACK')
    t.equal((await c.query('SELECT 2 AS two')).rows[0].two, 2)
    t.equal((await setup.query('SELECT 3 AS three')).rows[0].three, 3)
    await c.end()
  })

  t.test('connections beyond the limit are refused with a Postgres error', async (t) => {
    const clients = await Promise.all(Array.from({ length: 11 }, () => connect(url))) // + setup = 12
    await t.rejects(connect(url), /too many clients/)
    await Promise.all(clients.map((c) => c.end()))
  })
})

t.test('startTestDatabase gives a fresh, empty database per call', async (t) => {
  const first = await startTestDatabase({ logger })
  const second = await startTestDatabase({ logger })
  t.teardown(async () => {
    await first.stop()
    await second.stop()
  })
  t.not(first.url, second.url)
  const a = await connect(first.url)
  await a.query('CREATE TABLE only_here (id int)')
  await a.end()
  const b = await connect(second.url)
  t.equal((await b.query("SELECT to_regclass('only_here') AS t")).rows[0].t, null)
  await b.end()
})
