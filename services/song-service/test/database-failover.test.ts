// The Song Service through a database outage and a lagging replica, without a
// restart (docs/high-availability.md): its database server goes away and comes
// back on the same address (what a client of HAProxy's read-write endpoint sees
// during a failover), and its DATABASE_READ_URL names a replica without the
// newest row or no server at all. PGlite servers that stop and start stand in
// for the PostgreSQL nodes; the real failover is `npm run drill -- db-failover`.
import { applyMigrations, createLogger } from '@soundline/platform'
import { freePort, http, listenOnFreePort, startPgliteDatabase, startRestartablePgliteDatabase } from '@soundline/dev-stack/testing'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadSongServiceConfig } from '../src/config.js'

const logger = createLogger({ service: 'song-service', level: 'silent' })
const primary = await startRestartablePgliteDatabase()
t.teardown(() => primary.stop())
const replica = await startPgliteDatabase()
t.teardown(() => replica.stop())
const primaryUrl = primary.url
const replicaUrl = replica.url

async function startSongService(readUrl: string) {
  const config = loadSongServiceConfig({ DATABASE_URL: primaryUrl, DATABASE_READ_URL: readUrl, LOG_LEVEL: 'silent' })
  const app = await buildApp(config, logger)
  t.teardown(() => app.close())
  return listenOnFreePort(app)
}

const base = await startSongService(replicaUrl)
// The replica has the schema (it replicates the primary) but lags: none of the rows below.
await applyMigrations({ connectionString: replicaUrl, migrationsDir: loadSongServiceConfig({}).MIGRATIONS_DIR, logger })
const song = (id: number) => ({ id, name: `Song ${id}`, artist: 'Artist', album: 'Album', duration: '01:00', year: '2001' })

t.test('a song the replica does not have yet is read from the primary: never a false 404', async (t) => {
  t.equal((await http('POST', `${base}/songs`, { json: song(1) })).status, 200)
  const res = await http('GET', `${base}/songs/1`)
  t.equal(res.status, 200)
  t.strictSame(res.json, song(1))
})

t.test('a missing song is still 404 (confirmed on the primary)', async (t) => {
  const res = await http('GET', `${base}/songs/77`)
  t.equal(res.status, 404)
  t.strictSame(res.json, { errorMessage: 'Song metadata for ID=77 not found', errorCode: '404' })
})

t.test('the database gone: 503 with Retry-After at once, then the same process serves again once it is back', async (t) => {
  await primary.goAway()
  const write = await http('POST', `${base}/songs`, { json: song(2) })
  t.equal(write.status, 503, 'a write fails fast and retriable, not 500')
  t.strictSame(write.json, { errorMessage: 'Database unavailable: try again later', errorCode: '503' })
  t.equal(write.headers.get('retry-after'), '1')
  t.equal((await http('GET', `${base}/songs/1`)).status, 503, 'a read the replica cannot answer either')

  await primary.comeBack()
  t.equal((await http('POST', `${base}/songs`, { json: song(2) })).status, 200, 'new connections reach the new server')
  const res = await http('GET', `${base}/songs/2`)
  t.equal(res.status, 200)
  t.strictSame(res.json, song(2))
})

t.test('no replica reachable: reads come from the primary', async (t) => {
  const deadReplica = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`
  const other = await startSongService(deadReplica)
  const res = await http('GET', `${other}/songs/1`)
  t.equal(res.status, 200)
  t.strictSame(res.json, song(1))
})
