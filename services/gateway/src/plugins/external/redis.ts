import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { GatewayConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when REDIS_URL is: the shared response cache and rate-limit counters. */
    gatewayRedis: Redis | undefined
  }
}

/**
 * Redis, when configured. Commands fail fast while it is unreachable (no
 * offline queue, short timeout): the cache then misses and the gateway goes on.
 */
export default fp<{ config: GatewayConfig }>(
  async (app, { config }) => {
    if (!config.REDIS_URL) {
      app.decorate('gatewayRedis', undefined)
      return
    }
    const redis = new Redis(config.REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
    })
    redis.on('error', (error: Error) => app.log.warn({ err: error }, 'redis error'))
    try {
      await redis.connect()
    } catch (error) {
      app.log.warn({ err: error }, 'redis is not reachable at start: caching and rate limits fall back until it is')
    }
    app.addHook('onClose', async () => {
      redis.disconnect()
    })
    app.decorate('gatewayRedis', redis)
  },
  { name: 'redis' },
)
