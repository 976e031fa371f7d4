// The contracts' SongServiceClient against this service's own OpenAPI document:
// every operation the callers use exists here with the same shapes
// (docs/architecture.md "Contracts").
import { SongServiceClient } from '@soundline/contracts'
import { createLogger } from '@soundline/platform'
import { checkContract, listenOnFreePort, startTestDatabase } from '@soundline/dev-stack/testing'
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
const operations = SongServiceClient.operations
const { get, delete: remove, record } = operations

await checkContract(t, await listenOnFreePort(app), 'Song Service', operations, [
  [{ get: { ...get, path: '/song/{id}' } }, [/not in the provider's OpenAPI/]],
  [{ delete: { ...remove, query: Type.Object({ ids: Type.String() }) } }, [/no query parameter ids/]],
  [{ record: { ...record, method: 'POST' } }, [/not in the provider's OpenAPI/]],
  [{ record: { ...record, body: Type.Object({ title: Type.String() }) } }, [/request body differs/]],
  [{ get: { ...get, success: { status: 200, body: Type.Object({ id: Type.Integer() }) } } }, [/200 answer's body differs/]],
])
