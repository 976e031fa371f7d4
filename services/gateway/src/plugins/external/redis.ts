import fp from 'fastify-plugin'
import { Cluster, Redis } from 'ioredis'
import type { GatewayConfig } from '../../config.js'
import type { RedisTarget } from '../../redis-url.js'

/** One node or a cluster: the commands the cache and the rate limit send are the same on both. */
export type GatewayRedis = Redis | Cluster

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when REDIS_URL is: the shared response cache and rate-limit counters. */
    gatewayRedis: GatewayRedis | undefined
  }
}

/**
 * A client that fails fast: no offline queue, a short command timeout, one
 * retry. For a cluster also few redirections and short waits between them:
 * while a dead master's replica is being promoted, a command to its slots
 * fails within about REDIS_COMMAND_TIMEOUT_MS (a miss) rather than queueing.
 */
export function createRedisClient(target: RedisTarget, commandTimeoutMs: number): GatewayRedis {
  const common = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs, connectTimeout: 2_000 }
  if (target.kind === 'node') return new Redis(target.url, { ...common, lazyConnect: true })
  return new Cluster(target.seeds, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // Normal traffic needs one redirection (MOVED, or ASK during a migration); the rest are retries on a dead node.
    maxRedirections: 4,
    retryDelayOnFailover: Math.max(10, Math.floor(commandTimeoutMs / 5)),
    retryDelayOnClusterDown: Math.max(10, Math.floor(commandTimeoutMs / 5)),
    retryDelayOnTryAgain: Math.max(10, Math.floor(commandTimeoutMs / 5)),
    // A promoted replica is found by the next refresh at the latest.
    slotsRefreshInterval: 2_000,
    slotsRefreshTimeout: 1_000,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
    redisOptions: {
      ...common,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  })
}

/**
 * Redis, when configured. A cache outage is a miss and the rate limit lets
 * requests through meanwhile (docs/high-availability.md).
 */
export default fp<{ config: GatewayConfig }>(
  async (app, { config }) => {
    if (!config.REDIS_URL) {
      app.decorate('gatewayRedis', undefined)
      return
    }
    const redis = createRedisClient(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS)
    redis.on('error', (error: Error) => app.log.warn({ err: error }, 'redis error'))
    try {
      await redis.connect()
    } catch (error) {
      app.log.warn({ err: error }, 'redis is not reachable at start: caching and rate limits fall back until it is')
    }
    app.addHook('onClose', async () => {
      redis.disconnect()
    })
    app.decorate<GatewayRedis | undefined>('gatewayRedis', redis)
  },
  { name: 'redis' },
)
