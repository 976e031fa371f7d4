import type { Consumer, Kafka, KafkaMessage } from 'kafkajs'
import type { Logger } from '../logging/logger.js'
import type { HealthComponent } from '../health/readiness.js'
import { InvalidEventError, deadLetterTopic, parseEvent, type PipelineEvent } from '../events/events.js'
import type { EventPublisher } from './publisher.js'

export interface MessageContext {
  topic: string
  partition: number
  offset: string
  headers: Record<string, string>
}

export type EventHandler = (event: PipelineEvent, context: MessageContext) => Promise<void>

export interface EventConsumerOptions {
  kafka: Kafka
  groupId: string
  /** Topic names, possibly prefixed (KAFKA_TOPIC_PREFIX). */
  topics: string[]
  handle: EventHandler
  /** Where poison messages (not a valid event) go, so they never block a partition. */
  deadLetters: EventPublisher
  logger: Logger
  /** How many partitions are worked at once (default 3, the topics' partition count). */
  partitionsConcurrently?: number
}

export interface RunningConsumer {
  stop(): Promise<void>
  /** `kafka` in /health/ready: DOWN until the consumer has joined its group. */
  health: HealthComponent
}

const RETRY_START_MS = 1_000
const RETRY_MAX_MS = 15_000
const STOP_WAIT_MS = 5_000

function headersOf(message: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value)
  }
  return headers
}

/**
 * Consumes pipeline events in a consumer group. An offset is committed only
 * after its handler resolved: a crash before that redelivers the message, so
 * handlers must be idempotent (they are: system.md, at-least-once). A handler
 * that throws is retried by kafkajs with backoff, then the consumer restarts
 * from the last committed offset.
 *
 * It starts in the background and keeps trying while the broker is away, so
 * a service serves what does not need Kafka (and reports `kafka` DOWN) rather
 * than failing to start.
 */
export function startEventConsumer(options: EventConsumerOptions): RunningConsumer {
  const { kafka, groupId, logger } = options
  let consumer: Consumer | undefined
  let joined = false
  let stopped = false
  let lastError: string | undefined = 'starting'
  let retryTimer: NodeJS.Timeout | undefined
  let starting: Promise<void> | undefined

  const eachMessage = async ({ topic, partition, message }: { topic: string; partition: number; message: KafkaMessage }) => {
    const context = { topic, partition, offset: message.offset, headers: headersOf(message) }
    let event: PipelineEvent
    try {
      event = parseEvent(message.value)
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error
      logger.error({ topic, partition, offset: message.offset, reason: error.message }, 'poison message sent to the dead-letter topic')
      await options.deadLetters.sendRaw(deadLetterTopic(topic), {
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? '',
        headers: { ...context.headers, 'dlq-reason': error.message, 'dlq-source-topic': topic },
      })
      return
    }
    await options.handle(event, context)
  }

  const start = async (attempt: number): Promise<void> => {
    const candidate = kafka.consumer({
      groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // A fetch returns as soon as a message arrives; this only bounds how long
      // an idle fetch holds up disconnect() at shutdown (kafkajs' default is 5 s).
      maxWaitTimeInMs: 500,
    })
    candidate.on(candidate.events.GROUP_JOIN, () => {
      joined = true
      lastError = undefined
    })
    candidate.on(candidate.events.CRASH, (event) => {
      joined = false
      lastError = String(event.payload.error)
      logger.warn({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed')
    })
    try {
      await candidate.connect()
      // A new group starts from the beginning: events published before it
      // first joined are still work to do.
      await candidate.subscribe({ topics: options.topics, fromBeginning: true })
      await candidate.run({
        autoCommit: true,
        // One message at a time per partition keeps a resource's events in
        // order; partitions are worked in parallel.
        partitionsConsumedConcurrently: options.partitionsConcurrently ?? 3,
        eachMessage,
      })
      consumer = candidate
      if (stopped) await candidate.disconnect()
      else if (attempt > 1) logger.info({ attempt }, 'consumer started')
    } catch (error) {
      lastError = (error as Error).message
      await candidate.disconnect().catch(() => undefined)
      if (stopped) return
      if (attempt === 1) logger.warn({ err: error }, 'consumer cannot start yet; retrying in the background')
      const delay = Math.min(RETRY_MAX_MS, RETRY_START_MS * 2 ** Math.min(attempt - 1, 4))
      retryTimer = setTimeout(() => {
        starting = start(attempt + 1)
      }, delay)
      retryTimer.unref()
    }
  }
  starting = start(1)

  return {
    async stop() {
      stopped = true
      clearTimeout(retryTimer)
      // A start stuck on an unreachable broker must not hold the shutdown.
      await Promise.race([starting, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())])
      await consumer?.disconnect()
    },
    health: {
      name: 'kafka',
      critical: true,
      check: async () => ({
        status: joined ? 'UP' : 'DOWN',
        details: { groupId, topics: options.topics, ...(lastError ? { error: lastError } : {}) },
      }),
    },
  }
}
