// The breaker's state machine, classification, deadline and logging, through
// createBreaker (a mollitia Circuit with the RingWindowBreaker module).
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { createBreaker, type Breaker } from '../src/resilience/breaker.js'
import { CallTimeoutError, CircuitOpenError } from '../src/resilience/errors.js'
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../src/resilience/settings.js'
import type { CallClassifier } from '../src/resilience/classify.js'
import { HttpError } from '../src/http/errors.js'

interface LogLine {
  level: string
  msg: string
  breaker?: string
  from?: string
  to?: string
}

function setup(t: Test, settings: Partial<BreakerSettings>, extra: { classify?: Partial<CallClassifier>; clock?: () => number } = {}) {
  const lines: LogLine[] = []
  const logger = pino(
    { level: 'debug', formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  )
  const registry = new Registry()
  const breaker = createBreaker({
    name: 'upstream',
    logger,
    registry,
    settings: { ...DEFAULT_BREAKER_SETTINGS, timeoutMs: 0, ...settings },
    ...extra,
  })
  t.teardown(() => breaker.dispose())
  return { breaker, lines, registry }
}

const succeed = async () => 'ok'
const fail = async () => {
  throw new Error('connection refused')
}

async function settle(breaker: Breaker, call: () => Promise<unknown>): Promise<unknown> {
  try {
    return await breaker.execute(call)
  } catch (error) {
    return error
  }
}

t.test('opens at the failure-rate threshold, and only once the window holds the minimum number of calls', async (t) => {
  const { breaker } = setup(t, { windowSize: 10, minimumCalls: 5, failureRateThreshold: 50 })
  for (let i = 0; i < 4; i++) await settle(breaker, fail)
  t.equal(breaker.state, 'closed', '4 failures out of 4 calls: below the minimum of 5, still closed')
  t.equal(breaker.snapshot().failureRate, -1, 'no rate below the minimum')
  await settle(breaker, succeed)
  t.equal(breaker.state, 'open', 'the 5th call makes 4/5 = 80% >= 50%: open (checked after a success too)')
  t.equal(breaker.snapshot().failureRate, 80, 'open keeps the rate that opened it')
})

t.test('stays closed below the threshold and opens exactly at it', async (t) => {
  const { breaker } = setup(t, { windowSize: 10, minimumCalls: 5, failureRateThreshold: 50 })
  for (const call of [fail, succeed, fail, succeed, succeed]) await settle(breaker, call)
  t.equal(breaker.state, 'closed', '2/5 = 40%')
  await settle(breaker, fail)
  t.equal(breaker.state, 'open', '3/6 = 50%: the threshold is inclusive')
})

t.test('old outcomes leave a count window', async (t) => {
  const { breaker } = setup(t, { windowSize: 4, minimumCalls: 4, failureRateThreshold: 75 })
  for (const call of [fail, fail, succeed, succeed, succeed, succeed, fail, fail]) await settle(breaker, call)
  t.equal(breaker.state, 'closed', 'the last 4 calls hold 2 failures (50%); the first two failures have left')
  await settle(breaker, fail)
  t.equal(breaker.state, 'open', '3 of the last 4 failed: 75%')
})

t.test('open: refuses calls with CircuitOpenError without calling the function', async (t) => {
  const { breaker } = setup(t, { windowSize: 2, minimumCalls: 2, openDurationMs: 5_000 })
  await settle(breaker, fail)
  await settle(breaker, fail)
  t.equal(breaker.state, 'open')
  let called = 0
  const error = await settle(breaker, async () => {
    called++
    return 'ok'
  })
  t.equal(called, 0, 'the function was not called')
  t.ok(error instanceof CircuitOpenError, 'CircuitOpenError, matched with instanceof')
  const open = error as CircuitOpenError
  t.equal(open.state, 'open')
  t.equal(open.breaker, 'upstream')
  t.ok(open.remainingMs > 0 && open.remainingMs <= 5_000, `remaining open time ${open.remainingMs} ms`)
  t.equal(open.retryAfterSeconds, 5, 'Retry-After in whole seconds')
  t.equal(breaker.snapshot().notPermittedCalls, 1)
})

t.test('half-open after the open duration: permits N trial calls; all succeed → closed', async (t) => {
  const { breaker } = setup(t, { windowSize: 2, minimumCalls: 2, openDurationMs: 200, halfOpenCalls: 2 })
  await settle(breaker, fail)
  await settle(breaker, fail)
  t.equal(breaker.state, 'open')
  await sleep(300)
  t.equal(breaker.state, 'half_open', 'the open-state timer moved it to half-open without any call')
  const releases: (() => void)[] = []
  const trial = () => new Promise<string>((resolve) => releases.push(() => resolve('ok')))
  const first = breaker.execute(trial)
  const second = breaker.execute(trial)
  let called = false
  const third = await settle(breaker, async () => {
    called = true
  })
  t.ok(third instanceof CircuitOpenError && third.state === 'half_open', 'a third call while both trials are in flight is refused')
  t.notOk(called, 'and not called')
  for (const release of releases) release()
  t.same(await Promise.all([first, second]), ['ok', 'ok'])
  t.equal(breaker.state, 'closed', 'both trials succeeded')
  t.equal(breaker.snapshot().bufferedCalls, 0, 'closed starts with an empty window')
})

t.test('half-open: a failing trial call re-opens it', async (t) => {
  const { breaker } = setup(t, { windowSize: 2, minimumCalls: 2, openDurationMs: 200, halfOpenCalls: 2, failureRateThreshold: 50 })
  await settle(breaker, fail)
  await settle(breaker, fail)
  await sleep(300)
  t.equal(breaker.state, 'half_open')
  await settle(breaker, succeed)
  t.equal(breaker.state, 'half_open', 'decided only when all trial calls are in')
  await settle(breaker, fail)
  t.equal(breaker.state, 'open', '1 of 2 trials failed: 50% re-opens')
  const error = await settle(breaker, succeed)
  t.ok(error instanceof CircuitOpenError, 'open again')
})

t.test('half-open: an ignored trial call gives its permit back', async (t) => {
  const { breaker } = setup(t, { windowSize: 2, minimumCalls: 2, openDurationMs: 200, halfOpenCalls: 1 })
  await settle(breaker, fail)
  await settle(breaker, fail)
  await sleep(300)
  const notFound = await settle(breaker, async () => {
    throw new HttpError(404, 'no such song')
  })
  t.ok(notFound instanceof HttpError, 'the 4xx error reaches the caller')
  t.equal(breaker.state, 'half_open', 'an ignored call decides nothing')
  await settle(breaker, succeed)
  t.equal(breaker.state, 'closed', 'the permit went to the next call, which closed it')
})

t.test('slow calls open it at the slow-call rate, even when they succeed', async (t) => {
  const { breaker } = setup(t, {
    windowSize: 4,
    minimumCalls: 4,
    slowCallDurationMs: 20,
    slowCallRateThreshold: 50,
    failureRateThreshold: 100,
  })
  const slow = async () => {
    await sleep(60)
    return 'late'
  }
  t.equal(await breaker.execute(slow), 'late')
  for (const call of [succeed, succeed]) await settle(breaker, call)
  t.equal(breaker.state, 'closed', 'below the minimum')
  await settle(breaker, slow)
  t.equal(breaker.state, 'open', '2 of 4 calls slow: 50%')
  t.same([breaker.snapshot().slowCallRate, breaker.snapshot().failureRate], [50, 0])
})

t.test('a time window forgets calls older than its length', async (t) => {
  let now = 1_000_000
  const { breaker } = setup(t, { windowType: 'time', windowSize: 2, minimumCalls: 4, failureRateThreshold: 50 }, { clock: () => now })
  for (let i = 0; i < 3; i++) await settle(breaker, fail)
  t.equal(breaker.snapshot().bufferedCalls, 3)
  now += 2_500
  t.equal(breaker.snapshot().bufferedCalls, 0, 'all three failures aged out after 2.5 s')
  for (const call of [succeed, succeed, succeed, fail]) await settle(breaker, call)
  t.equal(breaker.state, 'closed', '1 failure in the last 2 s out of 4 calls: 25% (7 calls with 4 failures would have opened it)')
  t.equal(breaker.snapshot().failureRate, 25)
})

t.test('4xx never opens it: 1,000 answers with status 404 and 1,000 thrown 4xx errors', async (t) => {
  const { breaker } = setup(t, { windowSize: 10, minimumCalls: 5, failureRateThreshold: 50 })
  const notFound = { status: 404 }
  let returned = 0
  for (let i = 0; i < 1_000; i++) if ((await breaker.execute(async () => notFound)) === notFound) returned++
  t.equal(returned, 1_000, 'every 404 answer reached the caller')
  t.equal(breaker.state, 'closed', '4xx answers are successes')
  t.equal(breaker.snapshot().failureRate, 0)
  for (let i = 0; i < 1_000; i++) await settle(breaker, async () => Promise.reject(new HttpError(409, 'conflict')))
  t.equal(breaker.state, 'closed', 'thrown 4xx errors are ignored')
  t.equal(breaker.module.stats.count('ignored'), 1_000)
  t.equal(breaker.module.stats.count('successful'), 1_000)
})

t.test('a resolved 5xx answer is returned to the caller but counts as a failure', async (t) => {
  const { breaker } = setup(t, { windowSize: 3, minimumCalls: 3 })
  const unavailable = { status: 503 }
  for (let i = 0; i < 3; i++) t.equal(await breaker.execute(async () => unavailable), unavailable, 'resolved, not thrown')
  t.equal(breaker.state, 'open')
  t.equal(breaker.module.stats.count('failed'), 3)
})

t.test('the classify hook decides outcomes', async (t) => {
  const { breaker } = setup(
    t,
    { windowSize: 2, minimumCalls: 2 },
    {
      classify: { result: (value) => ((value as { ok: boolean }).ok ? 'success' : 'failure'), error: () => 'ignored' },
    },
  )
  for (let i = 0; i < 5; i++) await settle(breaker, fail)
  t.equal(breaker.state, 'closed', 'every error ignored')
  await breaker.execute(async () => ({ ok: false }))
  await breaker.execute(async () => ({ ok: false }))
  t.equal(breaker.state, 'open', 'values judged by the hook')
})

t.test('the deadline: a call that takes too long rejects with CallTimeoutError and counts as a failure', async (t) => {
  const { breaker } = setup(t, { windowSize: 2, minimumCalls: 2, timeoutMs: 50 })
  const never = () => new Promise<never>(() => {})
  const first = await settle(breaker, never)
  t.ok(first instanceof CallTimeoutError, 'CallTimeoutError')
  t.equal((first as CallTimeoutError).timeoutMs, 50)
  t.equal(breaker.state, 'closed')
  await settle(breaker, never)
  t.equal(breaker.state, 'open', 'two timeouts of two calls')
  t.equal(await createBreakerWithDeadline(t).execute(succeed), 'ok', 'a quick call is unaffected by the deadline')
})

function createBreakerWithDeadline(t: Test): Breaker {
  return setup(t, { timeoutMs: 1_000 }).breaker
}

t.test('a synchronous throw from the function is a rejection like any other', async (t) => {
  const { breaker } = setup(t, { windowSize: 2, minimumCalls: 2, timeoutMs: 100 })
  const boom = () => {
    throw new Error('boom')
  }
  const error = await settle(breaker, boom as unknown as () => Promise<never>)
  t.match(error, { message: 'boom' })
  t.equal(breaker.module.stats.count('failed'), 1)
})

t.test('logs exactly one line per transition, none per call', async (t) => {
  const { breaker, lines } = setup(t, { windowSize: 2, minimumCalls: 2, openDurationMs: 200, halfOpenCalls: 1 })
  for (let i = 0; i < 50; i++) await settle(breaker, succeed)
  t.equal(lines.length, 0, '50 calls, no transition: no line')
  await settle(breaker, fail)
  await settle(breaker, fail)
  for (let i = 0; i < 20; i++) await settle(breaker, succeed)
  await sleep(300)
  await settle(breaker, succeed)
  t.same(
    lines.map((l) => [l.level, l.breaker, l.from, l.to]),
    [
      ['warn', 'upstream', 'closed', 'open'],
      ['info', 'upstream', 'open', 'half_open'],
      ['info', 'upstream', 'half_open', 'closed'],
    ],
  )
  t.equal(lines[0]?.msg, 'circuit breaker upstream: closed → open')
})

t.test('forced transitions (drills) are logged and honoured', async (t) => {
  const { breaker, lines } = setup(t, { openDurationMs: 60_000 })
  breaker.module.open()
  t.ok((await settle(breaker, succeed)) instanceof CircuitOpenError)
  breaker.module.close()
  t.equal(await breaker.execute(succeed), 'ok')
  t.equal(lines.length, 2)
})

t.test('dispose stops the open-state timer', async (t) => {
  const { breaker } = setup(t, { windowSize: 2, minimumCalls: 2, openDurationMs: 100 })
  await settle(breaker, fail)
  await settle(breaker, fail)
  breaker.dispose()
  await sleep(250)
  t.equal(breaker.state, 'open', 'no timer fired after dispose')
  t.ok(breaker.disposed)
  breaker.dispose()
  t.pass('a second dispose is harmless')
})
