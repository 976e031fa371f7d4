import { HeadBucketCommand } from '@aws-sdk/client-s3'
import { createLogger } from '@soundline/platform'
import { http, listenOnFreePort, startTestDatabase, startTestS3, testS3Client, validationError } from '@soundline/dev-stack/testing'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadStorageServiceConfig } from '../src/config.js'

const s3Server = await startTestS3()
t.teardown(() => s3Server.stop())
const s3 = testS3Client(s3Server.endpoint)
t.teardown(() => s3.destroy())

async function startStorageService(databaseUrl: string) {
  const config = loadStorageServiceConfig({ DATABASE_URL: databaseUrl, S3_ENDPOINT: s3Server.endpoint, LOG_LEVEL: 'silent' })
  const app = await buildApp(config, createLogger({ service: 'storage-service', level: 'silent' }))
  const base = await listenOnFreePort(app)
  return { app, base }
}

async function bucketExists(bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }))
    return true
  } catch {
    return false
  }
}

const database = await startTestDatabase()
t.teardown(() => database.stop())
const { app, base } = await startStorageService(database.url)
t.teardown(() => app.close())

const BUCKET_MESSAGE =
  "Bucket must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit, no '..', not an IP address, no prefix or suffix that S3 reserves"
const PATH_MESSAGE =
  "Path must be '/' or '/'-separated segments of letters, digits and . _ ~ - (none empty, '.' or '..'), at most 512 characters"

const defaults = [
  { id: 1, storageType: 'STAGING', bucket: 'resources-staging', path: '/staging' },
  { id: 2, storageType: 'PERMANENT', bucket: 'resources-permanent', path: '/permanent' },
]

t.test('defaults exist after start, with their buckets', async (t) => {
  const res = await http('GET', `${base}/storages`)
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'application/json')
  t.strictSame(res.json, defaults)
  t.ok(await bucketExists('resources-staging'), 'staging bucket exists')
  t.ok(await bucketExists('resources-permanent'), 'permanent bucket exists')
})

t.test('POST creates the storage and its bucket; lists are ordered by id and filterable', async (t) => {
  const res = await http('POST', `${base}/storages`, { json: { storageType: 'PERMANENT', bucket: 'archive.2026-b', path: '/files' } })
  t.equal(res.status, 200)
  t.strictSame(res.json, { id: 3 })
  t.ok(await bucketExists('archive.2026-b'), 'bucket created')

  const permanent = await http('GET', `${base}/storages?type=PERMANENT`)
  t.strictSame(permanent.json, [defaults[1], { id: 3, storageType: 'PERMANENT', bucket: 'archive.2026-b', path: '/files' }])
  const staging = await http('GET', `${base}/storages?type=STAGING`)
  t.strictSame(staging.json, [defaults[0]])
})

t.test('validation messages', async (t) => {
  const missing = await http('POST', `${base}/storages`, { json: {} })
  t.equal(missing.status, 400)
  t.strictSame(
    missing.json,
    validationError({ storageType: 'Storage type is required', bucket: 'Bucket is required', path: 'Path is required' }),
  )
  const invalid = await http('POST', `${base}/storages`, { json: { storageType: 'COLD', bucket: 'Bad_Bucket', path: 'files' } })
  t.equal(invalid.status, 400)
  t.strictSame(
    invalid.json,
    validationError({
      storageType: 'Storage type must be STAGING or PERMANENT',
      bucket: BUCKET_MESSAGE,
      path: PATH_MESSAGE,
    }),
  )
  for (const bucket of ['ab', 'a'.repeat(64), '-abc', 'abc-', 'a..b', '192.168.1.1', 'UPPER', 42]) {
    const res = await http('POST', `${base}/storages`, { json: { storageType: 'STAGING', bucket, path: '/x' } })
    t.equal(res.status, 400, `bucket ${String(bucket)} is refused`)
    t.strictSame(Object.keys((res.json as { details: object }).details), ['bucket'])
  }
  const badType = await http('GET', `${base}/storages?type=staging`)
  t.equal(badType.status, 400)
  t.strictSame(badType.json, validationError({ type: 'Storage type must be STAGING or PERMANENT' }))
  t.equal(((await http('GET', `${base}/storages`)).json as unknown[]).length, 3, 'nothing was stored')
})

