// The warehouse against real databases (PGlite, or PostgreSQL with TEST_POSTGRES_URL)
// and the real S3 server. Each database carries its service's migrations and rows are
// written there as the services write them, deletions as the deletion saga leaves them
// (rows gone, the saga COMPLETED): the warehouse reads only those tables, and the
// pipeline's processes would add minutes of start-up on a loaded machine, nothing the
// warehouse sees.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, applyMigrations } from '@soundline/platform'
import { startTestDatabase, startTestS3, testS3Client } from '@soundline/dev-stack/testing'
import pg from 'pg'
import t from 'tap'
import { refresh, query, WarehouseStore } from '../src/warehouse.js'
import type { SourceName } from '../src/tables.js'

const logger = createLogger({ service: 'warehouse-test', level: 'silent' })
const repo = new URL('../../../', import.meta.url).pathname
const s3Server = await startTestS3()
const bucket = `warehouse-${randomBytes(4).toString('hex')}`
const tmpDir = await mkdtemp(join(tmpdir(), 'warehouse-test-'))
const [song, resource, storage] = await Promise.all([startTestDatabase(), startTestDatabase(), startTestDatabase()])
const databases = { song, resource, storage }
await Promise.all(
  Object.entries(databases).map(([name, database]) =>
    applyMigrations({ connectionString: database.url, migrationsDir: join(repo, 'prisma', name, 'migrations'), logger }),
  ),
)
const songDb = new pg.Pool({ connectionString: databases.song.url, max: 2 })
const resourceDb = new pg.Pool({ connectionString: databases.resource.url, max: 2 })
const storageDb = new pg.Pool({ connectionString: databases.storage.url, max: 2 })
const s3 = testS3Client(s3Server.endpoint)
const store = new WarehouseStore(s3, bucket)
const { CreateBucketCommand } = await import('@aws-sdk/client-s3')
await s3.send(new CreateBucketCommand({ Bucket: bucket }))
t.teardown(async () => {
  await songDb.end()
  await resourceDb.end()
  await storageDb.end()
  for (const database of Object.values(databases)) await database.stop()
  await s3Server.stop()
  await rm(tmpDir, { recursive: true, force: true })
})

const databaseUrls = Object.fromEntries(Object.entries(databases).map(([name, database]) => [name, database.url])) as Record<
  SourceName,
  string
>
const run = (afterWrite?: (key: string) => void) => refresh({ store, databaseUrls, tmpDir, ...(afterWrite ? { afterWrite } : {}) })
const sql = (text: string) => query(store, text, tmpDir)

let nextId = 1
async function upload(album: string, state: 'STAGING' | 'PERMANENT' | 'FAILED' = 'PERMANENT'): Promise<number> {
  const id = nextId++
  await resourceDb.query(
    `insert into resources (id, state, storage_id, bucket, key, staging_bucket, staging_key, size, sha256, failure_reason, updated_at)
     values ($1, $2, 1, 'b', $3, 's', $3, $4, 'x', $5, now())`,
    [id, state, `k${id}`, 1000 + id, state === 'FAILED' ? 'not an MP3 file' : null],
  )
  if (state === 'PERMANENT') {
    await songDb.query(`insert into songs (id, name, artist, album, duration, year) values ($1, $2, $3, $4, '03:00', '1977')`, [
      id,
      `song ${id}`,
      id % 2 ? 'Queen' : 'Abba',
      album,
    ])
  }
  return id
}

/** A deletion as the saga leaves it: songs gone, rows gone, the saga COMPLETED. */
async function deleteResources(ids: number[]): Promise<void> {
  await songDb.query('delete from songs where id = any($1::int[])', [ids])
  await resourceDb.query('delete from resources where id = any($1::int[])', [ids])
  await resourceDb.query(
    `insert into deletion_sagas (resource_ids, step, state, updated_at, completed_at) values ($1, 'DONE', 'COMPLETED', now(), now())`,
    [ids],
  )
}

async function liveCounts() {
  const count = async (pool: pg.Pool, table: string, where = 'true') =>
    Number((await pool.query<{ n: string }>(`select count(*) as n from ${table} where ${where}`)).rows[0]?.n)
  return {
    songs: await count(songDb, 'songs'),
    album: await count(songDb, 'songs', `album = 'Opera'`),
    resources: await count(resourceDb, 'resources'),
    permanent: await count(resourceDb, 'resources', `state = 'PERMANENT'`),
    storages: await count(storageDb, 'storages'),
  }
}

