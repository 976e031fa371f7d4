import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto'
import pg from 'pg'

/**
 * Tokens the Auth Service would never issue, for the tests of the Auth Service
 * and the gateway that must refuse them with 401 (docs/security.md). Forging
 * needs a real token (to tamper with) and the real signing key (to sign what
 * the service would never issue: expired, without exp, with a hostile kid).
 */

export interface SigningKey {
  kid: string
  key: KeyObject
}

/** The Auth Service's current signing key, read from its database (private keys are sealed only with SIGNING_KEY_SECRET). */
export async function currentSigningKey(databaseUrl: string): Promise<SigningKey> {
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

/** A key the Auth Service never had. */
export const strangerKey = (): KeyObject => generateKeyPairSync('ed25519').privateKey
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = (): number => Math.floor(Date.now() / 1000)

/** A compact JWS signed with EdDSA, whatever its header holds (jose would refuse a non-string kid). */
function signEdDsa(kid: unknown, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${encode({ alg: 'EdDSA', kid })}.${encode(claims)}`
  return `${input}.${edSign(null, Buffer.from(input), key).toString('base64url')}`
}

export interface MintOptions {
  kid: string
  key: KeyObject
  expiresAt?: number
  issuer?: string
  audience?: string
  roles?: string[]
}

/** A well-formed access token for user 999, signed with the given key: valid unless an option makes it not. */
export async function mint(options: MintOptions): Promise<string> {
  const issuedAt = now()
  return signEdDsa(
    options.kid,
    {
      username: 'minted',
      roles: options.roles ?? ['user'],
      sub: '999',
      iss: options.issuer ?? 'soundline-auth',
      aud: options.audience ?? 'soundline',
      iat: issuedAt - 3600,
      exp: options.expiresAt ?? issuedAt + 600,
    },
    options.key,
  )
}

interface Claims {
  kid: unknown
  key: KeyObject
  exp?: number | undefined
  sub?: string | undefined
  roles?: string[]
}

/** Signs whatever header kid and claims it is given; exp 0 and sub '' leave the claim out. */
async function sign({ kid, key, exp = now() + 600, sub = '1', roles = ['user', 'admin'] }: Claims): Promise<string> {
  const claims: Record<string, unknown> = { username: 'forged', roles, iss: 'soundline-auth', aud: 'soundline', iat: now() - 60 }
  if (exp !== undefined && exp !== 0) claims.exp = exp
  if (sub !== '') claims.sub = sub
  return signEdDsa(kid, claims, key)
}

/** [name, Authorization header, the 401 message]: every one must be refused, never a 500. */
export async function forgedTokens(validToken: string, real: SigningKey): Promise<[string, string, string][]> {
  const [header = '', payload = '', signature = ''] = validToken.split('.')
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const publicPem = createPublicKey(real.key).export({ format: 'pem', type: 'spki' }).toString()
  const publicX = String(createPublicKey(real.key).export({ format: 'jwk' }).x)
  const hs = (secret: string) => {
    const input = `${encode({ alg: 'HS256', typ: 'JWT', kid: real.kid })}.${encode({ ...claims, roles: ['user', 'admin'] })}`
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
  }
  const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`
  const stranger = strangerKey()
  return [
    ['alg none', `Bearer ${encode({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'Invalid token'],
    ['alg none with the real kid', `Bearer ${encode({ alg: 'none', kid: real.kid })}.${payload}.`, 'Invalid token'],
    ['alg NONE', `Bearer ${encode({ alg: 'NONE', kid: real.kid })}.${payload}.`, 'Invalid token'],
    ['HS256 signed with the public key (PEM)', `Bearer ${hs(publicPem)}`, 'Invalid token'],
    ['HS256 signed with the public key (JWK x)', `Bearer ${hs(publicX)}`, 'Invalid token'],
    ['expired', `Bearer ${await sign({ ...real, exp: now() - 60 })}`, 'Token expired'],
    ['no exp claim', `Bearer ${await sign({ ...real, exp: 0 })}`, 'Invalid token'],
    ['no sub claim', `Bearer ${await sign({ ...real, sub: '' })}`, 'Invalid token'],
    ['tampered payload', `Bearer ${header}.${encode({ ...claims, sub: '999', roles: ['user', 'admin'] })}.${signature}`, 'Invalid token'],
    ['tampered signature', `Bearer ${header}.${payload}.${flipped}`, 'Invalid token'],
    ['signature stripped', `Bearer ${header}.${payload}.`, 'Invalid token'],
    ['real kid, another key', `Bearer ${await sign({ kid: real.kid, key: stranger })}`, 'Invalid token'],
    ['unknown kid', `Bearer ${await sign({ kid: 'unknown-kid', key: stranger })}`, 'Invalid token'],
    ['kid path traversal', `Bearer ${await sign({ kid: '../../../../etc/passwd', key: stranger })}`, 'Invalid token'],
    ['kid SQL-ish', `Bearer ${await sign({ kid: "x' OR '1'='1'; DROP TABLE signing_keys; --", key: stranger })}`, 'Invalid token'],
    ['kid very long (4000 characters)', `Bearer ${await sign({ kid: 'k'.repeat(4000), key: stranger })}`, 'Invalid token'],
    ['kid a number', `Bearer ${await sign({ kid: 42, key: stranger })}`, 'Invalid token'],
    ['kid an object', `Bearer ${await sign({ kid: { $ne: null }, key: stranger })}`, 'Invalid token'],
    ['kid with NUL and newline', `Bearer ${await sign({ kid: 'a\u0000b\nc', key: stranger })}`, 'Invalid token'],
    ['header not JSON', `Bearer ${Buffer.from('{alg').toString('base64url')}.${payload}.${signature}`, 'Invalid token'],
    ['two segments', `Bearer ${header}.${payload}`, 'Invalid token'],
    ['garbage', 'Bearer not-a-jwt', 'Invalid token'],
    ['not a bearer scheme', `Basic ${Buffer.from('admin:admin').toString('base64')}`, 'Invalid token'],
    ['empty bearer', 'Bearer ', 'Invalid token'],
    ['characters outside the token alphabet', 'Bearer a.b.c"; DROP', 'Invalid token'],
  ]
}
