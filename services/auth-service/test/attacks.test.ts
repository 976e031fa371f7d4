import { currentSigningKey, forgedTokens, http, startTestDatabase, type HttpResult } from '@soundline/dev-stack/testing'
import t, { type Test } from 'tap'
import { startAuthService } from './helpers.js'

// The Auth Service under attack, straight at its port (the gateway's side: services/gateway/test/attacks.test.ts).
// docs/security.md lists each defence and the test here that proves it.
const database = await startTestDatabase()
t.teardown(() => database.stop())
const { app, base } = await startAuthService(database.url, {
  LOGIN_FREE_FAILURES: '2',
  LOGIN_BACKOFF_BASE_SECONDS: '1',
  LOGIN_BACKOFF_MAX_SECONDS: '4',
  LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '25',
})
t.teardown(() => app.close())

const ADMIN_PASSWORD = 'admin-test-password'
const login = (username: string, password: string, address: string) =>
  http('POST', `${base}/auth/login`, { json: { username, password }, headers: { 'x-forwarded-for': address } })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function isTooMany(t: Test, res: HttpResult, message: string): void {
  t.equal(res.status, 429, message)
  t.match(res.json, { errorMessage: /^Too many login attempts: try again in \d+ seconds$/, errorCode: '429' }, message)
  t.ok(Number(res.headers.get('retry-after')) >= 1, `${message}: Retry-After`)
}

t.test('control characters in any auth string field: 400 naming the field, never a 500', async (t) => {
  const bodies: [string, string, Record<string, unknown>, string][] = [
    [
      '/auth/login',
      'username',
      { username: 'adm\u0000in', password: 'x' },
      'Username must be a string of at most 256 characters, without control characters',
    ],
    [
      '/auth/login',
      'password',
      { username: 'admin', password: 'pass\u0000word' },
      'Password must be a string of at most 1024 characters, without control characters',
    ],
    [
      '/auth/login',
      'username',
      { username: 'admin\n', password: 'x' },
      'Username must be a string of at most 256 characters, without control characters',
    ],
    [
      '/auth/login',
      'password',
      { username: 'admin', password: '\u007f' },
      'Password must be a string of at most 1024 characters, without control characters',
    ],
    [
      '/auth/login',
      'password',
      { username: 'admin', password: 'a\u009bb' },
      'Password must be a string of at most 1024 characters, without control characters',
    ],
    [
      '/auth/register',
      'password',
      { username: 'mallory', password: 'long enough\u0000' },
      'Password must be between 8 and 128 characters, without control characters',
    ],
    [
      '/auth/refresh',
      'refreshToken',
      { refreshToken: 'abc\u0000' },
      'Refresh token must be a non-empty string of at most 512 characters, without control characters',
    ],
    [
      '/auth/logout',
      'refreshToken',
      { refreshToken: '\u0001' },
      'Refresh token must be a non-empty string of at most 512 characters, without control characters',
    ],
  ]
  for (const [path, field, json, message] of bodies) {
    const res = await http('POST', `${base}${path}`, { json, headers: { 'x-forwarded-for': '192.0.2.200' } })
    t.equal(res.status, 400, `${path} ${field}`)
    t.strictSame(res.json, { errorMessage: 'Validation error', details: { [field]: message }, errorCode: '400' }, `${path} ${field}`)
  }
  const both = await http('POST', `${base}/auth/login`, { json: { username: '\u0000', password: '\u0000' } })
  t.strictSame(Object.keys((both.json as { details: object }).details).sort(), ['password', 'username'], 'both fields named')
  t.equal((await login('admin', ADMIN_PASSWORD, '192.0.2.200')).status, 200, 'printable Unicode still logs in')
})

t.test('forged access tokens: 401 in the contract form at /auth/me, never a 500', async (t) => {
  const valid = (await login('admin', ADMIN_PASSWORD, '192.0.2.201')).json as { accessToken: string }
  const real = await currentSigningKey(database.url)
  for (const [name, authorization, message] of await forgedTokens(valid.accessToken, real)) {
    const res = await http('GET', `${base}/auth/me`, { headers: { authorization } })
    t.equal(res.status, 401, name)
    t.strictSame(res.json, { errorMessage: message, errorCode: '401' }, name)
    t.equal(res.headers.get('content-type'), 'application/json', name)
  }
  const missing = await http('GET', `${base}/auth/me`)
  t.strictSame(missing.json, { errorMessage: 'Missing bearer token', errorCode: '401' })
  t.equal((await http('GET', `${base}/auth/me`, { headers: { authorization: `Bearer ${valid.accessToken}` } })).status, 200)
})

