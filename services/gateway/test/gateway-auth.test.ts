import { currentSigningKey, http, mint, strangerKey } from '@soundline/dev-stack/testing'
import { decodeProtectedHeader } from 'jose'
import { createHmac, createPublicKey } from 'node:crypto'
import t from 'tap'
import { bearer, gatewayWithUsers, userTokens } from './tokens.js'
import { portOf, startAuthService, startGateway } from './upstreams.js'

const { upstreams, base, alice, admin } = await gatewayWithUsers(t.teardown.bind(t))
const queen = { id: 1, name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }

t.test('/auth is routed to the Auth Service without a token', async (t) => {
  const res = await http('GET', `${base}/auth/me`, { headers: bearer(alice.accessToken) })
  t.equal(res.status, 200)
  t.match(res.json, { username: 'alice', roles: ['user'] })
  const refresh = await http('POST', `${base}/auth/refresh`, {
    json: { refreshToken: alice.refreshToken },
    headers: { authorization: 'Bearer expired.or.whatever' },
  })
  t.equal(refresh.status, 200, 'a stale access token does not block a refresh')
})

t.test('reads of songs need a user, writes an admin', async (t) => {
  const anonymous = await http('GET', `${base}/songs/1`)
  t.equal(anonymous.status, 401)
  t.strictSame(anonymous.json, { errorMessage: 'Missing bearer token', errorCode: '401' })
  t.equal(anonymous.headers.get('content-type'), 'application/json')
  t.match(anonymous.headers.get('www-authenticate'), /^Bearer /)

  const created = await http('POST', `${base}/songs`, { json: queen, headers: bearer(admin.accessToken) })
  t.equal(created.status, 200)
  t.strictSame(created.json, { id: 1 })
  const read = await http('GET', `${base}/songs/1`, { headers: bearer(alice.accessToken) })
  t.equal(read.status, 200)
  t.strictSame(read.json, queen)
  t.equal(read.headers.get('content-type'), 'application/json')
})

t.test('a plain user gets 403 on writes to /storages; an admin may write', async (t) => {
  const storage = { storageType: 'PERMANENT', bucket: 'gateway-archive', path: '/files' }
  const asUser = await http('POST', `${base}/storages`, { json: storage, headers: bearer(alice.accessToken) })
  t.equal(asUser.status, 403)
  t.strictSame(asUser.json, { errorMessage: 'Forbidden: the admin role is required', errorCode: '403' })
  t.equal((await http('DELETE', `${base}/storages?id=1`, { headers: bearer(alice.accessToken) })).status, 403)
  t.equal((await http('GET', `${base}/storages`, { headers: bearer(alice.accessToken) })).status, 200, 'a user may read')

  const asAdmin = await http('POST', `${base}/storages`, { json: storage, headers: bearer(admin.accessToken) })
  t.equal(asAdmin.status, 200)
  t.strictSame(asAdmin.json, { id: 3 })
})

