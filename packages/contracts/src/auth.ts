import { Type, type Static } from 'typebox'

/** The Auth Service's public keys (GET /.well-known/jwks.json), what token verifiers load. */
export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      kid: Type.String(),
      alg: Type.String(),
      use: Type.String(),
      crv: Type.Optional(Type.String()),
      x: Type.Optional(Type.String()),
      n: Type.Optional(Type.String()),
      e: Type.Optional(Type.String()),
    }),
  ),
})
export type Jwks = Static<typeof Jwks>
