import { http } from '@soundline/dev-stack/testing'
import t from 'tap'
import { startRedisServer } from './redis-server.js'
import { startSharedGateways } from './upstreams.js'

// Two gateway replicas sharing one real Redis: the cache and the rate-limit counters are shared.
const redis = await startRedisServer()
t.teardown(() => redis.stop())
const [replicaA, replicaB] = await startSharedGateways({ REDIS_URL: redis.url, AUTH_ENABLED: 'false', RATE_LIMIT_MAX: '12' })

const queen = { id: 1, name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }

t.test('an entry cached by one replica is a hit on the other; a write on either invalidates both', async (t) => {
  await http('POST', `${replicaA.base}/songs`, { json: queen })
  t.equal((await http('GET', `${replicaA.base}/songs/1`)).headers.get('x-cache'), 'MISS')
  const shared = await http('GET', `${replicaB.base}/songs/1`)
  t.equal(shared.headers.get('x-cache'), 'HIT')
  t.strictSame(shared.json, queen)

  await http('DELETE', `${replicaB.base}/songs?id=1`)
  t.equal((await http('GET', `${replicaA.base}/songs/1`)).status, 404)
  const ready = await http('GET', `${replicaA.base}/health/ready`)
  t.match(ready.json, { components: { cache: { status: 'UP', details: { kind: 'redis' } } } })
})

t.test('the rate limit counts across replicas', async (t) => {
  // 3 requests were made from this address above; 12 allowed per window in all.
  const statuses: number[] = []
  for (let i = 0; i < 6; i += 1) {
    statuses.push((await http('GET', `${replicaA.base}/songs/1`)).status)
    statuses.push((await http('GET', `${replicaB.base}/songs/1`)).status)
  }
  t.ok(statuses.includes(429), 'the shared count passed the limit although each replica saw fewer than 12')
  const refused = await http('GET', `${replicaB.base}/songs/1`)
  t.equal(refused.status, 429)
  t.ok(Number(refused.headers.get('retry-after')) >= 1)
})

t.test('Redis down: the gateway keeps serving (cache misses, no rate limit), readiness says DEGRADED', async (t) => {
  await redis.stop()
  await http('POST', `${replicaA.base}/songs`, { json: { ...queen, id: 2 } })
  const res = await http('GET', `${replicaA.base}/songs/2`)
  t.equal(res.status, 200)
  t.strictSame(res.json, { ...queen, id: 2 })
  const ready = await http('GET', `${replicaA.base}/health/ready`)
  t.equal(ready.status, 200)
  t.match(ready.json, { status: 'DEGRADED', components: { cache: { status: 'DOWN' } } })
})
