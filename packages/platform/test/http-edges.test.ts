// The app factory's edges (docs/api.md "Slow, idle and oversized requests",
// "Requests Node refuses", "Load shedding", "Text fields"): real servers,
// raw sockets where a client must misbehave in ways fetch() cannot.
import net from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { Type } from 'typebox'
import {
  ConfigError,
  IdParams,
  INVALID,
  REQUIRED,
  SafeString,
  createApp,
  loadConfig,
  parsePathId,
  serviceConfig,
  type App,
  type AppOptions,
} from '@soundline/platform'
import { http, listenOnFreePort } from '@soundline/dev-stack/testing'

const logger = pino({ level: 'silent' })
const service = { name: 'edge-test', version: '0', description: 'edges' }

async function start(options: Partial<AppOptions> = {}): Promise<{ app: App; base: string; port: number }> {
  const app = await createApp({ service, logger, ...options })
  app.get('/things/:id', { schema: { params: IdParams } }, async (request) => ({ id: parsePathId(request.params.id) }))
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object({
          name: SafeString({ minLength: 1, maxLength: 10, [INVALID]: 'Name must be 1 to 10 characters', [REQUIRED]: 'Name is required' }),
          note: Type.Optional(SafeString()),
        }),
        querystring: Type.Object({ tag: Type.Optional(SafeString({ maxLength: 20 })) }),
      },
    },
    async (request) => ({ ok: request.body.name }),
  )
  // A body read at the pace the client sends it, as uploads are.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload))
  app.post('/upload', async (request) => {
    let bytes = 0
    for await (const chunk of request.body as AsyncIterable<Buffer>) bytes += chunk.length
    return { bytes }
  })
  const base = await listenOnFreePort(app)
  t.teardown(() => app.close())
  return { app, base, port: Number(new URL(base).port) }
}

interface RawAnswer {
  /** Everything received before the server closed the connection (or the wait ended). */
  text: string
  closed: boolean
  ms: number
}

/** Opens a socket, lets `talk` write to it, and collects what comes back until close or `waitMs`. */
function rawExchange(port: number, talk: (socket: net.Socket) => void, waitMs = 3_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const started = Date.now()
    let text = ''
    const finish = (closed: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ text, closed, ms: Date.now() - started })
    }
    const timer = setTimeout(() => finish(false), waitMs)
    socket.on('data', (chunk) => (text += chunk.toString('latin1')))
    socket.on('close', () => finish(true))
    socket.on('error', () => undefined)
    socket.on('connect', () => talk(socket))
  })
}

function parseRaw(answer: RawAnswer) {
  const [head = '', body = ''] = answer.text.split('\r\n\r\n', 2)
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = new Map(lines.map((line) => [line.split(':')[0]?.toLowerCase() ?? '', line.slice(line.indexOf(':') + 1).trim()]))
  return { status: Number(statusLine.split(' ')[1]), headers, json: body ? (JSON.parse(body) as unknown) : undefined }
}

t.test('control characters in any text field: 400 naming the field', async (t) => {
  const { base } = await start()
  for (const bad of ['a\u0000b', 'a\u0007', 'tab\there', 'line\nfeed', 'del\u007f', 'c1\u0085', 'c1\u009f']) {
    const res = await http('POST', `${base}/things`, { json: { name: bad } })
    t.equal(res.status, 400, `${JSON.stringify(bad)} is refused`)
    t.strictSame(res.json, { errorMessage: 'Validation error', details: { name: 'Name must be 1 to 10 characters' }, errorCode: '400' })
  }
  const note = await http('POST', `${base}/things`, { json: { name: 'ok', note: 'x\u0000' } })
  t.strictSame(note.json, {
    errorMessage: 'Validation error',
    details: { note: 'Value must be text without control characters' },
    errorCode: '400',
  })
  const query = await http('POST', `${base}/things?tag=a%00b`, { json: { name: 'ok' } })
  t.equal(query.status, 400, 'a query string is text too')
  t.strictSame(query.json, {
    errorMessage: 'Validation error',
    details: { tag: 'Value must be text of 0 to 20 characters without control characters' },
    errorCode: '400',
  })
  for (const good of ['Queen', 'Motörhead', 'Sigur Rós', '東京', 'a b', '🎵']) {
    const res = await http('POST', `${base}/things`, { json: { name: good } })
    t.equal(res.status, 200, `${good} is accepted`)
  }
})

