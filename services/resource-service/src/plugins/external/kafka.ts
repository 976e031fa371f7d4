import { createKafka, EventPublisher, type Logger } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { Kafka } from 'kafkajs'
import type { ResourceServiceConfig } from '../../config.js'
import { SERVICE_NAME } from '../../service-name.js'

declare module 'fastify' {
  interface FastifyInstance {
    kafka: Kafka
    /** Used by the outbox relay; fails fast so the relay's own backoff decides when to retry. */
    eventPublisher: EventPublisher
  }
}

export default fp<{ config: ResourceServiceConfig }>(
  async (app, { config }) => {
    const logger = app.log as unknown as Logger
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE_NAME }, logger)
    const publishing = createKafka(
      {
        brokers: config.KAFKA_BROKERS,
        clientId: `${SERVICE_NAME}-outbox`,
        retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 2 },
      },
      logger,
    )
    const publisher = new EventPublisher(publishing, SERVICE_NAME)
    app.decorate('kafka', kafka)
    app.decorate('eventPublisher', publisher)
    app.addHook('onClose', async () => {
      await publisher.close()
    })
  },
  { name: 'kafka' },
)
