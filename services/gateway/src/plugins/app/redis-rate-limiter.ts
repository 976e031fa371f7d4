import type { RateLimitDecision, RateLimiter, RateLimitSettings } from '@soundline/platform'
import type { Redis } from 'ioredis'

/** Fixed windows counted in Redis, so every replica sees the same count. */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly settings: RateLimitSettings,
    private readonly prefix = 'soundline:gateway:rate:',
  ) {}

  async hit(key: string): Promise<RateLimitDecision> {
    const redisKey = this.prefix + key
    // INCR, then start the window's clock if this hit opened it (PEXPIRE … NX).
    const results = await this.redis.multi().incr(redisKey).pexpire(redisKey, this.settings.windowMs, 'NX').pttl(redisKey).exec()
    const count = Number(results?.[0]?.[1] ?? 0)
    const ttl = Number(results?.[2]?.[1] ?? this.settings.windowMs)
    return {
      allowed: count <= this.settings.max,
      remaining: Math.max(0, this.settings.max - count),
      retryAfterSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : this.settings.windowMs) / 1000)),
    }
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key)
  }
}
