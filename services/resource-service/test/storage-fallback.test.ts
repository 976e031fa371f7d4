// Uploads and moves to PERMANENT while the Storage Service is down or hangs:
// the breaker and the fallback in storage-client.ts, seen from outside
// (HTTP, S3, /health/ready, /metrics). The Storage Service is the real one,
// stopped for "down"; "hanging" is a real TCP server that accepts and never
// answers (what a SIGSTOPped process does).
import { CreateBucketCommand } from '@aws-sdk/client-s3'
import { TOPICS, newEvent, type ResourceProcessed } from '@soundline/contracts'
import { deadAddress, eventually, http, makeMp3, publisherFor, waitUntilReady } from '@soundline/dev-stack/testing'
import { randomBytes } from 'node:crypto'
import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { objectKeys, startResourceService, startStack, upload } from './helpers.js'

const stack = await startStack(t.teardown)
const publisher = publisherFor(t.teardown)
const song = makeMp3({ seconds: 1, title: 'Fallback', seed: 11 })

/** A Resource Service on its own topics and group, so several in this file do not share work. */
async function resourceService(env: Record<string, string>) {
  const prefix = `test-${randomBytes(4).toString('hex')}.`
  const service = await startResourceService(stack, t.teardown, {
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: `${prefix}resource-service`,
    // Every lookup asks the Storage Service, so each upload shows what a stale cache would.
    STORAGE_CACHE_TTL_MS: '0',
    BREAKER_STORAGE_SERVICE_OPEN_MS: '600000',
    ...env,
  })
  await waitUntilReady(service.base)
  const processed = async (id: number) => {
    const event = newEvent<ResourceProcessed>(TOPICS.resourceProcessed, id, { status: 'OK' })
    await publisher.publish(`${prefix}${TOPICS.resourceProcessed}`, [event])
  }
  return { ...service, processed }
}

// The stack's own buckets: they exist in this S3, so uploads answered by these stubs land somewhere real.
const stackStubs = () =>
  JSON.stringify([
    { id: 3, storageType: 'STAGING', bucket: stack.stagingBucket, path: '/staging' },
    { id: 4, storageType: 'PERMANENT', bucket: stack.permanentBucket, path: '/permanent/files' },
  ])

const statusOf = async (base: string, id: number) =>
  (await http('GET', `${base}/resources/${id}/status`)).json as { state: string; bucket: string; key: string; storageId: number }
const metricsOf = async (base: string) => (await http('GET', `${base}/metrics`)).text
const fallbackCount = (metrics: string, source: string) =>
  Number(
    new RegExp(`circuitbreaker_fallback_calls_total\\{[^}]*name="storage-service"[^}]*source="${source}"[^}]*\\} (\\d+)`).exec(
      metrics,
    )?.[1] ?? 0,
  )

