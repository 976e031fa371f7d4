// The two HTTP adapters: what each answer of a neighbour means for the
// processor. The Song Service is the real one; the other answers come from a
// tiny node:http server, since the real services never give them on demand.
import { ConfigError, ServiceClient, UnavailableError } from '@soundline/platform'
import { startService, startTestDatabase } from '@soundline/dev-stack/testing'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { loadResourceProcessorConfig } from '../src/config.js'
import { httpResourceSource } from '../src/plugins/app/resource-client.js'
import { httpSongStore } from '../src/plugins/app/song-client.js'

async function serveWith(listener: RequestListener): Promise<string> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** An address where nothing listens: a server that was just closed. */
async function deadAddress(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

// Generous by default: a busy CI machine answers a service's first, cold request in seconds.
// The tests about deadlines pass their own short one.
const client = (name: string, baseUrl: string, timeoutMs = 15_000) => new ServiceClient({ name, baseUrl, timeoutMs })
const song = { name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }

t.test("song client against the real Song Service: created, replaced with the file's own, repeated, rejected", async (t) => {
  const database = await startTestDatabase()
  t.teardown(() => database.stop())
  const songService = await startService('song-service', { DATABASE_URL: database.url })
  t.teardown(() => songService.stop())
  const base = songService.url
  const songs = httpSongStore(client('song-service', base))

  t.strictSame(await songs.create(7, song), { accepted: true })
  t.strictSame(await songs.create(7, song), { accepted: true }, 'a repeat (redelivery) is harmless')
  t.strictSame(await songs.create(7, { ...song, name: 'Other' }), { accepted: true }, 'other values replace the record')
  t.strictSame(await (await fetch(`${base}/songs/7`)).json(), { id: 7, ...song, name: 'Other' }, 'the record is what was sent last')
  t.strictSame(await songs.create(8, { ...song, year: '1899', duration: '1:00' }), {
    accepted: false,
    reason: 'Duration must be in mm:ss format with leading zeros; Year must be between 1900 and 2099',
  })
})

t.test('song client: 5xx and no answer throw, so the event is retried', async (t) => {
  const failing = httpSongStore(client('song-service', await serveWith((_request, response) => response.writeHead(503).end())))
  await t.rejects(failing.create(1, song), { message: /answered HTTP 503/ })
  const down = httpSongStore(client('song-service', await deadAddress()))
  await t.rejects(down.create(1, song), UnavailableError)
  const slow = httpSongStore(client('song-service', await serveWith(() => undefined), 200))
  await t.rejects(slow.create(1, song), { message: /no answer within 200 ms/ })
})

t.test('resource client: 404 is gone, other errors throw, a stalled body fails', async (t) => {
  const base = await serveWith((request, response) => {
    if (request.url === '/resources/1') response.writeHead(404).end()
    else if (request.url === '/resources/2') response.writeHead(500).end()
    else if (request.url === '/resources/3')
      response.writeHead(200, { 'content-length': '1000' }).write('ID3') // and then nothing
    else response.writeHead(200, { 'content-length': '3' }).end('ID3')
  })
  const resources = httpResourceSource(client('resource-service', base), 300)
  t.equal(await resources.download(1), null)
  await t.rejects(resources.download(2), { message: /answered HTTP 500/ })
  const stalled = await resources.download(3)
  t.equal(stalled?.size, 1000)
  await t.rejects(
    (async () => {
      for await (const _chunk of stalled?.body ?? []) {
        // drain until the idle timeout fails the stream
      }
    })(),
    { message: 'resource-service sent no data for 300 ms' },
  )
  const small = await resources.download(4)
  t.equal(small?.size, 3)
  small?.body.destroy()
  await t.rejects(httpResourceSource(client('resource-service', await deadAddress()), 300).download(1), UnavailableError)
})

t.test('configuration: defaults, and a wrong value names the variable', async (t) => {
  t.match(loadResourceProcessorConfig({}), {
    PORT: 8084,
    KAFKA_BROKERS: ['127.0.0.1:9092'],
    KAFKA_GROUP_ID: 'resource-processor',
    RESOURCE_SERVICE_URL: 'http://127.0.0.1:8081',
    SONG_SERVICE_URL: 'http://127.0.0.1:8082',
  })
  t.throws(() => loadResourceProcessorConfig({ SONG_SERVICE_URL: 'song-service:8082', RESOURCE_SERVICE_TIMEOUT_MS: '1s' }), ConfigError)
  t.throws(() => loadResourceProcessorConfig({ SONG_SERVICE_URL: 'ftp://x' }), { message: /SONG_SERVICE_URL: must be a http or https URL/ })
})
