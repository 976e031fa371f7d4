// The contracts' StorageServiceClient against this service's own OpenAPI
// document (docs/architecture.md "Contracts").
import { StorageServiceClient } from '@soundline/contracts'
import { createLogger } from '@soundline/platform'
import { checkContract, listenOnFreePort, startTestDatabase, startTestS3 } from '@soundline/dev-stack/testing'
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
const operations = StorageServiceClient.operations
const { list } = operations

await checkContract(t, await listenOnFreePort(app), 'Storage Service', operations, [
  [{ list: { ...list, path: '/storage' } }, [/not in the provider's OpenAPI/]],
  [{ list: { ...list, query: Type.Object({ kind: Type.String() }) } }, [/no query parameter kind/]],
  [{ list: { ...list, success: { status: 200, body: Type.Array(Type.Object({ id: Type.String() })) } } }, [/200 answer's body differs/]],
])
