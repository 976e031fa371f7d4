import { createHash } from 'node:crypto'
import {
  collectEvents,
  eventually,
  fakeMp3Bytes,
  http,
  kafkaBrokers,
  makeMp3,
  pngBytes,
  truncatedMp3,
  waitUntilReady,
  wavBytes,
} from '@soundline/dev-stack/testing'
import t from 'tap'
import { countRows, objectKeys, startResourceService, startStack, upload } from './helpers.js'

kafkaBrokers()
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const stack = await startStack(t.teardown)
// A starved machine (CI's two cores beside the image builds) makes Storage Service calls slow; with the
// default deadline's 250 ms slow-call threshold the breaker then opens and readiness says DEGRADED. This
// file tests the routes, not the breaker (storage-fallback.test.ts does), so its deadline is generous.
const { base, databaseUrl } = await startResourceService(stack, t.teardown, { STORAGE_SERVICE_TIMEOUT_MS: '10000' })
await waitUntilReady(base)
const events = await collectEvents([`${stack.topicPrefix}resource.uploaded`, `${stack.topicPrefix}resource.deleted`], t.teardown)

const rowCount = () => countRows(databaseUrl, 'resources')

const song = makeMp3({ seconds: 2, title: 'We are the champions', seed: 7 })

t.test('upload: 200 {id}, STAGING row, object in the staging bucket, resource.uploaded on Kafka', async (t) => {
  const res = await upload(base, song)
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'application/json')
  t.strictSame(res.json, { id: 1 })

  const status = await http('GET', `${base}/resources/1/status`)
  t.equal(status.status, 200)
  const body = status.json as Record<string, unknown>
  t.strictSame(Object.keys(body).sort(), [
    'bucket',
    'createdAt',
    'failureReason',
    'id',
    'key',
    'sha256',
    'size',
    'state',
    'storageId',
    'updatedAt',
  ])
  t.match(body, {
    id: 1,
    state: 'STAGING',
    storageId: 3,
    bucket: stack.stagingBucket,
    size: song.length,
    sha256: sha256(song),
    failureReason: null,
  })
  t.match(body.key, /^staging\/[0-9a-f-]{36}\.mp3$/)
  t.ok(!Number.isNaN(Date.parse(body.createdAt as string)) && (body.createdAt as string).endsWith('Z'), 'ISO timestamp')
  t.strictSame(await objectKeys(stack.s3, stack.stagingBucket), [body.key])

  const message = await eventually(
    async () => events.find((m) => m.event.type === 'resource.uploaded' && m.event.resourceId === 1),
    'resource.uploaded',
  )
  t.equal(message.key, '1')
  t.match(message.event, { type: 'resource.uploaded', resourceId: 1, size: song.length, sha256: sha256(song) })
  t.match(message.event.eventId, /^[0-9a-f-]{36}$/)
  t.match(message.headers, {
    ce_specversion: '1.0',
    ce_id: message.event.eventId,
    ce_type: 'resource.uploaded',
    ce_source: 'resource-service',
    ce_subject: '1',
    'content-type': 'application/json',
  })
})

