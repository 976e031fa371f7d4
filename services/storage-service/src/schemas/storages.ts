import { INVALID, REQUIRED } from '@soundline/platform'
import { Type, type Static } from 'typebox'

const STORAGE_TYPE_MESSAGE = 'Storage type must be STAGING or PERMANENT'

export const StorageType = Type.Union([Type.Literal('STAGING'), Type.Literal('PERMANENT')], {
  [INVALID]: STORAGE_TYPE_MESSAGE,
  [REQUIRED]: 'Storage type is required',
})
export type StorageType = Static<typeof StorageType>

export const NewStorage = Type.Object(
  {
    storageType: StorageType,
    bucket: Type.String({
      // S3's rules: 3-63 chars of a-z 0-9 . -, starting and ending with a letter
      // or digit, no "..", not shaped like an IP address.
      pattern: '^(?!\\d+\\.\\d+\\.\\d+\\.\\d+$)(?!.*\\.\\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      examples: ['resources-permanent'],
      [INVALID]: 'Bucket must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens',
      [REQUIRED]: 'Bucket is required',
    }),
    path: Type.String({
      // A key prefix: starts with "/", then the characters that are safe in S3 keys and URLs.
      pattern: '^/[A-Za-z0-9._~/-]{0,1023}$',
      examples: ['/files'],
      [INVALID]: "Path must start with '/' and contain only letters, digits and . _ ~ - /",
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
