import { env, kafkaConfig, kafkaRetryConfig, loadConfig, serviceConfig, type ConfigOf } from '@soundline/platform'

const spec = {
  ...serviceConfig(8084),
  ...kafkaConfig(),
  /** One group for all replicas: each event is processed once (tests use their own group). */
  KAFKA_GROUP_ID: env.string({ default: 'resource-processor' }),
  /** Namespaces the topics on a shared cluster, as in the Resource Service (tests use their own). */
  KAFKA_TOPIC_PREFIX: env.string({ default: '' }),
  ...kafkaRetryConfig(),
  RESOURCE_SERVICE_URL: env.url({ default: 'http://127.0.0.1:8081', protocols: ['http', 'https'] }),
  /** Until the download's headers arrive, and the longest pause while its body streams. */
  RESOURCE_SERVICE_TIMEOUT_MS: env.integer({ default: 10_000, min: 100, max: 300_000 }),
  SONG_SERVICE_URL: env.url({ default: 'http://127.0.0.1:8082', protocols: ['http', 'https'] }),
  SONG_SERVICE_TIMEOUT_MS: env.integer({ default: 5_000, min: 100, max: 60_000 }),
}

export type ResourceProcessorConfig = ConfigOf<typeof spec>

export function loadResourceProcessorConfig(environment: NodeJS.ProcessEnv = process.env): ResourceProcessorConfig {
  return loadConfig(spec, environment)
}