t.test('a path id of any length gets the id rule (400 quoting it), not the router limit', async (t) => {
  const { base } = await start()
  const long = '1'.repeat(300)
  const res = await http('GET', `${base}/things/${long}`)
  t.equal(res.status, 400)
  t.strictSame(res.json, { errorMessage: `Invalid value '${long}' for ID. Must be a positive integer`, errorCode: '400' })
  t.equal(res.headers.get('content-type'), 'application/json')
})

t.test('a URL that is not valid percent-encoding: 400 in the contract form', async (t) => {
  const { port } = await start()
  const answer = parseRaw(await rawExchange(port, (s) => s.write('GET /things/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')))
  t.equal(answer.status, 400)
  t.strictSame(answer.json, { errorMessage: "Malformed URL: '/things/%zz' is not valid percent-encoding", errorCode: '400' })
  t.equal(answer.headers.get('content-type'), 'application/json')
  t.ok(answer.headers.get('x-request-id'), 'a request id')
})

t.test("what Node's parser refuses is answered in the contract form, with a request id", async (t) => {
  const { port } = await start()
  const cases: [string, string, number, string][] = [
    [
      'headers over 16 KiB',
      `GET /things/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'Request header fields are too large: the limit is 16384 bytes for the request line and headers',
    ],
    ['an unknown method', 'FROB /things/1 HTTP/1.1\r\nHost: x\r\n\r\n', 501, 'Method not implemented'],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501, 'Method not implemented'],
    ['a broken request line', 'GET /things/1 HTTP/9\r\nHost: x\r\n\r\n', 400, 'Malformed HTTP request'],
    ['a bad header', 'GET /things/1 HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400, 'Malformed HTTP request'],
  ]
  for (const [what, request, status, message] of cases) {
    const raw = await rawExchange(port, (s) => s.write(request))
    const answer = parseRaw(raw)
    t.equal(answer.status, status, what)
    t.strictSame(answer.json, { errorMessage: message, errorCode: String(status) }, `${what}: body`)
    t.equal(answer.headers.get('content-type'), 'application/json', `${what}: type`)
    t.match(answer.headers.get('x-request-id'), /^[0-9a-f-]{36}$/, `${what}: request id`)
    t.ok(raw.closed, `${what}: connection closed`)
  }
})

t.test('slow headers (slowloris) get 408 within the header timeout', async (t) => {
  const { port } = await start({ server: { HEADERS_TIMEOUT_MS: 500 } })
  const raw = await rawExchange(port, (socket) => {
    socket.write('GET /things/1 HTTP/1.1\r\n')
    // One header line every 100 ms: never done.
    const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 100)
    socket.on('close', () => clearInterval(drip))
  })
  t.ok(raw.closed, 'closed by the server')
  t.ok(raw.ms < 2_000, `within the limit (${raw.ms} ms)`)
  const answer = parseRaw(raw)
  t.equal(answer.status, 408)
  t.strictSame(answer.json, { errorMessage: 'Request timeout: the request did not arrive in time', errorCode: '408' })

  const silent = await rawExchange(port, () => undefined)
  t.ok(silent.closed, 'a connection that never sends a request is closed too')
  t.equal(parseRaw(silent).status, 408)
})

t.test('an upload that stops sending is cut; a slow one that keeps sending is not', async (t) => {
  const { port } = await start({ server: { REQUEST_IDLE_TIMEOUT_MS: 600 } })
  const stalled = await rawExchange(port, (socket) => {
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n')
    socket.write(Buffer.alloc(100))
  })
  t.ok(stalled.closed, 'the stalled upload is closed')
  t.ok(stalled.ms < 2_000, `soon after the idle limit (${stalled.ms} ms)`)
  const answer = parseRaw(stalled)
  t.equal(answer.status, 408)
  t.strictSame(answer.json, { errorMessage: 'Request timeout: nothing was received for too long', errorCode: '408' })

  // 12 chunks 200 ms apart: 2.4 s in all, four times the idle limit, never idle for long.
  const chunks = 12
  const slow = await rawExchange(
    port,
    (socket) => {
      socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${chunks * 10}\r\n\r\n`)
      let sent = 0
      const drip = setInterval(() => {
        if (sent++ < chunks && socket.writable) socket.write(Buffer.alloc(10))
        else clearInterval(drip)
      }, 200)
    },
    5_000,
  )
  const done = parseRaw(slow)
  t.equal(done.status, 200, 'the slow upload completes')
  t.strictSame(done.json, { bytes: chunks * 10 })
})

