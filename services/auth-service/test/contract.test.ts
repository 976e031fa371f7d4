// The contracts' AuthServiceClient (the gateway's token check) against this
// service's own OpenAPI document (docs/architecture.md "Contracts").
import { AuthServiceClient } from '@soundline/contracts'
import { checkContract, startTestDatabase } from '@soundline/dev-stack/testing'
import t from 'tap'
import { Type } from 'typebox'
import { startAuthService } from './helpers.js'

const database = await startTestDatabase()
t.teardown(() => database.stop())
const { app, base } = await startAuthService(database.url)
t.teardown(() => app.close())
const operations = AuthServiceClient.operations
const { jwks } = operations

await checkContract(t, base, 'Auth Service', operations, [
  [{ jwks: { ...jwks, path: '/jwks.json' } }, [/not in the provider's OpenAPI/]],
  [{ jwks: { ...jwks, success: { status: 200, body: Type.Object({ keys: Type.String() }) } } }, [/200 answer's body differs/]],
])
