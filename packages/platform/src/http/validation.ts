import type { FastifySchemaValidationError } from 'fastify/types/schema.js'

/**
 * Schema annotations that carry the contract's field messages, so the TypeBox
 * schema is the one place that says what is valid *and* what the user is told.
 *
 *   Type.String({ maxLength: 100, [INVALID]: 'Song name must be …', [REQUIRED]: 'Song name is required' })
 */
export const INVALID = 'x-invalid-message'
export const REQUIRED = 'x-required-message'
export const VALIDATION_KEYWORDS = [INVALID, REQUIRED]

export interface FieldMessages {
  [INVALID]?: string
  [REQUIRED]?: string
}

interface ObjectSchemaLike {
  properties?: Record<string, FieldMessages & Record<string, unknown>>
}

/**
 * Turns ajv errors into `details`: one message per failing field, the
 * "required" message when the field is missing or null, else the "invalid" one.
 * Returns undefined when the errors are not about named fields (say the body
 * is an array), so the caller falls back to a simple message.
 */
export function detailsFromValidation(errors: FastifySchemaValidationError[], schema: unknown): Record<string, string> | undefined {
  const properties = (schema as ObjectSchemaLike | undefined)?.properties ?? {}
  const details: Record<string, string> = {}
  for (const error of errors) {
    const missing = error.keyword === 'required' ? (error.params as { missingProperty?: string }).missingProperty : undefined
    const field = missing ?? error.instancePath.split('/')[1]
    if (field === undefined || field === '') return undefined
    const messages = properties[field] ?? {}
    const isMissing = missing !== undefined || (error as { data?: unknown }).data === null
    const message = isMissing
      ? (messages[REQUIRED] ?? `${field} is required`)
      : (messages[INVALID] ?? `${field} ${error.message ?? 'is invalid'}`)
    // A missing field outranks any other complaint about it.
    if (details[field] === undefined || isMissing) details[field] = message
  }
  return Object.keys(details).length > 0 ? details : undefined
}
