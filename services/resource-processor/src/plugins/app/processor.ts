import { TOPICS, newEvent, parseEvent, topicNames, type ResourceProcessed } from '@soundline/contracts'
import { startEventConsumer, type EventPublisher } from '@soundline/platform'
import fp from 'fastify-plugin'
import { Counter, Histogram } from 'prom-client'
import type { ResourceProcessorConfig } from '../../config.js'
import { ResourceProcessor, type ProcessedEvents } from '../../domain/resource-processor.js'

function processedEvents(publisher: EventPublisher, topic: string): ProcessedEvents {
  return {
    async publish(resourceId, result, traceparent) {
      const event = newEvent<ResourceProcessed>(TOPICS.resourceProcessed, resourceId, result)
      await publisher.publish(topic, [event], traceparent)
    },
  }
}

/** Consumes the pipeline's events and runs the processor on them. */
export default fp<{ config: ResourceProcessorConfig }>(
  async (app, { config }) => {
    const topics = topicNames(config.KAFKA_TOPIC_PREFIX)
    const processor = new ResourceProcessor(
      app.resourceSource,
      app.songStore,
      processedEvents(app.eventPublisher, topics.resourceProcessed),
    )
    const processed = new Counter({
      name: 'processor_resources_total',
      help: 'Uploaded resources handled, by outcome: ok (song recorded), failed (file cannot give a song), skipped (resource deleted meanwhile)',
      labelNames: ['outcome'],
      registers: [app.metrics],
    })
    const duration = new Histogram({
      name: 'processor_processing_duration_seconds',
      help: 'Time to handle one uploaded resource (download, read, record, report), by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [app.metrics],
    })
    const errors = new Counter({
      name: 'processor_errors_total',
      help: 'Attempts that failed and will be retried (a dependency was unavailable), by event type',
      labelNames: ['type'],
      registers: [app.metrics],
    })
    // Known label values start at 0: "no retries" reads as a rate of 0, not as no data.
    errors.inc({ type: TOPICS.resourceUploaded }, 0)

    const consumer = startEventConsumer({
      metrics: app.metrics,
      kafka: app.kafka,
      groupId: config.KAFKA_GROUP_ID,
      // Not resource.deleted: the Resource Service's deletion saga removes song metadata, the one
      // path for it (docs/consistency.md "The deletion saga").
      topics: [topics.resourceUploaded],
      parse: parseEvent,
      deadLetters: app.eventPublisher,
      logger: app.log.child({ component: 'consumer' }),
      // A neighbour that fails (the Song Service down, its breaker open) parks the event on
      // <topic>.retry with growing delays instead of blocking the partition; then <topic>.dlq.
      retry: {
        maxAttempts: config.KAFKA_RETRY_MAX_ATTEMPTS,
        baseDelayMs: config.KAFKA_RETRY_BASE_DELAY_MS,
        maxDelayMs: config.KAFKA_RETRY_MAX_DELAY_MS,
      },
      handle: async (event, context) => {
        const log = app.log.child({ eventId: event.eventId, type: event.type, resourceId: event.resourceId })
        const started = performance.now()
        try {
          if (event.type === TOPICS.resourceUploaded) {
            const outcome = await processor.process(event.resourceId, context.headers.traceparent)
            processed.inc({ outcome })
            duration.observe({ outcome }, (performance.now() - started) / 1000)
            log.info({ outcome }, 'resource processed')
          }
        } catch (error) {
          errors.inc({ type: event.type })
          log.warn({ err: error, attempt: context.attempt }, 'processing failed; the event will be retried')
          throw error
        }
      },
    })
    app.readiness.register(consumer.health)
    // Stop taking events before the publisher (kafka plugin) closes.
    app.addHook('preClose', async () => {
      await consumer.stop()
    })
  },
  { name: 'processor', dependencies: ['kafka', 'resource-client', 'song-client'] },
)
