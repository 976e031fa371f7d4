import autoload from '@fastify/autoload'
import { createApp, kafkaPlugin, type App, type Logger } from '@soundline/platform'
import { fileURLToPath } from 'node:url'
import type { ResourceServiceConfig } from './config.js'
import database from './plugins/external/database.js'
import s3 from './plugins/external/s3.js'
import outbox from './plugins/app/outbox.js'
import processingConsumer from './plugins/app/processing-consumer.js'
import { resourceServiceErrors } from './plugins/app/domain-errors.js'
import resources from './plugins/app/resources.js'
import { SERVICE_NAME } from './service-name.js'

export const SERVICE = {
  name: SERVICE_NAME,
  version: '0.1.0',
  description: 'MP3 resources: streamed uploads to STAGING, downloads with ranges, the move to PERMANENT, deletes.',
}

export async function buildApp(config: ResourceServiceConfig, logger: Logger): Promise<App> {
  const app = await createApp({ service: SERVICE, logger, server: config, domainErrors: resourceServiceErrors })
  await app.register(database, { config })
  await app.register(s3, { config })
  await app.register(kafkaPlugin, {
    brokers: config.KAFKA_BROKERS,
    clientId: SERVICE_NAME,
    // The outbox relay's sends fail fast, so that its own backoff decides when to retry.
    publisherRetry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 2 },
  })
  await app.register(outbox, { config })
  await app.register(resources, { config })
  await app.register(processingConsumer, { config })
  await app.register(autoload, { dir: fileURLToPath(new URL('./routes', import.meta.url)) })
  return app
}
