import type { BackoffLimiter, RateLimiter } from './login-limits.js'
import { InvalidCredentials, TooManyLoginAttempts, UsernameTaken } from './errors.js'
import type { PasswordHasher } from './passwords.js'
import type { Identity, Role } from './tokens.js'

export interface User extends Identity {
  passwordHash: string
}

/** Where users are kept; the Prisma adapter implements it. */
export interface UserStore {
  /** Null when the username is taken. */
  create(user: { username: string; passwordHash: string; role: Role }): Promise<User | null>
  findByUsername(username: string): Promise<User | null>
  findById(id: number): Promise<User | null>
  hasAdmin(): Promise<boolean>
}

export interface LoginLimits {
  /**
   * Failures in a row per (username, address), with growing waits. Never per
   * username alone: anyone who knows a username could lock its owner out.
   */
  perUserAndAddress: BackoffLimiter
  /** Counts every attempt per client address, whatever the username (guessing many users). */
  perAddress: RateLimiter
}

/** One key per (username, address); JSON keeps the two parts apart whatever they hold. */
const pairKey = (username: string, address: string): string => JSON.stringify([username, address])

export const normalizeUsername = (username: string): string => username.trim().toLowerCase()

/** Registration, credentials and the first admin. */
export class Accounts {
  private decoyHash: Promise<string> | undefined

  constructor(
    private readonly users: UserStore,
    private readonly passwords: PasswordHasher,
    private readonly limits: LoginLimits,
  ) {}

  async register(username: string, password: string, role: Role = 'user'): Promise<Identity> {
    const name = normalizeUsername(username)
    const created = await this.users.create({ username: name, passwordHash: await this.passwords.hash(password), role })
    if (!created) throw new UsernameTaken(name)
    return { id: created.id, username: created.username, role: created.role }
  }

  /**
   * The user whose password this is; InvalidCredentials otherwise, TooManyLoginAttempts while this address
   * must wait for this user (failures in a row) or has tried too often at all.
   */
  async authenticate(username: string, password: string, address: string): Promise<Identity> {
    const name = normalizeUsername(username)
    const pair = pairKey(name, address)
    const [byAddress, byPair] = await Promise.all([this.limits.perAddress.hit(address), this.limits.perUserAndAddress.check(pair)])
    const refused = [byAddress, byPair].filter((decision) => !decision.allowed)
    if (refused.length > 0) {
      const wait = Math.max(...refused.map((decision) => decision.retryAfterSeconds))
      throw new TooManyLoginAttempts(wait)
    }
    const user = await this.users.findByUsername(name)
    // Unknown users cost one scrypt too, so the answer time does not reveal them.
    const valid = await this.passwords.verify(password, user?.passwordHash ?? (await this.decoy()))
    if (!user || !valid) {
      // Unknown users earn waits the same way: the throttle does not reveal who exists.
      await this.limits.perUserAndAddress.fail(pair)
      throw new InvalidCredentials()
    }
    await this.limits.perUserAndAddress.succeed(pair)
    return { id: user.id, username: user.username, role: user.role }
  }

  async identity(id: number): Promise<Identity | null> {
    const user = await this.users.findById(id)
    return user ? { id: user.id, username: user.username, role: user.role } : null
  }

  hasAdmin(): Promise<boolean> {
    return this.users.hasAdmin()
  }

  /**
   * The first admin, from configuration. Returns the password when it was
   * generated here (to be shown once); nothing when an admin exists already.
   */
  async ensureAdmin(options: {
    username: string
    password?: string
    generate: () => string
  }): Promise<{ created: boolean; generatedPassword?: string }> {
    if (await this.users.hasAdmin()) return { created: false }
    const password = options.password ?? options.generate()
    try {
      await this.register(options.username, password, 'admin')
    } catch (error) {
      // Another replica created it at the same moment.
      if (error instanceof UsernameTaken && (await this.users.hasAdmin())) return { created: false }
      throw error
    }
    return options.password ? { created: true } : { created: true, generatedPassword: password }
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= this.passwords.decoy()
    return this.decoyHash
  }
}
