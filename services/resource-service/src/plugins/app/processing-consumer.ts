import { parseEvent, TOPICS, topicNames } from '@soundline/contracts'
import { startEventConsumer, type RunningConsumer } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { ResourceServiceConfig } from '../../config.js'

/**
 * Consumes resource.processed. Started in the background so that the service
 * serves uploads and reads while Kafka is down (the outbox keeps the events);
 * readiness reports `kafka` DOWN until the consumer has joined its group.
 */
export default fp<{ config: ResourceServiceConfig }>(
  async (app, { config }) => {
    const topics = topicNames(config.KAFKA_TOPIC_PREFIX)
    let consumer: RunningConsumer | undefined
    app.readiness.register({
      name: 'kafka',
      critical: true,
      check: async () => consumer?.health.check() ?? { status: 'DOWN', details: { error: 'consumer not started' } },
    })
    // After start-up, so that the service serves uploads and reads even while Kafka is down.
    app.addHook('onReady', async () => {
      consumer = startEventConsumer({
        metrics: app.metrics,
        kafka: app.kafka,
        groupId: config.KAFKA_GROUP_ID,
        topics: [topics.resourceProcessed],
        parse: parseEvent,
        deadLetters: app.eventPublisher,
        logger: app.log.child({ component: 'processing-consumer' }),
        // A failed move (S3 or the database away) waits on resource.processed.retry instead of blocking its partition.
        retry: {
          maxAttempts: config.KAFKA_RETRY_MAX_ATTEMPTS,
          baseDelayMs: config.KAFKA_RETRY_BASE_DELAY_MS,
          maxDelayMs: config.KAFKA_RETRY_MAX_DELAY_MS,
        },
        handle: async (event) => {
          if (event.type !== TOPICS.resourceProcessed) return
          await app.processingResults.apply(event)
        },
      })
    })
    app.addHook('preClose', async () => {
      await consumer?.stop()
    })
  },
  { name: 'processing-consumer', dependencies: ['kafka', 'resources'] },
)
