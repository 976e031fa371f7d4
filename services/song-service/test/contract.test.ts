// The contracts' SongServiceClient against this service's own OpenAPI document:
// every operation the callers use exists here with the same shapes
// (docs/architecture.md "Contracts").
import { SongServiceClient, operationMismatches, type OpenApiDocument } from '@soundline/contracts'
import { createLogger } from '@soundline/platform'
import { http, listenOnFreePort, startTestDatabase } from '@soundline/dev-stack/testing'
import t from 'tap'
import { Type } from 'typebox'
import { buildApp } from '../src/app.js'
import { loadSongServiceConfig } from '../src/config.js'

const database = await startTestDatabase()
t.teardown(() => database.stop())
const app = await buildApp(
  loadSongServiceConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }),
  createLogger({ service: 'song-service', level: 'silent' }),
)
t.teardown(() => app.close())
const document = (await http('GET', `${await listenOnFreePort(app)}/docs/json`)).json as OpenApiDocument
const operations = SongServiceClient.operations

t.test("every operation of the Song Service's client is in its OpenAPI document, with the same shapes", async (t) => {
  t.strictSame(operationMismatches(document, operations), [])
})

t.test('the check sees a client that drifted', async (t) => {
  const { get, delete: remove, record } = operations
  t.match(operationMismatches(document, { get: { ...get, path: '/song/{id}' } }), [/not in the provider's OpenAPI/])
  t.match(operationMismatches(document, { delete: { ...remove, query: Type.Object({ ids: Type.String() }) } }), [/no query parameter ids/])
  t.match(operationMismatches(document, { record: { ...record, method: 'POST' } }), [/not in the provider's OpenAPI/])
  t.match(operationMismatches(document, { record: { ...record, body: Type.Object({ title: Type.String() }) } }), [/request body differs/])
  t.match(operationMismatches(document, { get: { ...get, success: { status: 200, body: Type.Object({ id: Type.Integer() }) } } }), [
    /200 answer's body differs/,
  ])
})
