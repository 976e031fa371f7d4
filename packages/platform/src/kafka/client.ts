// The one place services get Kafka clients from: kafkajs logs go to pino,
// retries are tuned to ride out a broker restart, and producers use an
// explicit partitioner.
import { Kafka, Partitioners, logLevel } from 'kafkajs'
import type { LogEntry, Producer, ProducerConfig, RetryOptions } from 'kafkajs'
import type { Logger } from '../logging/logger.js'

export interface KafkaClientConfig {
  brokers: string[]
  clientId: string
  /** TCP connect timeout per attempt; default 3000 ms (kafkajs' 1000 ms is tight on a busy 2-core box). */
  connectionTimeoutMs?: number
  /** Per request; default 30000 ms. */
  requestTimeoutMs?: number
  /** Overrides DEFAULT_KAFKA_RETRY. */
  retry?: RetryOptions
}

/**
 * Exponential backoff 300 ms -> 10 s, 8 retries: about 40 s in total, which
 * covers a local broker restart (~10-20 s) without hanging callers for minutes.
 * Consumers additionally restart themselves after retriable crashes (kafkajs'
 * default restartOnFailure).
 */
export const DEFAULT_KAFKA_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 10_000, multiplier: 2, factor: 0.2, retries: 8 }

/** "a:9092, b:9092" -> ["a:9092", "b:9092"] (the KAFKA_BROKERS env var format). */
export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '')
}

function kafkaLogLevelFor(logger: Logger): logLevel {
  switch (logger.level) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG
    case 'info':
      return logLevel.INFO
    case 'warn':
      return logLevel.WARN
    default:
      return logLevel.ERROR
  }
}

/** A kafkajs Kafka whose logs go to the given pino logger. */
export function createKafka(config: KafkaClientConfig, logger: Logger): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs', clientId: config.clientId })
  const logCreator =
    () =>
    ({ namespace, level, log }: LogEntry): void => {
      // Drop what pino or the child bindings already carry.
      const { message, timestamp: _timestamp, logger: _logger, clientId: _clientId, ...fields } = log
      const bindings = { namespace, ...fields }
      // kafkajs logs every error response at ERROR although it retries them
      // (e.g. "group coordinator is not available" while a broker starts); the
      // caller sees the real failure if the retries run out.
      const isRetriedResponse = namespace === 'Connection' && message.startsWith('Response ')
      const pinoLevel =
        level === logLevel.ERROR
          ? isRetriedResponse
            ? 'warn'
            : 'error'
          : level === logLevel.WARN
            ? 'warn'
            : level === logLevel.INFO
              ? 'info'
              : 'debug'
      kafkaLogger[pinoLevel](bindings, message)
    }
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs ?? 3000,
    requestTimeout: config.requestTimeoutMs ?? 30_000,
    retry: config.retry ?? DEFAULT_KAFKA_RETRY,
    logLevel: kafkaLogLevelFor(logger),
    logCreator,
  })
}

/**
 * A producer with the partitioner chosen explicitly (kafkajs 2 warns when it is
 * left implicit). DefaultPartitioner is the murmur2 one Java clients use, so
 * keys land on the same partitions from any language. The warning can also be
 * silenced with the env var KAFKAJS_NO_PARTITIONER_WARNING=1, but choosing the
 * partitioner here is the real fix.
 */
export function createProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config })
}

/** Creates the topics that do not exist yet; safe to call on every start and concurrently. */
export async function ensureTopics(kafka: Kafka, topics: { topic: string; numPartitions?: number }[], logger: Logger): Promise<void> {
  if (topics.length === 0) return
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter(({ topic }) => !existing.has(topic))
    if (missing.length === 0) return
    // kafkajs resolves false (not throws) when another client created them meanwhile.
    const created = await admin.createTopics({
      topics: missing.map(({ topic, numPartitions }) => ({ topic, numPartitions: numPartitions ?? 3 })),
      waitForLeaders: true,
    })
    logger.info({ topics: missing.map(({ topic }) => topic), created }, 'ensured Kafka topics')
  } finally {
    await admin.disconnect()
  }
}
