import { eventually, http, startRedisCluster, type RunningRedisCluster } from '@soundline/dev-stack/testing'
import t from 'tap'
import { createRedisClient } from '../src/plugins/external/redis.js'
import { RedisCacheStore } from '../src/plugins/app/cache-stores.js'
import { parseRedisUrl } from '../src/redis-url.js'
import { startSharedGateways } from './upstreams.js'

// The gateway on a real Redis Cluster: 3 masters with a replica each (redis-server in cluster mode,
// made by redis-cli --cluster create), then a fourth master added, then a master SIGKILLed.
const cluster: RunningRedisCluster = await startRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 2_000 })
t.teardown(() => cluster.stop())
// X-Forwarded-For from the test is believed, so each test counts against its own address.
const [replicaA, replicaB] = await startSharedGateways({
  REDIS_URL: cluster.url,
  AUTH_ENABLED: 'false',
  RATE_LIMIT_MAX: '12',
  TRUSTED_PROXIES: '127.0.0.1',
})

let addresses = 0
/** A fresh client address: its own rate-limit window. */
const client = () => ({ headers: { 'x-forwarded-for': `10.0.0.${++addresses}` } })
const song1 = (id: number) => ({ id, name: `Song ${id}`, artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' })

/** Which master holds each key matching `pattern` (its port). */
async function owners(pattern: string): Promise<Map<string, number>> {
  const map = new Map<string, number>()
  for (const node of await cluster.nodes()) {
    if (node.role !== 'master' || node.flags.includes('fail')) continue
    const keys = (await cluster.cli(node.port, '--scan', '--pattern', pattern)).split('\n').filter(Boolean)
    for (const key of keys) map.set(key, node.port)
  }
  return map
}

t.test(
  'on the cluster: a miss, then a hit on the other replica; one write invalidating songs in different slots clears them all',
  async (t) => {
    const ids = [101, 102, 103, 104, 105]
    for (const id of ids) t.equal((await http('POST', `${replicaA.base}/songs`, { json: song1(id), ...client() })).status, 200)
    const reader = client()
    for (const id of ids) t.equal((await http('GET', `${replicaA.base}/songs/${id}`, reader)).headers.get('x-cache'), 'MISS')
    const shared = await http('GET', `${replicaB.base}/songs/101`, client())
    t.equal(shared.headers.get('x-cache'), 'HIT')
    t.strictSame(shared.json, song1(101))
    const slots = new Set(
      await Promise.all(
        ids.map(async (id) =>
          (await cluster.cli(cluster.ports()[0] ?? 0, 'cluster', 'keyslot', `soundline:gateway:cache:songs:${id}`)).trim(),
        ),
      ),
    )
    t.ok(slots.size > 1, `the five groups live in ${slots.size} slots`)

    t.equal((await http('DELETE', `${replicaB.base}/songs?id=${ids.join(',')}`, client())).status, 200)
    for (const id of ids)
      t.equal((await http('GET', `${replicaA.base}/songs/${id}`, client())).status, 404, `song ${id} is not served from the cache`)
    const ready = await http('GET', `${replicaA.base}/health/ready`)
    t.match(ready.json, { components: { cache: { status: 'UP', details: { kind: 'redis-cluster', state: 'ok', masters: 3 } } } })
  },
)

t.test('the rate limit counts across replicas on the cluster', async (t) => {
  await http('POST', `${replicaA.base}/songs`, { json: song1(1), ...client() })
  const caller = client()
  const statuses: number[] = []
  for (let i = 0; i < 7; i += 1) {
    statuses.push((await http('GET', `${replicaA.base}/songs/1`, caller)).status)
    statuses.push((await http('GET', `${replicaB.base}/songs/1`, caller)).status)
  }
  t.strictSame(statuses.slice(0, 12), Array(12).fill(200))
  t.strictSame(statuses.slice(12), [429, 429], 'the 13th request of the window, counted over both replicas, is refused')
})

t.test('keys spread over every master; adding a fourth master moves about a quarter of them', async (t) => {
  const redis = createRedisClient(parseRedisUrl(cluster.url), 2_000)
  t.teardown(() => redis.disconnect())
  await redis.connect()
  const store = new RedisCacheStore(redis, 2_000, 'spread:')
  const total = 1000
  for (let id = 1; id <= total; id += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.set(
          { group: `songs:${id + i}`, key: `/songs/${id + i}` },
          { status: 200, contentType: 'application/json', body: '{}', storedAt: 0 },
          600_000,
        ),
      ),
    )
  }
  const before = await owners('spread:*')
  t.equal(before.size, total)
  const perMaster = [...new Set(before.values())].map((port) => [...before.values()].filter((p) => p === port).length)
  t.equal(perMaster.length, 3, `keys per master: ${perMaster.join(', ')}`)
  // Slots are split evenly; 1000 keys over 3 masters: ~333 each, a standard deviation of ~15.
  for (const count of perMaster) t.ok(count > 250 && count < 420, `a master holds ${count} of ${total}`)

  const added = await cluster.addMaster()
  const after = await owners('spread:*')
  t.equal(after.size, total, 'no key lost by the rebalance')
  const moved = [...before].filter(([key, port]) => after.get(key) !== port)
  t.ok(
    moved.every(([key]) => after.get(key) === added),
    'every key that moved went to the new master',
  )
  const fraction = moved.length / total
  t.comment(`moved ${moved.length} of ${total} keys (${(fraction * 100).toFixed(1)}%) going from 3 to 4 masters; 1/4 expected`)
  t.ok(fraction > 0.15 && fraction < 0.35, `about a quarter moved: ${(fraction * 100).toFixed(1)}%`)
  const read = await store.get({ group: 'songs:777', key: '/songs/777' })
  t.equal(read?.body, '{}', 'a moved key is read through the client (it follows the new slot map)')
})

