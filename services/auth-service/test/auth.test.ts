import { http, startTestDatabase } from '@soundline/dev-stack/testing'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import pg from 'pg'
import t from 'tap'
import { startAuthService } from './helpers.js'

const database = await startTestDatabase()
t.teardown(() => database.stop())
const { app, base } = await startAuthService(database.url, { LOGIN_FREE_FAILURES: '3', LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '12' })
t.teardown(() => app.close())

interface Tokens {
  accessToken: string
  refreshToken: string
  tokenType: string
  expiresIn: number
  refreshExpiresIn: number
}

let nextAddress = 1
/** Each login comes from its own address (X-Forwarded-For through the trusted loopback) unless told otherwise. */
async function login(username: string, password: string, address = `198.51.100.${nextAddress++}`) {
  return http('POST', `${base}/auth/login`, { json: { username, password }, headers: { 'x-forwarded-for': address } })
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await http('GET', `${base}/.well-known/jwks.json`)).json as JSONWebKeySet
}

t.test('register creates a user; usernames are case-insensitive and unique', async (t) => {
  const res = await http('POST', `${base}/auth/register`, { json: { username: 'Alice', password: 'correct horse battery' } })
  t.equal(res.status, 200)
  t.strictSame(res.json, { id: 2, username: 'alice', roles: ['user'] }, 'the configured admin is user 1')
  t.equal(res.headers.get('content-type'), 'application/json')

  const again = await http('POST', `${base}/auth/register`, { json: { username: 'ALICE', password: 'another password' } })
  t.equal(again.status, 409)
  t.strictSame(again.json, { errorMessage: "Username 'alice' is already taken", errorCode: '409' })
})

t.test('register validates every field with its own message', async (t) => {
  const missing = await http('POST', `${base}/auth/register`, { json: {} })
  t.equal(missing.status, 400)
  t.strictSame(missing.json, {
    errorMessage: 'Validation error',
    details: { username: 'Username is required', password: 'Password is required' },
    errorCode: '400',
  })

  const invalid = await http('POST', `${base}/auth/register`, { json: { username: 'a b', password: 'short' } })
  t.strictSame(invalid.json, {
    errorMessage: 'Validation error',
    details: {
      username: 'Username must be 3-64 characters: letters, digits, . _ @ - (starting with a letter or digit)',
      password: 'Password must be between 8 and 128 characters, without control characters',
    },
    errorCode: '400',
  })
})

t.test('passwords are stored as self-describing scrypt text, never in clear', async (t) => {
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  t.teardown(() => client.end())
  const { rows } = await client.query<{ password_hash: string; type: string }>(
    `SELECT password_hash, pg_typeof(password_hash)::text AS type FROM users WHERE username = 'alice'`,
  )
  t.equal(rows[0]?.type, 'text')
  t.match(rows[0]?.password_hash, /^scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/)
  t.notMatch(rows[0]?.password_hash, /correct horse/)
})

