import { EventPublisher, createKafka, ensureTopics, topicNames } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { Kafka } from 'kafkajs'
import type { ResourceProcessorConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    kafka: Kafka
    /** Publishes this service's events; closed on shutdown. */
    eventPublisher: EventPublisher
  }
}

export default fp<{ config: ResourceProcessorConfig; clientId: string }>(
  async (app, { config, clientId }) => {
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId }, app.log)
    // Subscribing to a topic that does not exist yet fails: make sure ours do.
    await ensureTopics(
      kafka,
      Object.values(topicNames(config.KAFKA_TOPIC_PREFIX)).map((topic) => ({ topic })),
      app.log,
    )
    const publisher = new EventPublisher(kafka, clientId)
    app.decorate('kafka', kafka)
    app.decorate('eventPublisher', publisher)
    app.addHook('onClose', async () => {
      await publisher.close()
    })
  },
  { name: 'kafka' },
)
