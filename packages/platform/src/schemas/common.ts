import { Type } from 'typebox'
import { MAX_CSV_LENGTH } from '../http/ids.js'
import { REQUIRED } from '../http/validation.js'

/** Schemas shared by every service's routes: error bodies, path id, id CSV. */

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
