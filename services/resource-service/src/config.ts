import { fileURLToPath } from 'node:url'
import {
  databaseConfig,
  devDatabaseUrl,
  env,
  kafkaConfig,
  kafkaRetryConfig,
  loadConfig,
  s3Config,
  service,
  serviceConfig,
  serviceUrlConfig,
  type ConfigOf,
} from '@soundline/platform'
import { DEFAULT_STUB_STORAGES, parseStubStorages } from './domain/storage-list.js'

const MIB = 1024 * 1024

const spec = {
  ...serviceConfig(service('resource-service').port),
  ...databaseConfig(devDatabaseUrl('resource-service')),
  ...s3Config(),
  ...kafkaConfig(),
  MIGRATIONS_DIR: env.string({ default: fileURLToPath(new URL('../../../prisma/resource/migrations', import.meta.url)) }),
  MAX_UPLOAD_BYTES: env.integer({ default: 50 * MIB, min: 1, max: Number.MAX_SAFE_INTEGER }),
  STORAGE_SERVICE_URL: serviceUrlConfig('storage-service'),
  // Short: an upload waits at most this for a hanging Storage Service, then uses the fallback.
  STORAGE_SERVICE_TIMEOUT_MS: env.integer({ default: 500, min: 1, max: 60_000 }),
  // A good GET /storages answer is reused this long without calling; a storage created later is seen after it.
  STORAGE_CACHE_TTL_MS: env.integer({ default: 0, min: 0, max: 3_600_000 }),
  // The fallback before any good answer: exactly the shape of GET /storages.
  STORAGE_STUBS: env.json({
    default: DEFAULT_STUB_STORAGES.map((storage) => ({ ...storage })),
    parse: parseStubStorages,
    expected: 'a JSON array of storages as GET /storages answers them, with a STAGING and a PERMANENT one',
  }),
  SONG_SERVICE_URL: serviceUrlConfig('song-service'),
  SONG_SERVICE_TIMEOUT_MS: env.integer({ default: 2_000, min: 1, max: 60_000 }),
  KAFKA_TOPIC_PREFIX: env.string({ default: '' }),
  KAFKA_GROUP_ID: env.string({ default: 'resource-service' }),
  ...kafkaRetryConfig(),
  // How often the outbox relay looks for events committed by other replicas.
  OUTBOX_POLL_INTERVAL_MS: env.integer({ default: 250, min: 10, max: 60_000 }),
  // The deletion saga (docs/consistency.md "The deletion saga"). A DELETE runs its steps this long
  // before answering: enough for the usual case (songs, objects, rows: tens of ms), short for a client.
  SAGA_INLINE_BUDGET_MS: env.integer({ default: 1_500, min: 0, max: 30_000 }),
  // Attempts of one step before the saga is FAILED for an admin: with the delays below, about 5 minutes.
  SAGA_STEP_MAX_ATTEMPTS: env.integer({ default: 12, min: 1, max: 1_000 }),
  SAGA_RETRY_BASE_DELAY_MS: env.integer({ default: 500, min: 1, max: 600_000 }),
  SAGA_RETRY_MAX_DELAY_MS: env.integer({ default: 60_000, min: 1, max: 3_600_000 }),
  // A runner owns a saga this long; a crashed replica's sagas are resumed after it.
  SAGA_CLAIM_MS: env.integer({ default: 30_000, min: 100, max: 3_600_000 }),
  // How often due retries (and sagas left by a crash) are looked for.
  SAGA_POLL_INTERVAL_MS: env.integer({ default: 1_000, min: 10, max: 600_000 }),
}

export type ResourceServiceConfig = ConfigOf<typeof spec>

export function loadResourceServiceConfig(environment: NodeJS.ProcessEnv = process.env): ResourceServiceConfig {
  return loadConfig(spec, environment)
}
