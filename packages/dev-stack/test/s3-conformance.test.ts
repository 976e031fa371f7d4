// The S3 calls Soundline makes, against the S3 server `npm test` shares
// (S3_ENDPOINT; a private one otherwise). A server that fails here would fail
// the services in ways their own tests only show indirectly: parts left
// behind by an abort, listings cut at 1,000 keys, bodies stored with framing.
// Point S3_ENDPOINT at another server to judge it (packages/dev-stack/README.md).
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { createS3Client } from '@soundline/platform'
import { TEST_CREDENTIALS, startTestS3 } from '../src/testing/index.js'
import t from 'tap'

const MiB = 1024 * 1024
const server = await startTestS3()
const s3: S3Client = createS3Client({ endpoint: server.endpoint, region: 'us-east-1', ...TEST_CREDENTIALS, forcePathStyle: true })
t.teardown(async () => {
  s3.destroy()
  await server.stop()
})
const bucket = `conformance-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

async function bodyOf(response: { Body?: { transformToByteArray(): Promise<Uint8Array> } }): Promise<Buffer> {
  if (!response.Body) throw new Error('response has no body')
  return Buffer.from(await response.Body.transformToByteArray())
}

/** Bytes as a stream of 64 KiB chunks, the way an upload reaches S3. */
function streamOf(bytes: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += 64 * 1024) yield bytes.subarray(i, i + 64 * 1024)
    })(),
  )
}

/** The HTTP status S3 answered a failed call with ('succeeded' if it did not fail). */
async function failureStatus(call: Promise<unknown>): Promise<number | string> {
  try {
    await call
    return 'succeeded'
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? String(error)
  }
}

async function uploadsLeft(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))
  return (listed.Uploads ?? []).map((u) => `${u.Key ?? ''} ${u.UploadId ?? ''}`)
}

t.test('CreateBucket, HeadBucket', async (t) => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  const head = await s3.send(new HeadBucketCommand({ Bucket: bucket }))
  t.equal(head.$metadata.httpStatusCode, 200)
  t.equal(await failureStatus(s3.send(new HeadBucketCommand({ Bucket: `${bucket}-missing` }))), 404)
})

t.test('PutBucketLifecycleConfiguration: kept, or refused as NotImplemented (which the Storage Service tolerates)', async (t) => {
  const put = s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: 'abort-incomplete-uploads',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    }),
  )
  const refused = await put.then(
    () => undefined,
    (error: unknown) => error as { name?: string; $metadata?: { httpStatusCode?: number } },
  )
  if (refused) {
    // versitygw's POSIX backend has no lifecycle support (packages/dev-stack/README.md).
    t.match(refused, { name: 'NotImplemented', $metadata: { httpStatusCode: 501 } }, 'refused cleanly, nothing else')
    return
  }
  const stored = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))
  t.equal(stored.Rules?.[0]?.AbortIncompleteMultipartUpload?.DaysAfterInitiation, 1)
})

t.test('PutObject streamed with Content-Length; HeadObject; GetObject whole and with Range', async (t) => {
  const body = randomBytes(3 * MiB + 17)
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'put/song.mp3',
      Body: streamOf(body),
      ContentLength: body.length,
      ContentType: 'audio/mpeg',
    }),
  )
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'put/song.mp3' }))
  t.equal(head.ContentLength, body.length)
  t.equal(head.ContentType, 'audio/mpeg')
  t.equal(
    sha(await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'put/song.mp3' })))),
    sha(body),
    'no chunk framing stored',
  )
  const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'put/song.mp3', Range: 'bytes=1000-1999' }))
  t.equal(ranged.$metadata.httpStatusCode, 206)
  t.equal(ranged.ContentRange, `bytes 1000-1999/${body.length}`)
  t.same(await bodyOf(ranged), body.subarray(1000, 2000))
  const tail = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'put/song.mp3', Range: `bytes=${body.length - 10}-` }))
  t.same(await bodyOf(tail), body.subarray(body.length - 10))
  t.equal(await failureStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'put/missing.mp3' }))), 404)
})

t.test('multipart: create, upload parts, complete', async (t) => {
  const parts = [randomBytes(5 * MiB), randomBytes(1 * MiB + 5)]
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/done.mp3', ContentType: 'audio/mpeg' }))
  const done = []
  for (const [index, data] of parts.entries()) {
    const PartNumber = index + 1
    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: 'mpu/done.mp3', UploadId, PartNumber, Body: data, ContentLength: data.length }),
    )
    done.push({ ETag, PartNumber })
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/done.mp3', UploadId, MultipartUpload: { Parts: done } }))
  const whole = Buffer.concat(parts)
  t.equal(sha(await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'mpu/done.mp3' })))), sha(whole))
  t.same(await uploadsLeft('mpu/'), [], 'a completed upload is no longer listed')
})

t.test('multipart: AbortMultipartUpload removes the upload and its parts', async (t) => {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'abort/gone.mp3' }))
  const data = randomBytes(5 * MiB)
  await s3.send(
    new UploadPartCommand({ Bucket: bucket, Key: 'abort/gone.mp3', UploadId, PartNumber: 1, Body: data, ContentLength: data.length }),
  )
  t.equal((await uploadsLeft('abort/')).length, 1, 'the open upload is listed')
  await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'abort/gone.mp3', UploadId }))
  t.same(await uploadsLeft('abort/'), [], 'ListMultipartUploads shows none left')
  await t.rejects(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'abort/gone.mp3', UploadId })), { name: 'NoSuchUpload' })
  t.equal(await failureStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'abort/gone.mp3' }))), 404)
})

t.test('an upload survives its folder emptying meanwhile', async (t) => {
  // The services delete a staging copy while other uploads stream into the same prefix.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'shared/first.mp3', Body: 'x' }))
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'shared/second.mp3' }))
  const data = randomBytes(5 * MiB)
  const part = s3.send(
    new UploadPartCommand({ Bucket: bucket, Key: 'shared/second.mp3', UploadId, PartNumber: 1, Body: data, ContentLength: data.length }),
  )
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'shared/first.mp3' }))
  const { ETag } = await part
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: 'shared/second.mp3',
      UploadId,
      MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] },
    }),
  )
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'shared/second.mp3' }))
  t.equal(head.ContentLength, data.length)
})

t.test('CopyObject, DeleteObject, DeleteObjects', async (t) => {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/a b.mp3', Body: 'copied bytes', ContentType: 'audio/mpeg' }))
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/target.mp3', CopySource: `${bucket}/copy/a%20b.mp3` }))
  t.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy/target.mp3' })))).toString(), 'copied bytes')
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'copy/a b.mp3' }))
  t.equal(await failureStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy/a b.mp3' }))), 404)
  const again = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'copy/a b.mp3' }))
  t.equal(again.$metadata.httpStatusCode, 204, 'deleting a missing key succeeds')

  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/other.mp3', Body: 'x' }))
  const deleted = await s3.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'copy/target.mp3' }, { Key: 'copy/other.mp3' }] } }),
  )
  t.same((deleted.Deleted ?? []).map((d) => d.Key).sort(), ['copy/other.mp3', 'copy/target.mp3'])
  t.same((deleted.Errors ?? []).length, 0)
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'copy/' }))
  t.equal(listed.KeyCount ?? 0, 0)
})

t.test('ListObjectsV2 past 1,000 keys, with continuation tokens', async (t) => {
  const keys = Array.from({ length: 1_050 }, (_, i) => `many/${String(i).padStart(5, '0')}`)
  for (let i = 0; i < keys.length; i += 25) {
    await Promise.all(keys.slice(i, i + 25).map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))))
  }
  const seen: string[] = []
  const pages: number[] = []
  let ContinuationToken: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'many/', ContinuationToken }))
    pages.push(page.Contents?.length ?? 0)
    seen.push(...(page.Contents ?? []).map((o) => o.Key ?? ''))
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (ContinuationToken && pages.length < 10)
  t.same(pages, [1000, 50], 'two pages: 1,000 keys, then the rest')
  t.same(seen, keys, 'every key once, in order')

  const small: string[] = []
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'many/000', MaxKeys: 40, ContinuationToken: token }))
    small.push(...(page.Contents ?? []).map((o) => o.Key ?? ''))
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token && small.length < 2_000)
  t.same(small, keys.slice(0, 100), 'MaxKeys pages through a prefix')
})
