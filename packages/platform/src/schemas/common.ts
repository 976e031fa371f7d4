import { Type, type TString, type TStringOptions } from 'typebox'
import { MAX_CSV_LENGTH } from '../http/ids.js'
import { INVALID, REQUIRED, type FieldMessages } from '../http/validation.js'

/** Schemas shared by every service's routes: safe text, error bodies, path id, id CSV. */

/**
 * Control characters: C0 (U+0000–U+001F, tab and newlines included), DEL and
 * C1 (U+0080–U+009F). PostgreSQL refuses NUL in text, and none of them belongs
 * in a name, a key or a header value (docs/api.md "Text fields").
 */
export const CONTROL_CHARACTERS = '[\\u0000-\\u001F\\u007F-\\u009F]'

/** The message of a SafeString field that names no message of its own. */
export function safeTextMessage(label: string, options: { minLength?: number; maxLength?: number } = {}): string {
  const { minLength, maxLength } = options
  const length =
    maxLength !== undefined ? ` of ${minLength ?? 0} to ${maxLength} characters` : minLength ? ` of at least ${minLength} characters` : ''
  return `${label} must be text${length} without control characters`
}

export type SafeStringOptions = TStringOptions & FieldMessages

/**
 * A string that never holds a control character: the building block of every
 * string field a client sends (body, query, headers). `pattern` may add a rule
 * of its own; both must hold. The field's INVALID message covers both, so a
 * field keeps the one message the contract gives it.
 */
export function SafeString(options: SafeStringOptions = {}): TString {
  const { pattern, ...rest } = options
  // JSON Schema has one `pattern` per schema: the control-character ban is a
  // look-ahead in front of the field's own pattern (unanchored, as JSON Schema reads it).
  const own = pattern === undefined ? '' : `(?=[\\s\\S]*?(?:${pattern}))`
  const combined = `^(?![\\s\\S]*${CONTROL_CHARACTERS})${own}`
  return Type.String({
    [INVALID]: safeTextMessage('Value', rest),
    ...rest,
    pattern: combined,
  })
}

export const ErrorBody = Type.Object(
  { errorMessage: Type.String(), errorCode: Type.String({ examples: ['404'] }) },
  { $id: 'ErrorBody', description: 'Simple error form' },
)

export const ValidationErrorBody = Type.Object(
  {
    errorMessage: Type.Literal('Validation error'),
    details: Type.Record(Type.String(), Type.String()),
    errorCode: Type.Literal('400'),
  },
  { description: 'Validation error form: one message per failing field' },
)

export const BadRequestBody = Type.Union([ValidationErrorBody, ErrorBody], {
  description: 'Validation error form, or the simple form for a malformed request',
})

export const IdParams = Type.Object({
  id: Type.String({
    pattern: '^[1-9][0-9]{0,9}$',
    description: 'Positive integer, 1..2147483647, no leading zeros',
    examples: ['1'],
  }),
})

export const IdCsvQuery = Type.Object({
  id: Type.String({
    description: `Comma-separated positive integer ids, at most ${MAX_CSV_LENGTH} characters`,
    examples: ['1,2,3'],
    [REQUIRED]: 'Parameter id is required: a comma-separated list of ids',
  }),
})

export const IdResponse = Type.Object({ id: Type.Integer({ minimum: 1 }) })
export const IdsResponse = Type.Object({ ids: Type.Array(Type.Integer({ minimum: 1 })) })
