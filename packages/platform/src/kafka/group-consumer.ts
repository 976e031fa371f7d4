import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs'
import type { Logger } from '../logging/logger.js'
import { ensureTopics } from './client.js'

export interface GroupConsumerOptions {
  kafka: Kafka
  groupId: string
  topics: string[]
  /** Created (if missing) before subscribing: topics this consumer subscribes to or writes to. */
  ensure?: string[]
  eachMessage: (payload: EachMessagePayload) => Promise<void>
  logger: Logger
  partitionsConcurrently: number
}

export interface GroupConsumer {
  readonly joined: boolean
  readonly lastError: string | undefined
  stop(): Promise<void>
}

const RETRY_START_MS = 1_000
const RETRY_MAX_MS = 15_000
const STOP_WAIT_MS = 5_000

/**
 * A kafkajs consumer that starts in the background and keeps trying while the
 * broker is away, committing each offset only after `eachMessage` resolved.
 */
export function startGroupConsumer(options: GroupConsumerOptions): GroupConsumer {
  const { kafka, groupId, logger } = options
  let consumer: Consumer | undefined
  let joined = false
  let stopped = false
  let lastError: string | undefined = 'starting'
  let retryTimer: NodeJS.Timeout | undefined
  let starting: Promise<void> | undefined

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
      if (options.ensure?.length)
        await ensureTopics(
          kafka,
          options.ensure.map((topic) => ({ topic })),
          logger,
        )
      await candidate.connect()
      // A new group starts from the beginning: events published before it
      // first joined are still work to do.
      await candidate.subscribe({ topics: options.topics, fromBeginning: true })
      await candidate.run({
        autoCommit: true,
        // One message at a time per partition keeps a resource's events in
        // order; partitions are worked in parallel.
        partitionsConsumedConcurrently: options.partitionsConcurrently,
        eachMessage: options.eachMessage,
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
    get joined() {
      return joined
    },
    get lastError() {
      return lastError
    },
    async stop() {
      stopped = true
      clearTimeout(retryTimer)
      // A start stuck on an unreachable broker must not hold the shutdown.
      await Promise.race([starting, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())])
      await consumer?.disconnect()
    },
  }
}