async function warehouseCounts() {
  const [row] = await sql(`select
      (select count(*) from songs) as songs,
      (select count(*) from songs where album = 'Opera') as album,
      (select count(*) from resources) as resources,
      (select count(*) from resources where state = 'PERMANENT') as permanent,
      (select count(*) from storages) as storages`)
  return row
}

await storageDb.query(
  `insert into storages (storage_type, bucket, path) values ('STAGING', 'staging', '/s'), ('PERMANENT', 'permanent', '/p')`,
)

t.test('before any refresh every table exists, empty', async (t) => {
  t.same(await sql('select count(*) as n from pipeline_events'), [{ n: 0 }])
})

t.test('a first refresh loads every live row; a second loads nothing', async (t) => {
  for (let i = 0; i < 4; i++) await upload('Opera')
  await upload('Jazz')
  await upload('Jazz', 'FAILED')
  await upload('Opera', 'STAGING')
  const first = await run()
  t.ok(first.committed)
  t.same(first.loaded.songs, { changed: 5, deleted: 0 })
  t.same(await warehouseCounts(), await liveCounts())
  const second = await run()
  t.notOk(second.committed, 'nothing changed: no manifest written')
  t.equal(second.filesWritten, 0)
  t.same(
    Object.values(second.loaded).map((loaded) => loaded.changed + loaded.deleted),
    [0, 0, 0, 0],
  )
  t.same(await sql(`select type, count(*) as n from pipeline_events group by type order by type`), [
    { type: 'failed', n: 1 },
    { type: 'permanent', n: 5 },
    { type: 'uploaded', n: 7 },
  ])
})

t.test('an incremental refresh after uploads, a state change and deletions gives the live counts', async (t) => {
  const [staging] = (await resourceDb.query<{ id: number }>(`select id from resources where state = 'STAGING'`)).rows
  if (!staging) throw new Error('the first test left a STAGING resource')
  await resourceDb.query(`update resources set state = 'PERMANENT', updated_at = now() where id = $1`, [staging.id])
  await songDb.query(`insert into songs (id, name, artist, album, duration, year) values ($1, 'late', 'Queen', 'Opera', '01:00', '1980')`, [
    staging.id,
  ])
  const goneBeforeRefresh = await upload('Opera')
  await upload('Opera')
  await deleteResources([1, 2, goneBeforeRefresh])
  const report = await run()
  t.ok(report.committed)
  // goneBeforeRefresh came and went between two refreshes: no live count has it, nor does the warehouse.
  t.same(report.loaded.songs, { changed: 2, deleted: 2 })
  t.same(report.loaded.resources, { changed: 2, deleted: 2 })
  t.same(await warehouseCounts(), await liveCounts())
  t.same(await sql(`select resource_id from pipeline_events where type = 'deleted' order by resource_id`), [
    { resource_id: 1 },
    { resource_id: 2 },
  ])
  t.same(await sql(`select count(*) as n from pipeline_events where type = 'permanent' and resource_id = ${staging.id}`), [{ n: 1 }])
  t.same(await sql(`select count(distinct event_id) as n, count(*) as total from pipeline_events`), [
    { n: report.rows.pipeline_events, total: report.rows.pipeline_events },
  ])
  t.notOk((await run()).committed, 'and again nothing twice')
})

t.test('a refresh that fails halfway leaves the previous snapshot readable and whole', async (t) => {
  const before = await warehouseCounts()
  const manifest = await store.readManifest()
  await upload('Opera')
  await deleteResources([3])
  let writes = 0
  await t.rejects(
    run(() => {
      if (++writes === 2) throw new Error('killed between writes')
    }),
    /killed between writes/,
  )
  t.same(await store.readManifest(), manifest, 'the manifest is the previous one')
  t.same(await warehouseCounts(), before, 'queries see the previous snapshot')
  const report = await run()
  t.ok(report.committed)
  t.ok(report.filesRemoved >= 2, 'the next refresh removes what the failed one left, and the files it replaced')
  t.same(await warehouseCounts(), await liveCounts())
  const keys = (await store.listKeys()).sort()
  t.ok(
    keys.every(
      (key) => key === '_manifest.json' || key.startsWith('_index/') || /^[a-z_]+\/day=\d{4}-\d{2}-\d{2}\/part-[^/]+\.parquet$/.test(key),
    ),
    'Hive-style layout',
  )
})

t.test('every example report under docs/warehouse runs', async (t) => {
  const dir = join(repo, 'docs', 'warehouse')
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort()
  t.ok(files.length >= 5)
  for (const file of files) {
    const rows = await sql(await readFile(join(dir, file), 'utf8'))
    t.ok(rows.length > 0, `${file} gives rows`)
  }
})
