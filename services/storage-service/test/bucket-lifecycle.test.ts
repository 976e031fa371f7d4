// Every bucket the Storage Service creates asks S3 to expire incomplete
// multipart uploads after a day, and a server that refuses lifecycle calls
// still gets its bucket. A recording proxy (a real HTTP server forwarding to the
// real S3 server) shows what was asked; the S3 server shows what it kept.
import { randomBytes } from 'node:crypto'
import { createServer, request as forward, type IncomingMessage } from 'node:http'
import { Writable } from 'node:stream'
import { GetBucketLifecycleConfigurationCommand, HeadBucketCommand } from '@aws-sdk/client-s3'
import { ABORT_INCOMPLETE_UPLOADS_RULE, loggerOptions } from '@soundline/platform'
import { http, listenOnFreePort, startTestDatabase, startTestS3, testS3Client } from '@soundline/dev-stack/testing'
import { pino } from 'pino'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadStorageServiceConfig } from '../src/config.js'

const s3Server = await startTestS3()
t.teardown(() => s3Server.stop())
const upstream = new URL(s3Server.endpoint)

/** Requests the service sent to S3, with bodies, and S3's status for each. */
const seen: { method: string; url: string; body: string; status: number }[] = []
const proxy = createServer((incoming: IncomingMessage, outgoing) => {
  const chunks: Buffer[] = []
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
  incoming.on('end', () => {
    const body = Buffer.concat(chunks)
    const out = forward(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        seen.push({ method: incoming.method ?? '', url: incoming.url ?? '', body: body.toString(), status: answer.statusCode ?? 0 })
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      },
    )
    out.on('error', () => outgoing.destroy())
    out.end(body)
  })
})
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => proxy.close(() => resolve())))
const proxyEndpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`

const lines: { level: string; msg: string; bucket?: string }[] = []
const logger = pino(
  loggerOptions({ service: 'storage-service', level: 'info' }),
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: string; msg: string; bucket?: string })
      done()
    },
  }),
)
const database = await startTestDatabase()
t.teardown(() => database.stop())
const app = await buildApp(loadStorageServiceConfig({ DATABASE_URL: database.url, S3_ENDPOINT: proxyEndpoint }), logger)
t.teardown(() => app.close())
const base = await listenOnFreePort(app)
const s3 = testS3Client(s3Server.endpoint)
t.teardown(() => s3.destroy())

t.test('a new storage: bucket created, with a rule that aborts incomplete multipart uploads after 1 day', async (t) => {
  const bucket = `lifecycle-${randomBytes(4).toString('hex')}`
  const created = await http('POST', `${base}/storages`, { json: { storageType: 'PERMANENT', bucket, path: '/files' } })
  t.equal(created.status, 200, 'the storage is created')
  t.equal((await s3.send(new HeadBucketCommand({ Bucket: bucket }))).$metadata.httpStatusCode, 200, 'its bucket exists')

  const lifecycleCall = (r: { url: string }): boolean => new RegExp(`^/${bucket}/?\\?lifecycle`).test(r.url)
  const asked = seen.filter((r) => r.method === 'PUT' && lifecycleCall(r))
  t.equal(asked.length, 1, 'PutBucketLifecycleConfiguration was sent once')
  const xml = asked[0]?.body ?? ''
  t.match(xml, `<ID>${ABORT_INCOMPLETE_UPLOADS_RULE}</ID>`)
  t.match(xml, /<Status>Enabled<\/Status>/)
  t.match(xml, /<AbortIncompleteMultipartUpload><DaysAfterInitiation>1<\/DaysAfterInitiation><\/AbortIncompleteMultipartUpload>/)

  const status = asked[0]?.status ?? 0
  if (status === 200) {
    const kept = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))
    t.equal(kept.Rules?.[0]?.AbortIncompleteMultipartUpload?.DaysAfterInitiation, 1, 'the server kept the rule')
  } else {
    // The embedded server (versitygw) answers NotImplemented: the bucket stays usable and the log says what is missing.
    const warned = lines.filter((line) => line.level === 'warn' && line.bucket === bucket)
    t.equal(warned.length, 1, `the refusal (${status}) is logged as a warning`)
    t.match(warned[0]?.msg, /lifecycle rule/)
  }

  seen.length = 0
  const again = await http('POST', `${base}/storages`, { json: { storageType: 'STAGING', bucket, path: '/other' } })
  t.equal(again.status, 200, 'a second storage on the same bucket')
  t.same(seen.filter(lifecycleCall), [], 'an existing bucket keeps its lifecycle configuration as it is')
})
