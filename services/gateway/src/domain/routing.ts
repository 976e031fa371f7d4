import { isValidId } from '@soundline/platform'

/** Which service answers which prefix, who may call it, what is cached and what a write invalidates. */

export type UpstreamName = 'resource' | 'song' | 'storage' | 'auth'

export const UPSTREAM_SERVICES: Record<UpstreamName, string> = {
  resource: 'resource-service',
  song: 'song-service',
  storage: 'storage-service',
  auth: 'auth-service',
}

export type Role = 'user' | 'admin'

/** What a route needs: nothing (the Auth Service's own endpoints), or a role. */
export type Access = 'public' | Role

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

export const isIdempotent = (method: string): boolean => IDEMPOTENT.has(method)

/**
 * Reads need a user; writes to /storages and /songs need an admin (song
 * metadata is the pipeline's to write: it calls the Song Service directly);
 * /auth is public. docs/security.md
 */
export function requiredAccess(upstream: UpstreamName, method: string): Access {
  if (upstream === 'auth') return 'public'
  if ((upstream === 'storage' || upstream === 'song') && !READS.has(method)) return 'admin'
  return 'user'
}

/** Where a cached response lives: one group per thing a write can change. */
export interface CacheSlot {
  group: string
  key: string
}

/** GET /songs/{id} and GET /storages[?type=…] are cached; nothing else. */
export function cacheSlot(method: string, url: string): CacheSlot | undefined {
  if (method !== 'GET') return undefined
  const [path = '', query] = url.split('?', 2)
  const song = /^\/songs\/([^/]+)\/?$/.exec(path)
  if (song?.[1] !== undefined && isValidId(song[1])) return { group: `songs:${song[1]}`, key: path.replace(/\/$/, '') }
  if (path === '/storages' || path === '/storages/') return { group: 'storages', key: query ? `/storages?${query}` : '/storages' }
  return undefined
}

/** The groups a write makes stale. DELETE /resources cascades to the songs of those ids. */
export function invalidatedGroups(method: string, url: string): string[] {
  if (READS.has(method)) return []
  const [path = '', query = ''] = url.split('?', 2)
  if (path.startsWith('/storages')) return ['storages']
  const song = /^\/songs\/([^/]+)\/?$/.exec(path)
  if (song?.[1] !== undefined) return [`songs:${song[1]}`]
  if ((path === '/songs' || path === '/resources' || path === '/songs/' || path === '/resources/') && method === 'DELETE') {
    const ids = new URLSearchParams(query).get('id') ?? ''
    return [...new Set(ids.split(',').filter(isValidId))].map((id) => `songs:${id}`)
  }
  return []
}
