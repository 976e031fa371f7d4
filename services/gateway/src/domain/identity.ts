import { DomainError } from '@soundline/platform'
import { errors, jwtVerify } from 'jose'
import { LRUCache } from 'lru-cache'
import { JwksUnavailableError, type JwksCache } from './jwks-cache.js'
import type { Access, Role } from './routing.js'

/** The token is not one the gateway accepts: expired, or anything else wrong with it. */
export class TokenRefused extends DomainError {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(`token refused: ${reason}`)
  }
}

/** No signing keys could ever be loaded: tokens cannot be checked (not the token's fault). */
export class TokensUnverifiable extends DomainError {
  constructor() {
    super('cannot verify tokens: the Auth Service is unavailable')
  }
}

/** The caller lacks the role the route needs. */
export class RoleRequired extends DomainError {
  constructor(readonly role: Role) {
    super(`the ${role} role is required`)
  }
}

/** The verified caller, passed on to services as X-User-Id / X-User-Name / X-User-Roles. */
export interface Identity {
  id: string
  username: string
  roles: Role[]
}

export interface TokenRules {
  issuer: string
  audience: string
}

/**
 * Access tokens: EdDSA only (so `alg: none`, HS256 with the public key as a
 * secret and the like are refused), issuer, audience, expiry and a subject.
 */
export class TokenVerifier {
  /**
   * Tokens already verified, until they expire: a signature check costs more
   * than the rest of a proxied request. A token stays accepted up to its own
   * expiry, which is what its signature promised anyway.
   */
  private readonly verified = new LRUCache<string, Identity>({ max: 10_000, ttlAutopurge: false })

  constructor(
    private readonly keys: JwksCache,
    private readonly rules: TokenRules,
  ) {}

  async verify(token: string): Promise<Identity> {
    const known = this.verified.get(token)
    if (known) return known
    try {
      const { payload } = await jwtVerify(token, this.keys.getKey, {
        issuer: this.rules.issuer,
        audience: this.rules.audience,
        algorithms: ['EdDSA'],
        requiredClaims: ['sub', 'exp'],
      })
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((role): role is Role => role === 'user' || role === 'admin') : []
      const identity = { id: String(payload.sub), username: typeof payload.username === 'string' ? payload.username : '', roles }
      const ttl = (payload.exp ?? 0) * 1000 - Date.now()
      if (ttl > 0) this.verified.set(token, identity, { ttl })
      return identity
    } catch (error) {
      if (error instanceof JwksUnavailableError) throw new TokensUnverifiable()
      throw new TokenRefused(error instanceof errors.JWTExpired ? 'expired' : 'invalid')
    }
  }
}

/** RoleRequired unless the identity holds what the route needs. */
export function authorize(identity: Identity, access: Access): void {
  if (access === 'public' || identity.roles.includes(access)) return
  throw new RoleRequired(access)
}