t.test('download: identical bytes, ranges, HEAD', async (t) => {
  const full = await fetch(`${base}/resources/1`)
  t.equal(full.status, 200)
  t.equal(full.headers.get('content-type'), 'audio/mpeg')
  t.equal(full.headers.get('content-length'), String(song.length))
  t.equal(full.headers.get('accept-ranges'), 'bytes')
  t.equal(sha256(Buffer.from(await full.arrayBuffer())), sha256(song), 'same bytes')

  const cases: [string, number, number][] = [
    ['bytes=10-19', 10, 19],
    ['bytes=100-', 100, song.length - 1],
    ['bytes=-50', song.length - 50, song.length - 1],
    ['bytes=0-99999999', 0, song.length - 1],
  ]
  for (const [range, start, end] of cases) {
    const part = await fetch(`${base}/resources/1`, { headers: { range } })
    t.equal(part.status, 206, range)
    t.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${song.length}`, range)
    t.equal(part.headers.get('content-length'), String(end - start + 1), range)
    t.strictSame(Buffer.from(await part.arrayBuffer()), song.subarray(start, end + 1), `${range} bytes`)
  }

  const ignored = await fetch(`${base}/resources/1`, { headers: { range: 'bytes=0-1,5-6' } })
  t.equal(ignored.status, 200, 'several ranges: the whole file')
  t.equal((await ignored.arrayBuffer()).byteLength, song.length)
  const unsatisfiable = await http('GET', `${base}/resources/1`, { headers: { range: `bytes=${song.length}-` } })
  t.equal(unsatisfiable.status, 416)
  t.equal(unsatisfiable.headers.get('content-range'), `bytes */${song.length}`)
  t.match(unsatisfiable.json, { errorCode: '416', errorMessage: String })

  const head = await fetch(`${base}/resources/1`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(head.headers.get('content-type'), 'audio/mpeg')
  t.equal(head.headers.get('content-length'), String(song.length))
  t.equal((await head.arrayBuffer()).byteLength, 0)
  const headRange = await fetch(`${base}/resources/1`, { method: 'HEAD', headers: { range: 'bytes=0-9' } })
  t.equal(headRange.status, 206)
  t.equal(headRange.headers.get('content-length'), '10')
})

t.test('not found and bad ids', async (t) => {
  for (const path of ['/resources/5', '/resources/5/status']) {
    const res = await http('GET', `${base}${path}`)
    t.equal(res.status, 404)
    t.strictSame(res.json, { errorMessage: 'Resource with ID=5 not found', errorCode: '404' })
  }
  t.equal((await fetch(`${base}/resources/5`, { method: 'HEAD' })).status, 404)
  const bad = await http('GET', `${base}/resources/ABC`)
  t.equal(bad.status, 400)
  t.strictSame(bad.json, { errorMessage: "Invalid value 'ABC' for ID. Must be a positive integer", errorCode: '400' })
  t.strictSame((await http('GET', `${base}/resources/0/status`)).json, {
    errorMessage: "Invalid value '0' for ID. Must be a positive integer",
    errorCode: '400',
  })
})

t.test('bad uploads: contract errors, no object, no row', async (t) => {
  const invalid = (type: string) => ({ errorMessage: `Invalid file format: ${type}. Only MP3 files are allowed`, errorCode: '400' })
  const cut = makeMp3({ title: 'A title long enough' })
  const empty = await upload(base, new Uint8Array())
  t.equal(empty.status, 400, 'empty')
  t.strictSame(empty.json, { errorMessage: 'Request body is empty: an MP3 file is required', errorCode: '400' }, 'empty: no file at all')
  const bodies: [string, Uint8Array][] = [
    ['PNG', pngBytes()],
    ['WAV', wavBytes()],
    ['random bytes', Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7919 + 13) % 251)],
    ['ID3 tag then no audio', fakeMp3Bytes()],
    ['cut inside its ID3 tag', cut.subarray(0, 25)],
    ['cut before the first frame ends', truncatedMp3()],
  ]
  for (const [name, body] of bodies) {
    const res = await upload(base, body)
    t.equal(res.status, 400, name)
    t.strictSame(res.json, invalid('audio/mpeg'), name)
  }
  const json = await http('POST', `${base}/resources`, { json: { id: 1 } })
  t.equal(json.status, 400)
  t.strictSame(json.json, invalid('application/json'))
  const wrongType = await upload(base, song, { 'content-type': 'image/png' })
  t.strictSame(wrongType.json, invalid('image/png'))
  const noType = await http('POST', `${base}/resources`, { body: song })
  t.equal(noType.status, 400)
  t.strictSame(noType.json, invalid('(none)'))

  const tab = await upload(base, song, { 'idempotency-key': 'key\twith-tab' })
  t.equal(tab.status, 400)
  t.strictSame(tab.json, {
    errorMessage: 'Validation error',
    details: { 'idempotency-key': 'Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces or control characters)' },
    errorCode: '400',
  })
  const spaced = await upload(base, song, { 'idempotency-key': 'key with space' })
  t.equal(spaced.status, 400, 'a header value is visible ASCII')
  const emptyType = await upload(base, song, { 'content-type': '' })
  t.equal(emptyType.status, 415, 'an empty Content-Type is not a media type')
  t.equal((emptyType.json as { errorCode?: string }).errorCode, '415')

  t.equal(await rowCount(), 1, 'only the first upload has a row')
  t.equal((await objectKeys(stack.s3, stack.stagingBucket)).length, 1, 'only the first upload has an object')
})

t.test('Idempotency-Key: same key and bytes → same id, one object; other bytes → 409', async (t) => {
  const file = makeMp3({ seconds: 1, seed: 21 })
  const first = await upload(base, file, { 'idempotency-key': 'retry-me' })
  t.equal(first.status, 200)
  const again = await upload(base, file, { 'idempotency-key': 'retry-me' })
  t.strictSame(again.json, first.json)
  const concurrent = await Promise.all([1, 2, 3].map(() => upload(base, file, { 'idempotency-key': 'race' })))
  t.strictSame(new Set(concurrent.map((res) => (res.json as { id: number }).id)).size, 1, 'concurrent retries agree on one id')
  const other = await upload(base, makeMp3({ seconds: 1, seed: 22 }), { 'idempotency-key': 'retry-me' })
  t.equal(other.status, 409)
  t.strictSame(other.json, { errorMessage: "Idempotency-Key 'retry-me' was already used for a different file", errorCode: '409' })
  t.equal(await rowCount(), 3)
  t.equal((await objectKeys(stack.s3, stack.stagingBucket)).length, 3, 'one object per row')
})

t.test('delete: objects, rows, song metadata, resource.deleted events', async (t) => {
  const res = await upload(base, makeMp3({ seconds: 1, seed: 31 }))
  const { id } = res.json as { id: number }
  const { key } = (await http('GET', `${base}/resources/${id}/status`)).json as { key: string }
  await http('POST', `${stack.songBase}/songs`, { json: { id, name: 'a', artist: 'b', album: 'c', duration: '00:01', year: '2000' } })

  const deleted = await http('DELETE', `${base}/resources?id=${id},999`)
  t.equal(deleted.status, 200)
  t.strictSame(deleted.json, { ids: [id] })
  t.equal((await http('GET', `${base}/resources/${id}/status`)).status, 404)
  t.notOk((await objectKeys(stack.s3, stack.stagingBucket)).includes(key), 'object gone')
  t.equal((await http('GET', `${stack.songBase}/songs/${id}`)).status, 404, 'song metadata deleted')
  const message = await eventually(
    async () => events.find((m) => m.event.type === 'resource.deleted' && m.event.resourceId === id),
    'resource.deleted',
  )
  t.equal(message.key, String(id))
  t.strictSame((await http('DELETE', `${base}/resources?id=${id}`)).json, { ids: [] }, 'deleting again reports nothing')
  const bad = await http('DELETE', `${base}/resources?id=1,x`)
  t.strictSame(bad.json, { errorMessage: "Invalid ID format: 'x'. Only positive integers are allowed", errorCode: '400' })
})

t.test('over MAX_UPLOAD_BYTES: 413 from Content-Length, and while streaming a chunked body', async (t) => {
  const file = makeMp3({ seconds: 1, seed: 41 })
  const small = await startResourceService(stack, t.teardown, {
    MAX_UPLOAD_BYTES: String(file.length - 1),
    KAFKA_GROUP_ID: `${stack.topicPrefix}small`,
  })
  const before = await objectKeys(stack.s3, stack.stagingBucket)
  const tooLarge = { errorMessage: `File is too large: the limit is ${file.length - 1} bytes`, errorCode: '413' }

  const declared = await upload(small.base, file)
  t.equal(declared.status, 413)
  t.strictSame(declared.json, tooLarge)

  // No Content-Length: only counting the streamed bytes can catch it.
  const chunks = [file.subarray(0, 5000), file.subarray(5000)]
  const streamed = await fetch(`${small.base}/resources`, {
    method: 'POST',
    headers: { 'content-type': 'audio/mpeg' },
    body: new ReadableStream({
      pull: (controller) => {
        const chunk = chunks.shift()
        if (chunk) controller.enqueue(chunk)
        else controller.close()
      },
    }),
    duplex: 'half',
  } as RequestInit)
  t.equal(streamed.status, 413)
  t.strictSame(await streamed.json(), tooLarge)

  const fits = await upload(small.base, file.subarray(0, file.length - 1))
  t.equal(fits.status, 200, 'exactly the limit is accepted (a cut-off last frame is still MP3)')
  t.equal((await objectKeys(stack.s3, stack.stagingBucket)).length, before.length + 1, 'no object from the rejected uploads')
  t.equal(await countRows(small.databaseUrl, 'resources'), 1, 'no row from the rejected uploads')
})

t.test('readiness lists db, s3, kafka and the Storage Service', async (t) => {
  const ready = await http('GET', `${base}/health/ready`)
  t.equal(ready.status, 200)
  t.match(ready.json, {
    status: 'UP',
    components: { db: { status: 'UP' }, s3: { status: 'UP' }, kafka: { status: 'UP' }, storageService: { status: 'UP' } },
  })
})

t.test('OpenAPI lists the routes', async (t) => {
  const docs = (await http('GET', `${base}/docs/json`)).json as { paths: Record<string, Record<string, unknown>> }
  t.ok(docs.paths['/resources']?.post && docs.paths['/resources']?.delete, '/resources')
  // HEAD is served but @fastify/swagger leaves HEAD routes out of the document unless told otherwise (platform setting).
  t.ok(docs.paths['/resources/{id}']?.get, '/resources/{id}')
  t.ok(docs.paths['/resources/{id}/status']?.get, '/resources/{id}/status')
  // Every answer each route gives is declared (docs/api.md "Every response").
  const declared = (path: string, method: string) =>
    Object.keys((docs.paths[path]?.[method] as { responses?: object } | undefined)?.responses ?? {}).sort()
  for (const method of ['get', 'head']) {
    t.strictSame(declared('/resources/{id}', method), ['200', '206', '400', '404', '416', '500', '503'], `${method} /resources/{id}`)
  }
  const file = (docs.paths['/resources/{id}']?.get as { responses: Record<string, { content?: object }> }).responses
  t.ok(file['200']?.content && 'audio/mpeg' in file['200'].content, '200 is audio/mpeg')
  t.ok(file['206']?.content && 'audio/mpeg' in file['206'].content, '206 is audio/mpeg')
  t.strictSame(
    declared('/resources', 'post'),
    ['200', '400', '409', '413', '415', '500', '503'],
    'an upload answers 415 only to a Content-Type that is no media type',
  )
  t.strictSame(declared('/resources', 'delete'), ['200', '400', '413', '500', '503'], 'nor a delete: the routes take every type')
  t.strictSame(declared('/resources/{id}/status', 'get'), ['200', '400', '404', '500', '503'])
})
