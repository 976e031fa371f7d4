import type { ComponentHealth } from '@soundline/platform'
import { LRUCache } from 'lru-cache'
import type { CachedResponse, CacheStore } from '../../domain/response-cache.js'
import type { CacheSlot } from '../../domain/routing.js'
import type { GatewayRedis } from '../external/redis.js'

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

/** Rejects when `work` has not settled within `ms` (the work itself goes on and is ignored). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

/**
 * Shared by every replica: one Redis hash per group (field = entry key),
 * expiring as a whole. Every command names one key, so on a cluster each goes
 * to the master of that key's slot; groups spread over the masters (no hash
 * tags: nothing needs two groups in one slot). Each call is bounded by
 * `timeoutMs`, redirections and retries included: a slow cache is a miss.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis'

  constructor(
    private readonly redis: GatewayRedis,
    private readonly timeoutMs: number,
    private readonly prefix = 'soundline:gateway:cache:',
  ) {}

  async get(slot: CacheSlot): Promise<CachedResponse | undefined> {
    const raw = await within(this.timeoutMs, this.redis.hget(this.prefix + slot.group, slot.key))
    return raw ? (JSON.parse(raw) as CachedResponse) : undefined
  }

  async set(slot: CacheSlot, value: CachedResponse, keepMs: number): Promise<void> {
    const key = this.prefix + slot.group
    await within(this.timeoutMs, this.redis.multi().hset(key, slot.key, JSON.stringify(value)).pexpire(key, keepMs).exec())
  }

  /** One DEL per group: on a cluster the groups live in different slots (a multi-key DEL would be refused). */
  async invalidate(groups: string[]): Promise<void> {
    await within(this.timeoutMs, Promise.all(groups.map((group) => this.redis.del(this.prefix + group))))
  }

  async health(): Promise<ComponentHealth> {
    const started = performance.now()
    if (!('nodes' in this.redis)) {
      await within(this.timeoutMs, this.redis.ping())
      return { status: 'UP', details: { kind: 'redis', latencyMs: Math.round(performance.now() - started) } }
    }
    // A cluster: its own view of itself (a master without a replica left, or slots without a master, is DEGRADED).
    const info = await within(this.timeoutMs, this.redis.cluster('INFO'))
    const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown'
    const masters = this.redis.nodes('master').length
    return {
      status: state === 'ok' ? 'UP' : 'DEGRADED',
      details: { kind: 'redis-cluster', state, masters, latencyMs: Math.round(performance.now() - started) },
    }
  }

  async close(): Promise<void> {}
}
