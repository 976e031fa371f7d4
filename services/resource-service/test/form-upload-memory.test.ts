// A 200 MiB multipart/form-data upload streams through the service: its
// resident memory grows by a few parts' worth (S3 parts of 8 MiB), not by the
// file. The service runs in this process, so process.memoryUsage().rss is its
// RSS; the client is a raw socket writing one reused chunk (it holds nothing).
import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import { http, kafkaBrokers, makeMp3, waitUntilReady } from '@soundline/dev-stack/testing'
import t from 'tap'
import { startResourceService, startStack } from './helpers.js'

kafkaBrokers()
const MiB = 1024 * 1024
const FILE_BYTES = 200 * MiB
const MAX_GROWTH = 32 * MiB

const stack = await startStack(t.teardown)
const { app, base } = await startResourceService(stack, t.teardown, {
  MAX_UPLOAD_BYTES: String(256 * MiB),
  // A slow answer on a busy machine must not send the upload to the fallback storage's bucket.
  STORAGE_SERVICE_TIMEOUT_MS: '10000',
})
t.teardown(() => app.server.closeAllConnections())
await waitUntilReady(base)
const port = Number(new URL(base).port)

/** An MP3 file of `total` bytes, as chunks of one reused buffer: a real MP3 head, then its frames again and again. */
function* mp3Chunks(total: number): Generator<Buffer> {
  const head = makeMp3({ seconds: 30, kbps: 320, seed: 61 })
  for (let sent = 0; sent < total; sent += head.length) yield head.subarray(0, Math.min(head.length, total - sent))
}

/** POSTs the file as the one part of a form over a raw socket, with backpressure; resolves with the answer. */
async function streamForm(total: number, hash: ReturnType<typeof createHash>): Promise<{ status: number; body: string }> {
  const boundary = '----soundline-memory-test'
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="long.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n`,
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const socket = connect({ host: '127.0.0.1', port })
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  let answer = ''
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
  const ended = new Promise<void>((resolve) => socket.once('end', resolve))
  const write = async (chunk: Buffer) => {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve))
  }
  await write(
    Buffer.from(
      `POST /resources HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + total + tail.length}\r\n\r\n`,
    ),
  )
  await write(head)
  for (const chunk of mp3Chunks(total)) {
    hash.update(chunk)
    await write(chunk)
  }
  await write(tail)
  await ended
  socket.destroy()
  const [statusLine = '', body = ''] = [answer.split('\r\n')[0], answer.split('\r\n\r\n')[1]]
  return { status: Number(statusLine.split(' ')[1]), body }
}

/** The answer to `run`, and the highest RSS seen while it ran (sampled every 20 ms). */
async function peakRss<T>(run: () => Promise<T>): Promise<{ answer: T; peak: number }> {
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  const answer = await run().finally(() => clearInterval(sampler))
  return { answer, peak: Math.max(peak, process.memoryUsage().rss) }
}

t.test(`a ${FILE_BYTES / MiB} MiB form upload: stored whole, RSS at most ${MAX_GROWTH / MiB} MiB above a 20 MiB upload's`, async (t) => {
  // The first upload sets up what every upload reuses (S3 connections, the parser's code, a heap
  // sized for 8 MiB parts); the second is the reference: what any upload costs, whatever its size.
  t.equal((await streamForm(20 * MiB, createHash('sha256'))).status, 200, 'warm-up upload')
  const before = process.memoryUsage().rss
  const small = await peakRss(() => streamForm(20 * MiB, createHash('sha256')))
  t.equal(small.answer.status, 200, 'the 20 MiB upload')

  const hash = createHash('sha256')
  const large = await peakRss(() => streamForm(FILE_BYTES, hash))
  t.equal(large.answer.status, 200, large.answer.body)
  const { id } = JSON.parse(large.answer.body) as { id: number }
  const status = (await http('GET', `${base}/resources/${id}/status`)).json as { size: number; sha256: string }
  t.equal(status.size, FILE_BYTES, 'every byte stored')
  t.equal(status.sha256, hash.digest('hex'), 'the same bytes')

  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
  t.comment(`RSS ${mib(before)} before; peak +${mib(small.peak - before)} for 20 MiB, +${mib(large.peak - before)} for 200 MiB`)
  // Buffering the file would add 200 MiB; streaming adds nothing that grows with it. The peak is
  // compared with the 20 MiB upload's because both include the parts in flight (8 MiB each) and
  // garbage the collector has not reclaimed yet, which come and go with its timing.
  const growth = large.peak - small.peak
  t.ok(growth <= MAX_GROWTH, `RSS peaked ${mib(growth)} above the 20 MiB upload's peak (at most ${mib(MAX_GROWTH)})`)
})
