// The contracts' ResourceServiceClient (the processor's) against this
// service's own OpenAPI document (docs/architecture.md "Contracts").
import { ResourceServiceClient, operationMismatches, type OpenApiDocument } from '@soundline/contracts'
import { http } from '@soundline/dev-stack/testing'
import t from 'tap'
import { startResourceService, startStack } from './helpers.js'

const stack = await startStack(t.teardown)
const { base } = await startResourceService(stack, t.teardown)
const document = (await http('GET', `${base}/docs/json`)).json as OpenApiDocument
const operations = ResourceServiceClient.operations

t.test("every operation of the Resource Service's client is in its OpenAPI document, with the same shapes", async (t) => {
  t.strictSame(operationMismatches(document, operations), [])
})

t.test('the check sees a client that drifted', async (t) => {
  const { download } = operations
  t.match(operationMismatches(document, { download: { ...download, path: '/resource/{id}' } }), [/not in the provider's OpenAPI/])
  t.match(operationMismatches(document, { download: { ...download, success: { status: 200, contentType: 'audio/wav' } } }), [
    /200 answer is not audio\/wav/,
  ])
})
