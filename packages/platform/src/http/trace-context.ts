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

/** The traceparent to send on: same trace, this hop as the parent. */
export function nextTraceparent(incoming: string | string[] | undefined): string {
  const parent = parseTraceparent(incoming)
  const spanId = randomBytes(8).toString('hex')
  if (parent) return `00-${parent.traceId}-${spanId}-${parent.flags}`
  return `00-${randomBytes(16).toString('hex')}-${spanId}-01`
}
