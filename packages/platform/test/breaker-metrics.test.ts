// circuitbreaker_* metrics: exact names and labels, values that match the
// calls made, stable across scrapes, several breakers in one registry.
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t from 'tap'
import { createBreaker } from '../src/resilience/breaker.js'
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../src/resilience/settings.js'

const logger = pino({ level: 'silent' })
const settings = (overrides: Partial<BreakerSettings> = {}): BreakerSettings => ({
  ...DEFAULT_BREAKER_SETTINGS,
  timeoutMs: 0,
  windowSize: 4,
  minimumCalls: 4,
  openDurationMs: 60_000,
  ...overrides,
})

/** `metric{labels} value` lines of a scrape, as a map from `metric{labels}` to the number. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    map.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return map
}

t.test('names, labels and values after calls, a transition and refusals', async (t) => {
  const registry = new Registry()
  const breaker = createBreaker({ name: 'storage-service', logger, registry, settings: settings() })
  t.teardown(() => breaker.dispose())
  await breaker.execute(async () => ({ status: 200 }))
  await breaker.execute(async () => ({ status: 404 }))
  await breaker.execute(async () => Promise.reject(Object.assign(new Error('bad'), { statusCode: 400 }))).catch(() => {})
  await breaker.execute(async () => ({ status: 500 }))
  await breaker.execute(async () => ({ status: 503 }))
  t.equal(breaker.state, 'open', '2 failures of 4 recorded calls')
  for (let i = 0; i < 3; i++) await breaker.execute(async () => 'x').catch(() => {})
  breaker.recordFallback('stub')
  breaker.recordFallback('stub')
  breaker.recordFallback('cache')

  const text = await registry.metrics()
  const m = samples(text)
  const n = 'name="storage-service"'
  t.same(
    ['closed', 'open', 'half_open'].map((state) => m.get(`circuitbreaker_state{${n},state="${state}"}`)),
    [0, 1, 0],
    'circuitbreaker_state: 1 for the current state, 0 for the others',
  )
  t.same(
    ['successful', 'failed', 'ignored', 'not_permitted'].map((kind) => m.get(`circuitbreaker_calls_total{${n},kind="${kind}"}`)),
    [2, 2, 1, 3],
    'circuitbreaker_calls_total by kind',
  )
  t.equal(m.get(`circuitbreaker_call_duration_seconds_count{${n},kind="failed"}`), 2)
  t.equal(m.get(`circuitbreaker_call_duration_seconds_bucket{${n},kind="successful",le="+Inf"}`), 2)
  t.equal(m.get(`circuitbreaker_call_duration_seconds_bucket{${n},kind="ignored",le="10"}`), 1, 'cumulative buckets')
  t.ok((m.get(`circuitbreaker_call_duration_seconds_sum{${n},kind="successful"}`) ?? -1) >= 0, '_sum present')
  t.equal(m.get(`circuitbreaker_failure_rate{${n}}`), 50)
  t.equal(m.get(`circuitbreaker_slow_call_rate{${n}}`), 0)
  t.equal(m.get(`circuitbreaker_buffered_calls{${n}}`), 4)
  t.equal(m.get(`circuitbreaker_transitions_total{${n},from="closed",to="open"}`), 1)
  t.equal(m.get(`circuitbreaker_fallback_calls_total{${n},source="stub"}`), 2)
  t.equal(m.get(`circuitbreaker_fallback_calls_total{${n},source="cache"}`), 1)
  t.match(text, /# TYPE circuitbreaker_call_duration_seconds histogram/)
  t.match(text, /# TYPE circuitbreaker_calls_total counter/)
  t.match(text, /# TYPE circuitbreaker_state gauge/)
  t.equal(text.match(/# HELP circuitbreaker_calls_total /g)?.length, 1, 'one HELP line per metric')

  t.same(samples(await registry.metrics()), m, 'a second scrape reads the same values: no reset, no double count')
  await breaker.execute(async () => 'x').catch(() => {})
  t.equal(samples(await registry.metrics()).get(`circuitbreaker_calls_total{${n},kind="not_permitted"}`), 4, 'and counts on from there')
})

t.test('rates read -1 below the minimum, and series exist at zero from the start', async (t) => {
  const registry = new Registry()
  const breaker = createBreaker({ name: 'fresh', logger, registry, settings: settings() })
  t.teardown(() => breaker.dispose())
  const m = samples(await registry.metrics())
  t.equal(m.get('circuitbreaker_failure_rate{name="fresh"}'), -1)
  t.equal(m.get('circuitbreaker_calls_total{name="fresh",kind="failed"}'), 0)
  t.equal(m.get('circuitbreaker_fallback_calls_total{name="fresh",source="cache"}'), 0)
  t.equal(m.get('circuitbreaker_state{name="fresh",state="closed"}'), 1)
})

t.test('several breakers share one registry, labelled by name', async (t) => {
  const registry = new Registry()
  const a = createBreaker({ name: 'song-service', logger, registry, settings: settings() })
  const b = createBreaker({ name: 'storage-service', logger, registry, settings: settings() })
  t.teardown(() => {
    a.dispose()
    b.dispose()
  })
  await a.execute(async () => 1)
  await b.execute(async () => 1)
  await b.execute(async () => 1)
  const m = samples(await registry.metrics())
  t.equal(m.get('circuitbreaker_calls_total{name="song-service",kind="successful"}'), 1)
  t.equal(m.get('circuitbreaker_calls_total{name="storage-service",kind="successful"}'), 2)
  t.throws(
    () => createBreaker({ name: 'song-service', logger, registry, settings: settings() }),
    /already registered/,
    'a second live breaker of the same name is refused',
  )
})

t.test('dispose drops the gauges and keeps the counters', async (t) => {
  const registry = new Registry()
  const breaker = createBreaker({ name: 'gone', logger, registry, settings: settings() })
  await breaker.execute(async () => 1)
  breaker.dispose()
  const m = samples(await registry.metrics())
  t.equal(m.get('circuitbreaker_state{name="gone",state="closed"}'), undefined)
  t.equal(m.get('circuitbreaker_buffered_calls{name="gone"}'), undefined)
  t.equal(m.get('circuitbreaker_calls_total{name="gone",kind="successful"}'), 1)
  const again = createBreaker({ name: 'gone', logger, registry, settings: settings() })
  t.teardown(() => again.dispose())
  await again.execute(async () => 1)
  t.equal(
    samples(await registry.metrics()).get('circuitbreaker_calls_total{name="gone",kind="successful"}'),
    2,
    'a new breaker of that name counts on',
  )
})

t.test('the registry default labels apply', async (t) => {
  const registry = new Registry()
  registry.setDefaultLabels({ service: 'resource-service' })
  const breaker = createBreaker({ name: 'x', logger, registry, settings: settings() })
  t.teardown(() => breaker.dispose())
  const text = await registry.metrics()
  t.match(text, /circuitbreaker_call_duration_seconds_count\{name="x",kind="successful",service="resource-service"\} 0/)
  t.match(text, /circuitbreaker_state\{name="x",state="closed",service="resource-service"\} 1/)
})
