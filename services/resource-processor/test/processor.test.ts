// The processor between real neighbours: a real Kafka broker (KAFKA_BROKERS),
// the real Song Service as a process on its own database, real HTTP. The
// Resource Service is a tiny node:http server answering GET /resources/{id}
// with fixture bytes: that is all the processor asks of it, the Resource
// Service is tested on its own, and the end-to-end test runs the real one.
import { TOPICS, newEvent, type ResourceUploaded } from '@soundline/contracts'
import { createLogger } from '@soundline/platform'
import {
  QUEEN_TAGS,
  collectEvents,
  eventually,
  http,
  kafkaBrokers,
  listenOnFreePort,
  makeMp3,
  publisherFor,
  startService,
  startTestDatabase,
  waitUntilReady,
} from '@soundline/dev-stack/testing'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadResourceProcessorConfig } from '../src/config.js'
import { startResourceServer } from './resource-server.js'

const brokers = kafkaBrokers()
const silent = (service: string) => createLogger({ service, level: 'silent' })

const database = await startTestDatabase()
t.teardown(() => database.stop())
const songService = await startService('song-service', { DATABASE_URL: database.url })
const songs = songService.url
t.teardown(() => songService.stop())

const resources = await startResourceServer()
t.teardown(() => resources.close())

const processor = await buildApp(
  loadResourceProcessorConfig({
    KAFKA_BROKERS: brokers,
    // Our own group: the broker is shared with other test files.
    KAFKA_GROUP_ID: `resource-processor-test-${randomBytes(6).toString('hex')}`,
    RESOURCE_SERVICE_URL: resources.base,
    SONG_SERVICE_URL: songs,
    LOG_LEVEL: 'silent',
  }),
  silent('resource-processor'),
)
const base = await listenOnFreePort(processor)
t.teardown(() => processor.close())
await waitUntilReady(base)

const processed = await collectEvents([TOPICS.resourceProcessed], t.teardown.bind(t))
const publisher = publisherFor(t.teardown.bind(t))

// Ids no other test file uses: their events reach our group too (they get 404 here and are skipped).
let nextId = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000)
function serve(bytes: Buffer): number {
  const id = nextId++
  resources.files.set(id, bytes)
  return id
}

async function upload(id: number, traceparent?: string) {
  const event = newEvent<ResourceUploaded>(TOPICS.resourceUploaded, id, {
    size: resources.files.get(id)?.length ?? 0,
    sha256: '0'.repeat(64),
  })
  await publisher.publish(TOPICS.resourceUploaded, [event], traceparent)
  return event
}

const processedOf = (id: number) => processed.filter((message) => message.event.resourceId === id)
const awaitProcessed = (id: number, count = 1) =>
  eventually(async () => processedOf(id).length >= count && processedOf(id), `${count} resource.processed for ${id}`)

/** The Song Service's record of the example MP3 (QUEEN_TAGS, 02:59) stored under `id`. */
function queenSong(id: number) {
  return { id, name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }
}

