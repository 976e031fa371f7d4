import { operationMismatches, type OpenApiDocument, type Operations } from '@soundline/contracts'
import type { Test } from 'tap'
import { http } from './http.js'

/** An altered copy of the client's operations, and what the check must say about it. */
export type Drift = [drifted: Operations, expected: RegExp[]]

/**
 * A provider's contract test (docs/architecture.md "Contracts"): every
 * operation of its client is in the provider's own OpenAPI document (at
 * `base`) with the same shapes, and each drift is seen, so that the check
 * itself can still fail.
 */
export async function checkContract(t: Test, base: string, provider: string, operations: Operations, drifts: Drift[]): Promise<void> {
  const document = (await http('GET', `${base}/docs/json`)).json as OpenApiDocument
  t.test(`every operation of the ${provider}'s client is in its OpenAPI document, with the same shapes`, async (t) => {
    t.strictSame(operationMismatches(document, operations), [])
  })
  t.test('the check sees a client that drifted', async (t) => {
    for (const [drifted, expected] of drifts) t.match(operationMismatches(document, drifted), expected)
  })
}
