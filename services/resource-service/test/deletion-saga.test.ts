// The deletion saga (docs/consistency.md "The deletion saga") seen from
// outside: HTTP, S3, the database, /metrics. The Song Service is the stack's
// real one, reached through a switch that can take it "down".
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { eventually, http, makeMp3, waitUntilReady, type Teardown } from '@soundline/dev-stack/testing'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import pg from 'pg'
import t from 'tap'
import { objectKeys, startResourceService, startStack, upload } from './helpers.js'

// Three Resource Services on databases of their own: more than the default file timeout on a busy machine.
t.setTimeout(360_000)
const stack = await startStack(t.teardown)

/**
 * The stack's Song Service behind a switch: "down" closes every connection at
 * once (as a crashed process's port does), "up" passes the bytes through. A
 * real TCP proxy rather than restarting the service: the same address and data.
 */
async function switchableSongService(teardown: Teardown) {
  const target = new URL(stack.songBase)
  let up = true
  const sockets = new Set<Socket>()
  const proxy = createServer((client) => {
    if (!up) return client.destroy()
    const upstream = connect(Number(target.port), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => undefined)
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  teardown(() => new Promise<void>((resolve) => proxy.close(() => resolve())))
  teardown(() => sockets.forEach((socket) => socket.destroy()))
  return {
    base: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    async start() {
      up = true
    },
    async stop() {
      up = false
      for (const socket of sockets) socket.destroy()
    },
  }
}

const songs = await switchableSongService(t.teardown)

/** A Resource Service with short saga delays, on its own database. */
async function resourceService(env: Record<string, string> = {}) {
  const service = await startResourceService(stack, t.teardown, {
    SONG_SERVICE_URL: songs.base,
    SAGA_RETRY_BASE_DELAY_MS: '100',
    SAGA_RETRY_MAX_DELAY_MS: '300',
    SAGA_POLL_INTERVAL_MS: '100',
    // Retries every 300 ms: enough attempts to outlast the Song Service's outage in these tests.
    SAGA_STEP_MAX_ATTEMPTS: '1000',
    // A refused call is an attempt like any other; a short open state lets the saga see the Song Service return.
    BREAKER_SONG_SERVICE_OPEN_MS: '200',
    ...env,
  })
  await waitUntilReady(service.base)
  return service
}

interface Saga {
  id: number
  resourceIds: number[]
  step: string
  state: string
  attempts: number
  lastError: string | null
}

async function sagas(base: string, state?: string): Promise<Saga[]> {
  return (await http('GET', `${base}/internal/admin/sagas${state ? `?state=${state}` : ''}`)).json as Saga[]
}

/** An uploaded resource with its song recorded (as the processor would have). */
async function resourceWithSong(base: string, seed: number) {
  const { id } = (await upload(base, makeMp3({ seconds: 1, seed }))).json as { id: number }
  const { key } = (await http('GET', `${base}/resources/${id}/status`)).json as { key: string }
  const song = { id, name: 'Saga', artist: 'a', album: 'b', duration: '00:01', year: '2000' }
  t.equal((await http('POST', `${stack.songBase}/songs`, { json: song })).status, 200)
  return { id, key }
}

const songStatus = async (id: number) => (await http('GET', `${stack.songBase}/songs/${id}`)).status
const stagingHas = async (key: string) => (await objectKeys(stack.s3, stack.stagingBucket)).includes(key)

const { base } = await resourceService()

t.test('everything up: the DELETE answers after the whole saga: song 404 and object gone at once', async (t) => {
  const { id, key } = await resourceWithSong(base, 61)
  const res = await http('DELETE', `${base}/resources?id=${id},999`)
  t.equal(res.status, 200)
  t.strictSame(res.json, { ids: [id] })
  t.equal(await songStatus(id), 404, 'song metadata deleted before the answer')
  t.notOk(await stagingHas(key), 'object deleted before the answer')
  t.equal((await http('GET', `${base}/resources/${id}/status`)).status, 404)
  t.match(await sagas(base), [{ resourceIds: [id], step: 'DONE', state: 'COMPLETED', attempts: 0, lastError: null }])
  t.strictSame((await http('DELETE', `${base}/resources?id=${id}`)).json, { ids: [] }, 'deleting again reports nothing')
  t.equal((await sagas(base)).length, 1, 'and starts no saga')
  const metrics = (await http('GET', `${base}/metrics`)).text
  t.match(metrics, /soundline_deletion_sagas\{state="COMPLETED"[^}]*\} 1/)
  t.match(metrics, /soundline_deletion_saga_step_duration_seconds_count\{[^}]*step="DELETE_SONGS",outcome="ok"[^}]*\} 1/)
  t.match(metrics, /soundline_deletion_saga_oldest_unfinished_seconds\{[^}]*\} 0\n/)
})