t.test('DELETE by CSV', async (t) => {
  const res = await http('DELETE', `${base}/storages?id=3,99`)
  t.equal(res.status, 200)
  t.strictSame(res.json, { ids: [3] })
  t.strictSame((await http('GET', `${base}/storages`)).json, defaults)
  const bad = await http('DELETE', `${base}/storages?id=1,x`)
  t.equal(bad.status, 400)
  t.strictSame(bad.json, { errorMessage: "Invalid ID format: 'x'. Only positive integers are allowed", errorCode: '400' })
})

t.test('buckets S3 refuses are refused here, before a bucket or a row exists', async (t) => {
  const refused = [
    'xn--sec-probe',
    'sthree-sec-probe',
    'amzn-s3-demo-bucket',
    'sec-probe-s3alias',
    'sec-probe--ol-s3',
    'sec-probe.mrap',
    'sec-probe--x-s3',
    'sec-probe--table-s3',
    '10.0.0.1',
    'a..b',
    'a.b-',
    'ab\u0000c',
    'abc\u0085',
  ]
  for (const bucket of refused) {
    const res = await http('POST', `${base}/storages`, { json: { storageType: 'STAGING', bucket, path: '/x' } })
    t.equal(res.status, 400, `bucket ${JSON.stringify(bucket)} is refused`)
    t.strictSame(res.json, validationError({ bucket: BUCKET_MESSAGE }))
    if (!bucket.includes('\u0000')) t.notOk(await bucketExists(bucket), `no bucket ${bucket}`)
  }
  for (const bucket of ['abc', 'a'.repeat(63), 'my.bucket-1', 'xn-a', 'sthree', 's3alias-first', '1.2.3.4.5']) {
    const res = await http('POST', `${base}/storages`, { json: { storageType: 'STAGING', bucket, path: '/x' } })
    t.equal(res.status, 200, `bucket ${bucket} is accepted`)
  }
})

t.test('paths are normalised key prefixes: no empty, . or .. segments, no control characters', async (t) => {
  const refused = [
    '/../../..',
    '//',
    '/a/./b',
    '/a/../b',
    '/a//b',
    '/a/',
    '/.',
    '/..',
    'files',
    '',
    '/a b',
    '/a\u0000',
    '/a\u007f',
    `/${'a'.repeat(512)}`,
  ]
  for (const path of refused) {
    const res = await http('POST', `${base}/storages`, { json: { storageType: 'STAGING', bucket: 'paths-bucket', path } })
    t.equal(res.status, 400, `path ${JSON.stringify(path)} is refused`)
    t.strictSame(res.json, validationError({ path: PATH_MESSAGE }))
  }
  for (const path of ['/', '/files', '/a/b/c', '/.hidden/x', '/a..b/...', '/v1.2/~user_x', `/${'a'.repeat(511)}`]) {
    const res = await http('POST', `${base}/storages`, { json: { storageType: 'STAGING', bucket: 'paths-bucket', path } })
    t.equal(res.status, 200, `path ${path.slice(0, 40)} is accepted`)
  }
})

t.test('a query string with control characters is refused in the validation form', async (t) => {
  const res = await http('GET', `${base}/storages?type=STAGING%00`)
  t.equal(res.status, 400)
  t.strictSame(res.json, validationError({ type: 'Storage type must be STAGING or PERMANENT' }))
})

t.test('readiness reports db and s3', async (t) => {
  const ready = await http('GET', `${base}/health/ready`)
  t.equal(ready.status, 200)
  t.match(ready.json, { status: 'UP', components: { db: { status: 'UP' }, s3: { status: 'UP' } } })
})

t.test('two replicas starting at the same moment create the defaults once', async (t) => {
  const fresh = await startTestDatabase()
  t.teardown(() => fresh.stop())
  const replicas = await Promise.all([startStorageService(fresh.url), startStorageService(fresh.url), startStorageService(fresh.url)])
  t.teardown(() => Promise.all(replicas.map((replica) => replica.app.close())))
  const listed = await http('GET', `${replicas[0].base}/storages`)
  t.strictSame(listed.json, defaults)
})

t.test('a deleted default type is recreated at the next start', async (t) => {
  const fresh = await startTestDatabase()
  t.teardown(() => fresh.stop())
  const first = await startStorageService(fresh.url)
  await http('DELETE', `${first.base}/storages?id=1`)
  await first.app.close()
  const second = await startStorageService(fresh.url)
  t.teardown(() => second.app.close())
  const listed = (await http('GET', `${second.base}/storages`)).json as { storageType: string }[]
  t.strictSame(listed.map((s) => s.storageType).sort(), ['PERMANENT', 'STAGING'])
})
