import { TrustedProxies } from '@soundline/platform'
import { MemoryBackoffLimiter, MemoryRateLimiter } from '../../domain/login-limits.js'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthServiceConfig } from '../../config.js'
import { Accounts } from '../../domain/accounts.js'
import { KeySealer } from '../../domain/key-crypto.js'
import { KeyRing } from '../../domain/key-ring.js'
import { PasswordHasher } from '../../domain/passwords.js'
import { Sessions } from '../../domain/sessions.js'
import { AccessTokens } from '../../domain/tokens.js'
import { prismaRefreshTokenStore, prismaSigningKeyStore, prismaUserStore } from './stores.js'

declare module 'fastify' {
  interface FastifyInstance {
    authAccounts: Accounts
    authSessions: Sessions
    authTokens: AccessTokens
    authKeys: KeyRing
    /** The caller's address, through trusted proxies (login rate limit). */
    authClientAddress(request: FastifyRequest): string
  }
}

export default fp<{ config: AuthServiceConfig }>(
  async (app, { config }) => {
    const prisma = app.authDatabase
    const keys = new KeyRing(prismaSigningKeyStore(prisma), new KeySealer(config.SIGNING_KEY_SECRET), {
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshSeconds: config.SIGNING_KEY_REFRESH_SECONDS,
      maxAgeHours: config.SIGNING_KEY_MAX_AGE_HOURS,
    })
    await keys.start()

    const windowMs = config.LOGIN_RATE_WINDOW_SECONDS * 1000
    const accounts = new Accounts(prismaUserStore(prisma), new PasswordHasher(config.PASSWORD_SCRYPT_COST), {
      perUserAndAddress: new MemoryBackoffLimiter({
        freeFailures: config.LOGIN_FREE_FAILURES,
        baseDelayMs: config.LOGIN_BACKOFF_BASE_SECONDS * 1000,
        maxDelayMs: config.LOGIN_BACKOFF_MAX_SECONDS * 1000,
        memoryMs: windowMs,
      }),
      perAddress: new MemoryRateLimiter({ max: config.LOGIN_MAX_ATTEMPTS_PER_ADDRESS, windowMs }),
    })
    const tokens = new AccessTokens(keys, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    })
    const sessions = new Sessions(prismaRefreshTokenStore(prisma), tokens, (id) => accounts.identity(id), config.REFRESH_TOKEN_TTL_SECONDS)

    app.decorate('authAccounts', accounts)
    app.decorate('authSessions', sessions)
    app.decorate('authTokens', tokens)
    app.decorate('authKeys', keys)
    // The gateway is the only proxy in front: its right-most X-Forwarded-For entry, nothing further left.
    const proxies = new TrustedProxies(config.TRUSTED_PROXIES, { maxHops: 1 })
    app.decorate('authClientAddress', (request: FastifyRequest) =>
      proxies.clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for']),
    )
  },
  { name: 'auth', dependencies: ['database'] },
)
