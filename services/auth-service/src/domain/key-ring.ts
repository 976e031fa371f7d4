import type { KeyObject } from 'node:crypto'
import { generateSigningKey, SIGNING_ALGORITHM, type KeySealer, type PublicJwk } from './key-crypto.js'

/** A signing key as stored. */
export interface StoredKey {
  kid: string
  algorithm: string
  publicJwk: PublicJwk
  /** Sealed PKCS#8; null once the key is retired. */
  privateKey: string | null
  createdAt: Date
  retiredAt: Date | null
}

/** Where the keys live; shared by every replica (the Prisma adapter implements it). */
export interface SigningKeyStore {
  list(): Promise<StoredKey[]>
  insert(key: StoredKey): Promise<void>
  /** Retires every active key created before `before` and wipes its private key. */
  retireOlderThan(before: Date, at: Date): Promise<void>
  /** Deletes retired keys retired before `before` (no token signed by them is still valid). */
  deleteRetiredBefore(before: Date): Promise<void>
}

export interface KeyRingSettings {
  accessTokenTtlSeconds: number
  refreshSeconds: number
  /** 0: rotate only on request. */
  maxAgeHours: number
}

export interface ActiveKey {
  kid: string
  algorithm: string
  privateKey: KeyObject
}

/** Leeway for clocks that disagree: a retired key stays published this much longer. */
const CLOCK_SKEW_MS = 60_000

/**
 * Signing keys and their rotation without downtime:
 * - the newest unretired key signs; every replica re-reads the keys every
 *   `refreshSeconds`, so a rotation made anywhere reaches all of them;
 * - a rotation inserts the new key first, then retires the older ones (never
 *   "all but mine": two replicas rotating at once still leave the newest active);
 * - a retired key loses its private half at once but stays in the JWKS until
 *   the last token it signed has expired, so verifiers never miss a key.
 */
export class KeyRing {
  private keys: StoredKey[] = []
  private active: ActiveKey | undefined
  private loadedAt = 0
  private loading: Promise<void> | undefined
  private rotating: Promise<string> | undefined

  constructor(
    private readonly store: SigningKeyStore,
    private readonly sealer: KeySealer,
    private readonly settings: KeyRingSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** At start: load the keys, creating or rotating the signing key when needed. */
  async start(): Promise<void> {
    await this.reload()
    if (this.needsRotation()) await this.rotate()
  }

  /** Makes a new key the signing key; returns its kid. */
  async rotate(): Promise<string> {
    const generated = await generateSigningKey()
    const createdAt = this.now()
    await this.store.insert({
      kid: generated.kid,
      algorithm: SIGNING_ALGORITHM,
      publicJwk: generated.publicJwk,
      privateKey: this.sealer.seal(generated.privateKey),
      createdAt,
      retiredAt: null,
    })
    await this.store.retireOlderThan(createdAt, createdAt)
    await this.reload()
    return generated.kid
  }

  /** The key to sign with (re-read from the store when the cached view is old). */
  async signingKey(): Promise<ActiveKey> {
    await this.refreshIfStale()
    if (this.needsRotation()) {
      // Scheduled rotation; replicas racing here only add keys, the newest wins.
      this.rotating ??= this.rotate().finally(() => {
        this.rotating = undefined
      })
      await this.rotating
    }
    if (!this.active) throw new Error('no active signing key')
    return this.active
  }

  /** The public keys verifiers need: the active one and retired ones whose tokens may still be valid. */
  async publishedKeys(): Promise<PublicJwk[]> {
    await this.refreshIfStale()
    const cutoff = this.retentionCutoff()
    return this.keys.filter((key) => key.retiredAt === null || key.retiredAt > cutoff).map((key) => key.publicJwk)
  }

  private retentionCutoff(): Date {
    return new Date(this.now().getTime() - this.settings.accessTokenTtlSeconds * 1000 - CLOCK_SKEW_MS)
  }

  private needsRotation(): boolean {
    const active = this.keys.find((key) => key.kid === this.active?.kid)
    if (!active) return true
    const maxAgeMs = this.settings.maxAgeHours * 3_600_000
    return maxAgeMs > 0 && this.now().getTime() - active.createdAt.getTime() > maxAgeMs
  }

  private async refreshIfStale(): Promise<void> {
    if (this.now().getTime() - this.loadedAt >= this.settings.refreshSeconds * 1000) await this.reload()
  }

  private async reload(): Promise<void> {
    // One read at a time: concurrent requests share it.
    this.loading ??= this.read().finally(() => {
      this.loading = undefined
    })
    await this.loading
  }

  private async read(): Promise<void> {
    await this.store.deleteRetiredBefore(this.retentionCutoff())
    const keys = await this.store.list()
    const newest = keys
      .filter((key) => key.retiredAt === null && key.privateKey !== null)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.kid.localeCompare(a.kid))[0]
    if (newest?.kid !== this.active?.kid) {
      this.active = newest?.privateKey
        ? { kid: newest.kid, algorithm: newest.algorithm, privateKey: this.sealer.open(newest.privateKey) }
        : undefined
    }
    this.keys = keys
    this.loadedAt = this.now().getTime()
  }
}