t.test('login returns an EdDSA access token verifiable with the JWKS, and a refresh token', async (t) => {
  const res = await login('alice', 'correct horse battery')
  t.equal(res.status, 200)
  const tokens = res.json as Tokens
  t.equal(tokens.tokenType, 'Bearer')
  t.equal(tokens.expiresIn, 900)
  t.match(tokens.refreshToken, /^[A-Za-z0-9_-]{43}$/)

  const keys = await jwks()
  t.equal(keys.keys.length, 1)
  t.match(keys.keys[0], { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
  t.notOk('d' in (keys.keys[0] ?? {}), 'no private part is published')
  const header = decodeProtectedHeader(tokens.accessToken)
  t.equal(header.alg, 'EdDSA')
  t.equal(header.kid, keys.keys[0]?.kid)

  const { payload } = await jwtVerify(tokens.accessToken, createLocalJWKSet(keys), { issuer: 'soundline-auth', audience: 'soundline' })
  t.equal(payload.sub, '2')
  t.equal(payload.username, 'alice')
  t.strictSame(payload.roles, ['user'])
  t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900)

  const me = await http('GET', `${base}/auth/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })
  t.strictSame(me.json, { id: 2, username: 'alice', roles: ['user'] })
})

t.test('a wrong password and an unknown user get exactly the same answer', async (t) => {
  const wrong = await login('alice', 'wrong password')
  const unknown = await login('nobody-here', 'wrong password')
  for (const res of [wrong, unknown]) {
    t.equal(res.status, 401)
    t.strictSame(res.json, { errorMessage: 'Invalid username or password', errorCode: '401' })
  }
  t.equal(wrong.text, unknown.text)
  t.equal(wrong.headers.get('www-authenticate'), unknown.headers.get('www-authenticate'))
})

t.test('refresh rotates the refresh token; reusing an old one revokes the whole session', async (t) => {
  const first = (await login('alice', 'correct horse battery')).json as Tokens
  const second = await http('POST', `${base}/auth/refresh`, { json: { refreshToken: first.refreshToken } })
  t.equal(second.status, 200)
  const rotated = second.json as Tokens
  t.not(rotated.refreshToken, first.refreshToken)
  t.equal((await http('GET', `${base}/auth/me`, { headers: { authorization: `Bearer ${rotated.accessToken}` } })).status, 200)

  const reuse = await http('POST', `${base}/auth/refresh`, { json: { refreshToken: first.refreshToken } })
  t.equal(reuse.status, 401)
  t.strictSame(reuse.json, { errorMessage: 'Refresh token was already used: the session is revoked, log in again', errorCode: '401' })
  const revoked = await http('POST', `${base}/auth/refresh`, { json: { refreshToken: rotated.refreshToken } })
  t.equal(revoked.status, 401, 'the descendant of the reused token is revoked too')

  const other = (await login('alice', 'correct horse battery')).json as Tokens
  t.equal(
    (await http('POST', `${base}/auth/refresh`, { json: { refreshToken: other.refreshToken } })).status,
    200,
    'other sessions are untouched',
  )

  const garbage = await http('POST', `${base}/auth/refresh`, { json: { refreshToken: 'not-a-token' } })
  t.strictSame(garbage.json, { errorMessage: 'Invalid refresh token', errorCode: '401' })
})

t.test('concurrent refreshes with one token: one wins, the family is revoked', async (t) => {
  const tokens = (await login('alice', 'correct horse battery')).json as Tokens
  const results = await Promise.all(
    [1, 2, 3].map(() => http('POST', `${base}/auth/refresh`, { json: { refreshToken: tokens.refreshToken } })),
  )
  t.ok(results.filter((res) => res.status === 401).length >= 2, 'at most one use succeeds')
})

t.test('logout ends the session', async (t) => {
  const tokens = (await login('alice', 'correct horse battery')).json as Tokens
  t.equal((await http('POST', `${base}/auth/logout`, { json: { refreshToken: tokens.refreshToken } })).status, 204)
  t.equal((await http('POST', `${base}/auth/refresh`, { json: { refreshToken: tokens.refreshToken } })).status, 401)
})

t.test('login is throttled per user and address: after 3 failures in a row even the right password waits', async (t) => {
  await http('POST', `${base}/auth/register`, { json: { username: 'bob', password: 'bob-password' } })
  const address = '203.0.113.20'
  for (let i = 0; i < 4; i += 1) t.equal((await login('bob', 'nope', address)).status, 401)
  const limited = await login('bob', 'bob-password', address)
  t.equal(limited.status, 429)
  t.match(limited.json, { errorMessage: /^Too many login attempts: try again in \d+ seconds$/, errorCode: '429' })
  t.ok(Number(limited.headers.get('retry-after')) > 0)
  t.equal((await login('alice', 'correct horse battery', address)).status, 200, 'other users from that address are not affected')
  t.equal((await login('bob', 'bob-password')).status, 200, 'bob from another address is not affected')

  // Unknown users are throttled the same way: the throttle does not reveal who exists.
  for (let i = 0; i < 4; i += 1) await login('ghost', 'nope', address)
  t.equal((await login('ghost', 'nope', address)).status, 429)
})

t.test('a success resets the count of failures in a row', async (t) => {
  await http('POST', `${base}/auth/register`, { json: { username: 'carol', password: 'carol-password' } })
  const address = '203.0.113.21'
  for (let round = 0; round < 3; round += 1) {
    for (let i = 0; i < 3; i += 1) t.equal((await login('carol', 'nope', address)).status, 401)
    t.equal((await login('carol', 'carol-password', address)).status, 200)
  }
})

t.test('login is rate-limited per address', async (t) => {
  const address = '203.0.113.7'
  for (let i = 0; i < 12; i += 1) t.equal((await login(`user-${i}`, 'nope', address)).status, 401)
  const limited = await login('alice', 'correct horse battery', address)
  t.equal(limited.status, 429)
  t.equal((await login('alice', 'correct horse battery', '203.0.113.8')).status, 200, 'another address is not affected')
})

t.test('bad access tokens are 401 in the contract form', async (t) => {
  const tokens = (await login('alice', 'correct horse battery')).json as Tokens
  const [header, payload, signature] = tokens.accessToken.split('.') as [string, string, string]
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['user', 'admin'] }),
  ).toString('base64url')
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`
  for (const [name, authorization] of [
    ['missing', undefined],
    ['tampered', `Bearer ${header}.${forged}.${signature}`],
    ['alg none', `Bearer ${none}`],
    ['garbage', 'Bearer abc.def.ghi'],
  ] as const) {
    const res = await http('GET', `${base}/auth/me`, { headers: authorization ? { authorization } : {} })
    t.equal(res.status, 401, name)
    t.match(res.json, { errorMessage: /^(Missing bearer token|Invalid token)$/, errorCode: '401' }, name)
  }
})

t.test('key rotation: only an admin; old tokens stay valid, new tokens use the new key', async (t) => {
  const user = (await login('alice', 'correct horse battery')).json as Tokens
  const forbidden = await http('POST', `${base}/auth/keys/rotate`, { headers: { authorization: `Bearer ${user.accessToken}` } })
  t.equal(forbidden.status, 403)
  t.strictSame(forbidden.json, { errorMessage: 'Forbidden: the admin role is required', errorCode: '403' })
  t.equal((await http('POST', `${base}/auth/keys/rotate`)).status, 401)

  const admin = (await login('admin', 'admin-test-password')).json as Tokens
  const oldKid = decodeProtectedHeader(admin.accessToken).kid
  const rotated = await http('POST', `${base}/auth/keys/rotate`, { headers: { authorization: `Bearer ${admin.accessToken}` } })
  t.equal(rotated.status, 200)
  const newKid = (rotated.json as { kid: string }).kid
  t.not(newKid, oldKid)

  const keys = await jwks()
  t.same(keys.keys.map((key) => key.kid).sort(), [oldKid, newKid].sort(), 'both keys are published')
  t.equal(
    (await http('GET', `${base}/auth/me`, { headers: { authorization: `Bearer ${user.accessToken}` } })).status,
    200,
    'a token of the old key still works',
  )
  const fresh = (await login('alice', 'correct horse battery')).json as Tokens
  t.equal(decodeProtectedHeader(fresh.accessToken).kid, newKid)
  await jwtVerify(fresh.accessToken, createLocalJWKSet(keys))
  await jwtVerify(user.accessToken, createLocalJWKSet(keys))
})

t.test('health, metrics and OpenAPI', async (t) => {
  const ready = await http('GET', `${base}/health/ready`)
  t.match(ready.json, { status: 'UP', components: { db: { status: 'UP' } } })
  const doc = (await http('GET', `${base}/docs/json`)).json as { paths: Record<string, unknown> }
  for (const path of ['/auth/register', '/auth/login', '/auth/refresh', '/auth/keys/rotate', '/.well-known/jwks.json'])
    t.ok(doc.paths[path], path)
})
