import type { ByteRange } from './resource.js'

export type RangeRequest = { kind: 'none' } | { kind: 'range'; range: ByteRange } | { kind: 'unsatisfiable' }

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/

/**
 * A `Range` header against a file of `size` bytes (RFC 9110 §14): one range
 * `a-b`, `a-` or `-n`. A header we do not serve (several ranges, another
 * unit, bad syntax) is ignored, as the RFC allows: the whole file is sent.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  const match = header === undefined ? null : SINGLE_RANGE.exec(header.trim())
  if (!match) return { kind: 'none' }
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return { kind: 'none' }
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return { kind: 'unsatisfiable' }
    return { kind: 'range', range: { start: Math.max(0, size - suffix), end: size - 1 } }
  }
  const start = Number(first)
  const end = last === '' ? Infinity : Number(last)
  // `5-3` is not a range at all (ignored); `size-` is a range past the end (416).
  if (end < start) return { kind: 'none' }
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'range', range: { start, end: Math.min(end, size - 1) } }
}
