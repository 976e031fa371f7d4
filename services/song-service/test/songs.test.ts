import { createLogger } from '@soundline/platform'
import { http, listenOnFreePort, startTestDatabase, validationError } from '@soundline/dev-stack/testing'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadSongServiceConfig } from '../src/config.js'

const database = await startTestDatabase()
t.teardown(() => database.stop())

async function startSongService() {
  const config = loadSongServiceConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' })
  const app = await buildApp(config, createLogger({ service: 'song-service', level: 'silent' }))
  const base = await listenOnFreePort(app)
  return { app, base }
}

let { app, base } = await startSongService()
t.teardown(() => app.close())

const queen = { id: 1, name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }

t.test('POST /songs creates metadata and answers only the id', async (t) => {
  const res = await http('POST', `${base}/songs`, { json: queen, headers: { 'x-request-id': 'req-abc.1' } })
  t.equal(res.status, 200)
  t.same(res.json, { id: 1 })
  t.equal(res.text, '{"id":1}')
  t.equal(res.headers.get('content-type'), 'application/json')
  t.equal(res.headers.get('x-request-id'), 'req-abc.1', 'request id is echoed')
})

t.test('a second POST for the same resource is a conflict', async (t) => {
  const res = await http('POST', `${base}/songs`, { json: { ...queen, name: 'Other' } })
  t.equal(res.status, 409)
  t.strictSame(res.json, { errorMessage: 'Metadata for resource ID=1 already exists', errorCode: '409' })
  t.equal(res.headers.get('content-type'), 'application/json')
})

t.test('GET /songs/{id} returns exactly the six fields', async (t) => {
  const res = await http('GET', `${base}/songs/1`)
  t.equal(res.status, 200)
  t.strictSame(res.json, queen)
  t.equal(res.headers.get('content-type'), 'application/json')
  t.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/, 'a request id is generated when none is sent')
})

t.test('GET of a missing song is 404 with the contract message', async (t) => {
  const res = await http('GET', `${base}/songs/5`)
  t.equal(res.status, 404)
  t.strictSame(res.json, { errorMessage: 'Song metadata for ID=5 not found', errorCode: '404' })
})

t.test('path ids that are not canonical positive integers are rejected, quoted raw', async (t) => {
  for (const [raw, encoded] of [
    ['ABC'],
    ['1.1'],
    ['-1'],
    ['0'],
    ['00001'],
    ['1e3'],
    ['2147483648'],
    [' 1', '%201'],
    ['+1', '%2B1'],
  ] as const) {
    const res = await http('GET', `${base}/songs/${encoded ?? raw}`)
    t.equal(res.status, 400, `${raw} is rejected`)
    t.strictSame(res.json, { errorMessage: `Invalid value '${raw}' for ID. Must be a positive integer`, errorCode: '400' })
  }
  const max = await http('GET', `${base}/songs/2147483647`)
  t.equal(max.status, 404, 'the largest id is valid')
})

t.test('validation: every missing field is named with its own message', async (t) => {
  const res = await http('POST', `${base}/songs`, { json: {} })
  t.equal(res.status, 400)
  t.strictSame(
    res.json,
    validationError({
      id: 'Resource ID is required',
      name: 'Song name is required',
      artist: 'Artist name is required',
      album: 'Album name is required',
      duration: 'Duration is required',
      year: 'Year is required',
    }),
  )
  t.equal(res.headers.get('content-type'), 'application/json')
})

t.test('validation: invalid values get the invalid message, only for failing fields', async (t) => {
  const res = await http('POST', `${base}/songs`, {
    json: { id: 2, name: '', artist: 'x'.repeat(101), album: 'Ok album', duration: '2:59', year: '1899' },
  })
  t.equal(res.status, 400)
  t.strictSame(
    res.json,
    validationError({
      name: 'Song name must be between 1 and 100 characters',
      artist: 'Artist name must be between 1 and 100 characters',
      duration: 'Duration must be in mm:ss format with leading zeros',
      year: 'Year must be between 1900 and 2099',
    }),
  )
})

