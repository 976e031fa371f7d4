import type { ComponentHealth, Logger } from '@soundline/platform'
import type { CacheSlot } from './routing.js'

/** A cached upstream answer (small JSON: a song, the storage list). */
export interface CachedResponse {
  status: number
  contentType: string
  body: string
  /** Epoch ms. */
  storedAt: number
}

/**
 * Where cached answers live: in this process (LRU) or in Redis, so replicas
 * share them. Entries are grouped by what a write can change; invalidating a
 * group drops all its entries at once.
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis'
  get(slot: CacheSlot): Promise<CachedResponse | undefined>
  /** Keeps the entry (and its group) for at least `keepMs`. */
  set(slot: CacheSlot, value: CachedResponse, keepMs: number): Promise<void>
  invalidate(groups: string[]): Promise<void>
  health(): Promise<ComponentHealth>
  close(): Promise<void>
}

export interface CacheHit {
  entry: CachedResponse
  fresh: boolean
  ageSeconds: number
}

/** What a lookup found: a fresh entry, one past its TTL (kept as a fallback), nothing, or a store that failed. */
export type LookupOutcome = 'fresh' | 'expired' | 'absent' | 'error'

export interface CachePolicy {
  ttlMs: number
  /** How long past the TTL an entry may be served while its upstream is down. */
  staleMs: number
}

/**
 * Cache rules on top of a store: fresh for the TTL, then stale (kept only as
 * a fallback) for the stale window. A failing store is a miss, never an error:
 * the cache must not make the gateway less available than its upstreams.
 */
export class ResponseCache {
  constructor(
    readonly store: CacheStore,
    private readonly policy: CachePolicy,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Counts each lookup's outcome (the hit rate on /metrics). */
    private readonly observe: (outcome: LookupOutcome) => void = () => undefined,
  ) {}

  async lookup(slot: CacheSlot): Promise<CacheHit | undefined> {
    let entry: CachedResponse | undefined
    try {
      entry = await this.store.get(slot)
    } catch (error) {
      this.log.warn({ err: error }, 'response cache read failed')
      this.observe('error')
      return undefined
    }
    const age = entry ? this.now() - entry.storedAt : 0
    if (!entry || age > this.policy.ttlMs + this.policy.staleMs) {
      this.observe('absent')
      return undefined
    }
    const fresh = age < this.policy.ttlMs
    this.observe(fresh ? 'fresh' : 'expired')
    return { entry, fresh, ageSeconds: Math.max(0, Math.floor(age / 1000)) }
  }

  async save(slot: CacheSlot, response: Omit<CachedResponse, 'storedAt'>): Promise<void> {
    if (this.policy.ttlMs === 0 && this.policy.staleMs === 0) return
    try {
      await this.store.set(slot, { ...response, storedAt: this.now() }, this.policy.ttlMs + this.policy.staleMs)
    } catch (error) {
      this.log.warn({ err: error }, 'response cache write failed')
    }
  }

  async invalidate(groups: string[]): Promise<void> {
    if (groups.length === 0) return
    try {
      await this.store.invalidate(groups)
    } catch (error) {
      // Entries expire on their own; a failed invalidation is logged loudly.
      this.log.error({ err: error, groups }, 'response cache invalidation failed')
    }
  }
}
