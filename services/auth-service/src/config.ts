import { fileURLToPath } from 'node:url'
import { ConfigError, databaseConfig, devDatabaseUrl, env, loadConfig, service, serviceConfig, type ConfigOf } from '@soundline/platform'

const spec = {
  ...serviceConfig(service('auth-service').port),
  ...databaseConfig(devDatabaseUrl('auth-service')),
  MIGRATIONS_DIR: env.string({ default: fileURLToPath(new URL('../../../prisma/auth/migrations', import.meta.url)) }),
  NODE_ENV: env.string({ default: 'development' }),
  /** `iss` of every token; the gateway checks it. */
  JWT_ISSUER: env.string({ default: 'soundline-auth' }),
  /** `aud` of every token; the gateway checks it. */
  JWT_AUDIENCE: env.string({ default: 'soundline' }),
  ACCESS_TOKEN_TTL_SECONDS: env.integer({ default: 900, min: 30, max: 86_400 }),
  REFRESH_TOKEN_TTL_SECONDS: env.integer({ default: 14 * 86_400, min: 60, max: 365 * 86_400 }),
  /** How often a replica re-reads the signing keys (picks up a rotation made elsewhere). */
  SIGNING_KEY_REFRESH_SECONDS: env.integer({ default: 30, min: 1, max: 3600 }),
  /** Rotate automatically when the signing key is older than this (0 = only on request). */
  SIGNING_KEY_MAX_AGE_HOURS: env.integer({ default: 30 * 24, min: 0, max: 365 * 24 }),
  /** Encrypts private keys at rest (AES-256-GCM, key derived from this secret). */
  SIGNING_KEY_SECRET: env.optionalString(),
  /** scrypt N (a power of two); 2^15 = 32768 is OWASP's recommended minimum with r=8, p=1. */
  PASSWORD_SCRYPT_COST: env.integer({ default: 32_768, min: 1024, max: 1_048_576 }),
  /** The first admin. Without ADMIN_PASSWORD a password is generated and printed once (never in production). */
  ADMIN_USERNAME: env.string({ default: 'admin' }),
  ADMIN_PASSWORD: env.optionalString(),
  /**
   * Login throttling (docs/security.md). Per username AND client address: failures in a row
   * past LOGIN_FREE_FAILURES wait LOGIN_BACKOFF_BASE_SECONDS, doubling up to LOGIN_BACKOFF_MAX_SECONDS;
   * a wrong password from one address never delays the same user on another.
   */
  LOGIN_FREE_FAILURES: env.integer({ default: 5, min: 0, max: 10_000 }),
  LOGIN_BACKOFF_BASE_SECONDS: env.integer({ default: 1, min: 1, max: 3600 }),
  LOGIN_BACKOFF_MAX_SECONDS: env.integer({ default: 900, min: 1, max: 86_400 }),
  /** Per client address, whatever the username: attempts per LOGIN_RATE_WINDOW_SECONDS. */
  LOGIN_MAX_ATTEMPTS_PER_ADDRESS: env.integer({ default: 30, min: 1, max: 100_000 }),
  LOGIN_RATE_WINDOW_SECONDS: env.integer({ default: 900, min: 1, max: 86_400 }),
  /**
   * Peers whose X-Forwarded-For is believed (the gateway): addresses or CIDR ranges, comma-separated.
   * One hop only: from such a peer the right-most entry is the client, whatever stands to its left.
   */
  TRUSTED_PROXIES: env.string({ default: '127.0.0.1,::1' }),
}

export type AuthServiceConfig = ConfigOf<typeof spec>

export function loadAuthServiceConfig(environment: NodeJS.ProcessEnv = process.env): AuthServiceConfig {
  const config = loadConfig(spec, environment)
  if ((config.PASSWORD_SCRYPT_COST & (config.PASSWORD_SCRYPT_COST - 1)) !== 0) {
    throw new ConfigError([`PASSWORD_SCRYPT_COST: must be a power of two, got ${config.PASSWORD_SCRYPT_COST}`])
  }
  return config
}
