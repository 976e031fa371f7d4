import rateLimit from '@fastify/rate-limit'
import { AuthServiceClient } from '@soundline/contracts'
import { bearerToken, ServiceClient, tooManyRequests, TrustedProxies, unauthorized } from '@soundline/platform'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { GatewayConfig } from '../../config.js'
import { authorize, TokenVerifier, type Identity } from '../../domain/identity.js'
import { JwksCache } from '../../domain/jwks-cache.js'
import { requiredAccess, type Access, type UpstreamName } from '../../domain/routing.js'

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

/**
 * Who may call what, on every gateway route (health, metrics and docs stay
 * open): a valid token for reads and writes, the admin role for writes to
 * /storages, nothing for /auth. Then a rate limit per user (per address
 * without a token). AUTH_ENABLED=false turns the token part off.
 */
export default fp<{ config: GatewayConfig }>(
  async (app, { config }) => {
    // Without the Auth Service's breaker: the cache is the keys' own guard (it keeps the last good set, the
    // cooldown spaces refreshes), and an open circuit would delay the refresh after a recovery and count a keys
    // outage against the proxied /auth calls.
    const authService = new AuthServiceClient(
      new ServiceClient({ name: 'auth-service', baseUrl: config.AUTH_SERVICE_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
    )
    const jwks = new JwksCache(() => authService.jwks(), {
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

    const proxies = new TrustedProxies(config.TRUSTED_PROXIES)
    app.decorate('gatewayTrustedProxies', proxies)

    const accessOf = (request: FastifyRequest): Access | undefined => {
      const routeConfig = request.routeOptions.config
      return routeConfig.gatewayUpstream ? requiredAccess(routeConfig.gatewayUpstream, request.method) : routeConfig.gatewayAccess
    }
    app.addHook('onRequest', async (request) => {
      const access = accessOf(request)
      if (access === undefined) return
      // Public routes (the Auth Service's) check their own tokens: an expired one must not block /auth/refresh.
      if (config.AUTH_ENABLED && access !== 'public') {
        const token = bearerToken(request.headers)
        if (!token) throw unauthorized(request.headers.authorization ? 'Invalid token' : 'Missing bearer token')
        request.gatewayIdentity = await verifier.verify(token)
        authorize(request.gatewayIdentity, access)
      }
    })

    // Fixed windows per user (per address without a token), counted in Redis when REDIS_URL is set so that
    // replicas count together, else in this process. Registered after the hook above: its per-route onRequest
    // hook runs after the token check, so the key is the verified user. A store that cannot be reached
    // does not block traffic (skipOnError). Only the Retry-After header, as before: docs/contract.md.
    await app.register(rateLimit, {
      max: config.RATE_LIMIT_MAX,
      timeWindow: config.RATE_LIMIT_WINDOW_SECONDS * 1000,
      ...(app.gatewayRedis ? { redis: app.gatewayRedis, nameSpace: 'soundline:gateway:rate:' } : { cache: 100_000 }),
      skipOnError: true,
      allowList: (request) => accessOf(request) === undefined,
      keyGenerator: (request) =>
        request.gatewayIdentity
          ? `user:${request.gatewayIdentity.id}`
          : `addr:${proxies.clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'])}`,
      addHeaders: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': false },
      addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
      errorResponseBuilder: (_request, { ttl }) => {
        const seconds = Math.max(1, Math.ceil(ttl / 1000))
        return tooManyRequests(`Too many requests: try again in ${seconds} seconds`, seconds)
      },
    })
  },
  { name: 'access', dependencies: ['redis'] },
)
