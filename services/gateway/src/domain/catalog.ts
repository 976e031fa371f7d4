import { DomainError } from '@soundline/platform'

/** Both services of a catalog entry are down: nothing to show. */
export class CatalogUnavailable extends DomainError {
  constructor(
    readonly id: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`catalog entry ${id}: song and resource services are down`)
  }
}

/** Neither service knows the id. */
export class CatalogEntryNotFound extends DomainError {
  constructor(readonly id: number) {
    super(`catalog entry ${id} not found`)
  }
}

/** One upstream's contribution to an aggregated answer. */
export type Part<T> = { kind: 'found'; value: T; stale?: boolean } | { kind: 'absent' } | { kind: 'unavailable'; retryAfterSeconds: number }

export interface CatalogSources<S, R> {
  song(id: number): Promise<Part<S>>
  resource(id: number): Promise<Part<R>>
}

export interface CatalogEntry<S, R> {
  id: number
  /** The song metadata; null when it does not exist or its service is down. */
  song: S | null
  /** The resource status; null when it does not exist or its service is down. */
  resource: R | null
  /** The parts that are missing because their service is down. */
  degraded: ('song' | 'resource')[]
  /** Parts served from the gateway's cache because their service is down. */
  stale: ('song' | 'resource')[]
}

/**
 * GET /catalog/{id}: song metadata and resource status together. One service
 * down is a 200 naming the missing part; only both down (nothing to show) is
 * a 503, and only both absent is a 404. Never a 500.
 */
export async function catalogEntry<S, R>(id: number, sources: CatalogSources<S, R>): Promise<CatalogEntry<S, R>> {
  const [song, resource] = await Promise.all([sources.song(id), sources.resource(id)])
  if (song.kind === 'unavailable' && resource.kind === 'unavailable') {
    throw new CatalogUnavailable(id, Math.min(song.retryAfterSeconds, resource.retryAfterSeconds))
  }
  if (song.kind === 'absent' && resource.kind === 'absent') throw new CatalogEntryNotFound(id)
  const degraded: CatalogEntry<S, R>['degraded'] = []
  const stale: CatalogEntry<S, R>['stale'] = []
  if (song.kind === 'unavailable') degraded.push('song')
  if (resource.kind === 'unavailable') degraded.push('resource')
  if (song.kind === 'found' && song.stale) stale.push('song')
  if (resource.kind === 'found' && resource.stale) stale.push('resource')
  return {
    id,
    song: song.kind === 'found' ? song.value : null,
    resource: resource.kind === 'found' ? resource.value : null,
    degraded,
    stale,
  }
}
