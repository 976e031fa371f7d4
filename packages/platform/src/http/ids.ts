import { httpErrors } from './errors.js'

/**
 * Ids are Postgres `integer` keys: 1..2147483647, written canonically.
 * One rule for every service (docs/api.md): digits only, no sign, no leading
 * zero, no spaces, no exponent — `00001`, `1e3`, ` 1`, `+1` are rejected
 * rather than guessed at.
 */
export const MAX_ID = 2_147_483_647
export const MAX_CSV_LENGTH = 200

const CANONICAL_POSITIVE_INTEGER = /^[1-9][0-9]{0,9}$/

export function isValidId(raw: string): boolean {
  return CANONICAL_POSITIVE_INTEGER.test(raw) && Number(raw) <= MAX_ID
}

export function parsePathId(raw: string): number {
  if (!isValidId(raw)) {
    throw httpErrors.badRequest(`Invalid value '${raw}' for ID. Must be a positive integer`)
  }
  return Number(raw)
}

/**
 * `?id=1,2,3` for bulk deletes. Empty entries (`1,,2`, a trailing comma) and
 * entries with spaces are invalid entries, like any other non-integer.
 * Duplicates collapse: an id is deleted, and reported, once.
 */
export function parseIdCsv(raw: string): number[] {
  if (raw.length > MAX_CSV_LENGTH) {
    throw httpErrors.badRequest(`CSV string is too long: received ${raw.length} characters, maximum allowed is ${MAX_CSV_LENGTH}`)
  }
  const ids = new Set<number>()
  for (const entry of raw.split(',')) {
    if (!isValidId(entry)) {
      throw httpErrors.badRequest(`Invalid ID format: '${entry}'. Only positive integers are allowed`)
    }
    ids.add(Number(entry))
  }
  return [...ids]
}
