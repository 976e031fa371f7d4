import { createLocalJWKSet, errors, jwtVerify, SignJWT } from 'jose'
import { randomUUID } from 'node:crypto'
import { AccessTokenRefused } from './errors.js'
import type { KeyRing } from './key-ring.js'

export type Role = 'user' | 'admin'

/** Who a token speaks for. */
export interface Identity {
  id: number
  username: string
  role: Role
}

export interface AccessClaims {
  sub: string
  username: string
  roles: Role[]
}

export interface TokenSettings {
  issuer: string
  audience: string
  accessTokenTtlSeconds: number
}

/** An admin can do what a user can: its token carries both roles. */
export const rolesOf = (role: Role): Role[] => (role === 'admin' ? ['user', 'admin'] : ['user'])

/**
 * Access tokens: short-lived JWTs signed with the key ring's current key
 * (EdDSA / Ed25519), verifiable by anyone holding the JWKS.
 */
export class AccessTokens {
  constructor(
    private readonly keys: KeyRing,
    private readonly settings: TokenSettings,
  ) {}

  get ttlSeconds(): number {
    return this.settings.accessTokenTtlSeconds
  }

  async issue(identity: Identity): Promise<string> {
    const key = await this.keys.signingKey()
    return new SignJWT({ username: identity.username, roles: rolesOf(identity.role) })
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
      .setSubject(String(identity.id))
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.settings.accessTokenTtlSeconds}s`)
      .setJti(randomUUID())
      .sign(key.privateKey)
  }

  /** The claims of a valid token; AccessTokenRefused for anything else (expired, tampered, unknown key, `alg: none`). */
  async verify(token: string): Promise<AccessClaims> {
    const jwks = createLocalJWKSet({ keys: await this.keys.publishedKeys() })
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ['EdDSA'],
        // A token without an expiry or a subject is never issued here: refuse it like a forgery.
        requiredClaims: ['sub', 'exp'],
      })
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((role): role is Role => role === 'user' || role === 'admin') : []
      return { sub: payload.sub ?? '', username: String(payload.username ?? ''), roles }
    } catch (error) {
      throw new AccessTokenRefused(error instanceof errors.JWTExpired ? 'expired' : 'invalid')
    }
  }
}
