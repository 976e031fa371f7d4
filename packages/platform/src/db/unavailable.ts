// Which database errors mean "the database is not there right now" (a
// failover, a restart, a network cut) rather than "this query is wrong": the
// former answer 503 + Retry-After, so callers retry (docs/high-availability.md).

/** Socket errors of node-postgres (Node's own codes). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND'])
/** The kinds Prisma's pg adapter gives those errors (DriverAdapterError's cause). */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections'])
/**
 * SQLSTATEs: class 08 (connection exception), 57P01–57P03 (the server is shutting down,
 * crashed, or not yet accepting), 25006 (a write reached a server that is now a
 * read-only standby: a primary that was just demoted), 53300 (too many connections).
 */
const SQLSTATE = /^(08...|57P0[123]|25006|53300)$/
/** node-postgres raises these as plain Errors, without a code. */
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i

function matches(value: Record<string, unknown>): boolean {
  const code = typeof value.code === 'string' ? value.code : undefined
  const originalCode = typeof value.originalCode === 'string' ? value.originalCode : undefined
  if (code && (SOCKET_CODES.has(code) || SQLSTATE.test(code))) return true
  if (originalCode && SQLSTATE.test(originalCode)) return true
  return typeof value.kind === 'string' && ADAPTER_KINDS.has(value.kind)
}

/** Prisma's and node-postgres's error classes: a socket error counts only inside one (an S3 or HTTP ECONNREFUSED is not the database). */
const DATABASE_ERROR_NAMES = /^(Prisma\w*Error|DriverAdapterError|DatabaseError)$/

/** True for errors that say the database cannot be reached or is changing roles; Prisma's wrappers are looked through. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const queue: unknown[] = [error]
  let fromDatabase = false
  let unavailable = false
  for (let seen = 0; queue.length > 0 && seen < 16; seen++) {
    const value = queue.shift()
    if (typeof value !== 'object' || value === null) continue
    const record = value as Record<string, unknown>
    if (typeof record.name === 'string' && DATABASE_ERROR_NAMES.test(record.name)) fromDatabase = true
    // node-postgres's own messages name the database already.
    if (typeof record.message === 'string' && MESSAGES.test(record.message)) return true
    if (matches(record)) unavailable = true
    // PrismaClientKnownRequestError.meta.driverAdapterError, DriverAdapterError.cause, Error.cause.
    queue.push(record.cause, record.meta, record.driverAdapterError)
  }
  return fromDatabase && unavailable
}
