import { topicNames } from '@soundline/contracts'
import { kafkaPlugin, serviceApp } from '@soundline/platform'
import type { ResourceProcessorConfig } from './config.js'
import resourceClient from './plugins/app/resource-client.js'
import songClient from './plugins/app/song-client.js'
import processor from './plugins/app/processor.js'

// No routes of its own: health and metrics only.
export const buildApp = serviceApp<ResourceProcessorConfig>({
  name: 'resource-processor',
  description: 'Reads the ID3 tags and audio length of uploaded MP3s and records them as song metadata. Health and metrics only.',
  plugins: (config) => [
    [
      kafkaPlugin,
      { brokers: config.KAFKA_BROKERS, clientId: 'resource-processor', topics: Object.values(topicNames(config.KAFKA_TOPIC_PREFIX)) },
    ],
    resourceClient,
    songClient,
    processor,
  ],
  version: '0.1.0',
})

export const SERVICE = buildApp.service
