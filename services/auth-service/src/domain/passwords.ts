import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Password hashing with scrypt (node:crypto, no native add-on). The stored
 * form names its parameters, so the cost can grow without breaking old hashes:
 *
 *   scrypt$ln=15,r=8,p=1$<salt base64>$<hash base64>   (~100 characters, kept as TEXT)
 */

const KEY_LENGTH = 32
const SALT_LENGTH = 16

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/** Memory scrypt needs (128·N·r) plus headroom; Node's default cap (32 MiB) is too low for N=2^15. */
function scryptOptions(cost: number, r: number, p: number): ScryptOptions {
  return { N: cost, r, p, maxmem: 128 * cost * r * p + 16 * 1024 * 1024 }
}

export class PasswordHasher {
  private readonly logCost: number

  constructor(private readonly cost: number) {
    this.logCost = Math.log2(cost)
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH)
    const key = await derive(password, salt, scryptOptions(this.cost, 8, 1))
    return `scrypt$ln=${this.logCost},r=8,p=1$${salt.toString('base64')}$${key.toString('base64')}`
  }

  /** False for a wrong password and for a stored value that is not ours (never throws on bad input). */
  async verify(password: string, stored: string): Promise<boolean> {
    const match = /^scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored)
    if (!match) return false
    const [, ln, r, p, salt, hash] = match
    const expected = Buffer.from(hash ?? '', 'base64')
    const key = await derive(password, Buffer.from(salt ?? '', 'base64'), scryptOptions(2 ** Number(ln), Number(r), Number(p)))
    return expected.length === key.length && timingSafeEqual(expected, key)
  }

  /**
   * A hash of a password nobody knows: checking an unknown user's login
   * against it costs the same time as a real check, so timing does not tell
   * whether the user exists.
   */
  async decoy(): Promise<string> {
    return this.hash(randomBytes(24).toString('base64'))
  }
}
