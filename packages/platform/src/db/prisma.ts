import { PrismaPg } from '@prisma/adapter-pg'
import type { Logger } from '../logging/logger.js'

/** The Prisma log levels we subscribe to; both are routed to pino. */
export type PrismaLogLevel = 'warn' | 'error'

/** Shape of Prisma's `LogEvent` (what `$on('warn' | 'error', …)` receives). */
export interface PrismaLogEvent {
  message: string
  target: string
  timestamp: Date
}

/** The options createPrismaClient passes to the generated PrismaClient constructor. */
export interface PrismaClientFactoryOptions {
  adapter: PrismaPg
  log: Array<{ emit: 'event'; level: PrismaLogLevel }>
}

/** What the factory needs from any generated PrismaClient (structural: works for every schema's client). */
export interface PrismaClientLike {
  $on(eventType: PrismaLogLevel, callback: (event: PrismaLogEvent) => void): unknown
  $disconnect(): Promise<void>
}

export interface CreatePrismaClientOptions {
  /** postgres:// URL. A Prisma-style `?schema=name` makes queries use that schema instead of `public`. */
  connectionString: string
  /** Pool size per client (= per process). Default 10. */
  poolMax?: number
  logger: Logger
}

const DEFAULT_POOL_MAX = 10
const CONNECTION_TIMEOUT_MS = 5_000
const IDLE_TIMEOUT_MS = 30_000
const KEEPALIVE_DELAY_MS = 10_000

function schemaFromUrl(connectionString: string): string | undefined {
  try {
    return new URL(connectionString).searchParams.get('schema') ?? undefined
  } catch {
    return undefined // key=value connection strings carry no schema parameter
  }
}

/**
 * Builds a generated PrismaClient on `@prisma/adapter-pg` (node-postgres pool; Prisma 7
 * needs no native engine) with Prisma's warn/error logs going to pino.
 *
 * Pass the generated class: `createPrismaClient(PrismaClient, { connectionString, logger })`.
 * The result is the generated client typed with log events 'warn' | 'error', which is
 * assignable to the plain generated `PrismaClient` type. Call `$disconnect()` on shutdown:
 * it ends the pool.
 */
export function createPrismaClient<T extends PrismaClientLike>(
  PrismaClientClass: new (options: PrismaClientFactoryOptions) => T,
  opts: CreatePrismaClientOptions,
): T {
  const { connectionString, logger } = opts
  const schema = schemaFromUrl(connectionString)
  const adapter = new PrismaPg(
    {
      connectionString,
      max: opts.poolMax ?? DEFAULT_POOL_MAX,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
      // A server that vanished without closing its sockets (a node lost, not a process) is
      // noticed by TCP keepalive instead of never (docs/high-availability.md).
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      // Idle pooled connections must not keep a finished process (or test) alive.
      allowExitOnIdle: true,
    },
    {
      ...(schema !== undefined ? { schema } : {}),
      onPoolError: (err) => logger.warn({ err }, 'prisma: idle database connection failed'),
      onConnectionError: (err) => logger.warn({ err }, 'prisma: database connection failed'),
    },
  )
  const client = new PrismaClientClass({
    adapter,
    log: [
      { emit: 'event', level: 'warn' },
      { emit: 'event', level: 'error' },
    ],
  })
  client.$on('warn', (event) => logger.warn({ target: event.target }, `prisma: ${event.message}`))
  client.$on('error', (event) => logger.error({ target: event.target }, `prisma: ${event.message}`))
  return client
}

/** The part of a generated PrismaClient that pingDatabase uses. */
export interface RawQueryable {
  $queryRawUnsafe(query: string): PromiseLike<unknown>
}

/** Cheap readiness probe: one round trip (`SELECT 1`). Rejects if the database is unreachable. */
export async function pingDatabase(client: RawQueryable): Promise<void> {
  await client.$queryRawUnsafe('SELECT 1')
}
