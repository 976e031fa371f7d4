// The Song Service goes away under the processor: its breaker opens, events
// wait on the retry topic with growing delays, and when the service is back
// every song arrives; when attempts run out, the dead-letter topic, and the
// replay CLI brings them back. Real Kafka, the real Song Service (stopped and
// restarted on the same port and database), real HTTP; small delays via env.
import { TOPICS, newEvent, type ResourceUploaded } from '@soundline/contracts'
import { createLogger } from '@soundline/platform'
import {
  QUEEN_TAGS,
  collectEvents,
  eventually,
  freePort,
  http,
  kafkaBrokers,
  makeMp3,
  publisherFor,
  startService,
  startTestDatabase,
  type RunningService,
  waitUntilReady,
  type ReceivedMessage,
} from '@soundline/dev-stack/testing'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadResourceProcessorConfig } from '../src/config.js'
import { startResourceServer } from './resource-server.js'

// Three outages, each a real Song Service process stopped and started again, plus
// the retry delays: more than tap's default 120 s on a busy 2-core machine.
t.setTimeout(240_000)

const brokers = kafkaBrokers()
const silent = (service: string) => createLogger({ service, level: 'silent' })

// The Song Service on a fixed port, so the processor finds it again after a restart.
const database = await startTestDatabase()
t.teardown(() => database.stop())
const songPort = await freePort()
const songs = `http://127.0.0.1:${songPort}`
let songService: RunningService | undefined
async function songUp() {
  if (songService) return
  songService = await startService('song-service', { DATABASE_URL: database.url }, { port: songPort })
}
async function songDown() {
  await songService?.stop()
  songService = undefined
}
t.teardown(songDown)

const resources = await startResourceServer()
t.teardown(() => resources.close())
const publisher = publisherFor(t.teardown.bind(t))
let nextId = 1 + Math.floor(Math.random() * 1_000_000)

/** A processor on its own topics; `env` sets the retry schedule. */
async function processor(env: Record<string, string>) {
  const prefix = `test-${randomBytes(4).toString('hex')}.`
  const app = await buildApp(
    loadResourceProcessorConfig({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: `${prefix}resource-processor`,
      RESOURCE_SERVICE_URL: resources.base,
      SONG_SERVICE_URL: songs,
      SONG_SERVICE_TIMEOUT_MS: '1000',
      // Opens quickly, and tries again soon: a small outage in a short test.
      BREAKER_SONG_SERVICE_MINIMUM_CALLS: '3',
      BREAKER_SONG_SERVICE_OPEN_MS: '500',
      LOG_LEVEL: 'silent',
      ...env,
    }),
    silent('resource-processor'),
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  await waitUntilReady(base)
  const topic = (name: string) => `${prefix}${name}`
  const [processed, retries, deadLetters] = await Promise.all([
    collectEvents([topic(TOPICS.resourceProcessed)], t.teardown.bind(t)),
    collectEvents([topic(`${TOPICS.resourceUploaded}.retry`)], t.teardown.bind(t)),
    collectEvents([topic(`${TOPICS.resourceUploaded}.dlq`)], t.teardown.bind(t)),
  ])
  const upload = async () => {
    const id = nextId++
    const bytes = makeMp3({ ...QUEEN_TAGS, title: `Song ${id}`, seed: id })
    resources.files.set(id, bytes)
    const event = newEvent<ResourceUploaded>(TOPICS.resourceUploaded, id, { size: bytes.length, sha256: '0'.repeat(64) })
    await publisher.publish(topic(TOPICS.resourceUploaded), [event])
    return id
  }
  return { base, prefix, topic, processed, retries, deadLetters, upload }
}

const of = (messages: ReceivedMessage[], id: number) => messages.filter((message) => message.event.resourceId === id)
const songOf = async (id: number) => (await http('GET', `${songs}/songs/${id}`)).status

t.test('Song Service down: breaker opens, events wait on the retry topic, then all songs arrive; nothing in the DLQ', async (t) => {
  await songUp()
  const p = await processor({ KAFKA_RETRY_BASE_DELAY_MS: '200', KAFKA_RETRY_MAX_DELAY_MS: '1000', KAFKA_RETRY_MAX_ATTEMPTS: '100' })
  const warm = await p.upload()
  await eventually(async () => (await songOf(warm)) === 200, 'a song while the Song Service is up')

  await songDown()
  const ids = [await p.upload(), await p.upload(), await p.upload(), await p.upload(), await p.upload()]
  // Until every event has been retried a few times, and the breaker refused calls.
  await eventually(async () => ids.every((id) => of(p.retries, id).length >= 3), 'three retries of every event')
  const metrics = (await http('GET', `${p.base}/metrics`)).text
  t.match(
    metrics,
    /circuitbreaker_calls_total\{[^}]*name="song-service"[^}]*kind="not_permitted"[^}]*\} [1-9]/,
    'the breaker refused calls: the Song Service was not hammered',
  )
  t.match(metrics, /circuitbreaker_transitions_total\{[^}]*name="song-service"[^}]*to="open"[^}]*\} [1-9]/)

  for (const id of ids) {
    const attempts = of(p.retries, id).map((message) => Number(message.headers['retry-attempt']))
    t.strictSame(attempts.slice(0, 3), [1, 2, 3], `resource ${id}: attempts counted`)
    const notBefore = of(p.retries, id).map((message) => Number(message.headers['retry-not-before']))
    t.ok(
      notBefore.every((value, i) => i === 0 || value > (notBefore[i - 1] ?? 0)),
      'each retry is scheduled later',
    )
    t.match(of(p.retries, id)[0]?.headers, {
      'retry-source-topic': p.topic(TOPICS.resourceUploaded),
      'retry-group': `${p.prefix}resource-processor`,
      'retry-reason': /song-service|circuit breaker/,
    })
  }

  await songUp()
  for (const id of ids) await eventually(async () => (await songOf(id)) === 200, `the song of resource ${id}`)
  await eventually(
    async () =>
      ids.every((id) =>
        of(p.processed, id).some((message) => message.event.type === 'resource.processed' && message.event.status === 'OK'),
      ),
    'resource.processed OK for all',
  )
  t.pass('every song arrived after the Song Service came back')
  t.strictSame(p.deadLetters, [], 'the dead-letter topic stays empty')
  t.match((await http('GET', `${p.base}/health/ready`)).json, {
    components: { circuits: { details: { 'song-service': { state: String } } } },
  })
})

