import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { freePort } from '@soundline/dev-stack/infra'
import { firstLine, profileArgs, startNode, waitForHttp, type Child } from '../children.js'
import { runLoad, type LoadResult } from '../load.js'
import { fixed, table } from '../report.js'
import type { Figures } from '../figures.js'
import { peakRssDuring, rssOf } from '../rss.js'
import { exampleSong } from '../song.js'

const repoFile = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url))
const childScript = (name: string) => fileURLToPath(new URL(`../children/${name}.js`, import.meta.url))

const MB = 1024 * 1024
const TRANSFER_BYTES = 100 * MB
const ADMIN_PASSWORD = 'bench-admin-password'

async function startChildWithPort(script: string): Promise<{ base: string; child: Child }> {
  const child = startNode(script, {})
  const { port } = JSON.parse(await firstLine(child)) as { port: number }
  return { base: `http://127.0.0.1:${port}`, child }
}

/** `label` names the CPU profile the service writes when BENCH_PROFILE_DIR is set. */
async function startService(entry: string, env: Record<string, string>, label: string): Promise<{ base: string; child: Child }> {
  const port = await freePort()
  const child = startNode(repoFile(entry), { PORT: String(port), HOST: '127.0.0.1', ...env }, profileArgs(label))
  const base = `http://127.0.0.1:${port}`
  await waitForHttp(`${base}/health/ready`)
  return { base, child }
}

async function upload(url: string, headers: Record<string, string>): Promise<void> {
  const chunk = Buffer.alloc(MB, 1)
  const body = Readable.from(
    (function* () {
      for (let sent = 0; sent < TRANSFER_BYTES; sent += MB) yield chunk
    })(),
  )
  const init = {
    method: 'POST',
    headers: { ...headers, 'content-type': 'audio/mpeg', 'content-length': String(TRANSFER_BYTES) },
    body: Readable.toWeb(body),
    duplex: 'half',
  }
  const response = await fetch(url, init as RequestInit)
  const answer = (await response.json()) as { size?: number }
  if (answer.size !== TRANSFER_BYTES) throw new Error(`upload arrived with ${answer.size} bytes`)
}

async function download(url: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(url, { headers })
  let received = 0
  for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) received += part.length
  if (received !== TRANSFER_BYTES) throw new Error(`download delivered ${received} bytes`)
}

const song = JSON.stringify(exampleSong(1))
const mib = (bytes: number) => (Number.isNaN(bytes) ? 'n/a' : `${fixed(bytes / MB)} MiB`)

/**
 * GET /songs/{id} directly at the Song Service and through the gateway (JWT
 * checked, breaker, identity headers), uncached and cached, in the same run;
 * then the gateway's memory while 100 MB go up and 100 MB come down.
 */
