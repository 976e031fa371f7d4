import type { EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs'
import type { Logger } from '../logging/logger.js'
import type { HealthComponent } from '../health/readiness.js'
import { InvalidEventError, deadLetterTopic, retryTopic, type EventEnvelope, type EventParser } from './event.js'
import { exponentialDelay } from '../resilience/retry.js'
import type { EventPublisher } from './publisher.js'
import { startGroupConsumer, type GroupConsumer } from './group-consumer.js'
import { consumerMetrics } from './consumer-metrics.js'
import type { Registry } from 'prom-client'
import {
  deadLetterRecord,
  originalHeaders,
  readRetryState,
  reasonOf,
  retryRecord,
  waitUntil,
  type RetrySettings,
  type SourceMessage,
} from './redelivery.js'

export interface MessageContext {
  /** The topic the event was published to (for a retried message: its source topic, not the retry topic). */
  topic: string
  partition: number
  offset: string
  headers: Record<string, string>
  /** 0 on the first delivery, n on the n-th retry from the retry topic. */
  attempt: number
}

export type EventHandler<E extends EventEnvelope> = (event: E, context: MessageContext) => Promise<void>

export interface EventConsumerOptions<E extends EventEnvelope> {
  kafka: Kafka
  groupId: string
  /** Topic names, possibly prefixed (KAFKA_TOPIC_PREFIX). */
  topics: string[]
  /** The events' own check (e.g. @soundline/contracts' parseEvent): what it rejects goes to the dead-letter topic. */
  parse: EventParser<E>
  handle: EventHandler<E>
  /** Publishes to the retry and dead-letter topics (poison messages, which are not valid events, go straight to the latter). */
  deadLetters: EventPublisher
  logger: Logger
  /** How many partitions are worked at once (default 3, the topics' partition count). */
  partitionsConcurrently?: number
  /**
   * A handler that throws parks the message on `<topic>.retry` (committing
   * the source offset once it is there), and a second consumer group
   * (`<groupId>.retry`) handles it again after a growing delay; after
   * `maxAttempts` retries it goes to `<topic>.dlq` with the reason. Without
   * it, kafkajs retries the handler in place, blocking the partition.
   */
  retry?: RetrySettings
  /** The service's registry: dead letters and consumer lag are reported there. */
  metrics?: Registry
}

export interface RunningConsumer {
  stop(): Promise<void>
  /** `kafka` in /health/ready: DOWN until the consumer (and its retry consumer) joined their groups. */
  health: HealthComponent
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value)
  }
  return headers
}

function sourceOf(message: KafkaMessage): SourceMessage {
  return { key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers: headersOf(message) }
}

/**
 * Consumes pipeline events in a consumer group. An offset is committed only
 * after its message is done — handled, or safely on the retry or dead-letter
 * topic — so a crash before that redelivers it, and handlers must be
 * idempotent (they are: docs/architecture.md, at-least-once delivery).
 *
 * It starts in the background and keeps trying while the broker is away, so
 * a service serves what does not need Kafka (and reports `kafka` DOWN) rather
 * than failing to start.
 */
export function startEventConsumer<E extends EventEnvelope>(options: EventConsumerOptions<E>): RunningConsumer {
  const { groupId, logger, retry, deadLetters: publisher } = options
  const isRetryable = retry?.isRetryable ?? (() => true)
  const stopping = new AbortController()
  const retryTopics = retry ? options.topics.map(retryTopic) : []
  const deadLetterTopics = options.topics.map(deadLetterTopic)
  const metrics = options.metrics && consumerMetrics(options.metrics, { kafka: options.kafka, groupId, topics: options.topics })

  const toDeadLetters = async (message: SourceMessage, context: MessageContext, reason: string) => {
    const attempts = context.attempt + 1
    await publisher.sendRaw(
      deadLetterTopic(context.topic),
      deadLetterRecord(message, { sourceTopic: context.topic, groupId, attempts, reason }),
    )
    metrics?.deadLetter(context.topic)
    logger.error({ topic: context.topic, key: message.key, attempts, reason }, 'message sent to the dead-letter topic')
  }

  /** After a failed attempt: the retry topic, or the dead-letter topic when attempts are spent or the error is final. */
  const park = async (message: SourceMessage, context: MessageContext, error: unknown) => {
    const reason = reasonOf(error)
    const attempt = context.attempt + 1
    if (!retry || attempt > retry.maxAttempts || !isRetryable(error)) return toDeadLetters(message, context, reason)
    const delayMs = exponentialDelay(attempt, retry.baseDelayMs, retry.maxDelayMs)
    const record = retryRecord(message, { sourceTopic: context.topic, groupId, attempt, notBefore: Date.now() + delayMs, reason })
    await publisher.sendRaw(retryTopic(context.topic), record)
    logger.warn({ topic: context.topic, key: message.key, attempt, delayMs, reason }, 'handler failed; message parked on the retry topic')
  }

  const work = async (raw: Buffer | null, message: SourceMessage, context: MessageContext) => {
    let event: E
    try {
      event = options.parse(raw)
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error
      logger.error({ topic: context.topic, partition: context.partition, offset: context.offset, reason: error.message }, 'poison message')
      return toDeadLetters(message, context, error.message)
    }
    try {
      await options.handle(event, context)
    } catch (error) {
      // Without a retry topic kafkajs retries in place; a failed publish below does the same.
      if (!retry) throw error
      await park(message, context, error)
    }
  }

  const partitionsConcurrently = options.partitionsConcurrently ?? 3
  const main = startGroupConsumer({
    kafka: options.kafka,
    groupId,
    topics: options.topics,
    ensure: [...options.topics, ...retryTopics, ...deadLetterTopics],
    logger,
    partitionsConcurrently,
    eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
      const source = sourceOf(message)
      await work(message.value, source, { topic, partition, offset: message.offset, headers: source.headers, attempt: 0 })
    },
  })

  const retrying: GroupConsumer | undefined =
    retry &&
    startGroupConsumer({
      kafka: options.kafka,
      groupId: `${groupId}.retry`,
      topics: retryTopics,
      ensure: [...retryTopics, ...deadLetterTopics],
      logger: logger.child({ consumer: 'retry' }),
      partitionsConcurrently,
      eachMessage: async ({ topic, partition, message, heartbeat }: EachMessagePayload) => {
        const source = sourceOf(message)
        const state = readRetryState(source.headers, topic)
        // Another group's failure on a retry topic shared by name: not ours to redo.
        if (state.groupId !== undefined && state.groupId !== groupId) return
        // One partition waits at a time; a message behind a later not-before waits with it.
        await waitUntil(state.notBefore, heartbeat, stopping.signal)
        await work(message.value, source, {
          topic: state.sourceTopic,
          partition,
          offset: message.offset,
          headers: originalHeaders(source.headers),
          attempt: state.attempt,
        })
      },
    })
  const consumers = retrying ? [main, retrying] : [main]

  return {
    async stop() {
      stopping.abort()
      metrics?.remove()
      await Promise.all(consumers.map((consumer) => consumer.stop()))
    },
    health: {
      name: 'kafka',
      critical: true,
      check: async () => {
        const error = consumers.map((consumer) => consumer.lastError).find((message) => message !== undefined)
        return {
          status: consumers.every((consumer) => consumer.joined) ? 'UP' : 'DOWN',
          details: { groupId, topics: options.topics, ...(retry ? { retryTopics } : {}), ...(error ? { error } : {}) },
        }
      },
    },
  }
}
