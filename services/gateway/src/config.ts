import {
  breakerSettingsFromEnv,
  env,
  loadConfig,
  service,
  serviceConfig,
  serviceUrlConfig,
  type BreakerSettings,
  type ConfigOf,
} from '@soundline/platform'
import { UPSTREAM_SERVICES, type UpstreamName } from './domain/routing.js'
import { redisTarget } from './redis-url.js'

const spec = {
  ...serviceConfig(service('gateway').port),
  // Upstreams: the local stack sets <NAME>_URL for every service it starts.
  RESOURCE_SERVICE_URL: serviceUrlConfig('resource-service'),
  SONG_SERVICE_URL: serviceUrlConfig('song-service'),
  STORAGE_SERVICE_URL: serviceUrlConfig('storage-service'),
  AUTH_SERVICE_URL: serviceUrlConfig('auth-service'),

  /** Off only for local experiments: then nothing needs a token. */
  AUTH_ENABLED: env.boolean(true),
  JWT_ISSUER: env.string({ default: 'soundline-auth' }),
  JWT_AUDIENCE: env.string({ default: 'soundline' }),
  /** Background JWKS refresh; an unknown kid also triggers one (at most every JWKS_COOLDOWN_SECONDS). */
  JWKS_REFRESH_SECONDS: env.integer({ default: 300, min: 1, max: 86_400 }),
  JWKS_COOLDOWN_SECONDS: env.integer({ default: 10, min: 0, max: 3600 }),

  /** Until the upstream's response headers arrive (after the request body was sent). */
  UPSTREAM_TIMEOUT_MS: env.integer({ default: 10_000, min: 1, max: 600_000 }),
  /** Longest silence while a body streams, either way. */
  UPSTREAM_BODY_TIMEOUT_MS: env.integer({ default: 30_000, min: 1, max: 3_600_000 }),
  /** Retries of idempotent calls without a body after a connection error. */
  UPSTREAM_RETRIES: env.integer({ default: 2, min: 0, max: 10 }),
  UPSTREAM_RETRY_BASE_MS: env.integer({ default: 50, min: 1, max: 10_000 }),
  UPSTREAM_CONNECTIONS: env.integer({ default: 128, min: 1, max: 10_000 }),

  /**
   * Response cache for GET /songs/{id} and GET /storages and the rate-limit counters: in memory when unset;
   * one Redis node (`redis://host:port`); a Redis Cluster by its seeds (`redis+cluster://host:port,host:port`).
   */
  REDIS_URL: redisTarget(),
  /** A cache command (a cluster's redirections and retries included) that takes longer is a miss. */
  REDIS_COMMAND_TIMEOUT_MS: env.integer({ default: 500, min: 10, max: 60_000 }),
  CACHE_TTL_SECONDS: env.integer({ default: 30, min: 0, max: 86_400 }),
  /** How long past its TTL an entry may still be served while the upstream is down. */
  CACHE_STALE_SECONDS: env.integer({ default: 3600, min: 0, max: 7 * 86_400 }),
  CACHE_MAX_ENTRIES: env.integer({ default: 10_000, min: 1, max: 10_000_000 }),

  /** Requests per user (or per address without a token) per window. */
  RATE_LIMIT_MAX: env.integer({ default: 1200, min: 1, max: 10_000_000 }),
  RATE_LIMIT_WINDOW_SECONDS: env.integer({ default: 60, min: 1, max: 86_400 }),
  /** Peers whose X-Forwarded-For is believed (an ingress): addresses or CIDR ranges. */
  TRUSTED_PROXIES: env.string({ default: '' }),
}

export type GatewayConfig = ConfigOf<typeof spec> & {
  /** Per upstream, from BREAKER_<SERVICE>_* (e.g. BREAKER_SONG_SERVICE_OPEN_MS); see the platform's breaker settings. */
  breakers: Record<UpstreamName, BreakerSettings>
}

/**
 * The gateway's breaker defaults differ from the platform's in two ways: no
 * breaker deadline (undici's header and body timeouts bound every call, and a
 * 100 MB upload must not hit a fixed deadline), and for the Resource Service a
 * slow-call threshold that a large upload or download does not cross.
 */
const BREAKER_DEFAULTS: Record<UpstreamName, Partial<BreakerSettings>> = {
  resource: { timeoutMs: 0, slowCallDurationMs: 120_000 },
  song: { timeoutMs: 0 },
  storage: { timeoutMs: 0 },
  auth: { timeoutMs: 0, slowCallDurationMs: 5_000 },
}

export function loadGatewayConfig(environment: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfig(spec, environment)
  const breakers = {} as Record<UpstreamName, BreakerSettings>
  for (const name of Object.keys(UPSTREAM_SERVICES) as UpstreamName[]) {
    breakers[name] = breakerSettingsFromEnv(UPSTREAM_SERVICES[name], { env: environment, defaults: BREAKER_DEFAULTS[name] })
  }
  return { ...config, breakers }
}