t.test('validation: wrong types, nulls, blanks and huge values', async (t) => {
  const cases: [Record<string, unknown>, Record<string, string>][] = [
    [{ id: '3' }, { id: 'Resource ID must be a positive integer' }],
    [{ id: 0 }, { id: 'Resource ID must be a positive integer' }],
    [{ id: 1.5 }, { id: 'Resource ID must be a positive integer' }],
    [{ id: 2147483648 }, { id: 'Resource ID must be a positive integer' }],
    [{ id: null }, { id: 'Resource ID is required' }],
    [{ name: null }, { name: 'Song name is required' }],
    [{ name: '   ' }, { name: 'Song name must be between 1 and 100 characters' }],
    [{ name: 'n'.repeat(10_000) }, { name: 'Song name must be between 1 and 100 characters' }],
    [{ album: 42 }, { album: 'Album name must be between 1 and 100 characters' }],
    [{ duration: '02:60' }, { duration: 'Duration must be in mm:ss format with leading zeros' }],
    [{ year: 1977 }, { year: 'Year must be between 1900 and 2099' }],
    [{ year: '2100' }, { year: 'Year must be between 1900 and 2099' }],
  ]
  for (const [change, details] of cases) {
    const res = await http('POST', `${base}/songs`, { json: { ...queen, id: 3, ...change } })
    t.equal(res.status, 400, JSON.stringify(change).slice(0, 60))
    t.strictSame(res.json, { errorMessage: 'Validation error', details, errorCode: '400' })
  }
  t.equal((await http('GET', `${base}/songs/3`)).status, 404, 'nothing was stored')
})

t.test('control characters in any text field: 400 naming the field, never a database error', async (t) => {
  const messages = {
    name: 'Song name must be between 1 and 100 characters',
    artist: 'Artist name must be between 1 and 100 characters',
    album: 'Album name must be between 1 and 100 characters',
    duration: 'Duration must be in mm:ss format with leading zeros',
    year: 'Year must be between 1900 and 2099',
  }
  for (const [field, value] of [
    ['name', 'a\u0000b'],
    ['name', 'We are\tthe champions'],
    ['artist', 'Queen\u007f'],
    ['album', 'News\u0085'],
    ['album', 'line\nbreak'],
    ['duration', '02:59\u0000'],
    ['year', '1977\u0000'],
  ] as const) {
    const res = await http('POST', `${base}/songs`, { json: { ...queen, id: 5, [field]: value } })
    t.equal(res.status, 400, `${field} ${JSON.stringify(value)}`)
    t.strictSame(res.json, validationError({ [field]: messages[field] }))
  }
  t.equal((await http('GET', `${base}/songs/5`)).status, 404, 'nothing was stored')
})

t.test("internal upsert: creates, replaces with the sender's values, repeats harmlessly", async (t) => {
  const { id: _id, ...fields } = queen
  const created = await http('PUT', `${base}/internal/songs/20`, { json: fields })
  t.equal(created.status, 200)
  t.strictSame(created.json, { id: 20 })
  t.strictSame((await http('PUT', `${base}/internal/songs/20`, { json: fields })).json, { id: 20 }, 'a repeat')
  t.equal((await http('PUT', `${base}/internal/songs/20`, { json: { ...fields, name: 'Other' } })).status, 200)
  t.strictSame((await http('GET', `${base}/songs/20`)).json, { ...queen, id: 20, name: 'Other' }, 'replaced')

  const invalid = await http('PUT', `${base}/internal/songs/21`, { json: { ...fields, year: '1899', name: 'a\u0000' } })
  t.equal(invalid.status, 400)
  t.strictSame(
    invalid.json,
    validationError({ name: 'Song name must be between 1 and 100 characters', year: 'Year must be between 1900 and 2099' }),
  )
  const badId = await http('PUT', `${base}/internal/songs/0`, { json: fields })
  t.strictSame(badId.json, { errorMessage: "Invalid value '0' for ID. Must be a positive integer", errorCode: '400' })
  t.equal((await http('GET', `${base}/songs/21`)).status, 404, 'nothing stored for a refused body')
})

t.test('unknown fields are ignored, not stored', async (t) => {
  const res = await http('POST', `${base}/songs`, { json: { ...queen, id: 4, genre: 'Rock', extra: { a: 1 } } })
  t.equal(res.status, 200)
  t.strictSame((await http('GET', `${base}/songs/4`)).json, { ...queen, id: 4 })
})

t.test('malformed, empty, non-object, oversized and non-JSON bodies are client errors', async (t) => {
  const malformed = await http('POST', `${base}/songs`, { body: '{"id": 1,', headers: { 'content-type': 'application/json' } })
  t.equal(malformed.status, 400)
  t.strictSame(malformed.json, { errorMessage: 'Malformed JSON in request body', errorCode: '400' })

  const empty = await http('POST', `${base}/songs`, { body: '', headers: { 'content-type': 'application/json' } })
  t.equal(empty.status, 400)
  t.strictSame(empty.json, { errorMessage: 'Request body is empty: a JSON object is required', errorCode: '400' })

  const array = await http('POST', `${base}/songs`, { json: [queen] })
  t.equal(array.status, 400)
  t.strictSame(array.json, { errorMessage: 'Request body must be a JSON object', errorCode: '400' })

  const huge = await http('POST', `${base}/songs`, { json: { ...queen, id: 9, name: 'n'.repeat(2 * 1024 * 1024) } })
  t.equal(huge.status, 413)
  t.strictSame(huge.json, { errorMessage: 'Request body is too large: the limit is 1048576 bytes', errorCode: '413' })

  const text = await http('POST', `${base}/songs`, { body: 'hello', headers: { 'content-type': 'text/plain' } })
  t.equal(text.status, 415)
  t.strictSame(text.json, { errorMessage: 'Unsupported content type: text/plain', errorCode: '415' })
})

