import { INVALID, SafeString } from '@soundline/platform'
import { Type, type Static } from 'typebox'

export const UploadHeaders = Type.Object({
  // Not a SafeString: any other type, control characters included, gets the
  // contract's "Invalid file format" message from the upload itself.
  'content-type': Type.Optional(
    Type.String({
      description: 'audio/mpeg, or multipart/form-data with one file part',
      examples: ['audio/mpeg', 'multipart/form-data; boundary=x'],
    }),
  ),
  'idempotency-key': Type.Optional(
    SafeString({
      minLength: 1,
      maxLength: 255,
      // A header value: visible ASCII only (what every HTTP client can send).
      pattern: '^[\\x21-\\x7E]+$',
      description: 'Retries with the same key (and the same bytes) return the same id and store nothing twice',
      [INVALID]: 'Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces or control characters)',
    }),
  ),
})

const Mp3File = Type.String({ format: 'binary', description: 'The MP3 file, streamed: never buffered whole' })

/**
 * The upload's body, for the OpenAPI document only: it is streamed, never
 * parsed or validated as a whole. A form's text fields are ignored.
 */
export const UploadBody = {
  content: {
    'audio/mpeg': { schema: Mp3File },
    'multipart/form-data': {
      schema: Type.Object(
        { file: Mp3File },
        { description: 'Exactly one file part (any field name; the bytes decide, not its Content-Type): curl -F file=@song.mp3' },
      ),
    },
  },
}

export const RangeHeaders = Type.Object({
  range: Type.Optional(
    SafeString({
      description: 'One byte range: bytes=a-b, bytes=a- or bytes=-n',
      examples: ['bytes=0-1023'],
      [INVALID]: 'Range must be text without control characters',
    }),
  ),
})

// What callers read of GET /resources/{id}/status lives with its client in packages/contracts.
export { ResourceState, ResourceStatus } from '@soundline/contracts'

/** A deletion saga as the internal admin endpoints show it (docs/consistency.md "The deletion saga"). */
export const SagaStateName = Type.Union([Type.Literal('RUNNING'), Type.Literal('FAILED'), Type.Literal('COMPLETED')])

export const SagaRecord = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  resourceIds: Type.Array(Type.Integer({ minimum: 1 })),
  step: Type.Union([Type.Literal('DELETE_SONGS'), Type.Literal('DELETE_OBJECTS'), Type.Literal('DELETE_ROWS'), Type.Literal('DONE')], {
    description: 'The step to run next (DONE once COMPLETED)',
  }),
  state: SagaStateName,
  attempts: Type.Integer({ description: 'Failed attempts of the current step' }),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed: <step>: <reason>' }),
  nextAttemptAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})
export type SagaRecord = Static<typeof SagaRecord>

export const SagaListQuery = Type.Object({
  state: Type.Optional(SagaStateName),
  // A string: the query is not coerced ("1" is not 1, create-app.ts), so an integer type would refuse every limit.
  limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: '1 to 1000; default 100' })),
})
