import type { ComponentHealth } from '@soundline/platform'
import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'
import type { CachedResponse, CacheStore } from '../../domain/response-cache.js'
import type { CacheSlot } from '../../domain/routing.js'

/** This process only: an LRU of groups, each a map of entries, expiring with the group's newest entry. */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory'
  private readonly groups: LRUCache<string, Map<string, CachedResponse>>

  constructor(maxGroups: number) {
    this.groups = new LRUCache({ max: maxGroups, ttlAutopurge: false })
  }

  async get(slot: CacheSlot): Promise<CachedResponse | undefined> {
    return this.groups.get(slot.group)?.get(slot.key)
  }

  async set(slot: CacheSlot, value: CachedResponse, keepMs: number): Promise<void> {
    const group = this.groups.get(slot.group) ?? new Map<string, CachedResponse>()
    group.set(slot.key, value)
    this.groups.set(slot.group, group, { ttl: keepMs })
  }

  async invalidate(groups: string[]): Promise<void> {
    for (const group of groups) this.groups.delete(group)
  }

  async health(): Promise<ComponentHealth> {
    return { status: 'UP', details: { kind: 'memory', groups: this.groups.size } }
  }

  async close(): Promise<void> {
    this.groups.clear()
  }
}

/** Shared by every replica: one Redis hash per group (field = entry key), expiring as a whole. */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis'

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'soundline:gateway:cache:',
  ) {}

  async get(slot: CacheSlot): Promise<CachedResponse | undefined> {
    const raw = await this.redis.hget(this.prefix + slot.group, slot.key)
    return raw ? (JSON.parse(raw) as CachedResponse) : undefined
  }

  async set(slot: CacheSlot, value: CachedResponse, keepMs: number): Promise<void> {
    const key = this.prefix + slot.group
    await this.redis.multi().hset(key, slot.key, JSON.stringify(value)).pexpire(key, keepMs).exec()
  }

  async invalidate(groups: string[]): Promise<void> {
    await this.redis.del(...groups.map((group) => this.prefix + group))
  }

  async health(): Promise<ComponentHealth> {
    const started = performance.now()
    await this.redis.ping()
    return { status: 'UP', details: { kind: 'redis', latencyMs: Math.round(performance.now() - started) } }
  }

  async close(): Promise<void> {}
}
