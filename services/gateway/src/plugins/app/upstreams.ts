import { CircuitOpenError, createBreaker, registerBreakers, type Breaker } from '@soundline/platform'
import fp from 'fastify-plugin'
import { Pool } from 'undici'
import type { GatewayConfig } from '../../config.js'
import type { CallGuard } from '../../domain/guard.js'
import { UPSTREAM_SERVICES, type UpstreamName } from '../../domain/routing.js'
import { ClientGoneError, Upstream } from './upstream-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    gatewayUpstreams: Record<UpstreamName, Upstream>
  }
}

const URLS: Record<UpstreamName, keyof GatewayConfig> = {
  resource: 'RESOURCE_SERVICE_URL',
  song: 'SONG_SERVICE_URL',
  storage: 'STORAGE_SERVICE_URL',
  auth: 'AUTH_SERVICE_URL',
}

/** The platform breaker behind the gateway's guard interface. */
function guardOf(breaker: Breaker): CallGuard {
  return {
    execute: (call) => breaker.execute(call),
    refusal: (error) => (error instanceof CircuitOpenError && error.breaker === breaker.name ? error.retryAfterSeconds : undefined),
    recordFallback: () => breaker.recordFallback('cache'),
  }
}

/** One connection pool and one breaker per upstream service. */
export default fp<{ config: GatewayConfig }>(
  async (app, { config }) => {
    const upstreams = {} as Record<UpstreamName, Upstream>
    const pools: Pool[] = []
    const breakers: Breaker[] = []
    for (const name of Object.keys(URLS) as UpstreamName[]) {
      const baseUrl = String(config[URLS[name]])
      const pool = new Pool(new URL(baseUrl).origin, { connections: config.UPSTREAM_CONNECTIONS, keepAliveTimeout: 10_000 })
      pools.push(pool)
      const service = UPSTREAM_SERVICES[name]
      const breaker = createBreaker({
        name: service,
        settings: config.breakers[name],
        logger: app.log,
        registry: app.metrics,
        // 5xx answers arrive as UpstreamServerError (a failure); a client that left says nothing about the upstream.
        classify: { error: (error) => (error instanceof ClientGoneError ? 'ignored' : 'failure') },
      })
      breakers.push(breaker)
      const guard = guardOf(breaker)
      upstreams[name] = new Upstream(
        {
          service,
          baseUrl,
          timeoutMs: config.UPSTREAM_TIMEOUT_MS,
          bodyTimeoutMs: config.UPSTREAM_BODY_TIMEOUT_MS,
          retries: config.UPSTREAM_RETRIES,
          retryBaseMs: config.UPSTREAM_RETRY_BASE_MS,
        },
        pool,
        guard,
      )
    }
    registerBreakers(app, breakers)
    app.addHook('onClose', async () => {
      await Promise.all(pools.map((pool) => pool.close()))
    })
    app.decorate('gatewayUpstreams', upstreams)
  },
  { name: 'upstreams' },
)
