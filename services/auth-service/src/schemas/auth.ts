import { INVALID, REQUIRED, SafeString } from '@soundline/platform'
import { Type, type Static } from 'typebox'

const Role = Type.Union([Type.Literal('user'), Type.Literal('admin')])

export const Registration = Type.Object(
  {
    username: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$',
      description: '3-64 characters: letters, digits, . _ @ -; case-insensitive (stored lower-cased)',
      examples: ['alice'],
      [INVALID]: 'Username must be 3-64 characters: letters, digits, . _ @ - (starting with a letter or digit)',
      [REQUIRED]: 'Username is required',
    }),
    password: SafeString({
      minLength: 8,
      maxLength: 128,
      examples: ['correct horse battery staple'],
      [INVALID]: 'Password must be between 8 and 128 characters, without control characters',
      [REQUIRED]: 'Password is required',
    }),
  },
  { additionalProperties: false },
)
export type Registration = Static<typeof Registration>

/**
 * Login takes any printable strings: a malformed username is just a bad
 * credential (401), never a hint. Control characters are refused (400).
 */
export const Credentials = Type.Object(
  {
    username: SafeString({
      maxLength: 256,
      [INVALID]: 'Username must be a string of at most 256 characters, without control characters',
      [REQUIRED]: 'Username is required',
      examples: ['alice'],
    }),
    password: SafeString({
      maxLength: 1024,
      [INVALID]: 'Password must be a string of at most 1024 characters, without control characters',
      [REQUIRED]: 'Password is required',
    }),
  },
  { additionalProperties: false },
)
export type Credentials = Static<typeof Credentials>

export const RefreshRequest = Type.Object(
  {
    refreshToken: SafeString({
      minLength: 1,
      maxLength: 512,
      [INVALID]: 'Refresh token must be a non-empty string of at most 512 characters, without control characters',
      [REQUIRED]: 'Refresh token is required',
    }),
  },
  { additionalProperties: false },
)
export type RefreshRequest = Static<typeof RefreshRequest>

export const TokenPair = Type.Object({
  accessToken: Type.String({ description: 'JWT (EdDSA), send as Authorization: Bearer <token>' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds the access token is valid' }),
  refreshToken: Type.String({ description: 'Opaque; single use: each refresh returns a new one' }),
  refreshExpiresIn: Type.Integer(),
})

export const Account = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  username: Type.String(),
  roles: Type.Array(Role),
})

export const RotatedKey = Type.Object({ kid: Type.String() })

// What verifiers read lives with the Auth Service's client in packages/contracts.
export { Jwks } from '@soundline/contracts'
