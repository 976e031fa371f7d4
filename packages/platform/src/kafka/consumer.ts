import type { Consumer, Kafka, KafkaMessage } from 'kafkajs'
import type { Logger } from '../logging/logger.js'
import type { HealthComponent } from '../health/readiness.js'
import { InvalidEventError, deadLetterTopic, parseEvent, type PipelineEvent, type Topic } from '../events/events.js'
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
  topics: Topic[]
  handle: EventHandler
  /** Where poison messages (not a valid event) go, so they never block a partition. */
  deadLetters: EventPublisher
  logger: Logger
}

export interface RunningConsumer {
  stop(): Promise<void>
  health: HealthComponent
}

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
 */
export async function startEventConsumer(options: EventConsumerOptions): Promise<RunningConsumer> {
  const { kafka, groupId, logger } = options
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    // A fetch returns as soon as a message arrives; this only bounds how long
    // an idle fetch holds up disconnect() at shutdown (kafkajs' default is 5 s).
    maxWaitTimeInMs: 500,
  })
  let connected = false
  let lastCrash: string | undefined
  consumer.on(consumer.events.GROUP_JOIN, () => {
    connected = true
    lastCrash = undefined
  })
  consumer.on(consumer.events.DISCONNECT, () => {
    connected = false
  })
  consumer.on(consumer.events.CRASH, (event) => {
    connected = false
    lastCrash = String(event.payload.error)
    logger.warn({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed')
  })

  await consumer.connect()
  // A new group starts from the beginning: events published before it first
  // joined are still work to do.
  await consumer.subscribe({ topics: options.topics, fromBeginning: true })
  await consumer.run({
    autoCommit: true,
    eachMessage: async ({ topic, partition, message }) => {
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
    },
  })

  return {
    stop: () => consumer.disconnect(),
    health: {
      name: 'kafka',
      critical: true,
      check: async () => ({
        status: connected ? 'UP' : 'DOWN',
        details: { groupId, topics: options.topics, ...(lastCrash ? { lastCrash } : {}) },
      }),
    },
  }
}