t.test('every bad token is a 401 in the contract form, never a 500', async (t) => {
  const real = await currentSigningKey(upstreams.databases.auth.url)
  const [header = '', payload = '', signature = ''] = alice.accessToken.split('.')
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const publicPem = createPublicKey(real.key).export({ format: 'pem', type: 'spki' }).toString()
  const hsHeader = encode({ alg: 'HS256', kid: real.kid })
  const hsSignature = createHmac('sha256', publicPem).update(`${hsHeader}.${payload}`).digest('base64url')

  const cases: [string, string, string][] = [
    ['expired', `Bearer ${await mint({ ...real, expiresAt: Math.floor(Date.now() / 1000) - 60 })}`, 'Token expired'],
    ['tampered payload', `Bearer ${header}.${encode({ ...claims, roles: ['user', 'admin'] })}.${signature}`, 'Invalid token'],
    ['alg none', `Bearer ${encode({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'Invalid token'],
    ['signed by another key with the same kid', `Bearer ${await mint({ kid: real.kid, key: strangerKey() })}`, 'Invalid token'],
    ['signed by an unknown key', `Bearer ${await mint({ kid: 'unknown-kid', key: strangerKey() })}`, 'Invalid token'],
    ['HS256 with the public key as secret', `Bearer ${hsHeader}.${payload}.${hsSignature}`, 'Invalid token'],
    ['wrong issuer', `Bearer ${await mint({ ...real, issuer: 'someone-else' })}`, 'Invalid token'],
    ['wrong audience', `Bearer ${await mint({ ...real, audience: 'other-app' })}`, 'Invalid token'],
    ['garbage', 'Bearer not-a-jwt', 'Invalid token'],
    ['not a bearer scheme', `Basic ${Buffer.from('a:b').toString('base64')}`, 'Invalid token'],
    ['empty bearer', 'Bearer ', 'Invalid token'],
  ]
  for (const [name, authorization, message] of cases) {
    const res = await http('GET', `${base}/songs/1`, { headers: { authorization } })
    t.equal(res.status, 401, name)
    t.strictSame(res.json, { errorMessage: message, errorCode: '401' }, name)
  }
  t.equal(
    (await http('GET', `${base}/songs/1`, { headers: { authorization: `Bearer ${await mint(real)}` } })).status,
    200,
    'a good token of that key passes',
  )
})

t.test('identity goes to the services in headers; client-sent identity headers are dropped', async (t) => {
  const res = await http('GET', `${base}/resources/echo`, {
    headers: {
      ...bearer(alice.accessToken),
      'x-user-id': '1',
      'x-user-roles': 'admin',
      'X-User-Impersonate': 'admin',
      'x-request-id': 'trace-me.1',
    },
  })
  t.equal(res.status, 200)
  const headers = (res.json as { headers: Record<string, string> }).headers
  t.equal(headers['x-user-id'], '2')
  t.equal(headers['x-user-name'], 'alice')
  t.equal(headers['x-user-roles'], 'user')
  t.notOk('x-user-impersonate' in headers)
  t.equal(headers['x-request-id'], 'trace-me.1')
  t.equal(res.headers.get('x-request-id'), 'trace-me.1')
  t.match(headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'a traceparent is generated')

  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const traced = await http('GET', `${base}/resources/echo`, {
    headers: { ...bearer(alice.accessToken), traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  })
  const forwarded = (traced.json as { headers: Record<string, string> }).headers.traceparent ?? ''
  t.match(forwarded, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'the trace id is kept')
  t.not(forwarded.split('-')[2], '00f067aa0ba902b7', 'the gateway is the new parent')
})

t.test('rate limiting per user', async (t) => {
  const limited = await startGateway(upstreams, { RATE_LIMIT_MAX: '3' })
  t.teardown(() => limited.stop())
  const bob = await userTokens(limited.base, 'bob')
  for (let i = 0; i < 3; i += 1) t.equal((await http('GET', `${limited.base}/songs/1`, { headers: bearer(bob.accessToken) })).status, 200)
  const refused = await http('GET', `${limited.base}/songs/1`, { headers: bearer(bob.accessToken) })
  t.equal(refused.status, 429)
  t.match(refused.json, { errorMessage: /^Too many requests: try again in \d+ seconds$/, errorCode: '429' })
  t.ok(Number(refused.headers.get('retry-after')) >= 1)
  t.equal((await http('GET', `${limited.base}/songs/1`, { headers: bearer(alice.accessToken) })).status, 200, 'another user is not limited')
})

t.test('authentication can be switched off', async (t) => {
  const open = await startGateway(upstreams, { AUTH_ENABLED: 'false' })
  t.teardown(() => open.stop())
  t.equal((await http('GET', `${open.base}/songs/1`)).status, 200)
  const echo = await http('GET', `${open.base}/resources/echo`, { headers: { 'x-user-roles': 'admin' } })
  t.notOk('x-user-roles' in (echo.json as { headers: Record<string, string> }).headers, 'identity headers are still stripped')
})

t.test('a rotated key is picked up; with the Auth Service down, valid tokens keep working', async (t) => {
  const rotated = await http('POST', `${base}/auth/keys/rotate`, { headers: bearer(admin.accessToken) })
  t.equal(rotated.status, 200)
  const fresh = await userTokens(base, 'carol')
  t.equal(decodeProtectedHeader(fresh.accessToken).kid, (rotated.json as { kid: string }).kid)
  t.equal(
    (await http('GET', `${base}/songs/1`, { headers: bearer(fresh.accessToken) })).status,
    200,
    'new kid: the gateway refetched the JWKS',
  )

  const authPort = portOf(upstreams.auth.base)
  await upstreams.auth.stop()
  t.equal(
    (await http('POST', `${base}/auth/login`, { json: { username: 'carol', password: 'carol-password' } })).status,
    503,
    'logins need the Auth Service',
  )
  for (const token of [alice.accessToken, fresh.accessToken]) {
    t.equal((await http('GET', `${base}/songs/1`, { headers: bearer(token) })).status, 200, 'an issued token still works')
  }
  t.equal(
    (await http('GET', `${base}/songs/1`, { headers: bearer(await mint({ kid: 'unknown', key: strangerKey() })) })).status,
    401,
    'forgeries are still refused',
  )

  t.match(
    (await http('GET', `${base}/health/ready`)).json,
    { components: { jwks: { status: 'DEGRADED', details: { loaded: true } } } },
    'keys kept, refresh failing',
  )

  // Back on the same port: the next unknown kid refreshes the keys and the gateway is healthy again.
  upstreams.auth = await startAuthService(upstreams.databases.auth, authPort)
  t.equal((await http('GET', `${base}/songs/1`, { headers: bearer(await mint({ kid: 'unknown-2', key: strangerKey() })) })).status, 401)
})

t.test('health lists circuits, jwks and cache', async (t) => {
  const ready = await http('GET', `${base}/health/ready`)
  t.equal(ready.status, 200)
  t.match(ready.json, {
    components: { circuits: { status: 'UP' }, jwks: { status: 'UP' }, cache: { status: 'UP', details: { kind: 'memory' } } },
  })
  t.equal((await http('GET', `${base}/docs/json`)).status, 200)
  t.equal((await http('GET', `${base}/nope`)).status, 404)
})