t.test('down before any good answer: the stub storages take uploads and moves', async (t) => {
  const unique = randomBytes(4).toString('hex')
  const stubStaging = `stub-staging-${unique}`
  const stubPermanent = `stub-permanent-${unique}`
  for (const bucket of [stubStaging, stubPermanent]) await stack.s3.send(new CreateBucketCommand({ Bucket: bucket }))
  const stubs = [
    { id: 1, storageType: 'STAGING', bucket: stubStaging, path: '/staging' },
    { id: 2, storageType: 'PERMANENT', bucket: stubPermanent, path: '/permanent' },
  ]
  const { base, processed } = await resourceService({ STORAGE_SERVICE_URL: await deadAddress(), STORAGE_STUBS: JSON.stringify(stubs) })

  const res = await upload(base, song)
  t.equal(res.status, 200, 'the upload succeeds')
  const { id } = res.json as { id: number }
  t.match(await statusOf(base, id), { state: 'STAGING', storageId: 1, bucket: stubStaging, key: /^staging\// })
  t.ok(fallbackCount(await metricsOf(base), 'stub') >= 1, 'counted as a stub answer')

  const ready = await http('GET', `${base}/health/ready`)
  t.equal(ready.status, 200)
  t.match(ready.json, {
    status: 'DEGRADED',
    components: { storageService: { status: 'DEGRADED', details: { source: 'stub', error: String } } },
  })

  await processed(id)
  const moved = await eventually(async () => {
    const status = await statusOf(base, id)
    return status.state === 'PERMANENT' && status
  }, 'the move to PERMANENT')
  t.match(moved, { storageId: 2, bucket: stubPermanent, key: /^permanent\// })
  t.strictSame(await objectKeys(stack.s3, stubPermanent), [moved.key])
  // The staging copy goes after the PERMANENT commit (docs/consistency.md, upload step 3).
  t.ok(
    await eventually(async () => (await objectKeys(stack.s3, stubStaging)).length === 0, 'the staging delete'),
    'the staging copy is gone',
  )
})

t.test('down after a good answer: the cached storages; the breaker opens and shows in health and metrics', async (t) => {
  const { base, processed } = await resourceService({})
  const first = await upload(base, song)
  t.equal(first.status, 200)
  t.match((await http('GET', `${base}/health/ready`)).json, {
    status: 'UP',
    components: { storageService: { status: 'UP' }, circuits: { status: 'UP' } },
  })

  await stack.stopStorage()
  const ids: number[] = []
  for (let i = 0; i < 6; i++) {
    const res = await upload(base, song)
    t.equal(res.status, 200, `upload ${i + 1} while the Storage Service is down`)
    ids.push((res.json as { id: number }).id)
  }
  for (const id of ids)
    t.match(await statusOf(base, id), { state: 'STAGING', bucket: stack.stagingBucket, storageId: 3 }, 'the real storage, from the cache')

  const metrics = await metricsOf(base)
  t.ok(fallbackCount(metrics, 'cache') >= 6, 'counted as cache answers')
  t.equal(fallbackCount(metrics, 'stub'), 0, 'no stub while a good answer is cached')
  t.match(metrics, /circuitbreaker_state\{[^}]*name="storage-service"[^}]*state="open"[^}]*\} 1/)
  const ready = await http('GET', `${base}/health/ready`)
  t.equal(ready.status, 200, 'DEGRADED, not DOWN')
  t.match(ready.json, {
    status: 'DEGRADED',
    components: {
      storageService: { status: 'DEGRADED', details: { source: 'cache' } },
      circuits: { status: 'DEGRADED', details: { 'storage-service': { state: 'open' }, 'song-service': { state: 'closed' } } },
    },
  })

  await processed(ids[0] ?? 0)
  const moved = await eventually(async () => {
    const status = await statusOf(base, ids[0] ?? 0)
    return status.state === 'PERMANENT' && status
  }, 'the move to PERMANENT')
  t.match(moved, { bucket: stack.permanentBucket, storageId: 4, key: /^permanent\/files\// })
})

t.test('hanging: uploads complete from the fallback, the breaker opens, then calls stop reaching it', async (t) => {
  const sockets = new Set<Socket>()
  let accepted = 0
  const hanging = createServer((socket) => {
    accepted++
    sockets.add(socket)
  })
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    hanging.close()
  })
  const { base } = await resourceService({
    STORAGE_SERVICE_URL: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
    STORAGE_SERVICE_TIMEOUT_MS: '300',
    STORAGE_STUBS: stackStubs(),
  })
  for (let i = 0; i < 6; i++) {
    const res = await upload(base, song)
    t.equal(res.status, 200, `upload ${i + 1} completes although the Storage Service never answers`)
  }
  const ready = await http('GET', `${base}/health/ready`)
  t.match(ready.json, {
    status: 'DEGRADED',
    components: { circuits: { details: { 'storage-service': { state: 'open', failedCalls: Number } } } },
  })
  t.match(await metricsOf(base), /circuitbreaker_state\{[^}]*name="storage-service"[^}]*state="open"[^}]*\} 1/)

  const reached = accepted
  for (let i = 0; i < 3; i++) t.equal((await upload(base, song)).status, 200, 'open: straight to the fallback')
  t.equal(accepted, reached, 'no new connection to the hanging server while open')
  t.ok(fallbackCount(await metricsOf(base), 'stub') >= 9, 'every upload answered by the stubs')
})

t.test('a wrong STORAGE_STUBS stops the service naming the variable', async (t) => {
  const { loadResourceServiceConfig } = await import('../src/config.js')
  t.throws(() => loadResourceServiceConfig({ STORAGE_STUBS: '[{"id":1' }), /STORAGE_STUBS: must be JSON/)
  t.throws(
    () => loadResourceServiceConfig({ STORAGE_STUBS: '[{"id":1,"storageType":"STAGING","bucket":"b-one","path":"/s"}]' }),
    /STORAGE_STUBS: .*no PERMANENT storage/,
  )
  t.throws(
    () => loadResourceServiceConfig({ STORAGE_STUBS: '[{"id":1,"storageType":"COLD","bucket":"b-one","path":"/s"}]' }),
    /STORAGE_STUBS: .*storageType must be STAGING or PERMANENT/,
  )
  t.strictSame(
    loadResourceServiceConfig({}).STORAGE_STUBS,
    [
      { id: 1, storageType: 'STAGING', bucket: 'resources-staging', path: '/staging' },
      { id: 2, storageType: 'PERMANENT', bucket: 'resources-permanent', path: '/permanent' },
    ],
    'the Storage Service defaults',
  )
})

t.test('the Song Service down: DELETE still succeeds; resource.deleted will finish the job', async (t) => {
  // The stack's Storage Service was stopped above: the stubs answer.
  const { base } = await resourceService({ SONG_SERVICE_URL: await deadAddress(), STORAGE_STUBS: stackStubs() })
  const { id } = (await upload(base, song)).json as { id: number }
  const res = await http('DELETE', `${base}/resources?id=${id}`)
  t.equal(res.status, 200)
  t.strictSame(res.json, { ids: [id] })
  t.match(await metricsOf(base), /circuitbreaker_calls_total\{[^}]*name="song-service"[^}]*kind="failed"[^}]*\} [1-9]/)
})
