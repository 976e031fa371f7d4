import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Kafka, RetryOptions } from 'kafkajs'
import { createKafka, ensureTopics } from './client.js'
import { EventPublisher } from './publisher.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's Kafka client (registered by kafkaPlugin). */
    kafka: Kafka
    /** Publishes this service's events; closed on shutdown. */
    eventPublisher: EventPublisher
  }
}

export interface KafkaPluginOptions {
  brokers: string[]
  clientId: string
  /**
   * Retries of the publisher's own client. The outbox relay wants a send to
   * fail fast so its backoff decides; unset = the platform default.
   */
  publisherRetry?: RetryOptions
  /** Topics to create at start when missing (subscribing to a missing topic fails). */
  topics?: string[]
}

/** The `kafka` plugin of a service: a client, a publisher closed on shutdown, its topics. */
export const kafkaPlugin = fp<KafkaPluginOptions>(
  async (app: FastifyInstance, options) => {
    const kafka = createKafka({ brokers: options.brokers, clientId: options.clientId }, app.log)
    if (options.topics)
      await ensureTopics(
        kafka,
        options.topics.map((topic) => ({ topic })),
        app.log,
      )
    const publishing = options.publisherRetry
      ? createKafka({ brokers: options.brokers, clientId: `${options.clientId}-publisher`, retry: options.publisherRetry }, app.log)
      : kafka
    const publisher = new EventPublisher(publishing, options.clientId)
    app.decorate('kafka', kafka)
    app.decorate('eventPublisher', publisher)
    app.addHook('onClose', async () => {
      await publisher.close()
    })
  },
  { name: 'kafka' },
)
