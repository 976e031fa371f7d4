import { HttpError, httpErrors, tooManyRequests, unauthorized, type RateLimiter } from '@soundline/platform'
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
  /** Counts every attempt per username; a success resets it, so it counts failures in a row. */
  perUser: RateLimiter
  /** Counts every attempt per client address. */
  perAddress: RateLimiter
}

/** One answer for an unknown user and a wrong password: nothing tells them apart. */
const BAD_CREDENTIALS = 'Invalid username or password'

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
    if (!created) throw httpErrors.conflict(`Username '${name}' is already taken`)
    return { id: created.id, username: created.username, role: created.role }
  }

  /** The user whose password this is; 401 otherwise, 429 when the user or the address tried too often. */
  async authenticate(username: string, password: string, address: string): Promise<Identity> {
    const name = normalizeUsername(username)
    const [byAddress, byUser] = await Promise.all([this.limits.perAddress.hit(address), this.limits.perUser.hit(name)])
    const refused = [byAddress, byUser].filter((decision) => !decision.allowed)
    if (refused.length > 0) {
      const wait = Math.max(...refused.map((decision) => decision.retryAfterSeconds))
      throw tooManyRequests(`Too many login attempts: try again in ${wait} seconds`, wait)
    }
    const user = await this.users.findByUsername(name)
    // Unknown users cost one scrypt too, so the answer time does not reveal them.
    const valid = await this.passwords.verify(password, user?.passwordHash ?? (await this.decoy()))
    if (!user || !valid) throw unauthorized(BAD_CREDENTIALS)
    await this.limits.perUser.reset(name)
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
      if (error instanceof HttpError && error.statusCode === 409 && (await this.users.hasAdmin())) return { created: false }
      throw error
    }
    return options.password ? { created: true } : { created: true, generatedPassword: password }
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= this.passwords.decoy()
    return this.decoyHash
  }
}
