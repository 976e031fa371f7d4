/**
 * What the Resource Service's rules refuse, free of HTTP: each error carries
 * the data its answer needs, and src/plugins/app/domain-errors.ts says which
 * status and message of the contract it is.
 */
import { DomainError } from '@soundline/platform'

/** The file is not MP3: its declared type is not audio/mpeg, or its bytes are not MPEG audio. */
export class NotMp3Upload extends DomainError {
  constructor(readonly declaredType: string | undefined) {
    super(`not an MP3 file (declared as ${declaredType ?? 'nothing'})`)
  }
}

/** No bytes at all: the file is missing, not of the wrong format. */
export class EmptyUpload extends DomainError {
  constructor() {
    super('the file is empty')
  }
}

export class UploadTooLarge extends DomainError {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`)
  }
}

/** A retry's key names an earlier upload of other bytes. */
export class IdempotencyKeyReused extends DomainError {
  constructor(readonly key: string) {
    super(`idempotency key '${key}' was used for a different file`)
  }
}

export class ResourceNotFound extends DomainError {
  constructor(readonly id: number) {
    super(`no resource ${id}`)
  }
}

export class RangeNotSatisfiable extends DomainError {
  constructor(
    readonly range: string,
    readonly size: number,
  ) {
    super(`range ${range} is outside the ${size} bytes`)
  }
}
