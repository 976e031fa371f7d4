// The embedded Kafka broker against a real kafkajs client (the platform
// factory): produce, consume, restart on the same data dir, consume again.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import { pino } from 'pino'
import type { Kafka } from 'kafkajs'
import { cacheDir } from '../src/paths.js'
import { ensureKafkaJars, startKafka } from '../src/infra/kafka.js'
import type { RunningKafka } from '../src/infra/kafka.js'
import { findJava, findMaven } from '../src/infra/java.js'
import { freePorts } from '../src/infra/ports.js'
import { createKafka, createProducer, ensureTopics } from '@soundline/platform'

// Cold Maven fetch + two JVM starts on a busy 2-core machine exceed the default 120 s.
t.setTimeout(300_000)

const kafkaCacheDir = join(cacheDir, 'kafka')
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' })

/** The broker's two ports (client and controller), distinct. */
async function brokerPorts(): Promise<{ port: number; controllerPort: number }> {
  const [port, controllerPort] = await freePorts(2)
  if (!port || !controllerPort) throw new Error('no free ports')
  return { port, controllerPort }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

/** Reads `topic` from the beginning with a new group until `wanted` shows up; returns all values seen. */
async function consumeUntil(kafka: Kafka, topic: string, wanted: string): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `test-${Date.now()}-${Math.random()}` })
  const seen: string[] = []
  try {
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not see ${wanted} on ${topic}; saw ${JSON.stringify(seen)}`)), 45_000)
      void consumer
        .run({
          eachMessage: async ({ message }) => {
            const value = message.value?.toString() ?? ''
            seen.push(value)
            if (value === wanted) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return seen
}

t.test('a missing java or mvn gives an error that says what to install', async (t) => {
  const emptyDir = await mkdtemp(join(tmpdir(), 'no-java-'))
  t.teardown(() => rm(emptyDir, { recursive: true, force: true }))
  const env = { PATH: emptyDir }
  t.throws(() => findJava(env), /apt-get install -y openjdk-17-jre-headless.*KAFKA_BROKERS/s)
  t.throws(() => findMaven(env), /apt-get install -y maven.*KAFKA_BROKERS/s)
  await t.rejects(
    startKafka({ dataDir: join(emptyDir, 'data'), cacheDir: kafkaCacheDir, port: 1, logger, env }),
    /apt-get install -y openjdk-17-jre-headless/,
  )
  t.throws(
    () => findJava({ PATH: emptyDir, JAVA_HOME: '/usr/lib/jvm/nothing-here' }),
    /openjdk-17/,
    'a JAVA_HOME without java does not count',
  )
  t.match(findJava({ PATH: '/usr/bin:/bin' }), /java$/, 'finds the installed java on a normal PATH')
})

t.test('broker: produce, consume, restart on the same data dir, message still there', async (t) => {
  const fetchStarted = performance.now()
  const libsDir = await ensureKafkaJars(kafkaCacheDir, logger)
  t.comment(`ensureKafkaJars: ${Math.round(performance.now() - fetchStarted)} ms (${libsDir})`)
  // Cached now, so no Maven may run: a PATH without mvn must still work.
  await t.resolves(ensureKafkaJars(kafkaCacheDir, logger, { PATH: '/nonexistent' }), 'second call does not need mvn')

  const dataDir = await mkdtemp(join(tmpdir(), 'kafka-test-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const { port, controllerPort } = await brokerPorts()
  const topic = 'soundline.test.persisted'
  const value = `hello-${Date.now()}`
  let broker: RunningKafka | undefined
  t.teardown(() => broker?.stop())

  let started = performance.now()
  broker = await startKafka({ dataDir, cacheDir: kafkaCacheDir, port, controllerPort, logger })
  t.comment(`first start (format + boot) to ready: ${Math.round(performance.now() - started)} ms`)
  t.equal(broker.brokers, `127.0.0.1:${port}`)

  const kafka = createKafka({ brokers: [broker.brokers], clientId: 'kafka-test' }, logger)
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }], logger)
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }], logger) // idempotent
  const producer = createProducer(kafka)
  await producer.connect()
  t.teardown(() => producer.disconnect())
  await producer.send({ topic, messages: [{ key: 'k', value }] })
  t.ok((await consumeUntil(kafka, topic, value)).includes(value), 'consumed what was produced')

  t.notOk(await canBind(port), 'the broker holds its port while running')
  await broker.stop()
  t.ok(await canBind(port), 'the broker port is released after stop')

  started = performance.now()
  broker = await startKafka({ dataDir, cacheDir: kafkaCacheDir, port, controllerPort, logger })
  t.comment(`warm restart to ready: ${Math.round(performance.now() - started)} ms`)
  const admin = kafka.admin()
  await admin.connect()
  t.ok((await admin.listTopics()).includes(topic), 'topic survived the restart')
  await admin.disconnect()
  t.same(await consumeUntil(kafka, topic, value), [value], 'the message survived the restart, exactly once')

  // The producer stayed connected through the restart: the client's retries reconnect it.
  const afterRestart = `after-restart-${Date.now()}`
  await producer.send({ topic, messages: [{ key: 'k', value: afterRestart }] })
  t.same(await consumeUntil(kafka, topic, afterRestart), [value, afterRestart], 'a producer kept across the restart still delivers')
  await producer.disconnect()
  await broker.stop()
})

t.test('a readiness timeout kills the JVM and reports its last output', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafka-timeout-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const { port, controllerPort } = await brokerPorts()
  await t.rejects(
    startKafka({ dataDir, cacheDir: kafkaCacheDir, port, controllerPort, logger, readyTimeoutMs: 1 }),
    /not ready within 1 ms\. Last broker output:/,
  )
  t.ok(await canBind(port), 'nothing listens on the port afterwards')
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Starts a broker in a separate Node process; resolves with that process and the JVM's pid once ready. */
async function startBrokerInChild(dataDir: string, port: number, controllerPort: number, then: 'exit' | 'hang') {
  const kafkaModule = fileURLToPath(new URL('../src/infra/kafka.ts', import.meta.url))
  const script = `
    import { startKafka } from ${JSON.stringify(kafkaModule)}
    import { pino } from 'pino'
    await startKafka({ dataDir: ${JSON.stringify(dataDir)}, cacheDir: ${JSON.stringify(kafkaCacheDir)}, port: ${port}, controllerPort: ${controllerPort}, logger: pino({ level: 'warn' }) })
    console.log('READY')
    if (${JSON.stringify(then)} === 'exit') process.exit(0)
    setInterval(() => undefined, 1000)
  `
  const child = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('READY')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`broker child exited early (${code})`)))
  })
  const javaPid = Number((await readFile(join(dataDir, 'broker.pid'), 'utf8')).trim())
  return { child, javaPid }
}

t.test('the JVM does not outlive its parent', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafka-orphan-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const { port, controllerPort } = await brokerPorts()

  // Parent exits normally: its exit handler SIGKILLs the JVM.
  let started = performance.now()
  const first = await startBrokerInChild(dataDir, port, controllerPort, 'exit')
  t.comment(`child 1 ready after ${Math.round(performance.now() - started)} ms`)
  t.ok(first.javaPid > 0, 'child wrote the JVM pid')
  for (let i = 0; i < 50 && isAlive(first.javaPid); i++) await delay(100)
  t.notOk(isAlive(first.javaPid), 'JVM killed when its parent exited')

  // Parent is SIGKILLed: the JVM is orphaned, and the next start on the same data dir kills it.
  started = performance.now()
  const second = await startBrokerInChild(dataDir, port, controllerPort, 'hang')
  t.comment(`child 2 ready after ${Math.round(performance.now() - started)} ms`)
  t.teardown(() => {
    if (isAlive(second.javaPid)) process.kill(second.javaPid, 'SIGKILL')
  })
  second.child.kill('SIGKILL')
  await delay(500)
  t.ok(isAlive(second.javaPid), 'JVM orphaned by a SIGKILLed parent (nothing can run in the parent)')
  started = performance.now()
  const broker = await startKafka({ dataDir, cacheDir: kafkaCacheDir, port, controllerPort, logger })
  t.comment(`start over the orphan ready after ${Math.round(performance.now() - started)} ms`)
  t.teardown(() => broker.stop())
  t.notOk(isAlive(second.javaPid), 'the orphan was killed by the next start')
  await broker.stop()
})
