import { createLogger } from '@soundline/platform'
import {
  listenOnFreePort,
  startService,
  startTestDatabase,
  startTestS3,
  writeBytes,
  type RunningService,
  type TestDatabase,
} from '@soundline/dev-stack/testing'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildApp as buildGateway } from '../src/app.js'
import { loadGatewayConfig } from '../src/config.js'

/** The real services behind the gateway, each its own process (dev-stack's startService), on ephemeral ports; the gateway itself in this one. */

// Every file that starts these: up to three databases and three service processes
// before its first test, more than tap's default 120 s on a busy 2-core machine.
t.setTimeout(240_000)

const silent = (service: string) => createLogger({ service, level: 'silent' })
type Stoppable = { close(): Promise<unknown> }

export interface Running {
  base: string
  stop(): Promise<void>
}

async function running(app: Stoppable & Parameters<typeof listenOnFreePort>[0]): Promise<Running> {
  const base = await listenOnFreePort(app)
  return { base, stop: async () => void (await app.close()) }
}

function processOn(service: RunningService): Running {
  return { base: service.url, stop: () => service.stop() }
}
/** `port` 0: a free one; another: where the gateway already looks for it (a restart). */
const at = (port: number) => (port ? { port } : {})

export const portOf = (base: string): number => Number(new URL(base).port)

export async function startSongService(database: TestDatabase, port = 0): Promise<Running> {
  return processOn(await startService('song-service', { DATABASE_URL: database.url }, at(port)))
}

export async function startStorageService(database: TestDatabase, s3Endpoint: string): Promise<Running> {
  return processOn(await startService('storage-service', { DATABASE_URL: database.url, S3_ENDPOINT: s3Endpoint }))
}

export const ADMIN_PASSWORD = 'gateway-test-admin'

export async function startAuthService(database: TestDatabase, port = 0, env: Record<string, string> = {}): Promise<Running> {
  const service = await startService(
    'auth-service',
    { DATABASE_URL: database.url, PASSWORD_SCRYPT_COST: '1024', ADMIN_PASSWORD, ...env },
    at(port),
  )
  return processOn(service)
}

export interface Upstreams {
  song: Running
  storage: Running
  auth: Running
  resource: FakeResourceService
  databases: { song: TestDatabase; storage: TestDatabase; auth: TestDatabase }
  stop(): Promise<void>
}

/** Song, Storage and Auth services (each with its own database, S3 for storages) and the resource stand-in. */
export async function startUpstreams(options: { authEnv?: Record<string, string> } = {}): Promise<Upstreams> {
  const [song, storage, auth] = await Promise.all([startTestDatabase(), startTestDatabase(), startTestDatabase()])
  const s3 = await startTestS3()
  const result: Upstreams = {
    song: await startSongService(song),
    storage: await startStorageService(storage, s3.endpoint),
    auth: await startAuthService(auth, 0, options.authEnv),
    resource: await startFakeResourceService(),
    databases: { song, storage, auth },
    // Reads the fields at stop time: a test may have replaced a service with a restarted one.
    async stop() {
      await Promise.all([result.song.stop(), result.storage.stop(), result.auth.stop(), result.resource.stop()])
      await Promise.all([song.stop(), storage.stop(), auth.stop(), s3.stop()])
    },
  }
  return result
}

export async function startGateway(
  upstreams: Pick<Upstreams, 'song' | 'storage' | 'auth' | 'resource'>,
  env: Record<string, string> = {},
): Promise<Running> {
  const config = loadGatewayConfig({
    SONG_SERVICE_URL: upstreams.song.base,
    STORAGE_SERVICE_URL: upstreams.storage.base,
    AUTH_SERVICE_URL: upstreams.auth.base,
    RESOURCE_SERVICE_URL: upstreams.resource.base,
    LOG_LEVEL: 'silent',
    JWKS_COOLDOWN_SECONDS: '0',
    // Small windows, so that a few failed calls open a breaker.
    ...Object.fromEntries(
      ['SONG', 'STORAGE', 'RESOURCE', 'AUTH'].flatMap((name) => [
        [`BREAKER_${name}_SERVICE_WINDOW_SIZE`, '4'],
        [`BREAKER_${name}_SERVICE_MINIMUM_CALLS`, '2'],
      ]),
    ),
    UPSTREAM_RETRY_BASE_MS: '5',
    ...env,
  })
  return running(await buildGateway(config, silent('gateway')))
}

