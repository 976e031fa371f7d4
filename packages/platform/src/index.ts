export { createApp, DEFAULT_BODY_LIMIT, type App, type AppOptions } from './app/create-app.js'
export { serviceApp, type BuildApp, type ServiceAppDefinition, type ServicePlugin } from './app/service-app.js'
export { documentedBody, type ServiceInfo } from './app/openapi.js'
export { REQUEST_ID_HEADER } from './app/request-id.js'
export { loadConfig, env, ConfigError, type ConfigSpec, type ConfigOf, type EnvReader } from './config/env.js'
export { serviceConfig, databaseConfig, serviceUrlConfig, s3Config, kafkaConfig, kafkaRetryConfig } from './config/common.js'
// The registry's accessors, so that a service depends on the platform alone.
export { service, serviceUrl, serviceUrlVariable, devDatabaseUrl, type ServiceDefinition } from '@soundline/registry'
export { createLogger, loggerOptions, REDACTED_PATHS, type Logger } from './logging/logger.js'
export {
  HttpError,
  ValidationError,
  httpErrors,
  tooManyRequests,
  type SimpleErrorBody,
  type ValidationErrorBodyShape,
} from './http/errors.js'
export { parsePathId, parseIdCsv, isValidId, MAX_ID, MAX_CSV_LENGTH } from './http/ids.js'
export { INVALID, REQUIRED } from './http/validation.js'
export { sendError, type DomainErrorMapper } from './http/error-handler.js'
export { DomainError } from './http/domain-error.js'
export { Readiness, type HealthComponent, type ComponentHealth, type ComponentStatus, type ReadinessReport } from './health/readiness.js'
export { serve, main, SHUTDOWN_TIMEOUT_MS, type ListenOptions } from './lifecycle/run-service.js'
export * from './schemas/common.js'
export { getByIdSchema, deleteByIdsSchema } from './schemas/routes.js'
export { parseMpegFrameHeader, MPEG_FRAME_HEADER_BYTES, type MpegFrameHeader } from './audio/mpeg-frame.js'
export { applyMigrations, readMigrations, migrationChecksum, MigrationHistoryError, type MigrateOptions } from './db/migrate.js'
export { createPrismaClient, pingDatabase, type PrismaClientLike, type PrismaClientFactoryOptions } from './db/prisma.js'
export { connectDatabase, connectReplicaReads, type DatabaseOptions } from './db/database.js'
export { replicaReads, type ReplicaReads, type ReplicaReadOptions } from './db/replica-reads.js'
export { isDatabaseUnavailable } from './db/unavailable.js'
export {
  createS3Client,
  ensureBucket,
  expireIncompleteUploads,
  ABORT_INCOMPLETE_UPLOADS_RULE,
  pingS3,
  type S3ClientConfig,
} from './s3/client.js'
export { connectS3, type S3Settings } from './s3/s3-component.js'
export { createKafka, createProducer, ensureTopics, type KafkaClientConfig } from './kafka/client.js'
export {
  InvalidEventError,
  retryTopic,
  deadLetterTopic,
  toKafkaRecord,
  type EventEnvelope,
  type EventParser,
  type KafkaRecord,
} from './kafka/event.js'
export {
  startEventConsumer,
  type EventConsumerOptions,
  type EventHandler,
  type MessageContext,
  type RunningConsumer,
} from './kafka/consumer.js'
export { EventPublisher, type RawRecord } from './kafka/publisher.js'
export {
  ServiceClient,
  UnavailableError,
  type ServiceClientOptions,
  type ServiceRequest,
  type ServiceResponse,
} from './clients/service-client.js'
export { uploadStream, BodyLengthMismatchError, MIN_PART_BYTES, DEFAULT_PART_BYTES, type UploadStreamOptions } from './s3/upload-stream.js'
export { bearerToken, unauthorized, forbidden } from './http/bearer.js'
export { TrustedProxies, type TrustedProxiesOptions } from './http/client-address.js'
export { parseTraceparent, nextTraceparent, type TraceParent } from './http/trace-context.js'
export { createBreaker, Breaker, type BreakerOptions, type BreakerSnapshot } from './resilience/breaker.js'
export {
  RingWindowBreaker,
  CircuitState,
  CIRCUIT_STATES,
  type RingWindowBreakerOptions,
  type StateChange,
} from './resilience/ring-window-breaker.js'
export { CircuitOpenError, CallTimeoutError } from './resilience/errors.js'
export { defaultClassifier, type CallClassifier, type CallOutcome } from './resilience/classify.js'
export { breakerSettingsFromEnv, breakerEnvPrefix, DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from './resilience/settings.js'
export { BreakerMetrics, type FallbackSource } from './resilience/metrics.js'
export { registerBreakers, registerServiceClient, circuitsComponent } from './resilience/fastify.js'
export { CountWindow, TimeWindow, type OutcomeWindow } from './resilience/outcome-window.js'
export { retryWithBackoff, exponentialDelay, fullJitterDelay, type RetryPolicy, type RetryOptions } from './resilience/retry.js'
export {
  GuardedServiceClient,
  createGuardedClient,
  NO_RETRY,
  type ServiceCaller,
  type CallRetry,
  type GuardedClientOptions,
} from './clients/guarded-client.js'
export { RETRY_HEADERS, DLQ_HEADERS, type RetrySettings } from './kafka/redelivery.js'
export { replayDeadLetters, type ReplayOptions, type ReplayResult } from './kafka/dlq-replay.js'
export { databasePlugin, type DatabasePluginConfig } from './db/database-plugin.js'
export { kafkaPlugin, type KafkaPluginOptions } from './kafka/plugin.js'
