import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import type { GatewayConfig } from '../../config.js'
import { ResponseCache, type LookupOutcome } from '../../domain/response-cache.js'
import { MemoryCacheStore, RedisCacheStore } from './cache-stores.js'

declare module 'fastify' {
  interface FastifyInstance {
    gatewayCache: ResponseCache
  }
}

export default fp<{ config: GatewayConfig }>(
  async (app, { config }) => {
    const store = app.gatewayRedis
      ? new RedisCacheStore(app.gatewayRedis, config.REDIS_COMMAND_TIMEOUT_MS)
      : new MemoryCacheStore(config.CACHE_MAX_ENTRIES)
    // The hit rate: fresh / all lookups. 'error': the store failed (a miss served from upstream).
    const lookups = new Counter({
      name: 'gateway_cache_lookups_total',
      help: 'Response cache lookups by outcome: fresh (a hit), expired (kept only as a fallback), absent, error (the store failed)',
      labelNames: ['outcome'],
      registers: [app.metrics],
    })
    for (const outcome of ['fresh', 'expired', 'absent', 'error'] satisfies LookupOutcome[]) lookups.inc({ outcome }, 0)
    const cache = new ResponseCache(
      store,
      { ttlMs: config.CACHE_TTL_SECONDS * 1000, staleMs: config.CACHE_STALE_SECONDS * 1000 },
      app.log,
      Date.now,
      (outcome) => lookups.inc({ outcome }),
    )
    app.readiness.register({ name: 'cache', critical: false, check: () => store.health() })
    app.addHook('onClose', () => store.close())
    app.decorate('gatewayCache', cache)
  },
  { name: 'response-cache', dependencies: ['redis'] },
)