t.test('timeouts and load shedding come from the environment, checked', async (t) => {
  const config = loadConfig(serviceConfig(9999), {})
  t.match(config, {
    HEADERS_TIMEOUT_MS: 10_000,
    REQUEST_TIMEOUT_MS: 900_000,
    REQUEST_IDLE_TIMEOUT_MS: 30_000,
    KEEP_ALIVE_TIMEOUT_MS: 72_000,
    LOAD_SHED_EVENT_LOOP_DELAY_MS: 1_000,
  })
  t.throws(() => loadConfig(serviceConfig(9999), { REQUEST_IDLE_TIMEOUT_MS: 'soon' }), ConfigError)
  const { app } = await start({ server: config })
  t.equal(app.server.headersTimeout, 10_000)
  t.equal(app.server.requestTimeout, 900_000)
  t.equal(app.server.keepAliveTimeout, 72_000)
  t.equal(app.server.timeout, 30_000, 'idle (socket) timeout')
})

/** Keeps the event loop busy in slices of `sliceMs` (yielding between them) for `totalMs`. */
async function saturate(totalMs: number, sliceMs: number): Promise<void> {
  const until = Date.now() + totalMs
  while (Date.now() < until) {
    const sliceEnd = Date.now() + sliceMs
    while (Date.now() < sliceEnd);
    await new Promise((resolve) => setImmediate(resolve))
  }
}

t.test('a saturated event loop sheds requests with 503 and Retry-After; liveness still answers', async (t) => {
  const { port } = await start({ server: { LOAD_SHED_EVENT_LOOP_DELAY_MS: 50 }, loadSheddingSampleMs: 100 })
  const ask = async (line: string) =>
    parseRaw(await rawExchange(port, (socket) => socket.write(`${line} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)))

  // One long pause is not saturation: nothing is shed after it.
  await saturate(600, 600)
  t.equal((await ask('GET /things/1')).status, 200, 'a single pause sheds nothing')

  // Sustained lag: 200 ms busy slices for 1.2 s, and the requests arrive while it goes on.
  const busy = saturate(2_000, 200)
  await new Promise((resolve) => setTimeout(resolve, 1_200))
  const [shed, live] = await Promise.all([ask('GET /things/1'), ask('GET /health/live')])
  await busy
  t.equal(shed.status, 503)
  t.strictSame(shed.json, { errorMessage: 'Service is overloaded: try again later', errorCode: '503' })
  t.equal(shed.headers.get('retry-after'), '5')
  t.equal(shed.headers.get('content-type'), 'application/json')
  t.equal(live.status, 200, 'the liveness probe is never shed')

  // The lag gone, requests are served again.
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal((await ask('GET /things/1')).status, 200, 'served again once the loop is idle')
})

t.test('OpenAPI: every route lists 500 and 503, and 400/413/415 where there is input or a body', async (t) => {
  const { base } = await start()
  const doc = (await http('GET', `${base}/docs/json`)).json as { paths: Record<string, Record<string, { responses: object }>> }
  const post = Object.keys(doc.paths['/things']?.post?.responses ?? {})
  for (const code of ['400', '413', '415', '500', '503']) t.ok(post.includes(code), `POST /things declares ${code}`)
  const get = Object.keys(doc.paths['/things/{id}']?.get?.responses ?? {})
  for (const code of ['400', '500', '503']) t.ok(get.includes(code), `GET /things/{id} declares ${code}`)
  t.notOk(get.includes('415'), 'no body, no 415')
})
