import { kafkaPlugin, serviceApp } from '@soundline/platform'
import type { ResourceServiceConfig } from './config.js'
import database from './plugins/external/database.js'
import s3 from './plugins/external/s3.js'
import outbox from './plugins/app/outbox.js'
import processingConsumer from './plugins/app/processing-consumer.js'
import { resourceServiceErrors } from './plugins/app/domain-errors.js'
import resources from './plugins/app/resources.js'
import { SERVICE_NAME } from './service-name.js'

export const buildApp = serviceApp<ResourceServiceConfig>({
  name: SERVICE_NAME,
  description: 'MP3 resources: streamed uploads to STAGING, downloads with ranges, the move to PERMANENT, deletes.',
  plugins: (config) => [
    database,
    s3,
    // The outbox relay's sends fail fast, so that its own backoff decides when to retry.
    [
      kafkaPlugin,
      { brokers: config.KAFKA_BROKERS, clientId: SERVICE_NAME, publisherRetry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 2 } },
    ],
    outbox,
    resources,
    processingConsumer,
  ],
  version: '0.1.0',
  domainErrors: resourceServiceErrors,
  routes: new URL('./routes', import.meta.url),
})

export const SERVICE = buildApp.service
