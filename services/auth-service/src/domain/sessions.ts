import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { RefreshTokenRefused } from './errors.js'
import type { AccessTokens, Identity } from './tokens.js'

export interface RefreshRecord {
  id: string
  familyId: string
  userId: number
  expiresAt: Date
  rotatedAt: Date | null
  revokedAt: Date | null
}

/** Where refresh tokens are kept (hashed); the Prisma adapter implements it. */
export interface RefreshTokenStore {
  insert(record: RefreshRecord & { tokenHash: string }): Promise<void>
  findByHash(tokenHash: string): Promise<RefreshRecord | null>
  /** Marks the token used; false when it was used or revoked already (a concurrent use lost). */
  markRotated(id: string, at: Date): Promise<boolean>
  revokeFamily(familyId: string, at: Date): Promise<void>
}

export interface TokenPair {
  accessToken: string
  tokenType: 'Bearer'
  expiresIn: number
  refreshToken: string
  refreshExpiresIn: number
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/**
 * Sessions: an access token plus an opaque refresh token (32 random bytes,
 * stored only as its sha256). Each refresh rotates the refresh token; using a
 * rotated one again means it was stolen (or replayed), so the whole family —
 * every token descending from that login — is revoked.
 */
export class Sessions {
  constructor(
    private readonly store: RefreshTokenStore,
    private readonly accessTokens: AccessTokens,
    private readonly lookupUser: (id: number) => Promise<Identity | null>,
    private readonly refreshTtlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(identity: Identity): Promise<TokenPair> {
    return this.issue(identity, randomUUID())
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const record = await this.store.findByHash(hashToken(refreshToken))
    const now = this.now()
    if (!record || record.revokedAt) throw new RefreshTokenRefused('invalid')
    if (record.rotatedAt || !(await this.store.markRotated(record.id, now))) {
      await this.store.revokeFamily(record.familyId, now)
      throw new RefreshTokenRefused('reused')
    }
    if (record.expiresAt <= now) throw new RefreshTokenRefused('expired')
    const identity = await this.lookupUser(record.userId)
    if (!identity) throw new RefreshTokenRefused('invalid')
    return this.issue(identity, record.familyId)
  }

  /** Ends the session the token belongs to; unknown tokens are ignored (logout is idempotent). */
  async logout(refreshToken: string): Promise<void> {
    const record = await this.store.findByHash(hashToken(refreshToken))
    if (record) await this.store.revokeFamily(record.familyId, this.now())
  }

  private async issue(identity: Identity, familyId: string): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url')
    await this.store.insert({
      id: randomUUID(),
      familyId,
      userId: identity.id,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(this.now().getTime() + this.refreshTtlSeconds * 1000),
      rotatedAt: null,
      revokedAt: null,
    })
    return {
      accessToken: await this.accessTokens.issue(identity),
      tokenType: 'Bearer',
      expiresIn: this.accessTokens.ttlSeconds,
      refreshToken,
      refreshExpiresIn: this.refreshTtlSeconds,
    }
  }
}
