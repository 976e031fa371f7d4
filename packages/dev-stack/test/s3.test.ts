import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { createS3Client, ensureBucket, pingS3 } from '@soundline/platform'
import { TEST_CREDENTIALS, startTestS3 } from '../src/testing/index.js'
import { pino } from 'pino'
import t from 'tap'
import { startEmbeddedS3 } from '../src/infra/s3.js'

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })
const MB = 1024 * 1024

function clientFor(endpoint: string): S3Client {
  return createS3Client({ endpoint, region: 'us-east-1', ...TEST_CREDENTIALS, forcePathStyle: true, requestTimeoutMs: 10_000 })
}

/** A deterministic multi-MB body, produced chunk by chunk like an upload stream. */
function bodyBytes(size: number): Buffer {
  const out = Buffer.alloc(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 10)) & 0xff
  return out
}
function streamOf(bytes: Buffer, chunk = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk)
    })(),
  )
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
async function bodyOf(response: { Body?: { transformToByteArray(): Promise<Uint8Array> } }): Promise<Buffer> {
  if (!response.Body) throw new Error('response has no body')
  return Buffer.from(await response.Body.transformToByteArray())
}

t.test('object lifecycle against the embedded server, through the platform factory', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-s3-test-'))
  const server = await startEmbeddedS3({ dataDir, port: 0, logger })
  const s3 = clientFor(server.endpoint)
  t.teardown(async () => {
    s3.destroy()
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
  })
  t.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/)
  await pingS3(s3)

  await ensureBucket(s3, 'resources', logger)
  await ensureBucket(s3, 'resources', logger) // idempotent
  await Promise.all([ensureBucket(s3, 'racy', logger), ensureBucket(s3, 'racy', logger)]) // concurrent creators
  await pingS3(s3, 'resources')

  const body = bodyBytes(6 * MB + 123)
  await s3.send(
    new PutObjectCommand({
      Bucket: 'resources',
      Key: 'a/song.mp3',
      Body: streamOf(body),
      ContentLength: body.length,
      ContentType: 'audio/mpeg',
    }),
  )

  const head = await s3.send(new HeadObjectCommand({ Bucket: 'resources', Key: 'a/song.mp3' }))
  t.equal(head.ContentLength, body.length)
  t.equal(head.ContentType, 'audio/mpeg')

  const whole = await s3.send(new GetObjectCommand({ Bucket: 'resources', Key: 'a/song.mp3' }))
  t.equal(sha(await bodyOf(whole)), sha(body), 'stored bytes are the uploaded bytes (no aws-chunked framing)')

  const ranged = await s3.send(new GetObjectCommand({ Bucket: 'resources', Key: 'a/song.mp3', Range: 'bytes=1000-1999' }))
  t.equal(ranged.ContentRange, `bytes 1000-1999/${body.length}`)
  t.same(await bodyOf(ranged), body.subarray(1000, 2000))

  await s3.send(new CopyObjectCommand({ Bucket: 'resources', Key: 'b/copy.mp3', CopySource: 'resources/a/song.mp3' }))
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'resources' }))
  t.same(
    listed.Contents?.map((o) => [o.Key, o.Size]),
    [
      ['a/song.mp3', body.length],
      ['b/copy.mp3', body.length],
    ],
  )
  const prefixed = await s3.send(new ListObjectsV2Command({ Bucket: 'resources', Prefix: 'b/' }))
  t.same(
    prefixed.Contents?.map((o) => o.Key),
    ['b/copy.mp3'],
  )

  await s3.send(new DeleteObjectCommand({ Bucket: 'resources', Key: 'a/song.mp3' }))
  await t.rejects(s3.send(new HeadObjectCommand({ Bucket: 'resources', Key: 'a/song.mp3' })), { name: 'NotFound' })
  const copy = await s3.send(new GetObjectCommand({ Bucket: 'resources', Key: 'b/copy.mp3' }))
  t.equal(sha(await bodyOf(copy)), sha(body), 'the copy outlives its source')
})

t.test('objects survive a restart of the embedded server', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-s3-test-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const first = await startEmbeddedS3({ dataDir, port: 0, logger })
  const s3a = clientFor(first.endpoint)
  await ensureBucket(s3a, 'keep', logger)
  await s3a.send(new PutObjectCommand({ Bucket: 'keep', Key: 'k', Body: 'persisted' }))
  s3a.destroy()
  await first.stop()

  const second = await startEmbeddedS3({ dataDir, port: 0, logger })
  const s3b = clientFor(second.endpoint)
  t.teardown(async () => {
    s3b.destroy()
    await second.stop()
  })
  const got = await s3b.send(new GetObjectCommand({ Bucket: 'keep', Key: 'k' }))
  t.equal((await bodyOf(got)).toString(), 'persisted')
})

t.test('startTestS3 gives a working endpoint', async (t) => {
  const s3env = await startTestS3({ logger })
  const s3 = clientFor(s3env.endpoint)
  t.teardown(async () => {
    s3.destroy()
    await s3env.stop()
  })
  const bucket = `t-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  await ensureBucket(s3, bucket, logger)
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'hello' }))
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'x' }))
  t.equal((await bodyOf(got)).toString(), 'hello')
})

t.test('a stopped server fails fast instead of hanging', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-s3-test-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const server = await startEmbeddedS3({ dataDir, port: 0, logger })
  await server.stop()
  const s3 = clientFor(server.endpoint)
  t.teardown(() => s3.destroy())
  await t.rejects(pingS3(s3), /ECONNREFUSED|connect/)
})