t.test('an uploaded MP3 becomes a song, then resource.processed OK with the trace', async (t) => {
  const id = serve(makeMp3({ ...QUEEN_TAGS, seconds: 179, tag: 'id3v2.4', seed: 1 }))
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`
  await upload(id, traceparent)

  const [message] = await awaitProcessed(id)
  t.match(message, { key: String(id), headers: { traceparent, ce_type: 'resource.processed', ce_source: 'resource-processor' } })
  t.match(message?.event, { type: 'resource.processed', resourceId: id, status: 'OK' })
  t.notOk(message && 'reason' in message.event, 'no reason on success')

  const song = await http('GET', `${songs}/songs/${id}`)
  t.strictSame(song.json, queenSong(id))
})

t.test('a file without title and year ends FAILED with the reason, and no song', async (t) => {
  const id = serve(makeMp3({ artist: 'Queen', album: 'News of the world', seed: 2 }))
  await upload(id)
  const [message] = await awaitProcessed(id)
  t.match(message?.event, { status: 'FAILED', reason: 'Missing ID3 tags: title, year' })
  t.equal((await http('GET', `${songs}/songs/${id}`)).status, 404)
})

t.test('the same event twice: one song, and OK both times (409 is success)', async (t) => {
  const id = serve(makeMp3({ ...QUEEN_TAGS, title: 'Twice', seed: 3 }))
  const event = await upload(id)
  await publisher.publish(TOPICS.resourceUploaded, [event])
  const messages = await awaitProcessed(id, 2)
  t.strictSame(
    messages.map((message) => message.event.type === 'resource.processed' && message.event.status),
    ['OK', 'OK'],
  )
  t.match((await http('GET', `${songs}/songs/${id}`)).json, { id, name: 'Twice' })
  t.equal(
    (await http('POST', `${songs}/songs`, { json: { id, name: 'x', artist: 'x', album: 'x', duration: '00:03', year: '2000' } })).status,
    409,
    'one row',
  )
})

t.test('a resource deleted before processing is skipped: no event, no song', async (t) => {
  const gone = nextId++
  const next = serve(makeMp3({ ...QUEEN_TAGS, seed: 5 }))
  // One key for both: same partition, so `next` is handled after `gone`.
  for (const id of [gone, next]) {
    const event = newEvent<ResourceUploaded>(TOPICS.resourceUploaded, id, { size: 1, sha256: '0'.repeat(64) })
    await publisher.sendRaw(TOPICS.resourceUploaded, { key: String(gone), value: JSON.stringify(event), headers: {} })
  }
  await awaitProcessed(next)
  t.ok(resources.requests.includes(gone), 'the processor asked for it')
  t.same(processedOf(gone), [], 'nothing published for it')
  t.equal((await http('GET', `${songs}/songs/${gone}`)).status, 404)
  t.match((await http('GET', `${base}/metrics`)).text, /processor_resources_total\{[^}]*outcome="skipped"[^}]*\} [1-9]/)
})

t.test('a Resource Service error is retried until it answers; nothing is lost', async (t) => {
  const id = serve(makeMp3({ ...QUEEN_TAGS, seed: 6 }))
  resources.failNext.set(id, 2)
  await upload(id)
  const [message] = await awaitProcessed(id)
  t.match(message?.event, { status: 'OK' })
  t.equal(resources.requests.filter((requested) => requested === id).length, 3, 'two 503s, then the file')
  t.match((await http('GET', `${base}/metrics`)).text, /processor_errors_total\{[^}]*type="resource.uploaded"[^}]*\} [1-9]/)
})

t.test("metadata planted under the id beforehand never stands: the song is the file's own", async (t) => {
  const id = serve(makeMp3({ ...QUEEN_TAGS, seconds: 179, seed: 7 }))
  // Someone recorded other metadata under the id the upload gets (POST /songs does not check the resource).
  const planted = { id, name: 'Planted', artist: 'Someone else', album: 'Elsewhere', duration: '00:42', year: '2001' }
  t.equal((await http('POST', `${songs}/songs`, { json: planted })).status, 200)
  await upload(id)
  const [message] = await awaitProcessed(id)
  t.match(message?.event, { status: 'OK' })
  t.strictSame((await http('GET', `${songs}/songs/${id}`)).json, queenSong(id))
})

t.test('health and metrics', async (t) => {
  const ready = await http('GET', `${base}/health/ready`)
  t.equal(ready.status, 200)
  t.match(ready.json, {
    status: 'UP',
    components: { kafka: { status: 'UP', details: { topics: ['resource.uploaded'] } } },
  })
  const metrics = (await http('GET', `${base}/metrics`)).text
  t.match(metrics, /processor_resources_total\{[^}]*outcome="ok"[^}]*\} [1-9]/)
  t.match(metrics, /processor_resources_total\{[^}]*outcome="failed"[^}]*\} [1-9]/)
  t.match(metrics, /processor_processing_duration_seconds_count\{[^}]*outcome="ok"[^}]*\} [1-9]/)
})
