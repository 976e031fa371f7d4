// Uploads that end early, over real sockets against the real S3 server: a body
// refused as too large and a client that hangs up mid-body. Neither may leave
// an object, a multipart upload's parts or a row behind, and a client hanging
// up is the client's doing: not an S3 outage in the log, the metrics or a breaker.
import { connect, type Socket } from 'node:net'
import { Writable } from 'node:stream'
import { isDeepStrictEqual } from 'node:util'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { defaultClassifier, loggerOptions } from '@soundline/platform'
import { eventually, http, kafkaBrokers, listenOnFreePort, makeMp3, startTestDatabase } from '@soundline/dev-stack/testing'
import { pino } from 'pino'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { ClientClosedUploadError, CUT_OFF_PUT_SWEEP_MS } from '../src/plugins/app/object-store.js'
import { countRows, objectKeys, resourceServiceConfig, startStack } from './helpers.js'

kafkaBrokers()
const MiB = 1024 * 1024
const LIMIT = 12 * MiB
const stack = await startStack(t.teardown)

/** The service's log lines, as JSON objects. */
const lines: { level: string; msg: string }[] = []
const logger = pino(
  loggerOptions({ service: 'resource-service', level: 'info' }),
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: string; msg: string })
      done()
    },
  }),
)
const database = await startTestDatabase()
t.teardown(() => database.stop())
const app = await buildApp(
  resourceServiceConfig(stack, database.url, {
    MAX_UPLOAD_BYTES: String(LIMIT),
    // A slow answer on a busy machine must not send the upload to the fallback storage's bucket.
    STORAGE_SERVICE_TIMEOUT_MS: '10000',
  }),
  logger,
)
t.teardown(async () => {
  // The refused upload's socket is left paused (unread body) and the server does not see the
  // client close it, so a plain close() would wait for the 72 s keep-alive timeout.
  app.server.closeAllConnections()
  await app.close()
})
const base = await listenOnFreePort(app)
const port = Number(new URL(base).port)

// 20 MiB of real MP3 frames: larger than the limit and than two 8 MiB parts.
const song = makeMp3({ seconds: 540, kbps: 320, seed: 3 })
t.ok(song.length > 20 * MiB, 'the fixture is over 20 MiB')

async function leftovers() {
  const uploads = await stack.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.stagingBucket }))
  return {
    uploads: (uploads.Uploads ?? []).length,
    objects: (await objectKeys(stack.s3, stack.stagingBucket)).length,
    rows: await countRows(database.url, 'resources'),
  }
}

async function clientAborts(): Promise<number> {
  const metrics = await http('GET', `${base}/metrics`)
  return Number(/^soundline_upload_client_aborts_total(?:\{[^}]*\})? (\d+)/m.exec(metrics.text)?.[1] ?? 'NaN')
}

t.test('a chunked upload refused as too large leaves no parts, no object, no row', async (t) => {
  // A raw socket: the client stops sending once the 413 is in, as a browser or curl would.
  const socket = connect({ host: '127.0.0.1', port })
  t.teardown(() => socket.destroy())
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  let answer = ''
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
  socket.on('error', () => undefined) // the server may reset the rest of the body
  socket.write('POST /resources HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\n\r\n')
  for (let offset = 0; offset < song.length && !answer.includes('\r\n\r\n{'); offset += 256 * 1024) {
    const chunk = song.subarray(offset, offset + 256 * 1024)
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
    if (!socket.write(framed))
      await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), new Promise((resolve) => setTimeout(resolve, 200))])
  }
  await eventually(async () => answer.includes('"errorCode":"413"'), 'the 413 answer')
  t.match(answer, /^HTTP\/1\.1 413 /)
  socket.destroy()
  t.same(await leftovers(), { uploads: 0, objects: 0, rows: 0 }, 'the multipart upload of the first parts was aborted')
  t.same(
    lines.filter((line) => line.level === 'warn' && /abort|object storage/i.test(line.msg)),
    [],
    'no failed abort, no S3 outage',
  )
})

/** Writes `bytes` in 256 KiB pieces, each once the socket took the last (what the service reads, it streams on). */
async function writeAll(socket: Socket, bytes: Buffer, piece: (chunk: Buffer) => Buffer = (chunk) => chunk): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += 256 * 1024) {
    const written = new Promise<void>((resolve, reject) => {
      socket.write(piece(bytes.subarray(offset, offset + 256 * 1024)), (error) => (error ? reject(error) : resolve()))
    })
    await written
  }
}

// A declared length streams into one PutObject; a chunked body goes part by part (docs/performance.md): both are cut off.
for (const framing of ['content-length', 'chunked'] as const) {
  t.test(`a client that hangs up mid-body (${framing}): info "client closed the upload", counted, nothing left, no 503`, async (t) => {
    const before = await clientAborts()
    lines.length = 0
    const socket = connect({ host: '127.0.0.1', port })
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    socket.write(
      // Declared within the limit, so only the hang-up can end it.
      `POST /resources HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/mpeg\r\n` +
        (framing === 'content-length' ? `Content-Length: ${LIMIT - 1}\r\n\r\n` : 'Transfer-Encoding: chunked\r\n\r\n'),
    )
    // 10 MiB: past the first 8 MiB part, so a chunked body has a multipart upload open when the client goes.
    const sent = song.subarray(0, 10 * MiB)
    await writeAll(socket, sent, (chunk) =>
      framing === 'chunked' ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk,
    )
    if (framing === 'chunked') {
      // Let the service read what was sent (and upload the first part) before hanging up.
      await eventually(async () => {
        const uploads = await stack.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.stagingBucket }))
        return (uploads.Uploads ?? []).length > 0
      }, 'the first part to reach S3')
    }
    // With a declared length, 10 MiB were taken only because the service streams them on into its PutObject.
    socket.destroy()

    await eventually(async () => (await clientAborts()) === before + 1, 'the abort to be counted')
    // The local S3 server may store a cut-off PUT's bytes after the service's first delete;
    // the service sweeps it CUT_OFF_PUT_SWEEP_MS later (docs/performance.md).
    const nothingLeft = async () => isDeepStrictEqual(await leftovers(), { uploads: 0, objects: 0, rows: 0 })
    await eventually(nothingLeft, 'nothing left', CUT_OFF_PUT_SWEEP_MS + 5_000).catch(() => undefined)
    t.same(await leftovers(), { uploads: 0, objects: 0, rows: 0 }, 'no parts, no object, no row')
    const closed = lines.filter((line) => line.msg === 'client closed the upload')
    t.equal(closed.length, 1, 'logged once')
    t.equal(closed[0]?.level, 'info', 'at info')
    t.same(
      lines.filter((line) => line.level === 'error' || /unavailable|abort|object storage/i.test(line.msg)),
      [],
      'no warning, no "Object storage is unavailable"',
    )
    t.equal(defaultClassifier.error(new ClientClosedUploadError()), 'ignored', 'a breaker would not count it')
  })
}
