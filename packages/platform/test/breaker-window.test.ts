// The breaker's sliding windows: totals always equal a naive recount, and the
// work per recorded call is the same for a window of 10 and of 100,000 (counted
// as accesses to the ring's storage, not timed).
import t from 'tap'
import { CountWindow, OUTCOME_FAILED, OUTCOME_SLOW, TimeWindow } from '../src/resilience/outcome-window.js'

/** Small deterministic PRNG, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

const count = (outcomes: number[], bit: number) => outcomes.filter((o) => (o & bit) !== 0).length

t.test('a count window holds exactly the last N outcomes', async (t) => {
  for (const size of [1, 3, 10, 257]) {
    const window = new CountWindow(size)
    const next = random(size)
    const history: number[] = []
    for (let i = 0; i < size * 5; i++) {
      const outcome = (next() < 0.4 ? OUTCOME_FAILED : 0) | (next() < 0.3 ? OUTCOME_SLOW : 0)
      window.record(outcome)
      history.push(outcome)
      const last = history.slice(-size)
      if (window.total !== last.length || window.failed !== count(last, OUTCOME_FAILED) || window.slow !== count(last, OUTCOME_SLOW)) {
        t.fail(
          `size ${size}, call ${i}: got ${window.total}/${window.failed}/${window.slow}, want ${last.length}/${count(last, OUTCOME_FAILED)}/${count(last, OUTCOME_SLOW)}`,
        )
        return
      }
    }
    window.clear()
    t.same([window.total, window.failed, window.slow], [0, 0, 0], `size ${size}: clear empties it`)
    window.record(OUTCOME_FAILED)
    t.same([window.total, window.failed, window.slow], [1, 1, 0], `size ${size}: counts again from empty after clear`)
  }
})

t.test('a time window holds exactly the calls of the last N seconds', async (t) => {
  const seconds = 5
  const window = new TimeWindow(seconds)
  const next = random(7)
  const history: { second: number; outcome: number }[] = []
  let now = 1_000_000
  for (let i = 0; i < 5_000; i++) {
    // Mostly sub-second steps, sometimes a pause longer than the window.
    now += next() < 0.01 ? 7_000 : Math.floor(next() * 400)
    const outcome = (next() < 0.5 ? OUTCOME_FAILED : 0) | (next() < 0.2 ? OUTCOME_SLOW : 0)
    window.record(outcome, now)
    history.push({ second: Math.floor(now / 1000), outcome })
    const current = Math.floor(now / 1000)
    const inWindow = history.filter((h) => h.second > current - seconds).map((h) => h.outcome)
    if (
      window.total !== inWindow.length ||
      window.failed !== count(inWindow, OUTCOME_FAILED) ||
      window.slow !== count(inWindow, OUTCOME_SLOW)
    ) {
      t.fail(
        `call ${i}: got ${window.total}/${window.failed}/${window.slow}, want ${inWindow.length}/${count(inWindow, OUTCOME_FAILED)}/${count(inWindow, OUTCOME_SLOW)}`,
      )
      return
    }
  }
  t.pass('totals matched a recount after every one of 5,000 calls')
})

t.test('calls age out of a time window without new calls', async (t) => {
  const window = new TimeWindow(10)
  window.record(OUTCOME_FAILED, 0)
  window.record(0, 4_500)
  window.advance(9_999)
  t.equal(window.total, 2, 'both calls are within 10 s')
  window.advance(10_000)
  t.same([window.total, window.failed], [1, 0], 'the call of second 0 left at second 10')
  window.advance(14_000)
  t.equal(window.total, 0, 'the call of second 4 left at second 14')
})

/** Wraps a typed-array field in a Proxy that counts element reads and writes. */
function countAccesses(target: object, field: string): { accesses: number } {
  const holder = target as Record<string, unknown>
  const array = holder[field] as Uint8Array | Uint32Array
  const counter = { accesses: 0 }
  holder[field] = new Proxy(array, {
    get(target, property) {
      if (typeof property === 'string' && /^\d+$/.test(property)) counter.accesses++
      const value = Reflect.get(target, property) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
    set(target, property, value) {
      if (typeof property === 'string' && /^\d+$/.test(property)) counter.accesses++
      return Reflect.set(target, property, value)
    },
  })
  return counter
}

t.test('recording into a count window touches the ring a fixed number of times, whatever its size', async (t) => {
  const perCall: number[] = []
  for (const size of [10, 1_000, 100_000]) {
    const window = new CountWindow(size)
    for (let i = 0; i < size; i++) window.record(i % 3 === 0 ? OUTCOME_FAILED : 0)
    const counter = countAccesses(window, 'outcomes')
    const calls = 1_000
    for (let i = 0; i < calls; i++) window.record(i % 2 === 0 ? OUTCOME_FAILED | OUTCOME_SLOW : 0)
    perCall.push(counter.accesses / calls)
  }
  t.same(perCall, [2, 2, 2], 'one read (the evicted slot) and one write per call, for 10, 1,000 and 100,000 calls')
})

t.test('recording into a time window touches its buckets a fixed number of times per call, whatever its length', async (t) => {
  const perCall: number[] = []
  for (const seconds of [10, 3_600]) {
    const window = new TimeWindow(seconds)
    let now = 0
    for (let i = 0; i < seconds * 2; i++) window.record(0, (now += 1_000))
    const counters = ['totals', 'failures', 'slows'].map((field) => countAccesses(window, field))
    const calls = 1_000
    // Ten calls per second: every tenth call moves into a new second and clears one bucket.
    for (let i = 0; i < calls; i++) window.record(OUTCOME_FAILED, (now += 100))
    perCall.push(counters.reduce((sum, c) => sum + c.accesses, 0) / calls)
  }
  t.equal(perCall[0], perCall[1], `same bucket accesses per call for 10 s and 3,600 s windows (${perCall.join(' vs ')})`)
  t.ok((perCall[0] ?? Infinity) < 10, 'a handful per call')
})

t.test('through the mollitia module, a call costs the same ring work at window 10 and 100,000', async (t) => {
  const { RingWindowBreaker } = await import('../src/resilience/ring-window-breaker.js')
  const { Circuit } = await import('mollitia')
  const perCall: number[] = []
  for (const size of [10, 100_000]) {
    const module = new RingWindowBreaker({ windowSize: size, minimumCalls: size, failureRateThreshold: 100 })
    const circuit = new Circuit({
      func: async (fail: boolean) => (fail ? Promise.reject(new Error('down')) : 'ok'),
      options: { modules: [module] },
    })
    for (let i = 0; i < size; i++) await circuit.execute(i % 5 === 0).catch(() => {})
    const counter = countAccesses((module as unknown as { closedWindow: object }).closedWindow, 'outcomes')
    for (let i = 0; i < 500; i++) await circuit.execute(i % 5 === 0).catch(() => {})
    perCall.push(counter.accesses / 500)
    t.equal(module.state, 'closed')
    t.equal(module.failureRate, 20, `window ${size}: rate from running totals`)
    circuit.dispose()
  }
  t.same(perCall, [2, 2], 'two ring accesses per call at both sizes')
})
