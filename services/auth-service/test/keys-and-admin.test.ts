import { http, startTestDatabase } from '@soundline/dev-stack/testing'
import pg from 'pg'
import t from 'tap'
import { KeySealer } from '../src/domain/key-crypto.js'
import { KeyRing } from '../src/domain/key-ring.js'
import { prismaSigningKeyStore } from '../src/plugins/app/stores.js'
import { startAuthService } from './helpers.js'

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

/** Captures what the service prints with console.error (the generated password goes there, once). */
async function capturePrinted<T>(run: () => Promise<T>): Promise<{ result: T; printed: string[] }> {
  const printed: string[] = []
  const original = console.error
  console.error = (...args: unknown[]) => void printed.push(args.join(' '))
  try {
    return { result: await run(), printed }
  } finally {
    console.error = original
  }
}

t.test('development without ADMIN_PASSWORD: a generated password, printed once', async (t) => {
  const database = await startTestDatabase()
  t.teardown(() => database.stop())
  const first = await capturePrinted(() => startAuthService(database.url, { ADMIN_PASSWORD: '' }))
  const line = first.printed.find((text) => text.includes('first admin'))
  const password = /generated password (\S+) /.exec(line ?? '')?.[1]
  t.ok(password, 'the password is printed')
  t.ok((password ?? '').length >= 20, 'and long')
  const login = await http('POST', `${first.result.base}/auth/login`, { json: { username: 'admin', password } })
  t.equal(login.status, 200)
  const me = await http('GET', `${first.result.base}/auth/me`, {
    headers: { authorization: `Bearer ${(login.json as { accessToken: string }).accessToken}` },
  })
  t.match(me.json, { username: 'admin', roles: ['user', 'admin'] })
  await first.result.app.close()

  const second = await capturePrinted(() => startAuthService(database.url, { ADMIN_PASSWORD: '' }))
  t.notOk(
    second.printed.some((text) => text.includes('first admin')),
    'not printed again on restart',
  )
  await second.result.app.close()
})

t.test('production without ADMIN_PASSWORD creates no admin; with it, the admin is created', async (t) => {
  const database = await startTestDatabase()
  t.teardown(() => database.stop())
  const none = await capturePrinted(() => startAuthService(database.url, { ADMIN_PASSWORD: '', NODE_ENV: 'production' }))
  t.strictSame(none.printed, [])
  t.strictSame(await query(database.url, `SELECT id FROM users WHERE role = 'admin'`), [])
  await none.result.app.close()

  const { app, base } = await startAuthService(database.url, { ADMIN_PASSWORD: 'from-a-secret-1', NODE_ENV: 'production' })
  t.teardown(() => app.close())
  t.equal((await http('POST', `${base}/auth/login`, { json: { username: 'admin', password: 'from-a-secret-1' } })).status, 200)
})

t.test('with SIGNING_KEY_SECRET the private key is stored encrypted, and works across restarts', async (t) => {
  const database = await startTestDatabase()
  t.teardown(() => database.stop())
  const env = { SIGNING_KEY_SECRET: 'a long random secret from a Secret' }
  const first = await startAuthService(database.url, env)
  const [row] = await query<{ private_key: string }>(database.url, 'SELECT private_key FROM signing_keys')
  t.match(row?.private_key, /^aes-256-gcm:/)
  t.notMatch(row?.private_key, /PRIVATE KEY/)
  const token = (
    (await http('POST', `${first.base}/auth/login`, { json: { username: 'admin', password: 'admin-test-password' } })).json as {
      accessToken: string
    }
  ).accessToken
  await first.app.close()

  const second = await startAuthService(database.url, env)
  t.teardown(() => second.app.close())
  t.equal((await http('GET', `${second.base}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
  t.equal(
    (await http('POST', `${second.base}/auth/login`, { json: { username: 'admin', password: 'admin-test-password' } })).status,
    200,
    'signs with the decrypted key',
  )

  await t.rejects(
    startAuthService(database.url, { SIGNING_KEY_SECRET: 'the wrong secret' }),
    /cannot be decrypted/,
    'a wrong secret stops the start',
  )
})

t.test('key ring: retired keys stay published until their tokens expired, then go; replicas converge', async (t) => {
  const database = await startTestDatabase()
  t.teardown(() => database.stop())
  // The schema comes from a service start.
  const { app } = await startAuthService(database.url)
  t.teardown(() => app.close())
  const store = prismaSigningKeyStore(app.authDatabase)
  let now = Date.now()
  const clock = () => new Date(now)
  const settings = { accessTokenTtlSeconds: 900, refreshSeconds: 30, maxAgeHours: 24 }
  const replicaA = new KeyRing(store, new KeySealer(undefined), settings, clock)
  const replicaB = new KeyRing(store, new KeySealer(undefined), settings, clock)
  await replicaA.start()
  await replicaB.start()
  const initial = (await replicaA.signingKey()).kid

  now += 60_000
  const rotated = await replicaA.rotate()
  t.not(rotated, initial)
  t.same((await replicaA.publishedKeys()).map((key) => key.kid).sort(), [initial, rotated].sort())
  t.equal((await replicaB.signingKey()).kid, rotated, 'the other replica signs with the new key after its refresh period')

  const [old] = await query<{ private_key: string | null }>(database.url, `SELECT private_key FROM signing_keys WHERE kid = '${initial}'`)
  t.equal(old?.private_key, null, 'a retired key loses its private half at once')

  now += 900_000 + 60_000 + 1_000
  t.same(
    (await replicaA.publishedKeys()).map((key) => key.kid),
    [rotated],
    'gone once every token it signed has expired',
  )

  now += 25 * 3_600_000
  const scheduled = (await replicaB.signingKey()).kid
  t.not(scheduled, rotated, 'a key older than SIGNING_KEY_MAX_AGE_HOURS is rotated on use')
})

t.test('a bad configuration names the variable', async (t) => {
  const { loadAuthServiceConfig } = await import('../src/config.js')
  t.throws(() => loadAuthServiceConfig({ PASSWORD_SCRYPT_COST: '3000' }), /PASSWORD_SCRYPT_COST: must be a power of two/)
  t.throws(() => loadAuthServiceConfig({ ACCESS_TOKEN_TTL_SECONDS: 'soon' }), /ACCESS_TOKEN_TTL_SECONDS/)
})
