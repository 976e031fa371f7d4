import {
  env,
  kafkaConfig,
  kafkaRetryConfig,
  loadConfig,
  service,
  serviceConfig,
  serviceUrlConfig,
  type ConfigOf,
} from '@soundline/platform'

const spec = {
  ...serviceConfig(service('resource-processor').port),
  ...kafkaConfig(),
  /** One group for all replicas: each event is processed once (tests use their own group). */
  KAFKA_GROUP_ID: env.string({ default: 'resource-processor' }),
  /** Namespaces the topics on a shared cluster, as in the Resource Service (tests use their own). */
  KAFKA_TOPIC_PREFIX: env.string({ default: '' }),
  ...kafkaRetryConfig(),
  RESOURCE_SERVICE_URL: serviceUrlConfig('resource-service'),
  /** Until the download's headers arrive, and the longest pause while its body streams. */
  RESOURCE_SERVICE_TIMEOUT_MS: env.integer({ default: 10_000, min: 100, max: 300_000 }),
  SONG_SERVICE_URL: serviceUrlConfig('song-service'),
  SONG_SERVICE_TIMEOUT_MS: env.integer({ default: 5_000, min: 100, max: 60_000 }),
}

export type ResourceProcessorConfig = ConfigOf<typeof spec>

export function loadResourceProcessorConfig(environment: NodeJS.ProcessEnv = process.env): ResourceProcessorConfig {
  return loadConfig(spec, environment)
}
