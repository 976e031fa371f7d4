import { INVALID, REQUIRED, SafeString } from '@soundline/platform'
import { Type, type Static } from 'typebox'

const STORAGE_TYPE_MESSAGE = 'Storage type must be STAGING or PERMANENT'

export const StorageType = Type.Union([Type.Literal('STAGING'), Type.Literal('PERMANENT')], {
  [INVALID]: STORAGE_TYPE_MESSAGE,
  [REQUIRED]: 'Storage type is required',
})
export type StorageType = Static<typeof StorageType>

/**
 * S3's bucket naming rules (docs/api.md "Storage Service specifics"): 3-63
 * characters of a-z 0-9 . -, a letter or digit at both ends, no "..", not an
 * IP address, and none of the prefixes and suffixes S3 reserves for its own
 * names (IDNs, S3 Express, access point aliases, Object Lambda, Multi-Region
 * access points, table buckets). S3 refuses these; so do we, before a row exists.
 */
export const BUCKET_NAME =
  '^(?!\\d+\\.\\d+\\.\\d+\\.\\d+$)(?![\\s\\S]*\\.\\.)(?!xn--|sthree-|amzn-s3-demo-)' +
  '(?![\\s\\S]*(?:-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'
const BUCKET_MESSAGE =
  "Bucket must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit, no '..', not an IP address, no prefix or suffix that S3 reserves"

/**
 * A normalised key prefix: "/" alone, or "/"-separated segments of characters
 * that are safe in S3 keys and URLs, none empty ("//"), "." or "..": object
 * keys are built from it and must never climb out of it.
 */
const SEGMENT = '(?!\\.\\.?(?:/|$))[A-Za-z0-9._~-]+'
export const KEY_PREFIX = `^/(?:${SEGMENT}(?:/${SEGMENT})*)?$`
/** Leaves room in S3's 1024-byte key for the file name the Resource Service appends. */
export const MAX_PATH_LENGTH = 512
const PATH_MESSAGE = `Path must be '/' or '/'-separated segments of letters, digits and . _ ~ - (none empty, '.' or '..'), at most ${MAX_PATH_LENGTH} characters`

export const NewStorage = Type.Object(
  {
    storageType: StorageType,
    bucket: SafeString({
      pattern: BUCKET_NAME,
      minLength: 3,
      maxLength: 63,
      examples: ['resources-permanent'],
      [INVALID]: BUCKET_MESSAGE,
      [REQUIRED]: 'Bucket is required',
    }),
    path: SafeString({
      pattern: KEY_PREFIX,
      maxLength: MAX_PATH_LENGTH,
      examples: ['/files'],
      [INVALID]: PATH_MESSAGE,
      [REQUIRED]: 'Path is required',
    }),
  },
  { additionalProperties: false },
)
export type NewStorage = Static<typeof NewStorage>

export const Storage = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  storageType: StorageType,
  bucket: Type.String(),
  path: Type.String(),
})
export type Storage = Static<typeof Storage>

export const StorageList = Type.Array(Storage)

export const StorageQuery = Type.Object({
  type: Type.Optional(Type.Union([Type.Literal('STAGING'), Type.Literal('PERMANENT')], { [INVALID]: STORAGE_TYPE_MESSAGE })),
})
