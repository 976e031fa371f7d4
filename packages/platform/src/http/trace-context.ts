import { randomBytes } from 'node:crypto'

/**
 * W3C Trace Context (`traceparent: 00-<trace-id>-<parent-id>-<flags>`): a hop
 * keeps the caller's trace id and flags and names itself as the new parent;
 * without a valid incoming header it starts a trace (sampled).
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/
const ALL_ZERO = /^0+$/

export interface TraceParent {
  traceId: string
  parentId: string
  flags: string
}

export function parseTraceparent(header: string | string[] | undefined): TraceParent | undefined {
  if (typeof header !== 'string') return undefined
  const match = TRACEPARENT.exec(header.trim().toLowerCase())
  if (!match) return undefined
  const [, version = '', traceId = '', parentId = '', flags = ''] = match
  // Version ff is forbidden; all-zero ids are invalid.
  if (version === 'ff' || ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined
  // Future versions may append fields; only version 00's layout is relied on.
  if (version === '00' && header.trim().length !== 55) return undefined
  return { traceId, parentId, flags }
}

/**
 * Random ids come from a pool filled 4 KiB at a time: one randomBytes call
 * per id cost more than the rest of a gateway hop's header work
 * (docs/performance.md, "Gateway"). Same CSPRNG, each byte used once.
 */
const POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let poolOffset = 0

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES)
    poolOffset = 0
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes)
  poolOffset += bytes
  return hex
}

/** The traceparent to send on: same trace, this hop as the parent. */
export function nextTraceparent(incoming: string | string[] | undefined): string {
  const parent = incoming === undefined ? undefined : parseTraceparent(incoming)
  const spanId = randomHex(8)
  if (parent) return `00-${parent.traceId}-${spanId}-${parent.flags}`
  return `00-${randomHex(16)}-${spanId}-01`
}
