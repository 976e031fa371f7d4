import { httpErrors, type DomainErrorMapper } from '@soundline/platform'
import { SongAlreadyExists, SongNotFound } from '../../domain/song-catalog.js'

/** The contract's status and message for each of the domain's errors. */
export const songServiceErrors: DomainErrorMapper = (error) => {
  if (error instanceof SongAlreadyExists) return httpErrors.conflict(`Metadata for resource ID=${error.id} already exists`)
  if (error instanceof SongNotFound) return httpErrors.notFound(`Song metadata for ID=${error.id} not found`)
  return undefined
}