t.test('attempts run out: the dead-letter topic with the reason; the replay CLI brings the event back', async (t) => {
  await songDown()
  const p = await processor({ KAFKA_RETRY_BASE_DELAY_MS: '100', KAFKA_RETRY_MAX_DELAY_MS: '200', KAFKA_RETRY_MAX_ATTEMPTS: '2' })
  const id = await p.upload()
  const [dead] = await eventually(
    async () => of(p.deadLetters, id).length > 0 && of(p.deadLetters, id),
    'the event in the dead-letter topic',
  )
  await eventually(async () => of(p.retries, id).length >= 2, 'both retries collected')
  t.equal(of(p.retries, id).length, 2, 'two retries, no more')
  t.match(dead?.headers, {
    'dlq-source-topic': p.topic(TOPICS.resourceUploaded),
    'dlq-attempts': '3',
    'dlq-group': `${p.prefix}resource-processor`,
    'dlq-reason': /song-service|circuit breaker/,
  })
  t.notOk(dead && 'retry-attempt' in dead.headers, 'no retry bookkeeping in the dead letter')
  t.equal(of(p.processed, id).length, 0, 'nothing published for it')

  await songUp()
  // The operators' replay command, found through platform's exports (not a path into its build).
  const cli = fileURLToPath(import.meta.resolve('@soundline/platform/cli/dlq-replay'))
  const { stdout } = await promisify(execFile)(process.execPath, [cli, p.topic(`${TOPICS.resourceUploaded}.dlq`)], {
    env: { ...process.env, KAFKA_BROKERS: brokers, DLQ_REPLAY_GROUP_ID: `${p.prefix}dlq-replay`, LOG_LEVEL: 'warn' },
  })
  t.match(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'), { replayed: 1, bySource: { [p.topic(TOPICS.resourceUploaded)]: 1 } })
  await eventually(async () => (await songOf(id)) === 200, 'the song after the replay')
  await eventually(async () => of(p.processed, id).length > 0, 'resource.processed after the replay')
  t.match(of(p.processed, id)[0]?.event, { status: 'OK' })

  const again = await promisify(execFile)(process.execPath, [cli, p.topic(`${TOPICS.resourceUploaded}.dlq`)], {
    env: { ...process.env, KAFKA_BROKERS: brokers, DLQ_REPLAY_GROUP_ID: `${p.prefix}dlq-replay`, LOG_LEVEL: 'warn' },
  })
  t.match(JSON.parse(again.stdout.trim().split('\n').at(-1) ?? '{}'), { replayed: 0 }, 'a second replay has nothing left')
})

t.test('a file with bad tags ends FAILED at once: not retried', async (t) => {
  await songUp()
  const p = await processor({ KAFKA_RETRY_BASE_DELAY_MS: '100', KAFKA_RETRY_MAX_DELAY_MS: '200' })
  const id = nextId++
  const bytes = makeMp3({ artist: 'Queen', seed: id })
  resources.files.set(id, bytes)
  await publisher.publish(p.topic(TOPICS.resourceUploaded), [
    newEvent<ResourceUploaded>(TOPICS.resourceUploaded, id, { size: bytes.length, sha256: '0'.repeat(64) }),
  ])
  await eventually(async () => of(p.processed, id).length > 0, 'resource.processed')
  t.match(of(p.processed, id)[0]?.event, { status: 'FAILED', reason: /Missing ID3 tags/ })
  t.equal(of(p.retries, id).length, 0, 'nothing on the retry topic')
})
