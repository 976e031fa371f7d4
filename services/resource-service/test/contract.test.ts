// The contracts' ResourceServiceClient (the processor's, the gateway's catalog)
// against this service's own OpenAPI document (docs/architecture.md "Contracts").
import { ResourceServiceClient } from '@soundline/contracts'
import { checkContract } from '@soundline/dev-stack/testing'
import t from 'tap'
import { Type } from 'typebox'
import { startResourceService, startStack } from './helpers.js'

const stack = await startStack(t.teardown)
const { base } = await startResourceService(stack, t.teardown)
const operations = ResourceServiceClient.operations
const { download, status } = operations

await checkContract(t, base, 'Resource Service', operations, [
  [{ download: { ...download, path: '/resource/{id}' } }, [/not in the provider's OpenAPI/]],
  [{ download: { ...download, success: { status: 200, contentType: 'audio/wav' } } }, [/200 answer is not audio\/wav/]],
  [{ status: { ...status, path: '/resources/{id}/state' } }, [/not in the provider's OpenAPI/]],
  [{ status: { ...status, success: { status: 200, body: Type.Object({ id: Type.String() }) } } }, [/200 answer's body differs/]],
])
