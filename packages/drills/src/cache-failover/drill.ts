// The cache-failover drill: cacheable reads through the gateway at a steady
// rate with a warm cache, one Redis master SIGKILLed, its replica promoted by
// the cluster itself. Measured from outside: every answer (status, body,
// X-Cache), the cluster's own view every 250 ms, the gateway's /metrics.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { scrape, sumOf, type Series } from '../metrics.js'
import { CacheStack } from './stack.js'

export interface CacheDrillOptions {
  /** Reads per second. */
  rate: number
  /** Distinct songs read (round robin), each cached once before the load. */
  songs: number
  warmupSeconds: number
  /** Load after the replica took over. */
  afterSeconds: number
  nodeTimeoutMs: number
  onProgress?: (line: string) => void
}

export interface ReadRecord {
  /** Drill ms. */
  startedAt: number
  latencyMs: number
  /** 0: no answer. */
  status: number
  /** HIT, MISS, STALE, or '' when absent. */
  cache: string
  /** The body was exactly the song. */
  correct: boolean
  error?: string
}

export interface ClusterSample {
  t: number
  /** The victim's replica is a master owning slots. */
  promoted: boolean
  /** Some live node sees the victim flagged fail. */
  victimFailed: boolean
  state: string
}

export interface MetricsPoint {
  t: number
  series: Series[] | undefined
}

export interface CacheDrillResult {
  options: CacheDrillOptions
  records: ReadRecord[]
  cluster: ClusterSample[]
  metrics: MetricsPoint[]
  victimPort: number
  faultAt: number
  /** First sample with the replica promoted and the cluster ok. */
  promotedAt?: number
  loadEndAt: number
}

const CLIENT_TIMEOUT_MS = 10_000
const MAX_FAILOVER_MS = 60_000

export const songOf = (id: number) => ({ id, name: `Cached ${id}`, artist: 'Drill', album: 'Failover', duration: '03:00', year: '2026' })

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

async function read(url: string, id: number, clock: () => number): Promise<ReadRecord> {
  const startedAt = clock()
  try {
    const response = await fetch(`${url}/songs/${id}`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) })
    const text = await response.text()
    return {
      startedAt,
      latencyMs: clock() - startedAt,
      status: response.status,
      cache: response.headers.get('x-cache') ?? '',
      correct: response.status === 200 && isDeepStrictEqual(parse(text), songOf(id)),
      ...(response.status === 200 ? {} : { error: text.slice(0, 200) }),
    }
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause
    return {
      startedAt,
      latencyMs: clock() - startedAt,
      status: 0,
      cache: '',
      correct: false,
      error: cause?.code ?? (error as Error).message,
    }
  }
}

/** Open loop: read i starts at i/rate s whatever the earlier ones do, so a stall shows as latency. */
async function runReads(url: string, options: CacheDrillOptions, clock: () => number, stopAt: () => number): Promise<ReadRecord[]> {
  const pending: Promise<ReadRecord>[] = []
  const begin = clock()
  for (let i = 0; ; i++) {
    const due = begin + (i * 1000) / options.rate
    if (due >= stopAt()) break
    // Always yields, even when behind: a busy process must still send what it started and answer its timers.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - clock())))
    pending.push(read(url, (i % options.songs) + 1, clock))
  }
  return Promise.all(pending)
}

