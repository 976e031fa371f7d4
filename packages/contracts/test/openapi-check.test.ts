// The contract check's schema comparison: what the provider's OpenAPI 3.0
// document says and what a TypeBox schema says must compare equal exactly when
// they allow the same values.
import t from 'tap'
import { Type } from 'typebox'
import { operationMismatches, type OpenApiDocument } from '../src/openapi-check.js'
import type { Operations } from '../src/operation.js'

const operations = {
  read: {
    method: 'GET',
    path: '/things/{id}',
    success: { status: 200, body: Type.Object({ reason: Type.Union([Type.String(), Type.Null()]) }) },
    idempotent: true,
  },
} as const satisfies Operations

const documentAnswering = (reason: unknown): OpenApiDocument => ({
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          '200': { content: { 'application/json': { schema: { type: 'object', required: ['reason'], properties: { reason } } } } },
        },
      },
    },
  },
})

t.test("OpenAPI 3.0's nullable type is TypeBox's union with null", async (t) => {
  t.strictSame(operationMismatches(documentAnswering({ type: 'string', nullable: true }), operations), [])
  t.strictSame(operationMismatches(documentAnswering({ anyOf: [{ type: 'null' }, { type: 'string' }] }), operations), [])
})

t.test('a provider that never answers null, or answers another type, differs', async (t) => {
  const differs = ["read (GET /things/{id}): the 200 answer's body differs"]
  t.strictSame(operationMismatches(documentAnswering({ type: 'string' }), operations), differs)
  t.strictSame(operationMismatches(documentAnswering({ type: 'integer', nullable: true }), operations), differs)
})
