import type { EnvReader } from '@soundline/platform'

/**
 * Where the shared cache lives, from REDIS_URL:
 * - `redis://[user:password@]host:port[/db]` (or `rediss://`): one Redis node;
 * - `redis+cluster://[user:password@]host:port,host:port,…` (or `rediss+cluster://`):
 *   a Redis Cluster, given by one or more seed nodes; the client learns the
 *   others and the slot map from them (docs/high-availability.md).
 */
export type RedisTarget =
  | { kind: 'node'; url: string }
  | { kind: 'cluster'; seeds: { host: string; port: number }[]; username?: string; password?: string; tls: boolean }

const FORMS = 'redis://host:port, rediss://host:port or redis+cluster://host:port,host:port,…'

function seed(entry: string): { host: string; port: number } {
  // host:port, or [v6]:port; the port defaults to Redis's own.
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(entry)
  const port = Number(match?.[2] ?? 6379)
  if (!match?.[1] || port < 1 || port > 65535) throw new Error(`must be ${FORMS}; a cluster seed is not host:port`)
  return { host: match[1].replace(/^\[|\]$/g, ''), port }
}

/** Never echoes the value: it may carry a password. */
export function parseRedisUrl(value: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//.exec(value)?.[1]
  if (scheme === 'redis' || scheme === 'rediss') {
    try {
      new URL(value)
    } catch {
      throw new Error(`must be ${FORMS}`)
    }
    return { kind: 'node', url: value }
  }
  if (scheme !== 'redis+cluster' && scheme !== 'rediss+cluster') throw new Error(`must be ${FORMS}`)
  const rest = value.slice(scheme.length + 3).replace(/\/$/, '')
  const at = rest.lastIndexOf('@')
  const credentials = at >= 0 ? rest.slice(0, at) : ''
  const hosts = at >= 0 ? rest.slice(at + 1) : rest
  const seeds = hosts.split(',').map((entry) => seed(entry.trim()))
  const colon = credentials.indexOf(':')
  const username = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : credentials)
  const password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) : ''
  return {
    kind: 'cluster',
    seeds,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: scheme === 'rediss+cluster',
  }
}

export function redisTarget(): EnvReader<RedisTarget | undefined> {
  return (raw) => (raw === undefined || raw.trim() === '' ? undefined : parseRedisUrl(raw.trim()))
}