t.test('DELETE /songs?id= deletes what exists and lists exactly that', async (t) => {
  await http('POST', `${base}/songs`, { json: { ...queen, id: 10 } })
  await http('POST', `${base}/songs`, { json: { ...queen, id: 11 } })
  const res = await http('DELETE', `${base}/songs?id=11,10,999,10`)
  t.equal(res.status, 200)
  t.strictSame(res.json, { ids: [10, 11] })
  t.equal((await http('GET', `${base}/songs/10`)).status, 404)
  t.strictSame((await http('DELETE', `${base}/songs?id=10`)).json, { ids: [] }, 'deleting again deletes nothing')
})

t.test('DELETE CSV errors', async (t) => {
  const long = Array.from({ length: 60 }, (_, i) => String(1000 + i))
    .join(',')
    .slice(0, 208)
  const tooLong = await http('DELETE', `${base}/songs?id=${long}`)
  t.equal(tooLong.status, 400)
  t.strictSame(tooLong.json, { errorMessage: 'CSV string is too long: received 208 characters, maximum allowed is 200', errorCode: '400' })

  for (const [query, entry] of [
    ['1,V,3', 'V'],
    ['1,,2', ''],
    ['1,%202', ' 2'],
    ['1,', ''],
    ['1.5', '1.5'],
    ['0', '0'],
  ] as const) {
    const res = await http('DELETE', `${base}/songs?id=${query}`)
    t.equal(res.status, 400, query)
    t.strictSame(res.json, { errorMessage: `Invalid ID format: '${entry}'. Only positive integers are allowed`, errorCode: '400' })
  }

  const missing = await http('DELETE', `${base}/songs`)
  t.equal(missing.status, 400)
  t.strictSame(missing.json, validationError({ id: 'Parameter id is required: a comma-separated list of ids' }))
})

t.test('unknown routes answer 404 in the contract form', async (t) => {
  const res = await http('GET', `${base}/nope`)
  t.equal(res.status, 404)
  t.strictSame(res.json, { errorMessage: 'Route GET /nope not found', errorCode: '404' })
})

t.test('health, metrics and OpenAPI', async (t) => {
  t.equal((await http('GET', `${base}/health/live`)).status, 200)
  const ready = await http('GET', `${base}/health/ready`)
  t.equal(ready.status, 200)
  t.match(ready.json, { status: 'UP', components: { db: { status: 'UP' } } })

  const metrics = await http('GET', `${base}/metrics`)
  t.match(metrics.text, /http_server_requests_total\{[^}]*method="GET",route="\/songs\/:id",status_code="200"[^}]*\} \d+/)
  t.match(metrics.text, /http_server_request_duration_seconds_bucket/)
  t.match(metrics.text, /process_cpu_seconds_total/)

  const openapi = await http('GET', `${base}/docs/json`)
  t.equal(openapi.status, 200)
  const doc = openapi.json as { openapi: string; paths: Record<string, unknown> }
  t.match(doc.openapi, /^3\./)
  t.ok(doc.paths['/songs/{id}'], 'GET /songs/{id} is documented')
  t.ok(doc.paths['/songs'], 'POST and DELETE /songs are documented')
  // Every answer each route can give is declared (docs/api.md "Every response").
  const declared = (path: string, method: string) =>
    Object.keys((doc.paths[path] as Record<string, { responses: object }> | undefined)?.[method]?.responses ?? {}).sort()
  t.strictSame(declared('/songs', 'post'), ['200', '400', '409', '413', '415', '500', '503'])
  t.strictSame(declared('/songs/{id}', 'get'), ['200', '400', '404', '500', '503'])
  t.strictSame(declared('/songs', 'delete'), ['200', '400', '413', '415', '500', '503'])
  t.strictSame(declared('/internal/songs/{id}', 'put'), ['200', '400', '413', '415', '500', '503'])
  t.equal((await http('GET', `${base}/docs`)).status, 200, 'browsable docs')
})

t.test('data survives a restart of the service', async (t) => {
  await app.close()
  ;({ app, base } = await startSongService())
  t.strictSame((await http('GET', `${base}/songs/1`)).json, queen)
})