function loop(intervalMs: number, step: () => Promise<void>): { stop(): Promise<void> } {
  let running = true
  const done = (async () => {
    while (running) {
      const started = performance.now()
      await step()
      const wait = started + intervalMs - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  })()
  return {
    stop: async () => {
      running = false
      await done
    },
  }
}

export async function runCacheFailover(options: CacheDrillOptions): Promise<CacheDrillResult & { logPath: string }> {
  const progress = options.onProgress ?? (() => undefined)
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-cache-drill-'))
  const started = Date.now()
  const stack = await CacheStack.start({ dataDir, nodeTimeoutMs: options.nodeTimeoutMs, gatewayEnv: { CACHE_TTL_SECONDS: '3600' } }).catch(
    async (error: unknown) => {
      await rm(dataDir, { recursive: true, force: true })
      throw error
    },
  )
  progress(
    `stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s: Redis Cluster ${stack.cluster.url}, gateway ${stack.gatewayUrl}`,
  )
  try {
    // Songs straight into the Song Service, then each read once through the gateway: a warm cache.
    for (let id = 1; id <= options.songs; id++) {
      const response = await fetch(`${stack.songUrl}/songs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(songOf(id)),
      })
      if (response.status !== 200) throw new Error(`seeding song ${id}: ${response.status} ${await response.text()}`)
    }
    for (let id = 1; id <= options.songs; id++) await (await fetch(`${stack.gatewayUrl}/songs/${id}`)).text()
    const perMaster = await stack.cluster.keysPerMaster()
    progress(`${options.songs} songs cached; keys per master: ${[...perMaster.values()].join(', ')}`)

    const nodes = await stack.cluster.nodes()
    const victim = nodes.find((node) => node.role === 'master' && node.slots > 0)
    const replica = nodes.find((node) => node.masterId === victim?.id)
    if (!victim || !replica) throw new Error('no master with a replica to kill')

    const t0 = performance.now()
    const clock = (): number => performance.now() - t0
    const cluster: ClusterSample[] = []
    const clusterLoop = loop(250, async () => {
      const t = clock()
      const view = await stack.cluster.nodes().catch(() => [])
      const info = await stack.cluster.info(replica.port).catch(() => ({}) as Record<string, string>)
      const now = view.find((node) => node.id === replica.id)
      cluster.push({
        t,
        promoted: now?.role === 'master' && now.slots > 0,
        victimFailed: view.some((node) => node.id === victim.id && node.flags.includes('fail')),
        state: info.cluster_state ?? 'unknown',
      })
    })
    const metrics: MetricsPoint[] = []
    const metricsLoop = loop(250, async () => {
      const t = clock()
      metrics.push({ t, series: await scrape(stack.gatewayUrl) })
    })
    let stopAt = Number.POSITIVE_INFINITY
    const load = runReads(stack.gatewayUrl, options, clock, () => stopAt)

    await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000))
    const faultAt = clock()
    stack.note(`cache-failover: SIGKILL master ${victim.port}`)
    progress(`SIGKILL master 127.0.0.1:${victim.port} (replica 127.0.0.1:${replica.port})`)
    await stack.cluster.kill(victim.port)
    const deadline = faultAt + MAX_FAILOVER_MS
    let promotedAt: number | undefined
    while (clock() < deadline && promotedAt === undefined) {
      promotedAt = cluster.find((s) => s.t >= faultAt && s.promoted && s.state === 'ok')?.t
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    progress(
      promotedAt === undefined ? 'no replica promoted' : `replica promoted ${((promotedAt - faultAt) / 1000).toFixed(1)} s after the kill`,
    )
    stopAt = (promotedAt ?? clock()) + options.afterSeconds * 1000
    const records = await load
    const loadEndAt = clock()
    await Promise.all([clusterLoop.stop(), metricsLoop.stop()])
    return {
      options,
      records,
      cluster,
      metrics,
      victimPort: victim.port,
      faultAt,
      ...(promotedAt === undefined ? {} : { promotedAt }),
      loadEndAt,
      logPath: stack.logPath,
    }
  } finally {
    await stack.close()
    if (process.env.DRILL_KEEP_DATA === '1') progress(`kept the stack's data in ${dataDir} (DRILL_KEEP_DATA=1)`)
    else await rm(dataDir, { recursive: true, force: true })
  }
}

/** Lookups by outcome on the gateway between two drill times (from /metrics). */
export function lookupsBetween(metrics: MetricsPoint[], from: number, to: number): Record<string, number> {
  const at = (t: number, pick: 'first' | 'last'): Series[] | undefined => {
    const inside = metrics.filter((m) => m.series && m.t >= from && m.t <= to)
    return (pick === 'first' ? inside[0] : inside[inside.length - 1])?.series ?? undefined
  }
  const first = at(from, 'first')
  const last = at(to, 'last')
  const result: Record<string, number> = {}
  for (const outcome of ['fresh', 'expired', 'absent', 'error']) {
    result[outcome] =
      last && first ? sumOf(last, 'gateway_cache_lookups_total', { outcome }) - sumOf(first, 'gateway_cache_lookups_total', { outcome }) : 0
  }
  return result
}
