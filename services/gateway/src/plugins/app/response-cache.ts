import fp from 'fastify-plugin'
import type { GatewayConfig } from '../../config.js'
import { ResponseCache } from '../../domain/response-cache.js'
import { MemoryCacheStore, RedisCacheStore } from './cache-stores.js'

declare module 'fastify' {
  interface FastifyInstance {
    gatewayCache: ResponseCache
  }
}

export default fp<{ config: GatewayConfig }>(
  async (app, { config }) => {
    const store = app.gatewayRedis ? new RedisCacheStore(app.gatewayRedis) : new MemoryCacheStore(config.CACHE_MAX_ENTRIES)
    const cache = new ResponseCache(store, { ttlMs: config.CACHE_TTL_SECONDS * 1000, staleMs: config.CACHE_STALE_SECONDS * 1000 }, app.log)
    app.readiness.register({ name: 'cache', critical: false, check: () => store.health() })
    app.addHook('onClose', () => store.close())
    app.decorate('gatewayCache', cache)
  },
  { name: 'response-cache', dependencies: ['redis'] },
)
