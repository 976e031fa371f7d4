import { http } from '@soundline/dev-stack/testing'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import t from 'tap'
import { adminTokens, bearer, userTokens } from './tokens.js'
import { portOf, resourceStatus, startFakeResourceService, startGateway, startSongService, startUpstreams } from './upstreams.js'

const upstreams = await startUpstreams()
t.teardown(() => upstreams.stop())
const gateway = await startGateway(upstreams)
t.teardown(() => gateway.stop())
// Revalidates on every read (TTL 0): serves from the cache only while the upstream is down.
// No retries and three calls before the song breaker may open: each step of the outage test is one breaker call.
const revalidating = await startGateway(upstreams, {
  CACHE_TTL_SECONDS: '0',
  UPSTREAM_RETRIES: '0',
  BREAKER_SONG_SERVICE_MINIMUM_CALLS: '3',
})
t.teardown(() => revalidating.stop())

const base = gateway.base
const user = bearer((await userTokens(base, 'dana')).accessToken)
// Song metadata is written by the pipeline and admins only.
const admin = bearer((await adminTokens(base)).accessToken)
const song = (id: number, name = 'We are the champions') => ({
  id,
  name,
  artist: 'Queen',
  album: 'News of the world',
  duration: '02:59',
  year: '1977',
})

const MB = 1024 * 1024

t.test('a 100 MB upload streams through to the upstream intact', async (t) => {
  const size = 100 * MB
  const chunk = Buffer.alloc(MB, 3)
  const expected = createHash('sha256')
  for (let i = 0; i < 100; i += 1) expected.update(chunk)
  const body = Readable.from(
    (function* () {
      for (let i = 0; i < 100; i += 1) yield chunk
    })(),
  )
  const response = await fetch(`${base}/resources`, {
    method: 'POST',
    headers: { ...user, 'content-type': 'audio/mpeg', 'content-length': String(size) },
    body: Readable.toWeb(body) as ReadableStream,
    duplex: 'half',
  } as RequestInit)
  t.equal(response.status, 200)
  t.strictSame(await response.json(), { id: 1, size, sha256: expected.digest('hex') })
})

t.test('a 100 MB download streams through with its length', async (t) => {
  const size = 100 * MB
  const response = await fetch(`${base}/resources/1?bytes=${size}`, { headers: user })
  t.equal(response.status, 200)
  t.equal(response.headers.get('content-type'), 'audio/mpeg')
  t.equal(response.headers.get('content-length'), String(size))
  let received = 0
  for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) received += part.length
  t.equal(received, size)
})

t.test('HEAD, query strings and upstream 4xx pass through unchanged', async (t) => {
  const head = await fetch(`${base}/resources/1?bytes=2048`, { method: 'HEAD', headers: user })
  t.equal(head.status, 200)
  t.equal(head.headers.get('content-length'), '2048')
  const invalid = await http('GET', `${base}/songs/ABC`, { headers: user })
  t.equal(invalid.status, 400)
  t.strictSame(invalid.json, { errorMessage: "Invalid value 'ABC' for ID. Must be a positive integer", errorCode: '400' })
  const csv = await http('DELETE', `${base}/songs?id=1,V`, { headers: admin })
  t.strictSame(csv.json, { errorMessage: "Invalid ID format: 'V'. Only positive integers are allowed", errorCode: '400' })
  const validation = await http('POST', `${base}/songs`, { json: {}, headers: admin })
  t.equal(validation.status, 400)
  t.match(validation.json, { errorMessage: 'Validation error', details: { name: 'Song name is required' } })
})

t.test('GET /songs/{id} is cached; a delete through the gateway invalidates it', async (t) => {
  await http('POST', `${base}/songs`, { json: song(10), headers: admin })
  const first = await http('GET', `${base}/songs/10`, { headers: user })
  t.equal(first.headers.get('x-cache'), 'MISS')
  const second = await http('GET', `${base}/songs/10`, { headers: user })
  t.equal(second.headers.get('x-cache'), 'HIT')
  t.strictSame(second.json, song(10))
  t.equal(second.headers.get('content-type'), 'application/json')

  t.strictSame((await http('DELETE', `${base}/songs?id=10`, { headers: admin })).json, { ids: [10] })
  const gone = await http('GET', `${base}/songs/10`, { headers: user })
  t.equal(gone.status, 404, 'not served from the cache after the delete')

  await http('POST', `${base}/songs`, { json: song(10, 'Recreated'), headers: admin })
  t.equal(((await http('GET', `${base}/songs/10`, { headers: user })).json as { name: string }).name, 'Recreated')
})

t.test('GET /storages is cached per query; writes invalidate', async (t) => {
  const all = await http('GET', `${base}/storages`, { headers: user })
  t.equal(all.headers.get('x-cache'), 'MISS')
  t.equal((await http('GET', `${base}/storages`, { headers: user })).headers.get('x-cache'), 'HIT')
  const staging = await http('GET', `${base}/storages?type=STAGING`, { headers: user })
  t.equal(staging.headers.get('x-cache'), 'MISS', 'another query is another entry')
  t.equal((staging.json as unknown[]).length, 1)
})

t.test('a resource delete invalidates the cached song of that id (cascade)', async (t) => {
  await http('POST', `${base}/songs`, { json: song(11), headers: admin })
  await http('GET', `${base}/songs/11`, { headers: user })
  t.equal((await http('GET', `${base}/songs/11`, { headers: user })).headers.get('x-cache'), 'HIT')
  await http('DELETE', `${base}/resources?id=11`, { headers: user })
  t.equal((await http('GET', `${base}/songs/11`, { headers: user })).headers.get('x-cache'), 'MISS')
})

