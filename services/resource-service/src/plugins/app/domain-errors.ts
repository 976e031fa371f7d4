import { httpErrors, type DomainErrorMapper } from '@soundline/platform'
import {
  EmptyUpload,
  IdempotencyKeyReused,
  NotMp3Upload,
  RangeNotSatisfiable,
  ResourceNotFound,
  UploadTooLarge,
} from '../../domain/errors.js'
import { SagaNotFailed, SagaNotFound } from '../../domain/deletion-saga.js'

/** docs/api.md "Resource Service specifics": the type is right, the file is missing. */
const EMPTY_FILE_MESSAGE = 'Request body is empty: an MP3 file is required'

/** The contract's status and message for each of the domain's errors. */
export const resourceServiceErrors: DomainErrorMapper = (error) => {
  if (error instanceof NotMp3Upload) {
    return httpErrors.badRequest(`Invalid file format: ${error.declaredType ?? '(none)'}. Only MP3 files are allowed`)
  }
  if (error instanceof EmptyUpload) return httpErrors.badRequest(EMPTY_FILE_MESSAGE)
  if (error instanceof UploadTooLarge) return httpErrors.payloadTooLarge(`File is too large: the limit is ${error.limit} bytes`)
  if (error instanceof IdempotencyKeyReused) {
    return httpErrors.conflict(`Idempotency-Key '${error.key}' was already used for a different file`)
  }
  if (error instanceof ResourceNotFound) return httpErrors.notFound(`Resource with ID=${error.id} not found`)
  if (error instanceof RangeNotSatisfiable) {
    return httpErrors.rangeNotSatisfiable(`Range not satisfiable: ${error.range} (the file has ${error.size} bytes)`, error.size)
  }
  if (error instanceof SagaNotFound) return httpErrors.notFound(`Deletion saga with ID=${error.id} not found`)
  if (error instanceof SagaNotFailed) {
    return httpErrors.conflict(`Deletion saga ${error.id} is ${error.state}: only a FAILED saga can be retried`)
  }
  return undefined
}
