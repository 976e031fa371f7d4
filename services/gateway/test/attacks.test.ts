import { currentSigningKey, forgedTokens, http } from '@soundline/dev-stack/testing'
import t from 'tap'
import { bearer, gatewayWithUsers } from './tokens.js'
import { startGateway } from './upstreams.js'

// The gateway under attack: every case gets its exact status and the contract's error body, never a 500.
// docs/security.md lists each defence and the test here that proves it.
const LOGIN_BUDGET = 8
// Two of the login budget of 127.0.0.1 (alice registers and logs in, the admin logs in).
const { upstreams, base, alice, admin } = await gatewayWithUsers(t.teardown.bind(t), {
  authEnv: { LOGIN_MAX_ATTEMPTS_PER_ADDRESS: String(LOGIN_BUDGET) },
})
const queen = { id: 7, name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }
const echoed = async (gatewayBase: string, headers: Record<string, string>) =>
  (
    (await http('GET', `${gatewayBase}/resources/echo`, { headers: { ...bearer(alice.accessToken), ...headers } })).json as {
      headers: Record<string, string | undefined>
    }
  ).headers

t.test('forged access tokens: 401 at a guarded route and at /auth/me behind the gateway', async (t) => {
  const real = await currentSigningKey(upstreams.databases.auth.url)
  for (const [name, authorization, message] of await forgedTokens(alice.accessToken, real)) {
    for (const path of ['/songs/1', '/auth/me']) {
      const res = await http('GET', `${base}${path}`, { headers: { authorization } })
      t.equal(res.status, 401, `${path}: ${name}`)
      t.strictSame(res.json, { errorMessage: message, errorCode: '401' }, `${path}: ${name}`)
    }
  }
  t.equal((await http('GET', `${base}/storages`, { headers: bearer(alice.accessToken) })).status, 200, 'the real token passes')
})

t.test('song metadata is written by admins only: a plain user gets 403 on POST and DELETE /songs', async (t) => {
  const post = await http('POST', `${base}/songs`, { json: queen, headers: bearer(alice.accessToken) })
  t.equal(post.status, 403)
  t.strictSame(post.json, { errorMessage: 'Forbidden: the admin role is required', errorCode: '403' })
  t.equal(post.headers.get('content-type'), 'application/json')
  const remove = await http('DELETE', `${base}/songs?id=7`, { headers: bearer(alice.accessToken) })
  t.equal(remove.status, 403)
  t.strictSame(remove.json, { errorMessage: 'Forbidden: the admin role is required', errorCode: '403' })
  for (const method of ['PUT', 'PATCH'])
    t.equal((await http(method, `${base}/songs/7`, { headers: bearer(alice.accessToken) })).status, 403, method)

  t.equal((await http('POST', `${base}/songs`, { json: queen, headers: bearer(admin.accessToken) })).status, 200, 'an admin writes')
  const read = await http('GET', `${base}/songs/7`, { headers: bearer(alice.accessToken) })
  t.equal(read.status, 200, 'a user reads')
  t.strictSame(read.json, queen)
})

t.test('client-sent identity headers are stripped: they grant nothing and never reach a service', async (t) => {
  const spoofed = { 'x-user-id': '1', 'x-user-name': 'admin', 'x-user-roles': 'user,admin', 'X-User-Admin': 'true' }
  const asUser = await http('POST', `${base}/songs`, { json: { ...queen, id: 8 }, headers: { ...bearer(alice.accessToken), ...spoofed } })
  t.equal(asUser.status, 403, 'the token decides, not the headers')
  const anonymous = await http('GET', `${base}/songs/7`, { headers: spoofed })
  t.strictSame(anonymous.json, { errorMessage: 'Missing bearer token', errorCode: '401' })
  const seen = await echoed(base, spoofed)
  t.equal(seen['x-user-id'], '2')
  t.equal(seen['x-user-name'], 'alice')
  t.equal(seen['x-user-roles'], 'user')
  t.notOk('x-user-admin' in seen)
})

