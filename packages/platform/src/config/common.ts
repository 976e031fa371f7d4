import { serviceUrl } from '@soundline/registry'
import { env } from './env.js'

/** Variables every service reads. */
export function serviceConfig(defaultPort: number) {
  return {
    HOST: env.string({ default: '0.0.0.0' }),
    PORT: env.port(defaultPort),
    LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    /** After SIGTERM, serve this long with `Connection: close` before closing (the charts set it). */
    SHUTDOWN_DRAIN_MS: env.integer({ default: 0, min: 0, max: 60_000 }),
    ...httpServerConfig(),
  }
}

/** A service that owns a database; the default is the local stack's embedded one. */
export function databaseConfig(defaultUrl: string) {
  return {
    DATABASE_URL: env.url({ default: defaultUrl, protocols: ['postgres', 'postgresql'] }),
    DATABASE_POOL_MAX: env.integer({ default: 10, min: 1, max: 100 }),
    /**
     * Optional: the database's read-only endpoint (replicas). The few reads a stale
     * answer cannot hurt go there (docs/high-availability.md); unset, everything
     * reads from DATABASE_URL.
     */
    DATABASE_READ_URL: env.optionalUrl({ protocols: ['postgres', 'postgresql'] }),
  }
}

/** `<NAME>_URL` of a service this one calls; by default where the local stack runs it (its registry port). */
export function serviceUrlConfig(name: string) {
  return env.url({ default: serviceUrl(name), protocols: ['http', 'https'] })
}

/** S3 or an S3-compatible server (LocalStack, the local stack's embedded one). */
export function s3Config() {
  return {
    S3_ENDPOINT: env.url({ default: 'http://127.0.0.1:4566', protocols: ['http', 'https'] }),
    S3_REGION: env.string({ default: 'us-east-1' }),
    // LocalStack's and the embedded server's conventional credentials; real ones come from a Secret.
    S3_ACCESS_KEY_ID: env.string({ default: 'test' }),
    S3_SECRET_ACCESS_KEY: env.string({ default: 'test', secret: true }),
    S3_FORCE_PATH_STYLE: env.boolean(true),
  }
}

export function kafkaConfig() {
  return {
    KAFKA_BROKERS: env.hostPortList('127.0.0.1:9092'),
  }
}

/** A consumer's retry topic (docs/resilience.md "Retry topic and dead letters"). */
export function kafkaRetryConfig() {
  return {
    /** Attempts on the retry topic before a message goes to the dead-letter topic. */
    KAFKA_RETRY_MAX_ATTEMPTS: env.integer({ default: 10, min: 1, max: 1_000 }),
    /** Delay before retry 1; doubles per retry. */
    KAFKA_RETRY_BASE_DELAY_MS: env.integer({ default: 1_000, min: 1, max: 600_000 }),
    KAFKA_RETRY_MAX_DELAY_MS: env.integer({ default: 30_000, min: 1, max: 600_000 }),
  }
}

/**
 * The HTTP server's limits, the same in every service (docs/api.md "Slow,
 * idle and oversized requests" and "Load shedding"). Part of serviceConfig.
 */
export function httpServerConfig() {
  return {
    /** The request line and every header must have arrived within this. */
    HEADERS_TIMEOUT_MS: env.integer({ default: 10_000, min: 100, max: 600_000 }),
    /** The whole request, body included; long enough for the largest upload on a slow link. 0: none. */
    REQUEST_TIMEOUT_MS: env.integer({ default: 900_000, min: 0, max: 86_400_000 }),
    /** A connection on which nothing moves for this long is closed: a stalled upload, a reader that stopped reading. */
    REQUEST_IDLE_TIMEOUT_MS: env.integer({ default: 30_000, min: 100, max: 3_600_000 }),
    /** An idle keep-alive connection is closed after this; above the 60 s idle time of common load balancers. */
    KEEP_ALIVE_TIMEOUT_MS: env.integer({ default: 72_000, min: 100, max: 3_600_000 }),
    /** Requests get 503 while the event loop lags more than this on average (sampled every second). 0: never. */
    LOAD_SHED_EVENT_LOOP_DELAY_MS: env.integer({ default: 1_000, min: 0, max: 60_000 }),
  }
}

export type HttpServerSettings = { [K in keyof ReturnType<typeof httpServerConfig>]: number }
