import { createCipheriv, createDecipheriv, createPrivateKey, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint, type JWK } from 'jose'

/** Key material: new Ed25519 pairs, and private keys sealed for storage. */

export const SIGNING_ALGORITHM = 'EdDSA'

/** A public key as published: always with its kid, algorithm and use. */
export type PublicJwk = JWK & { kty: string; kid: string; alg: string; use: string }

export interface GeneratedKey {
  kid: string
  publicJwk: PublicJwk
  privateKey: KeyObject
}

export async function generateSigningKey(): Promise<GeneratedKey> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const jwk = publicKey.export({ format: 'jwk' }) as JWK & { kty: string }
  // RFC 7638 thumbprint: the kid is derived from the key, so it cannot collide by accident.
  const kid = await calculateJwkThumbprint(jwk)
  return { kid, publicJwk: { ...jwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' }, privateKey }
}

const SEALED_PREFIX = 'aes-256-gcm:'

/**
 * Private keys at rest: PKCS#8 PEM, encrypted with AES-256-GCM when a secret
 * is configured (a copy of the database then cannot mint tokens).
 */
export class KeySealer {
  private readonly key: Buffer | undefined

  constructor(secret: string | undefined) {
    this.key = secret ? Buffer.from(hkdfSync('sha256', secret, 'soundline-auth', 'signing-key-encryption', 32)) : undefined
  }

  seal(privateKey: KeyObject): string {
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    if (!this.key) return pem
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const encrypted = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()])
    return `${SEALED_PREFIX}${[iv, cipher.getAuthTag(), encrypted].map((part) => part.toString('base64')).join(':')}`
  }

  open(stored: string): KeyObject {
    if (!stored.startsWith(SEALED_PREFIX)) return createPrivateKey(stored)
    if (!this.key) throw new Error('a signing key is encrypted but SIGNING_KEY_SECRET is not set')
    const [iv, tag, encrypted] = stored
      .slice(SEALED_PREFIX.length)
      .split(':')
      .map((part) => Buffer.from(part, 'base64'))
    if (!iv || !tag || !encrypted) throw new Error('a stored signing key is malformed')
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv)
    decipher.setAuthTag(tag)
    try {
      return createPrivateKey(Buffer.concat([decipher.update(encrypted), decipher.final()]).toString('utf8'))
    } catch {
      throw new Error('a signing key cannot be decrypted: wrong SIGNING_KEY_SECRET?')
    }
  }
}