t.test('the Song Service down: DELETE still 200, the resource reads as 404, the saga completes when it returns', async (t) => {
  const { id, key } = await resourceWithSong(base, 62)
  const retried = await upload(base, makeMp3({ seconds: 1, seed: 63 }), { 'idempotency-key': 'saga-key' })
  const keyed = (retried.json as { id: number }).id
  await songs.stop()
  t.teardown(() => songs.start())

  const res = await http('DELETE', `${base}/resources?id=${id},${keyed}`)
  t.equal(res.status, 200)
  t.strictSame(res.json, { ids: [id, keyed] })
  // DELETING reads as gone on every path, and a second DELETE does not report it again.
  t.equal((await http('GET', `${base}/resources/${id}/status`)).status, 404)
  t.equal((await http('GET', `${base}/resources/${id}`)).status, 404)
  t.equal((await http('HEAD', `${base}/resources/${id}`)).status, 404)
  t.strictSame((await http('DELETE', `${base}/resources?id=${id}`)).json, { ids: [] })
  const again = await upload(base, makeMp3({ seconds: 1, seed: 63 }), { 'idempotency-key': 'saga-key' })
  t.not((again.json as { id: number }).id, keyed, 'the key went with the deleted resource: a new upload')
  const [running] = await sagas(base, 'RUNNING')
  t.match(running, { resourceIds: [id, keyed], step: 'DELETE_SONGS', state: 'RUNNING', lastError: /^DELETE_SONGS: / })
  t.ok(await stagingHas(key), 'the steps run in order: the object waits for the songs')
  t.match((await http('GET', `${base}/metrics`)).text, /soundline_deletion_saga_retries_total\{[^}]*step="DELETE_SONGS"[^}]*\} [1-9]/)

  await songs.start()
  await eventually(async () => (await sagas(base, 'COMPLETED')).length === 2, 'the saga to complete')
  t.equal(await songStatus(id), 404, 'song metadata deleted')
  t.notOk(await stagingHas(key), 'object deleted')
})

t.test('a step out of attempts: FAILED with its reason, listed for an admin, whose retry completes it', async (t) => {
  const { base } = await resourceService({ SAGA_STEP_MAX_ATTEMPTS: '2' })
  const { id, key } = await resourceWithSong(base, 64)
  await songs.stop()
  t.teardown(() => songs.start())
  t.strictSame((await http('DELETE', `${base}/resources?id=${id}`)).json, { ids: [id] })
  const [failed] = await eventually(async () => {
    const listed = await sagas(base, 'FAILED')
    return listed.length > 0 && listed
  }, 'the saga to fail')
  const sagaId = failed?.id ?? 0
  t.match(failed, { resourceIds: [id], step: 'DELETE_SONGS', state: 'FAILED', attempts: 2, lastError: /^DELETE_SONGS: .+/ })
  t.match((await http('GET', `${base}/metrics`)).text, /soundline_deletion_sagas\{state="FAILED"[^}]*\} 1/)
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.match((await http('GET', `${base}/internal/admin/sagas/${sagaId}`)).json, { state: 'FAILED' }, 'not retried by itself')

  await songs.start()
  const retry = await http('POST', `${base}/internal/admin/sagas/${sagaId}/retry`)
  t.equal(retry.status, 200)
  t.match(retry.json, { id: sagaId, step: 'DONE', state: 'COMPLETED', lastError: null })
  t.equal(await songStatus(id), 404)
  t.notOk(await stagingHas(key))
  const twice = await http('POST', `${base}/internal/admin/sagas/${sagaId}/retry`)
  t.equal(twice.status, 409)
  t.match(twice.json, { errorCode: '409', errorMessage: /is COMPLETED: only a FAILED saga can be retried/ })
  t.equal((await http('POST', `${base}/internal/admin/sagas/99999/retry`)).status, 404)
  t.equal((await http('GET', `${base}/internal/admin/sagas?state=DONE`)).status, 400)
  // The query is a string: a limit is read as a number, and one out of range is refused.
  const completed = (await http('GET', `${base}/internal/admin/sagas?state=COMPLETED&limit=1000`)).json as Saga[]
  t.ok(
    completed.some((saga) => saga.id === sagaId),
    'a limit is accepted',
  )
  t.equal(((await http('GET', `${base}/internal/admin/sagas?limit=1`)).json as Saga[]).length, 1, 'and honoured')
  t.equal((await http('GET', `${base}/internal/admin/sagas?limit=0`)).status, 400)
  t.equal((await http('GET', `${base}/internal/admin/sagas?limit=1001`)).status, 400)
})

t.test('a crash after step 1 (the saga left RUNNING and claimed): a new instance resumes and completes it', async (t) => {
  const first = await resourceService()
  const { id, key } = await resourceWithSong(first.base, 65)
  await first.app.close()
  // What a process killed right after the songs step leaves: DELETING row, saga at step 2, its claim expired.
  const db = new pg.Client({ connectionString: first.databaseUrl })
  await db.connect()
  t.teardown(() => db.end())
  await db.query(`UPDATE resources SET state = 'DELETING' WHERE id = $1`, [id])
  await db.query(
    `INSERT INTO deletion_sagas (resource_ids, step, state, claimed_until, updated_at)
     VALUES ($1, 'DELETE_OBJECTS', 'RUNNING', now() - interval '1 second', now())`,
    [[id]],
  )
  t.equal((await http('DELETE', `${stack.songBase}/songs?id=${id}`)).status, 200, 'step 1 done')

  const second = await resourceService({ DATABASE_URL: first.databaseUrl })
  await eventually(async () => (await sagas(second.base, 'COMPLETED')).length === 1, 'the resumed saga to complete')
  t.notOk(await stagingHas(key), 'object deleted')
  t.equal((await db.query('SELECT 1 FROM resources WHERE id = $1', [id])).rowCount, 0, 'row deleted')
  t.equal((await http('GET', `${second.base}/resources/${id}/status`)).status, 404)
})

t.test('a move that copied but never committed before the DELETE: the saga deletes that copy too', async (t) => {
  const { id, key } = await resourceWithSong(base, 66)
  // Step 1 of a move (processing-results.ts) whose commit never came (a crash, a failed write):
  // a copy in the permanent storage that no row names. Its redelivery finds the resource gone.
  const copyKey = key.replace(/^staging\//, 'permanent/files/')
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.permanentBucket, Key: copyKey, Body: 'an unfinished move' }))
  t.strictSame((await http('DELETE', `${base}/resources?id=${id}`)).json, { ids: [id] })
  t.notOk((await objectKeys(stack.s3, stack.permanentBucket)).includes(copyKey), 'the copy is deleted with the resource')
  t.notOk(await stagingHas(key), 'and the staging object')
})