/**
 * Two gateway replicas in front of a real Song Service (its own database) and the resource stand-in, sharing
 * what `env` names (a Redis, a cluster); the other upstreams are never called. Torn down with the test file.
 */
export async function startSharedGateways(env: Record<string, string>): Promise<[Running, Running]> {
  const database = await startTestDatabase()
  t.teardown(() => database.stop())
  const song = await startSongService(database)
  t.teardown(() => song.stop())
  const resource = await startFakeResourceService()
  t.teardown(() => resource.stop())
  const nowhere: Running = { base: 'http://127.0.0.1:9', stop: async () => {} }
  const upstreams = { song, resource, storage: nowhere, auth: nowhere }
  const replicas = [await startGateway(upstreams, env), await startGateway(upstreams, env)] as [Running, Running]
  for (const replica of replicas) t.teardown(() => replica.stop())
  return replicas
}

/** What the stand-in answers to GET /resources/{id}/status: the contract's shape (the catalog's client checks it). */
export const resourceStatus = (id: number) => ({
  id,
  state: 'PERMANENT',
  storageId: 2,
  bucket: 'permanent',
  key: `resources/${id}.mp3`,
  size: 1234,
  sha256: 'ab'.repeat(32),
  failureReason: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
})

export interface FakeResourceService extends Running {
  /** Headers of the last request it received. */
  lastHeaders: IncomingHttpHeaders | undefined
  requests: number
}

/**
 * A stand-in for the Resource Service (written in parallel): a real HTTP
 * server that streams. POST /resources hashes the body as it arrives;
 * GET /resources/{id}?bytes=N streams N generated bytes; GET
 * /resources/{id}/status answers JSON.
 */
export async function startFakeResourceService(port = 0): Promise<FakeResourceService> {
  const state = { lastHeaders: undefined as IncomingHttpHeaders | undefined, requests: 0 }
  const server: Server = createServer((request, response) => {
    state.lastHeaders = request.headers
    state.requests += 1
    const url = new URL(request.url ?? '/', 'http://x')
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    if (request.method === 'POST' && url.pathname === '/resources') {
      const hash = createHash('sha256')
      let size = 0
      request.on('data', (chunk: Buffer) => {
        size += chunk.length
        hash.update(chunk)
      })
      request.on('end', () => json(200, { id: 1, size, sha256: hash.digest('hex') }))
      return
    }
    const status = /^\/resources\/(\d+)\/status$/.exec(url.pathname)
    if (request.method === 'GET' && status) {
      if (status[1] === '404') return json(404, { errorMessage: 'Resource with ID=404 not found', errorCode: '404' })
      return json(200, resourceStatus(Number(status[1])))
    }
    if ((request.method === 'GET' || request.method === 'HEAD') && /^\/resources\/\d+$/.test(url.pathname)) {
      const total = Number(url.searchParams.get('bytes') ?? 1024)
      response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(total) })
      if (request.method === 'HEAD') return void response.end()
      return writeBytes(response, total)
    }
    if (url.pathname === '/resources/echo') return json(200, { headers: request.headers })
    if (url.pathname === '/resources/fail') return json(500, { errorMessage: 'Internal server error', errorCode: '500' })
    json(404, { errorMessage: `Route ${request.method} ${url.pathname} not found`, errorCode: '404' })
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base,
    get lastHeaders() {
      return state.lastHeaders
    },
    get requests() {
      return state.requests
    },
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
