// uploadStream against a real S3 server of this test's own (it is stopped
// midway): a failed body aborts the multipart upload, and an abort that fails
// too is logged instead of swallowed; a body of declared length goes as one
// PutObject, and a failed or wrong-length one leaves no object.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
} from '@aws-sdk/client-s3'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { BodyLengthMismatchError, createS3Client, MIN_PART_BYTES, uploadStream } from '@soundline/platform'
import { startS3Server, testS3Binary, TEST_CREDENTIALS } from '@soundline/dev-stack/testing'

const lines: { level: number; msg: string; uploadId?: string; bucket?: string }[] = []
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string })
      done()
    },
  }),
)

/** One part's worth of bytes, then (after `beforeFailing`) the error a client's hang-up gives. */
function failingBody(beforeFailing: () => Promise<void>): { body: Readable; error: Error } {
  const error = Object.assign(new Error('aborted'), { code: 'ECONNRESET' })
  async function* chunks() {
    yield Buffer.alloc(MIN_PART_BYTES + 1, 1)
    await beforeFailing()
    throw error
  }
  return { body: Readable.from(chunks()), error }
}

async function privateServer(t: Test) {
  const directory = await mkdtemp(join(tmpdir(), 'soundline-upload-stream-'))
  const server = await startS3Server({ binary: testS3Binary(), directory })
  const s3 = createS3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    ...TEST_CREDENTIALS,
    forcePathStyle: true,
    requestTimeoutMs: 5_000,
  })
  t.teardown(async () => {
    s3.destroy()
    await server.stop()
    await rm(directory, { recursive: true, force: true })
  })
  await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }))
  return { server, s3 }
}

t.test('a body that fails after the first part: the upload is aborted, the body error rethrown', async (t) => {
  const { s3 } = await privateServer(t)
  const { body, error } = failingBody(async () => undefined)
  await t.rejects(uploadStream(s3, { bucket: 'uploads', key: 'a.mp3', body, partBytes: MIN_PART_BYTES, logger }), error)
  const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads' }))
  t.same(left.Uploads ?? [], [], 'no multipart upload left')
})

t.test('an abort that fails is logged as a warning, and the original error still wins', async (t) => {
  const { server, s3 } = await privateServer(t)
  // Readable.from reads ahead, so wait for S3 itself to hold the first part before taking it away.
  const { body, error } = failingBody(async () => {
    for (let i = 0; i < 200; i++) {
      const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads' }))
      const upload = open.Uploads?.[0]
      if (upload) {
        const parts = await s3.send(new ListPartsCommand({ Bucket: 'uploads', Key: upload.Key, UploadId: upload.UploadId }))
        if ((parts.Parts ?? []).length > 0) break
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await server.stop()
  })
  lines.length = 0
  const upload = uploadStream(s3, { bucket: 'uploads', key: 'b.mp3', body, partBytes: MIN_PART_BYTES, logger })
  await t.rejects(upload, error)
  const warned = lines.filter((line) => line.level === 40)
  t.equal(warned.length, 1, 'one warning')
  t.match(warned[0], { msg: /could not abort a failed multipart upload/, bucket: 'uploads', uploadId: /.+/ })
})

/** The keys in the bucket: a failed upload must leave none. */
async function keys(s3: Awaited<ReturnType<typeof privateServer>>['s3']): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'uploads' }))
  return (listed.Contents ?? []).map((object) => object.Key ?? '')
}

t.test('a body of declared length larger than a part: stored whole, as one object, no multipart upload', async (t) => {
  const { s3 } = await privateServer(t)
  const bytes = Buffer.alloc(2 * MIN_PART_BYTES + 123, 7)
  const body = Readable.from([bytes.subarray(0, MIN_PART_BYTES), bytes.subarray(MIN_PART_BYTES)])
  const result = await uploadStream(s3, { bucket: 'uploads', key: 'c.mp3', body, contentLength: bytes.length, partBytes: MIN_PART_BYTES })
  t.equal(result.size, bytes.length)
  const stored = await s3.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'c.mp3' }))
  t.ok(Buffer.from(await (stored.Body?.transformToByteArray() ?? new Uint8Array())).equals(bytes), 'the same bytes')
  t.notMatch(stored.ETag ?? '', /-\d+"?$/, 'a single-part ETag (no multipart upload)')
  const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads' }))
  t.same(left.Uploads ?? [], [])
})

t.test('a body of declared length that fails midway: the body error rethrown, nothing stored', async (t) => {
  const { s3 } = await privateServer(t)
  const { body, error } = failingBody(async () => undefined)
  await t.rejects(uploadStream(s3, { bucket: 'uploads', key: 'd.mp3', body, contentLength: 3 * MIN_PART_BYTES, logger }), error)
  t.same(await keys(s3), [], 'no object')
})

t.test('a body shorter or longer than declared: BodyLengthMismatchError, nothing stored', async (t) => {
  const { s3 } = await privateServer(t)
  for (const [declared, actual] of [
    [1000, 999],
    [1000, 1001],
  ] as const) {
    const body = Readable.from([Buffer.alloc(actual, 1)])
    await t.rejects(
      uploadStream(s3, { bucket: 'uploads', key: `e-${actual}.mp3`, body, contentLength: declared }),
      BodyLengthMismatchError,
      `${actual} bytes declared as ${declared}`,
    )
  }
  t.same(await keys(s3), [], 'no object')
})

t.test('a body that failed before the upload began: its error, nothing stored', async (t) => {
  const { s3 } = await privateServer(t)
  const error = new Error('gone before it started')
  const body = new Readable({ read() {} })
  body.on('error', () => undefined)
  body.destroy(error)
  await t.rejects(uploadStream(s3, { bucket: 'uploads', key: 'f.mp3', body, contentLength: 10 }), error)
  t.same(await keys(s3), [])
})
