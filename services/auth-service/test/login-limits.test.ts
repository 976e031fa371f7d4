import t from 'tap'
import { MemoryBackoffLimiter, MemoryRateLimiter } from '../src/domain/login-limits.js'

// Counting with an injected clock: no socket is involved (the login throttle
// over HTTP: services/auth-service/test/attacks.test.ts).

t.test('backoff: free failures, then waits that double up to the cap, per key', async (t) => {
  let now = 0
  const limiter = new MemoryBackoffLimiter({ freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, memoryMs: 60_000 }, () => now)
  t.strictSame(
    [1, 2, 3, 4, 5, 6, 7].map((failures) => limiter.delayMs(failures)),
    [0, 0, 1000, 2000, 4000, 8000, 8000],
  )
  t.equal(await limiter.fail('a'), 0)
  t.equal(await limiter.fail('a'), 0)
  t.ok((await limiter.check('a')).allowed)
  t.equal(await limiter.fail('a'), 1000)
  t.strictSame(await limiter.check('a'), { allowed: false, remaining: 0, retryAfterSeconds: 1 })
  t.ok((await limiter.check('b')).allowed, 'another key is not delayed')
  now = 1000
  t.ok((await limiter.check('a')).allowed, 'the wait ran out')
  t.equal(await limiter.fail('a'), 2000)
  now = 2500
  t.strictSame(await limiter.check('a'), { allowed: false, remaining: 0, retryAfterSeconds: 1 })
  await limiter.succeed('a')
  t.ok((await limiter.check('a')).allowed)
  t.equal(await limiter.fail('a'), 0, 'a success starts the count over')
})

t.test('backoff: a key is forgotten once its wait and the memory have passed', async (t) => {
  let now = 0
  const limiter = new MemoryBackoffLimiter({ freeFailures: 0, baseDelayMs: 1000, maxDelayMs: 8000, memoryMs: 5000 }, () => now)
  t.equal(await limiter.fail('a'), 1000)
  now = 5999
  t.equal(await limiter.fail('a'), 2000, 'still remembered: the wait grows')
  now = 5999 + 2000 + 5000
  t.equal(await limiter.fail('a'), 1000, 'forgotten')
})

t.test('fixed window: max hits, then refused until the window resets', async (t) => {
  let now = 0
  const limiter = new MemoryRateLimiter({ max: 2, windowMs: 10_000 }, () => now)
  t.ok((await limiter.hit('x')).allowed)
  t.ok((await limiter.hit('x')).allowed)
  t.strictSame(await limiter.hit('x'), { allowed: false, remaining: 0, retryAfterSeconds: 10 })
  now = 10_000
  t.ok((await limiter.hit('x')).allowed)
})