t.test('4xx answers never open a breaker', async (t) => {
  for (let i = 0; i < 20; i += 1) t.equal((await http('GET', `${base}/songs/999`, { headers: user })).status, 404)
  t.equal((await http('GET', `${base}/songs/ABC`, { headers: user })).status, 400)
  const ready = await http('GET', `${base}/health/ready`)
  t.match(ready.json, { components: { circuits: { status: 'UP', details: { 'song-service': { state: 'closed' } } } } })
})

t.test('a failing upstream (5xx) is forwarded, counted, and then refused with 503 + Retry-After', async (t) => {
  const failing = await http('GET', `${base}/resources/fail`, { headers: user })
  t.equal(failing.status, 500, 'the upstream 500 is forwarded as it is')
  t.strictSame(failing.json, { errorMessage: 'Internal server error', errorCode: '500' })
  await http('GET', `${base}/resources/fail`, { headers: user })
  const refused = await http('GET', `${base}/resources/fail`, { headers: user })
  t.equal(refused.status, 503)
  t.match(refused.json, { errorMessage: /^resource-service is unavailable \(circuit open\): retry in \d+ s$/, errorCode: '503' })
  t.ok(Number(refused.headers.get('retry-after')) >= 1)
  const ready = await http('GET', `${base}/health/ready`)
  t.equal(ready.status, 200, 'an open upstream circuit degrades the gateway, it does not take it down')
  t.match(ready.json, {
    status: 'DEGRADED',
    components: { circuits: { status: 'DEGRADED', details: { 'resource-service': { state: 'open' } } } },
  })
})

t.test('song service killed: stale cache answers, uncached reads get 503, then the breaker opens', async (t) => {
  const reader = revalidating.base
  await http('POST', `${base}/songs`, { json: song(20), headers: admin })
  t.equal((await http('GET', `${reader}/songs/20`, { headers: user })).headers.get('x-cache'), 'MISS')

  const songPort = portOf(upstreams.song.base)
  await upstreams.song.stop()

  const stale = await http('GET', `${reader}/songs/20`, { headers: user })
  t.equal(stale.status, 200)
  t.strictSame(stale.json, song(20))
  t.equal(stale.headers.get('x-cache'), 'STALE')
  t.equal(stale.headers.get('warning'), '110 - "Response is Stale"')
  t.match(stale.headers.get('age'), /^\d+$/)

  const down = await http('GET', `${reader}/songs/21`, { headers: user })
  t.equal(down.status, 503)
  t.match(down.json, { errorMessage: /^song-service is unavailable: connection failed \(ECONNREFUSED\)$/, errorCode: '503' })
  t.equal(down.headers.get('retry-after'), '1')

  const open = await http('GET', `${reader}/songs/21`, { headers: user })
  t.equal(open.status, 503)
  t.match(open.json, { errorMessage: /circuit open/ })
  t.ok(Number(open.headers.get('retry-after')) >= 1)

  const stillStale = await http('GET', `${reader}/songs/20`, { headers: user })
  t.equal(stillStale.headers.get('x-cache'), 'STALE', 'the cache covers an open circuit too')

  const metrics = await http('GET', `${reader}/metrics`)
  t.match(metrics.text, /circuitbreaker_fallback_calls_total\{[^}]*name="song-service"[^}]*source="cache"[^}]*\} [1-9]/)

  upstreams.song = await startSongService(upstreams.databases.song, songPort)
})

t.test('GET /catalog/{id}: both parts, or the part it has and the missing one named', async (t) => {
  // A fresh gateway: nothing cached, every breaker closed.
  const fresh = await startGateway(upstreams)
  t.teardown(() => fresh.stop())
  await http('POST', `${fresh.base}/songs`, { json: song(30), headers: admin })
  const full = await http('GET', `${fresh.base}/catalog/30`, { headers: user })
  t.equal(full.status, 200)
  t.strictSame(full.json, { id: 30, song: song(30), resource: resourceStatus(30), degraded: [], stale: [] })
  t.equal(full.headers.get('content-type'), 'application/json')

  const noSong = await http('GET', `${fresh.base}/catalog/31`, { headers: user })
  t.strictSame(noSong.json, { id: 31, song: null, resource: resourceStatus(31), degraded: [], stale: [] }, 'absent is not degraded')
  t.equal((await http('GET', `${fresh.base}/catalog/404`, { headers: user })).status, 404, 'both absent')
  t.equal((await http('GET', `${fresh.base}/catalog/ABC`, { headers: user })).status, 400)
  t.equal((await http('GET', `${fresh.base}/catalog/30`)).status, 401)

  // The Song Service down; song 30 is not cached on this gateway (catalog reads fill the cache: use id 32).
  await http('POST', `${fresh.base}/songs`, { json: song(32), headers: admin })
  const songPort = portOf(upstreams.song.base)
  await upstreams.song.stop()
  const degraded = await http('GET', `${fresh.base}/catalog/32`, { headers: user })
  t.equal(degraded.status, 200)
  t.strictSame(degraded.json, { id: 32, song: null, resource: resourceStatus(32), degraded: ['song'], stale: [] })
  upstreams.song = await startSongService(upstreams.databases.song, songPort)

  // The resource side down.
  const resourcePort = portOf(upstreams.resource.base)
  await upstreams.resource.stop()
  const noResource = await http('GET', `${fresh.base}/catalog/30`, { headers: user })
  t.equal(noResource.status, 200)
  t.strictSame(noResource.json, { id: 30, song: song(30), resource: null, degraded: ['resource'], stale: [] })
  upstreams.resource = await startFakeResourceService(resourcePort)
})
