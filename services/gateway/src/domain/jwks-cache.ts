import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters, type FlattenedJWSInput } from 'jose'

export interface JwksCacheSettings {
  /** Background refresh period. */
  refreshMs: number
  /** Least time between two refreshes caused by unknown key ids (a flood of forged kids cannot hammer the Auth Service). */
  cooldownMs: number
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>

/** No key set was ever loaded: tokens cannot be checked at all (not the token's fault). */
export class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError'
}

/**
 * The Auth Service's public keys, kept for as long as needed: a failed
 * refresh keeps the last good set, so an Auth Service outage does not stop
 * valid tokens from working. An unknown kid triggers a refresh (a rotation
 * made since the last one), rate-limited by the cooldown.
 */
export class JwksCache {
  private resolver: KeyResolver | undefined
  private keyCount = 0
  private lastSuccess = 0
  private lastAttempt = Number.NEGATIVE_INFINITY
  private lastError: string | undefined
  private inflight: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly fetchKeys: () => Promise<JSONWebKeySet>,
    private readonly settings: JwksCacheSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** First load (failure tolerated: retried on demand) and the background refresh. */
  async start(): Promise<void> {
    await this.refresh()
    this.timer = setInterval(() => void this.refresh(), this.settings.refreshMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** jose's key lookup, with the refresh-on-unknown-kid and keep-on-failure rules. */
  readonly getKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput) => {
    if (this.resolver) {
      try {
        return await this.resolver(header, token)
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey)) throw error
      }
    }
    if (this.now() - this.lastAttempt >= this.settings.cooldownMs) await this.refresh()
    if (!this.resolver) throw new JwksUnavailableError(`no signing keys loaded: ${this.lastError ?? 'not fetched yet'}`)
    return this.resolver(header, token)
  }

  describe(): { loaded: boolean; keys: number; lastSuccess?: string; lastError?: string } {
    return {
      loaded: this.resolver !== undefined,
      keys: this.keyCount,
      ...(this.lastSuccess ? { lastSuccess: new Date(this.lastSuccess).toISOString() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    }
  }

  /** One fetch at a time; concurrent callers share it. */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  private async load(): Promise<void> {
    this.lastAttempt = this.now()
    try {
      const set = await this.fetchKeys()
      if (!Array.isArray(set.keys)) throw new Error('not a JWK set')
      this.resolver = createLocalJWKSet(set)
      this.keyCount = set.keys.length
      this.lastSuccess = this.now()
      this.lastError = undefined
    } catch (error) {
      this.lastError = (error as Error).message
    }
  }
}