t.test('client-sent forwarding headers are replaced at the edge', async (t) => {
  const spoofed = {
    'x-forwarded-for': '203.0.113.77, 10.0.0.1',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    forwarded: 'for=203.0.113.77;proto=https',
    'x-real-ip': '203.0.113.77',
  }
  const seen = await echoed(base, spoofed)
  t.equal(seen['x-forwarded-for'], '127.0.0.1', 'only the real peer')
  t.equal(seen['x-forwarded-host'], new URL(base).host)
  t.equal(seen['x-forwarded-proto'], 'http')
  for (const name of ['x-forwarded-port', 'forwarded', 'x-real-ip']) t.notOk(name in seen, `${name} dropped`)

  // Behind a trusted proxy (an ingress) its headers are believed; the right-most entry is the client.
  const behindIngress = await startGateway(upstreams, { TRUSTED_PROXIES: '127.0.0.1' })
  t.teardown(() => behindIngress.stop())
  const relayed = await echoed(behindIngress.base, { 'x-forwarded-for': '198.51.100.1, 203.0.113.5', 'x-forwarded-proto': 'https' })
  t.equal(relayed['x-forwarded-for'], '198.51.100.1, 203.0.113.5')
  t.equal(relayed['x-forwarded-proto'], 'https')
})

t.test("the gateway's own limit per address ignores forwarding headers", async (t) => {
  const limited = await startGateway(upstreams, { RATE_LIMIT_MAX: '3' })
  t.teardown(() => limited.stop())
  const statuses: number[] = []
  for (let i = 0; i < 5; i += 1) {
    const res = await http('POST', `${limited.base}/auth/logout`, {
      json: { refreshToken: 'x' },
      headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
    })
    statuses.push(res.status)
  }
  t.strictSame(statuses, [204, 204, 204, 429, 429])
  // The refusal in the contract's form, with Retry-After and no other rate-limit header (docs/contract.md).
  const refused = await http('POST', `${limited.base}/auth/logout`, { json: { refreshToken: 'x' } })
  t.equal(refused.status, 429)
  t.match(refused.json, { errorMessage: /^Too many requests: try again in \d+ seconds$/, errorCode: '429' })
  t.ok(Number(refused.headers.get('retry-after')) >= 1)
  t.notOk(refused.headers.has('x-ratelimit-limit'), 'no X-RateLimit-* headers')
})

t.test('refresh-token reuse through the gateway revokes the family', async (t) => {
  const second = await http('POST', `${base}/auth/refresh`, { json: { refreshToken: admin.refreshToken } })
  t.equal(second.status, 200)
  const replay = await http('POST', `${base}/auth/refresh`, { json: { refreshToken: admin.refreshToken } })
  t.equal(replay.status, 401)
  t.strictSame(replay.json, { errorMessage: 'Refresh token was already used: the session is revoked, log in again', errorCode: '401' })
  const heir = await http('POST', `${base}/auth/refresh`, {
    json: { refreshToken: (second.json as { refreshToken: string }).refreshToken },
  })
  t.strictSame(heir.json, { errorMessage: 'Invalid refresh token', errorCode: '401' })
})

t.test('a NUL byte in the login body is a 400 naming the field', async (t) => {
  const res = await http('POST', `${base}/auth/login`, { json: { username: 'admin', password: 'x\u0000' } })
  t.equal(res.status, 400)
  t.strictSame(res.json, {
    errorMessage: 'Validation error',
    details: { password: 'Password must be a string of at most 1024 characters, without control characters' },
    errorCode: '400',
  })
})

// Last: it spends the login budget of 127.0.0.1.
t.test('a spoofed X-Forwarded-For does not escape the per-address login limit', async (t) => {
  const statuses: number[] = []
  for (let i = 0; i < LOGIN_BUDGET; i += 1) {
    statuses.push((await http('POST', `${base}/auth/login`, { json: { username: `guess-${i}`, password: 'nope' } })).status)
  }
  t.equal(statuses.at(-1), 429, 'the budget of 127.0.0.1 is spent')
  for (const forwarded of ['203.0.113.77', '203.0.113.78, 127.0.0.1', 'not-an-address']) {
    const res = await http('POST', `${base}/auth/login`, {
      json: { username: 'admin', password: 'gateway-test-admin' },
      headers: { 'x-forwarded-for': forwarded },
    })
    t.equal(res.status, 429, `X-Forwarded-For: ${forwarded}`)
    t.match(res.json, { errorMessage: /^Too many login attempts: try again in \d+ seconds$/, errorCode: '429' })
  }
})
