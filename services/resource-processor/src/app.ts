import { topicNames } from '@soundline/contracts'
import { createApp, kafkaPlugin, type App, type Logger } from '@soundline/platform'
import type { ResourceProcessorConfig } from './config.js'
import resourceClient from './plugins/app/resource-client.js'
import songClient from './plugins/app/song-client.js'
import processor from './plugins/app/processor.js'

export const SERVICE = {
  name: 'resource-processor',
  version: '0.1.0',
  description: 'Reads the ID3 tags and audio length of uploaded MP3s and records them as song metadata. Health and metrics only.',
}

export async function buildApp(config: ResourceProcessorConfig, logger: Logger): Promise<App> {
  const app = await createApp({ service: SERVICE, logger, server: config })
  await app.register(kafkaPlugin, {
    brokers: config.KAFKA_BROKERS,
    clientId: SERVICE.name,
    topics: Object.values(topicNames(config.KAFKA_TOPIC_PREFIX)),
  })
  await app.register(resourceClient, { config })
  await app.register(songClient, { config })
  await app.register(processor, { config })
  return app
}
