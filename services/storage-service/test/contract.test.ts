// The contracts' StorageServiceClient against this service's own OpenAPI
// document (docs/architecture.md "Contracts").
import { StorageServiceClient, operationMismatches, type OpenApiDocument } from '@soundline/contracts'
import { createLogger } from '@soundline/platform'
import { http, listenOnFreePort, startTestDatabase, startTestS3 } from '@soundline/dev-stack/testing'
import t from 'tap'
import { Type } from 'typebox'
import { buildApp } from '../src/app.js'
import { loadStorageServiceConfig } from '../src/config.js'

const s3Server = await startTestS3()
t.teardown(() => s3Server.stop())
const database = await startTestDatabase()
t.teardown(() => database.stop())
const app = await buildApp(
  loadStorageServiceConfig({ DATABASE_URL: database.url, S3_ENDPOINT: s3Server.endpoint, LOG_LEVEL: 'silent' }),
  createLogger({ service: 'storage-service', level: 'silent' }),
)
t.teardown(() => app.close())
const document = (await http('GET', `${await listenOnFreePort(app)}/docs/json`)).json as OpenApiDocument
const operations = StorageServiceClient.operations

t.test("every operation of the Storage Service's client is in its OpenAPI document, with the same shapes", async (t) => {
  t.strictSame(operationMismatches(document, operations), [])
})

t.test('the check sees a client that drifted', async (t) => {
  const { list } = operations
  t.match(operationMismatches(document, { list: { ...list, path: '/storage' } }), [/not in the provider's OpenAPI/])
  t.match(operationMismatches(document, { list: { ...list, query: Type.Object({ kind: Type.String() }) } }), [/no query parameter kind/])
  t.match(
    operationMismatches(document, { list: { ...list, success: { status: 200, body: Type.Array(Type.Object({ id: Type.String() })) } } }),
    [/200 answer's body differs/],
  )
})
