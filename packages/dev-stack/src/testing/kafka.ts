// Kafka and polling helpers for services' tests, against the real broker that
// `npm test` starts (KAFKA_BROKERS). Consumers use fresh groups, so tests
// sharing the broker do not steal each other's messages.
import { randomBytes } from 'node:crypto'
import type { Consumer, IHeaders } from 'kafkajs'
import { createKafka, createLogger, ensureTopics, EventPublisher, type EventEnvelope } from '@soundline/platform'
import { http } from './http.js'

const silent = createLogger({ service: 'test', level: 'silent' })

/** What tap's `t.teardown` is. */
export type Teardown = (fn: () => unknown) => void

/** KAFKA_BROKERS, or an error saying how to run the tests with a broker. */
export function kafkaBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS
  if (!brokers) {
    throw new Error(
      'KAFKA_BROKERS is not set: run these tests with a Kafka broker, e.g. `npm test` or `node packages/dev-stack/dist/test-env.js -- tap <file>`',
    )
  }
  return brokers
}

/** Polls `check` every 100 ms until it gives a value (not undefined or false). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Waits for GET /health/ready to answer 200 (e.g. until a Kafka consumer joined its group). */
export async function waitUntilReady(base: string, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (await http('GET', `${base}/health/ready`)).status === 200, `${base} to be ready`, timeoutMs)
}

export interface ReceivedMessage {
  topic: string
  key: string | null
  headers: Record<string, string>
  /** The envelope and whatever fields the event carries (@soundline/contracts names them). */
  event: EventEnvelope & Record<string, unknown>
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]))
}

/** Collects every message of the topics, from the beginning, into the returned array. */
export async function collectEvents(topics: string[], teardown: Teardown): Promise<ReceivedMessage[]> {
  const kafka = createKafka({ brokers: kafkaBrokers().split(','), clientId: 'test-collector' }, silent)
  const consumer: Consumer = kafka.consumer({ groupId: `test-${randomBytes(6).toString('hex')}` })
  const received: ReceivedMessage[] = []
  // Subscribing to a topic nobody has written to yet fails.
  await ensureTopics(
    kafka,
    topics.map((topic) => ({ topic })),
    silent,
  )
  await consumer.connect()
  teardown(() => consumer.disconnect())
  await consumer.subscribe({ topics, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const event = JSON.parse(message.value?.toString() ?? 'null') as ReceivedMessage['event']
      received.push({ topic, key: message.key?.toString() ?? null, headers: headerStrings(message.headers), event })
    },
  })
  return received
}

/** A publisher for the test's own events; closed at teardown. */
export function publisherFor(teardown: Teardown, brokers = kafkaBrokers()): EventPublisher {
  const kafka = createKafka(
    { brokers: brokers.split(','), clientId: 'test-publisher', retry: { retries: 1, initialRetryTime: 100 } },
    silent,
  )
  const publisher = new EventPublisher(kafka, 'test')
  teardown(() => publisher.close())
  return publisher
}
