// The breaker around the platform ServiceClient against a real HTTP server on
// an ephemeral port that answers, fails, hangs or is gone — as the services use it.
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { ServiceClient, UnavailableError, type ServiceResponse } from '../src/clients/service-client.js'
import { createBreaker } from '../src/resilience/breaker.js'
import { CircuitOpenError } from '../src/resilience/errors.js'
import { DEFAULT_BREAKER_SETTINGS } from '../src/resilience/settings.js'

type Mode = 'ok' | 'not-found' | 'error' | 'hang'

async function upstream(t: Test): Promise<{ url: string; setMode(mode: Mode): void; hits(): number; close(): Promise<void> }> {
  let mode: Mode = 'ok'
  let hits = 0
  const hanging = new Set<ServerResponse>()
  const server: Server = createServer((_request, response) => {
    hits++
    if (mode === 'hang') {
      hanging.add(response)
      return
    }
    const status = mode === 'ok' ? 200 : mode === 'not-found' ? 404 : 500
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = async () => {
    for (const response of hanging) response.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(async () => {
    if (server.listening) await close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, setMode: (m) => (mode = m), hits: () => hits, close }
}

// The client's deadline is short only where a hanging server is the point; elsewhere it is
// generous, so that a busy CI machine cannot turn a quick answer into a timeout.
function storageBreaker(t: Test, url: string, clientTimeoutMs = 5_000) {
  const client = new ServiceClient({ name: 'storage-service', baseUrl: url, timeoutMs: clientTimeoutMs })
  const breaker = createBreaker({
    name: 'storage-service',
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    settings: {
      ...DEFAULT_BREAKER_SETTINGS,
      windowSize: 4,
      minimumCalls: 4,
      failureRateThreshold: 50,
      openDurationMs: 200,
      halfOpenCalls: 2,
      timeoutMs: 1_000,
    },
  })
  t.teardown(() => breaker.dispose())
  // As an adapter would: the response goes back to the caller; its body is not needed here.
  const getStorages = () =>
    breaker.execute(async (): Promise<ServiceResponse> => {
      const response = await client.request('GET', '/storages')
      await response.discard()
      return response
    })
  return { breaker, getStorages }
}

t.test('5xx answers open it; then calls never reach the server; then it recovers', async (t) => {
  const server = await upstream(t)
  const { breaker, getStorages } = storageBreaker(t, server.url)
  server.setMode('error')
  for (let i = 0; i < 4; i++) t.equal((await getStorages()).status, 500, 'the 500 reaches the caller')
  t.equal(breaker.state, 'open')
  const hits = server.hits()
  const refused = await getStorages().catch((error: unknown) => error)
  t.ok(refused instanceof CircuitOpenError, 'refused while open')
  t.equal(server.hits(), hits, 'the server saw no call')
  server.setMode('ok')
  await sleep(300)
  t.equal((await getStorages()).status, 200)
  t.equal((await getStorages()).status, 200)
  t.equal(breaker.state, 'closed', 'two good trial calls closed it')
})

t.test('1,000 answers with 404 keep it closed', async (t) => {
  const server = await upstream(t)
  const { breaker, getStorages } = storageBreaker(t, server.url)
  server.setMode('not-found')
  let notFound = 0
  for (let i = 0; i < 1_000; i++) if ((await getStorages()).status === 404) notFound++
  t.equal(notFound, 1_000)
  t.equal(server.hits(), 1_000)
  t.equal(breaker.state, 'closed')
  t.equal(breaker.snapshot().failureRate, 0)
})

t.test('a server that does not answer: the client timeouts count as failures', async (t) => {
  const server = await upstream(t)
  server.setMode('hang')
  const { breaker, getStorages } = storageBreaker(t, server.url, 100)
  for (let i = 0; i < 4; i++) {
    const error = await getStorages().catch((e: unknown) => e)
    t.ok(error instanceof UnavailableError, `call ${i + 1}: UnavailableError (no answer within 100 ms)`)
  }
  t.equal(breaker.state, 'open')
})

t.test('a server that is gone: connection errors count as failures', async (t) => {
  const server = await upstream(t)
  const { breaker, getStorages } = storageBreaker(t, server.url)
  await server.close()
  for (let i = 0; i < 4; i++) t.ok((await getStorages().catch((e: unknown) => e)) instanceof UnavailableError)
  t.equal(breaker.state, 'open')
  t.equal(breaker.snapshot().failureRate, 100)
})
