import { http } from '@soundline/platform/testing'
import { SignJWT } from 'jose'
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import pg from 'pg'
import { ADMIN_PASSWORD } from './upstreams.js'

export interface Tokens {
  accessToken: string
  refreshToken: string
}

/** A user's tokens, registered and logged in through the gateway's /auth route. */
export async function userTokens(gateway: string, username: string): Promise<Tokens> {
  await http('POST', `${gateway}/auth/register`, { json: { username, password: `${username}-password` } })
  const res = await http('POST', `${gateway}/auth/login`, { json: { username, password: `${username}-password` } })
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`)
  return res.json as Tokens
}

export async function adminTokens(gateway: string): Promise<Tokens> {
  const res = await http('POST', `${gateway}/auth/login`, { json: { username: 'admin', password: ADMIN_PASSWORD } })
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${res.text}`)
  return res.json as Tokens
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The Auth Service's current signing key, read from its database: to mint tokens it would never issue (expired ones). */
export async function currentSigningKey(databaseUrl: string): Promise<{ kid: string; key: KeyObject }> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ kid: string; private_key: string }>(
      'SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
    )
    const row = rows[0]
    if (!row) throw new Error('no signing key')
    return { kid: row.kid, key: createPrivateKey(row.private_key) }
  } finally {
    await client.end()
  }
}

export interface MintOptions {
  kid: string
  key: KeyObject
  expiresAt?: number
  issuer?: string
  audience?: string
  roles?: string[]
}

export async function mint(options: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ username: 'minted', roles: options.roles ?? ['user'] })
    .setProtectedHeader({ alg: 'EdDSA', kid: options.kid })
    .setSubject('999')
    .setIssuer(options.issuer ?? 'soundline-auth')
    .setAudience(options.audience ?? 'soundline')
    .setIssuedAt(now - 3600)
    .setExpirationTime(options.expiresAt ?? now + 600)
    .sign(options.key)
}

export const strangerKey = (): KeyObject => generateKeyPairSync('ed25519').privateKey
