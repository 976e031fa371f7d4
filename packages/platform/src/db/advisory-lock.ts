import type pg from 'pg'

/**
 * The key `prisma migrate deploy` locks (session-level `pg_advisory_lock(72707369)`).
 * Session and transaction-level locks on one key exclude each other on a real
 * PostgreSQL server, so taking the same key keeps our migrator and the Prisma CLI
 * from ever migrating the same database at the same time.
 */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369

/**
 * Takes a transaction-level advisory lock; it is released by COMMIT/ROLLBACK.
 * Transaction-level (not session-level) on purpose: the embedded PGlite server
 * multiplexes every connection onto one backend session, where session locks
 * never conflict; there, PGlite's one-transaction-at-a-time scheduling is what
 * excludes, and the lock is merely granted.
 * Must run inside BEGIN … COMMIT. `lockTimeoutMs` bounds the wait (0 = forever).
 */
export async function lockForTransaction(client: pg.ClientBase, key: number, lockTimeoutMs: number): Promise<void> {
  // SET LOCAL takes no bind parameters; the value is a validated integer.
  const timeout = Math.max(0, Math.floor(lockTimeoutMs))
  await client.query(`SET LOCAL lock_timeout = ${timeout}`)
  await client.query('SELECT pg_advisory_xact_lock($1)', [key])
}
