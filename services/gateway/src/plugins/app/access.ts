import { bearerToken, MemoryRateLimiter, tooManyRequests, TrustedProxies, unauthorized, type RateLimiter } from '@soundline/platform'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { JSONWebKeySet } from 'jose'
import { request as undiciRequest } from 'undici'
import type { GatewayConfig } from '../../config.js'
import { authorize, TokenVerifier, type Identity } from '../../domain/identity.js'
import { JwksCache } from '../../domain/jwks-cache.js'
import { requiredAccess, type Access, type UpstreamName } from '../../domain/routing.js'
import { RedisRateLimiter } from './redis-rate-limiter.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Proxied routes: access follows the upstream and the method. */
    gatewayUpstream?: UpstreamName
    /** The gateway's own routes: what they need. */
    gatewayAccess?: Access
  }
  interface FastifyInstance {
    /** Peers whose forwarding headers are believed (TRUSTED_PROXIES); nobody by default: the gateway is the edge. */
    gatewayTrustedProxies: TrustedProxies
  }
  interface FastifyRequest {
    /** The verified caller (absent on public routes without a token, and when auth is off). */
    gatewayIdentity?: Identity
  }
}

async function fetchJwks(url: string, timeoutMs: number): Promise<JSONWebKeySet> {
  const response = await undiciRequest(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
  if (response.statusCode !== 200) {
    await response.body.dump()
    throw new Error(`JWKS answered ${response.statusCode}`)
  }
  return (await response.body.json()) as JSONWebKeySet
}

/**
 * Who may call what, on every gateway route (health, metrics and docs stay
 * open): a valid token for reads and writes, the admin role for writes to
 * /storages, nothing for /auth. Then a rate limit per user (per address
 * without a token). AUTH_ENABLED=false turns the token part off.
 */
export default fp<{ config: GatewayConfig }>(
  async (app, { config }) => {
    const jwks = new JwksCache(() => fetchJwks(config.JWKS_URL ?? '', config.UPSTREAM_TIMEOUT_MS), {
      refreshMs: config.JWKS_REFRESH_SECONDS * 1000,
      cooldownMs: config.JWKS_COOLDOWN_SECONDS * 1000,
    })
    const verifier = new TokenVerifier(jwks, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE })
    if (config.AUTH_ENABLED) {
      await jwks.start()
      app.addHook('onClose', async () => jwks.stop())
      app.readiness.register({
        name: 'jwks',
        critical: false,
        check: async () => {
          const state = jwks.describe()
          return { status: !state.loaded ? 'DOWN' : state.lastError ? 'DEGRADED' : 'UP', details: state }
        },
      })
    } else {
      app.log.warn('AUTH_ENABLED=false: every route is open, no token is checked')
    }

    const settings = { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_SECONDS * 1000 }
    const limiter: RateLimiter = app.gatewayRedis ? new RedisRateLimiter(app.gatewayRedis, settings) : new MemoryRateLimiter(settings)
    const proxies = new TrustedProxies(config.TRUSTED_PROXIES)
    app.decorate('gatewayTrustedProxies', proxies)

    async function rateLimit(request: FastifyRequest): Promise<void> {
      const key = request.gatewayIdentity
        ? `user:${request.gatewayIdentity.id}`
        : `addr:${proxies.clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'])}`
      let decision
      try {
        decision = await limiter.hit(key)
      } catch (error) {
        // A shared counter that cannot be reached does not block traffic.
        request.log.warn({ err: error }, 'rate limiter unavailable')
        return
      }
      if (!decision.allowed)
        throw tooManyRequests(`Too many requests: try again in ${decision.retryAfterSeconds} seconds`, decision.retryAfterSeconds)
    }

    app.addHook('onRequest', async (request) => {
      const routeConfig = request.routeOptions.config
      const access = routeConfig.gatewayUpstream ? requiredAccess(routeConfig.gatewayUpstream, request.method) : routeConfig.gatewayAccess
      if (access === undefined) return
      // Public routes (the Auth Service's) check their own tokens: an expired one must not block /auth/refresh.
      if (config.AUTH_ENABLED && access !== 'public') {
        const token = bearerToken(request.headers)
        if (!token) throw unauthorized(request.headers.authorization ? 'Invalid token' : 'Missing bearer token')
        request.gatewayIdentity = await verifier.verify(token)
        authorize(request.gatewayIdentity, access)
      }
      await rateLimit(request)
    })
  },
  { name: 'access', dependencies: ['redis'] },
)