t.test('a master SIGKILLed: the gateway answers 200 from upstream meanwhile, its replica takes over, hits come back', async (t) => {
  await http('POST', `${replicaA.base}/songs`, { json: song1(200), ...client() })
  await http('GET', `${replicaA.base}/songs/200`, client())
  t.equal((await http('GET', `${replicaA.base}/songs/200`, client())).headers.get('x-cache'), 'HIT')
  const [[, port] = ['', 0]] = [...(await owners('soundline:gateway:cache:songs:200'))]
  const victim = (await cluster.nodes()).find((node) => node.port === port)
  t.ok(victim, `the master holding songs:200 is on ${port}`)
  await cluster.kill(port)

  const seen = new Set<string>()
  const failures: string[] = []
  let healed = false
  const healing = cluster.waitHealthy(60_000).then(() => (healed = true))
  while (!healed) {
    const res = await http('GET', `${replicaA.base}/songs/200`, client())
    seen.add(String(res.headers.get('x-cache')))
    if (res.status !== 200 || JSON.stringify(res.json) !== JSON.stringify(song1(200))) failures.push(`${res.status} ${res.text}`)
  }
  await healing
  t.strictSame(failures, [], 'every answer during the failover was the song')
  t.ok(seen.has('MISS'), `misses while the master was gone (x-cache seen: ${[...seen].join(', ')})`)
  const promoted = (await cluster.nodes()).find(
    (node) => node.id !== victim?.id && node.role === 'master' && node.slots > 0 && node.port !== port,
  )
  t.ok(promoted, 'a replica was promoted')
  await eventually(
    async () => (await http('GET', `${replicaA.base}/songs/200`, client())).headers.get('x-cache') === 'HIT',
    'hits on the promoted replica',
  )
  const ready = await http('GET', `${replicaA.base}/health/ready`)
  t.equal(ready.status, 200)
})

t.test('no cluster at all: cache misses, the gateway still answers', async (t) => {
  for (const port of cluster.ports()) await cluster.kill(port)
  await http('POST', `${replicaA.base}/songs`, { json: song1(300), ...client() })
  const res = await http('GET', `${replicaB.base}/songs/300`, client())
  t.equal(res.status, 200)
  t.strictSame(res.json, song1(300))
})
