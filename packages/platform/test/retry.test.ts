// Backoff with full jitter, and the guarded client (breaker + retries) against
// a real HTTP server on an ephemeral port that fails on demand.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { GuardedServiceClient } from '../src/clients/guarded-client.js'
import { ServiceClient, UnavailableError } from '../src/clients/service-client.js'
import { createBreaker } from '../src/resilience/breaker.js'
import { CircuitOpenError } from '../src/resilience/errors.js'
import { exponentialDelay, fullJitterDelay, retryWithBackoff } from '../src/resilience/retry.js'
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../src/resilience/settings.js'

/** Listens on an ephemeral port until the test ends; the server's base URL. */
async function serve(t: Test, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function breakerFor(t: Test, name: string, settings: Partial<BreakerSettings>) {
  const breaker = createBreaker({
    name,
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    settings: { ...DEFAULT_BREAKER_SETTINGS, ...settings },
  })
  t.teardown(() => breaker.dispose())
  return breaker
}

t.test('delays: doubling and capped; full jitter stays within 0..cap', async (t) => {
  t.strictSame(
    [1, 2, 3, 4, 5, 6, 7].map((retry) => exponentialDelay(retry, 1_000, 30_000)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000],
  )
  t.equal(exponentialDelay(10_000, 1, 50), 50, 'a huge retry number stays finite')
  t.equal(
    fullJitterDelay(3, 100, 1_000, () => 0),
    0,
  )
  t.equal(
    fullJitterDelay(3, 100, 1_000, () => 0.999),
    399,
  )
  for (let i = 0; i < 100; i++) {
    const delay = fullJitterDelay(5, 100, 1_000)
    t.ok(delay >= 0 && delay < 1_000, `within bounds: ${delay}`)
  }
})

t.test('retryWithBackoff: bounded in attempts, stops on a final error, gives the last error', async (t) => {
  let calls = 0
  await t.rejects(
    retryWithBackoff(
      async () => {
        calls++
        throw new Error(`failure ${calls}`)
      },
      { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2, maxTotalMs: 10_000, isRetryable: () => true },
    ),
    { message: 'failure 4' },
  )
  t.equal(calls, 4)

  calls = 0
  await t.rejects(
    retryWithBackoff(
      async () => {
        calls++
        throw new Error('final')
      },
      { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2, maxTotalMs: 10_000, isRetryable: () => false },
    ),
    { message: 'final' },
  )
  t.equal(calls, 1, 'a non-retryable error is not retried')

  calls = 0
  const value = await retryWithBackoff(
    async (attempt) => {
      calls++
      if (attempt < 3) throw new Error('not yet')
      return 'done'
    },
    { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2, maxTotalMs: 10_000, isRetryable: () => true },
  )
  t.equal(value, 'done')
  t.equal(calls, 3)

  calls = 0
  await t.rejects(
    retryWithBackoff(
      async () => {
        calls++
        throw new Error('slow budget')
      },
      { maxAttempts: 100, baseDelayMs: 1_000, maxDelayMs: 1_000, maxTotalMs: 0, isRetryable: () => true, random: () => 0.5 },
    ),
  )
  t.equal(calls, 1, 'no retry starts past the total time budget')
})

t.test('guarded client: 5xx retried when idempotent, once otherwise; 4xx is an answer; an open breaker is not retried', async (t) => {
  let failures = 0
  let hits = 0
  const server = createServer((request, response) => {
    hits++
    if (request.url === '/missing') return response.writeHead(404).end()
    if (failures > 0) {
      failures--
      return response.writeHead(503).end()
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  })
  const url = await serve(t, server)
  const breaker = breakerFor(t, 'upstream', { windowSize: 10, minimumCalls: 8, openDurationMs: 60_000 })
  const client = new GuardedServiceClient(new ServiceClient({ name: 'upstream', baseUrl: url, timeoutMs: 1_000 }), breaker, {
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 5,
  })

  failures = 2
  const retried = await client.request('GET', '/', {}, { idempotent: true })
  t.equal(retried.status, 200, 'two 503s, then 200')
  t.same(await retried.json(), { ok: true })
  t.equal(hits, 3)

  failures = 1
  const once = await client.request('POST', '/')
  t.equal(once.status, 503, 'not idempotent: the 503 comes back')
  await once.discard()
  t.equal(hits, 4)

  const missing = await client.request('GET', '/missing', {}, { idempotent: true })
  t.equal(missing.status, 404, '4xx: an answer, not retried')
  t.equal(hits, 5)

  failures = 100
  const last = await client.request('GET', '/', {}, { idempotent: true })
  t.equal(last.status, 503, 'attempts spent: the last 503 comes back')
  await last.discard()
  t.equal(breaker.state, 'open', '6 failures in 8 calls')
  const before = hits
  await t.rejects(client.request('GET', '/', {}, { idempotent: true }), CircuitOpenError)
  t.equal(hits, before, 'open: no request reaches the server, and none is retried')

  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  const down = new GuardedServiceClient(
    new ServiceClient({ name: 'upstream', baseUrl: url, timeoutMs: 1_000 }),
    createBreaker({
      name: 'down',
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      settings: DEFAULT_BREAKER_SETTINGS,
    }),
    { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
  )
  t.teardown(() => down.breaker.dispose())
  await t.rejects(down.request('GET', '/', {}, { idempotent: true }), UnavailableError)
  t.equal(down.breaker.snapshot().failedCalls, 2, 'connection refused twice: two failures')
})

t.test('one deadline: the client timeout bounds the whole call, retries included', async (t) => {
  let hits = 0
  // Answers 503 after 150 ms: each attempt is slow, and worth a retry.
  const server = createServer((_request, response) => {
    hits++
    setTimeout(() => response.writeHead(503).end(), 150)
  })
  const url = await serve(t, server)
  const breaker = breakerFor(t, 'slow', { timeoutMs: 0 })
  const client = new GuardedServiceClient(new ServiceClient({ name: 'slow', baseUrl: url, timeoutMs: 400 }), breaker, {
    maxAttempts: 10,
    baseDelayMs: 1,
    maxDelayMs: 1,
  })
  const started = Date.now()
  const outcome = await client.request('GET', '/', {}, { idempotent: true }).then(
    async (response) => {
      await response.discard()
      return response.status
    },
    (error: unknown) => error,
  )
  const took = Date.now() - started
  t.ok(outcome === 503 || outcome instanceof UnavailableError, 'the last 503, or the last attempt cut short by the deadline')
  t.ok(took < 1_000, `ended at the deadline (with slack for a busy machine), not after 10 x 150 ms: ${took} ms`)
  t.ok(hits >= 2 && hits <= 3, `retried while time was left: ${hits} attempts`)
})
