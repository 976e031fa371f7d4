import { INVALID, REQUIRED, MAX_ID, SafeString } from '@soundline/platform'
import { Type, type Static } from 'typebox'

/**
 * The Song contract (the Song Service's /songs, and what its callers send). Each field carries the exact messages the contract
 * prescribes for an invalid and for a missing value.
 */
function text(label: string) {
  // SafeString: no control characters (PostgreSQL refuses NUL; docs/api.md "Text fields").
  return SafeString({
    minLength: 1,
    maxLength: 100,
    // Blank is empty: at least one visible character.
    pattern: '\\S',
    [INVALID]: `${label} must be between 1 and 100 characters`,
    [REQUIRED]: `${label} is required`,
    examples: [label === 'Song name' ? 'We are the champions' : label === 'Artist name' ? 'Queen' : 'News of the world'],
  })
}

export const Song = Type.Object(
  {
    id: Type.Integer({
      minimum: 1,
      maximum: MAX_ID,
      description: 'The id of the resource this metadata describes',
      [INVALID]: 'Resource ID must be a positive integer',
      [REQUIRED]: 'Resource ID is required',
    }),
    name: text('Song name'),
    artist: text('Artist name'),
    album: text('Album name'),
    duration: SafeString({
      pattern: '^[0-9]{2}:[0-5][0-9]$',
      description: 'mm:ss with leading zeros',
      examples: ['02:59'],
      [INVALID]: 'Duration must be in mm:ss format with leading zeros',
      [REQUIRED]: 'Duration is required',
    }),
    year: SafeString({
      pattern: '^(19|20)[0-9]{2}$',
      description: 'YYYY, 1900..2099',
      examples: ['1977'],
      [INVALID]: 'Year must be between 1900 and 2099',
      [REQUIRED]: 'Year is required',
    }),
  },
  // Unknown fields are dropped, not stored and not an error (docs/api.md).
  { additionalProperties: false },
)

export type Song = Static<typeof Song>

/** The Song without its id: the body of the internal upsert, whose id is in the path. */
export const SongFields = Type.Omit(Song, ['id'], { additionalProperties: false })
export type SongFields = Static<typeof SongFields>
