import { deadLetterTopic, ensureTopics, startEventConsumer, TOPICS, type Logger, type RunningConsumer, type Topic } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { ResourceServiceConfig } from '../../config.js'
import { topicNames } from '../../kafka-topics.js'

const RETRY_START_MS = 1_000
const RETRY_MAX_MS = 15_000
const STOP_WAIT_MS = 5_000

/**
 * Consumes resource.processed. Started in the background so that the service
 * serves uploads and reads while Kafka is down (the outbox keeps the events);
 * readiness reports `kafka` DOWN until the consumer has joined its group.
 */
export default fp<{ config: ResourceServiceConfig }>(
  async (app, { config }) => {
    const logger = (app.log as unknown as Logger).child({ component: 'processing-consumer' })
    const topics = topicNames(config.KAFKA_TOPIC_PREFIX)
    let consumer: RunningConsumer | undefined
    let stopped = false
    let lastError: string | undefined
    let retryTimer: NodeJS.Timeout | undefined
    let starting: Promise<void> | undefined

    const start = async (attempt: number): Promise<void> => {
      try {
        await ensureTopics(app.kafka, [topics.resourceUploaded, topics.resourceProcessed, topics.resourceDeleted, deadLetterTopic(topics.resourceProcessed)].map((topic) => ({ topic })), logger)
        const running = await startEventConsumer({
          kafka: app.kafka,
          groupId: config.KAFKA_GROUP_ID,
          // Prefixed names are still these topics; the platform types only the bare ones.
          topics: [topics.resourceProcessed as Topic],
          deadLetters: app.eventPublisher,
          logger,
          handle: async (event) => {
            if (event.type !== TOPICS.resourceProcessed) return
            await app.processingResults.apply(event)
          },
        })
        if (stopped) return await running.stop()
        consumer = running
        if (attempt > 1) logger.info({ attempt }, 'consumer started')
      } catch (error) {
        lastError = (error as Error).message
        if (attempt === 1) logger.warn({ err: error }, 'consumer cannot start yet; retrying in the background')
        if (stopped) return
        const delay = Math.min(RETRY_MAX_MS, RETRY_START_MS * 2 ** Math.min(attempt - 1, 4))
        retryTimer = setTimeout(() => {
          starting = start(attempt + 1)
        }, delay)
      }
    }

    app.readiness.register({
      name: 'kafka',
      critical: true,
      check: async () => consumer?.health.check() ?? { status: 'DOWN', details: { error: lastError ?? 'consumer starting' } },
    })
    app.addHook('onReady', async () => {
      starting = start(1)
    })
    app.addHook('preClose', async () => {
      stopped = true
      clearTimeout(retryTimer)
      // A start stuck on an unreachable broker must not hold the shutdown; it stops itself when it ends.
      await Promise.race([starting, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())])
      await consumer?.stop()
    })
  },
  { name: 'processing-consumer', dependencies: ['kafka', 'resources'] },
)
