// Breakers in a service: settings from the environment, the `circuits`
// readiness component, disposal when the app closes, and a process that holds
// an open breaker still exits on its own.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import t from 'tap'
// The built package, like the services' tests: Fastify's module augmentation must come from one copy.
import {
  ConfigError,
  DEFAULT_BREAKER_SETTINGS,
  breakerEnvPrefix,
  breakerSettingsFromEnv,
  createApp,
  createBreaker,
  registerBreakers,
} from '@soundline/platform'

const logger = pino({ level: 'silent' })

t.test('settings: defaults, variables, and a wrong value named', async (t) => {
  t.equal(breakerEnvPrefix('storage-service'), 'BREAKER_STORAGE_SERVICE_')
  t.same(breakerSettingsFromEnv('storage-service', { env: {} }), DEFAULT_BREAKER_SETTINGS)
  t.same(breakerSettingsFromEnv('song-service', { env: {}, defaults: { timeoutMs: 0 } }).timeoutMs, 0, 'a service can change a default')
  const env = {
    BREAKER_STORAGE_SERVICE_WINDOW_TYPE: 'time',
    BREAKER_STORAGE_SERVICE_WINDOW_SIZE: '30',
    BREAKER_STORAGE_SERVICE_MINIMUM_CALLS: '5',
    BREAKER_STORAGE_SERVICE_FAILURE_RATE: '25',
    BREAKER_STORAGE_SERVICE_SLOW_CALL_MS: '750',
    BREAKER_STORAGE_SERVICE_SLOW_CALL_RATE: '60',
    BREAKER_STORAGE_SERVICE_OPEN_MS: '5000',
    BREAKER_STORAGE_SERVICE_HALF_OPEN_CALLS: '4',
    BREAKER_STORAGE_SERVICE_TIMEOUT_MS: '0',
  }
  t.same(breakerSettingsFromEnv('storage-service', { env }), {
    windowType: 'time',
    windowSize: 30,
    minimumCalls: 5,
    failureRateThreshold: 25,
    slowCallDurationMs: 750,
    slowCallRateThreshold: 60,
    openDurationMs: 5_000,
    halfOpenCalls: 4,
    timeoutMs: 0,
  })
  const wrong = () =>
    breakerSettingsFromEnv('storage-service', {
      env: { BREAKER_STORAGE_SERVICE_FAILURE_RATE: '150', BREAKER_STORAGE_SERVICE_WINDOW_TYPE: 'sliding' },
    })
  t.throws(wrong, ConfigError)
  try {
    wrong()
  } catch (error) {
    t.match((error as Error).message, /BREAKER_STORAGE_SERVICE_FAILURE_RATE: must be an integer from 1 to 100, got "150"/)
    t.match((error as Error).message, /BREAKER_STORAGE_SERVICE_WINDOW_TYPE: must be one of count, time, got "sliding"/)
  }
  t.throws(() => breakerSettingsFromEnv('x', { env: { BREAKER_X_WINDOW_TYPE: 'time', BREAKER_X_WINDOW_SIZE: '7200' } }), {
    message: /BREAKER_X_WINDOW_SIZE: must be an integer from 1 to 3600 \(seconds\)/,
  })
})

t.test('GET /health/ready lists every breaker under components.circuits; an open one degrades, never downs', async (t) => {
  const app = await createApp({ service: { name: 'resource-service', version: '0.0.0', description: 'test' }, logger })
  const settings = { ...DEFAULT_BREAKER_SETTINGS, windowSize: 2, minimumCalls: 2, openDurationMs: 60_000, timeoutMs: 0 }
  const storage = createBreaker({ name: 'storage-service', settings, logger, registry: app.metrics })
  const song = createBreaker({ name: 'song-service', settings, logger, registry: app.metrics })
  registerBreakers(app, [storage])
  registerBreakers(app, [song])
  await app.ready()
  t.teardown(() => app.close())

  let response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200)
  let body = response.json<{
    status: string
    components: { circuits: { status: string; details: Record<string, Record<string, unknown>> } }
  }>()
  t.equal(body.status, 'UP')
  t.same(
    Object.keys(body.components.circuits.details).sort(),
    ['song-service', 'storage-service'],
    'one entry per breaker, from both registrations',
  )
  t.same(body.components.circuits.details['storage-service'], {
    state: 'closed',
    failureRate: -1,
    slowCallRate: -1,
    bufferedCalls: 0,
    failedCalls: 0,
    slowCalls: 0,
    notPermittedCalls: 0,
    remainingOpenMs: 0,
  })

  for (let i = 0; i < 2; i++) await storage.execute(async () => ({ status: 502 }))
  await storage.execute(async () => 'refused').catch(() => {})
  response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200, 'still 200: a breaker guards a call that has a fallback')
  body = response.json()
  t.equal(body.status, 'DEGRADED')
  t.equal(body.components.circuits.status, 'DEGRADED')
  t.match(body.components.circuits.details['storage-service'], {
    state: 'open',
    failureRate: 100,
    bufferedCalls: 2,
    failedCalls: 2,
    notPermittedCalls: 1,
  })
  t.ok((body.components.circuits.details['storage-service']?.remainingOpenMs as number) > 0)

  const metrics = await app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /circuitbreaker_state\{name="storage-service",state="open",service="resource-service"\} 1/)

  await app.close()
  t.ok(storage.disposed && song.disposed, 'closing the app disposed both breakers')
})

t.test('an open breaker, even never disposed, does not keep the process alive', async (t) => {
  const breakerModule = fileURLToPath(new URL('../src/resilience/breaker.ts', import.meta.url))
  const script = `
    import { pino } from 'pino'
    import { Registry } from 'prom-client'
    const { createBreaker } = await import(${JSON.stringify(breakerModule)})
    const breaker = createBreaker({ name: 'child', logger: pino({ level: 'silent' }), registry: new Registry(),
      settings: { windowType: 'count', windowSize: 1, minimumCalls: 1, failureRateThreshold: 50, slowCallDurationMs: 1000,
        slowCallRateThreshold: 100, openDurationMs: 600000, halfOpenCalls: 1, timeoutMs: 600000 } })
    await breaker.execute(async () => { throw new Error('down') }).catch(() => {})
    console.log(breaker.state)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  // A liveness bound, not a speed check: a ref'd open timer would hold the child for 10 minutes.
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])))
  clearTimeout(killer)
  t.equal(output.trim(), 'open', 'the child opened its breaker (10-minute open duration)')
  t.same([code, signal], [0, null], 'and exited on its own')
})