t.test('refresh-token reuse revokes the whole family', async (t) => {
  const first = (await login('admin', ADMIN_PASSWORD, '192.0.2.202')).json as { refreshToken: string }
  const second = (await http('POST', `${base}/auth/refresh`, { json: { refreshToken: first.refreshToken } })).json as {
    refreshToken: string
  }
  const stolen = await http('POST', `${base}/auth/refresh`, { json: { refreshToken: first.refreshToken } })
  t.equal(stolen.status, 401)
  t.strictSame(stolen.json, { errorMessage: 'Refresh token was already used: the session is revoked, log in again', errorCode: '401' })
  const heir = await http('POST', `${base}/auth/refresh`, { json: { refreshToken: second.refreshToken } })
  t.strictSame(heir.json, { errorMessage: 'Invalid refresh token', errorCode: '401' }, 'the legitimate heir is revoked too')
})

t.test('an attacker on another address cannot lock out the owner, admin included', async (t) => {
  await http('POST', `${base}/auth/register`, { json: { username: 'olivia', password: 'olivia-password' } })
  for (const [username, password] of [
    ['admin', ADMIN_PASSWORD],
    ['olivia', 'olivia-password'],
  ] as const) {
    const statuses: number[] = []
    for (let i = 0; i < 10; i += 1) statuses.push((await login(username, 'guess', '203.0.113.66')).status)
    t.strictSame(statuses.slice(0, 3), [401, 401, 401], `${username}: the first failures are answered`)
    t.ok(
      statuses.slice(3).every((status) => status === 429),
      `${username}: then the attacker waits`,
    )
    t.equal((await login(username, password, '198.51.100.10')).status, 200, `${username}: the owner, elsewhere, logs in at once`)
  }
})

t.test('failures per (user, address) earn growing waits; a success forgets them', async (t) => {
  await http('POST', `${base}/auth/register`, { json: { username: 'paul', password: 'paul-password' } })
  const address = '203.0.113.67'
  t.equal((await login('paul', 'nope', address)).status, 401)
  t.equal((await login('paul', 'nope', address)).status, 401, 'two failures are free')
  t.equal((await login('paul', 'nope', address)).status, 401, 'the third is answered, and earns a wait')
  const first = await login('paul', 'paul-password', address)
  isTooMany(t, first, 'even the right password waits')
  t.equal(first.headers.get('retry-after'), '1')
  t.equal((await login('nobody-at-all', 'nope', address)).status, 401, 'another username from the same address is not delayed')

  await sleep(1100)
  t.equal((await login('paul', 'nope', address)).status, 401, 'after the wait, one more try')
  const second = await login('paul', 'nope', address)
  isTooMany(t, second, 'the next wait is longer')
  t.equal(second.headers.get('retry-after'), '2', 'doubled')

  await sleep(2100)
  t.equal((await login('paul', 'paul-password', address)).status, 200, 'the owner gets in after the wait')
  for (let i = 0; i < 2; i += 1) t.equal((await login('paul', 'nope', address)).status, 401, 'the count started over')
})

t.test('unknown users are throttled exactly like real ones', async (t) => {
  for (const [username, address] of [
    ['ghost', '203.0.113.69'],
    ['admin', '203.0.113.70'],
  ] as const) {
    const statuses: number[] = []
    for (let i = 0; i < 4; i += 1) statuses.push((await login(username, 'nope', address)).status)
    t.strictSame(statuses, [401, 401, 401, 429], username)
  }
})

t.test('the per-address budget holds whatever the usernames; X-Forwarded-For is believed one hop deep', async (t) => {
  const address = '203.0.113.80'
  for (let i = 0; i < 25; i += 1) t.equal((await login(`user-${i}`, 'nope', address)).status, 401)
  isTooMany(t, await login('admin', ADMIN_PASSWORD, address), 'the budget is spent')
  // From the trusted gateway (loopback) only the right-most entry counts: nothing a client wrote to its left.
  isTooMany(t, await login('admin', ADMIN_PASSWORD, `198.51.100.77, ${address}`), 'a prefix does not change the address')
  t.equal((await login('admin', ADMIN_PASSWORD, '203.0.113.81')).status, 200, 'another address has its own budget')
})

t.test('a client right of a trusted hop cannot hide behind it', async (t) => {
  // Spend the loopback's own budget, then claim to be a proxy in front of it.
  const statuses: number[] = []
  for (let i = 0; i < 30; i += 1) statuses.push((await login(`loop-${i}`, 'nope', '127.0.0.1')).status)
  t.ok(statuses.includes(429), 'the loopback budget is spent')
  isTooMany(t, await login('admin', ADMIN_PASSWORD, '203.0.113.77, 127.0.0.1'), 'the right-most entry is the client, even when trusted')
})