export async function benchGateway(options: { durationSeconds: number }, figures: Figures): Promise<string> {
  const children: Child[] = []
  const track = <T extends { child: Child }>(started: T): T => {
    children.push(started.child)
    return started
  }
  try {
    const songDb = track(await startChildWithPort(childScript('pglite-server')))
    const authDb = track(await startChildWithPort(childScript('pglite-server')))
    const songDbUrl = songDb.base.replace('http://', 'postgres://postgres@') + '/postgres'
    const authDbUrl = authDb.base.replace('http://', 'postgres://postgres@') + '/postgres'
    const songs = track(await startService('services/song-service/dist/server.js', { DATABASE_URL: songDbUrl }, 'song-service'))
    const auth = track(
      await startService('services/auth-service/dist/server.js', { DATABASE_URL: authDbUrl, ADMIN_PASSWORD }, 'auth-service'),
    )
    const streams = track(await startChildWithPort(childScript('stream-server')))
    const upstreamEnv = {
      SONG_SERVICE_URL: songs.base,
      AUTH_SERVICE_URL: auth.base,
      RESOURCE_SERVICE_URL: streams.base,
      RATE_LIMIT_MAX: '10000000',
    }
    const passthrough = track(
      await startService(
        'services/gateway/dist/server.js',
        { ...upstreamEnv, CACHE_TTL_SECONDS: '0', CACHE_STALE_SECONDS: '0' },
        'gateway-passthrough',
      ),
    )
    const cached = track(
      await startService('services/gateway/dist/server.js', { ...upstreamEnv, CACHE_TTL_SECONDS: '3600' }, 'gateway-cached'),
    )
    // The gateway's own cost: the same route to an upstream that answers a constant (no database).
    const overConstant = track(
      await startService(
        'services/gateway/dist/server.js',
        {
          ...upstreamEnv,
          SONG_SERVICE_URL: streams.base,
          CACHE_TTL_SECONDS: '0',
          CACHE_STALE_SECONDS: '0',
        },
        'gateway-constant',
      ),
    )

    // The ceiling: a bare Fastify + undici proxy to the same constant upstream (children/proxy-baseline.ts).
    const ceilingPort = await freePort()
    const ceiling = track({
      base: `http://127.0.0.1:${ceilingPort}`,
      child: startNode(
        childScript('proxy-baseline'),
        { PORT: String(ceilingPort), UPSTREAM_URL: streams.base },
        profileArgs('proxy-baseline'),
      ),
    })
    await waitForHttp(`${ceiling.base}/songs/1`)

    const login = await fetch(`${passthrough.base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    })
    const { accessToken } = (await login.json()) as { accessToken: string }
    const authorization = { authorization: `Bearer ${accessToken}` }
    await fetch(`${songs.base}/songs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: song })

    const load = (url: string, headers: Record<string, string> = {}) => runLoad({ url, durationSeconds: options.durationSeconds, headers })
    const direct = await load(`${songs.base}/songs/1`)
    const through = await load(`${passthrough.base}/songs/1`, authorization)
    const hits = await load(`${cached.base}/songs/1`, authorization)
    const constant = await load(`${streams.base}/songs/1`)
    const constantThrough = await load(`${overConstant.base}/songs/1`, authorization)
    const constantCeiling = await load(`${ceiling.base}/songs/1`)
    // One request at a time: what the gateway adds to a single call's latency, without queueing.
    const single = (url: string, headers: Record<string, string> = {}) =>
      runLoad({ url, durationSeconds: options.durationSeconds, headers, connections: 1 })
    const constantSingle = await single(`${streams.base}/songs/1`)
    const constantThroughSingle = await single(`${overConstant.base}/songs/1`, authorization)
    const constantCeilingSingle = await single(`${ceiling.base}/songs/1`)

    const row = (target: string, result: LoadResult, baseline = direct) => [
      target,
      fixed(result.requestsPerSecond, 0),
      fixed(result.p50Ms),
      fixed(result.p99Ms),
      result.errors + result.non2xx,
      fixed(result.requestsPerSecond / baseline.requestsPerSecond, 2),
      fixed(result.p50Ms - baseline.p50Ms, 2),
    ]
    const latency = table(
      ['GET /songs/{id}', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'ratio vs direct (req/s)', 'added p50 ms'],
      [
        row('song-service direct', direct),
        row('gateway -> song-service, uncached (JWT + breaker)', through),
        row('gateway, cache hit', hits),
        row('constant upstream direct', constant, constant),
        row('gateway -> constant upstream, uncached', constantThrough, constant),
        row('bare Fastify + undici proxy -> constant upstream (ceiling)', constantCeiling, constant),
      ],
    )
    // autocannon's percentiles are whole milliseconds, too coarse for one call: at one connection the mean is 1000 / req/s.
    const meanMs = (result: LoadResult) => 1000 / result.requestsPerSecond
    const oneAtATime = table(
      ['GET /songs/{id}, 1 connection', 'req/s', 'mean ms', 'errors', 'ratio vs direct (req/s)', 'added mean ms'],
      [constantSingle, constantThroughSingle, constantCeilingSingle].map((result, index) => [
        ['constant upstream direct', 'gateway -> constant upstream, uncached', 'bare Fastify + undici proxy (ceiling)'][index] ?? '',
        fixed(result.requestsPerSecond, 0),
        fixed(meanMs(result), 3),
        result.errors + result.non2xx,
        fixed(result.requestsPerSecond / constantSingle.requestsPerSecond, 2),
        fixed(meanMs(result) - meanMs(constantSingle), 3),
      ]),
    )

    figures.set('gateway_constant_upstream_ratio', constantThrough.requestsPerSecond / constant.requestsPerSecond)
    // The one-at-a-time row's middle value is the mean (see above): at one connection and a steady rate it stands for the p50.
    figures.set('gateway_added_p50_ms_one_at_a_time', meanMs(constantThroughSingle) - meanMs(constantSingle))

    const pid = passthrough.child.process.pid ?? 0
    const idle = await rssOf(pid)
    const up = await peakRssDuring(pid, 10, () => upload(`${passthrough.base}/resources`, authorization))
    const down = await peakRssDuring(pid, 10, () => download(`${passthrough.base}/resources/1?bytes=${TRANSFER_BYTES}`, authorization))
    const memory = table(
      ['transfer through the gateway', 'size', 'seconds', 'MB/s', 'gateway RSS before', 'gateway peak RSS during'],
      [
        ['upload (POST /resources)', '100 MiB', fixed(up.seconds, 2), fixed(100 / up.seconds, 0), mib(idle), mib(up.peak)],
        ['download (GET /resources/{id})', '100 MiB', fixed(down.seconds, 2), fixed(100 / down.seconds, 0), mib(idle), mib(down.peak)],
      ],
    )
    return `${latency}\n\n${oneAtATime}\n\n${memory}`
  } finally {
    for (const child of children.reverse()) await child.stop()
  }
}
