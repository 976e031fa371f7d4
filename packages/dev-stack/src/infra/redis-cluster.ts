// A real Redis Cluster (Debian's redis-server and redis-cli) on free ports in a
// temp dir: N masters with R replicas each, made by `redis-cli --cluster
// create`, for the gateway's tests and the cache-failover drill. Each node is
// its own process, so a test or drill can SIGKILL one and watch its replica
// take over.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readdir, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { freePorts } from './ports.js'
import { isProcessAlive, runCommand } from './processes.js'

const DIR_PREFIX = 'soundline-redis-cluster-'
const READY_TIMEOUT_MS = 60_000

export interface RedisClusterOptions {
  /** Default 3. */
  masters?: number
  /** Replicas per master; default 1. */
  replicas?: number
  /**
   * cluster-node-timeout: how long a master may be unreachable before its
   * replica is promoted (failover takes about this plus a second). Default
   * 3000 ms, short for tests; Redis's own default is 15000.
   */
  nodeTimeoutMs?: number
  /** REDIS_SERVER / REDIS_CLI name other binaries. */
  env?: NodeJS.ProcessEnv
}

export interface ClusterNode {
  id: string
  port: number
  role: 'master' | 'replica'
  /** The master's id, for a replica. */
  masterId?: string
  /** fail, pfail, handshake, … as CLUSTER NODES says. */
  flags: string[]
  connected: boolean
  /** Slot count this master serves. */
  slots: number
}

export interface RunningRedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…`: every node as a seed (the gateway's REDIS_URL form). */
  url: string
  /** Ports of every node started, alive or not. */
  ports(): number[]
  /** CLUSTER NODES as seen from a live node. */
  nodes(): Promise<ClusterNode[]>
  /** CLUSTER INFO of a live node, as key → value. */
  info(port?: number): Promise<Record<string, string>>
  /** Number of keys each master holds (DBSIZE), by port. */
  keysPerMaster(): Promise<Map<number, number>>
  /** SIGKILL (default) or SIGTERM one node; resolves once it has exited. */
  kill(port: number, signal?: NodeJS.Signals): Promise<void>
  /** Starts one more empty master, joins it and rebalances slots onto it; resolves with its port. */
  addMaster(): Promise<number>
  /**
   * Until every live node reports cluster_state:ok and sees all slots owned by
   * live masters (after a kill: once a replica was promoted). `allowEmptyMasters`:
   * a master without slots is fine (just added).
   */
  waitHealthy(timeoutMs?: number, allowEmptyMasters?: boolean): Promise<void>
  /** redis-cli against one node. */
  cli(port: number, ...args: string[]): Promise<string>
  stop(): Promise<void>
}

interface NodeProcess {
  port: number
  child: ChildProcess
  exited: Promise<void>
}

/** Kills nodes of clusters whose creator died without stopping them (their dir names its pid), then removes the dirs. */
async function removeAbandonedClusters(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[])
  for (const entry of entries) {
    const owner = Number(/^soundline-redis-cluster-(\d+)-/.exec(entry)?.[1])
    if (!owner || isProcessAlive(owner)) continue
    const dir = join(tmpdir(), entry)
    // redis-server rewrites its command line; its working directory (--dir) still says which cluster it belongs to.
    for (const pid of (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p))) {
      const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '')
      if (cwd.startsWith(dir)) process.kill(Number(pid), 'SIGKILL')
    }
    await rm(dir, { recursive: true, force: true })
  }
}

function parseNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flagText = '', master = '-', , , , link = '', ...slotRanges] = line.trim().split(' ')
      const flags = flagText.split(',')
      const slots = slotRanges
        .filter((range) => !range.startsWith('['))
        .reduce((sum, range) => {
          const [from, to = from] = range.split('-').map(Number)
          return sum + ((to ?? 0) - (from ?? 0) + 1)
        }, 0)
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        role: flags.includes('master') ? 'master' : 'replica',
        ...(master !== '-' ? { masterId: master } : {}),
        flags: flags.filter((f) => f !== 'myself' && f !== 'master' && f !== 'slave'),
        connected: link === 'connected',
        slots,
      }
    })
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RunningRedisCluster> {
  const env = options.env ?? process.env
  const server = env.REDIS_SERVER ?? 'redis-server'
  const cliBinary = env.REDIS_CLI ?? 'redis-cli'
  const masters = options.masters ?? 3
  const replicas = options.replicas ?? 1
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 3000
  await removeAbandonedClusters()
  const root = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`))
  const nodes = new Map<number, NodeProcess>()
  const killAll = (): void => {
    for (const node of nodes.values()) node.child.kill('SIGKILL')
  }
  process.on('exit', killAll)

  const cli = (port: number, ...args: string[]): Promise<string> =>
    runCommand(cliBinary, ['-h', '127.0.0.1', '-p', String(port), ...args], { env })
  const alive = (): number[] =>
    [...nodes.values()].filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((n) => n.port)

  async function startNode(): Promise<number> {
    const [port = 0, busPort = 0] = await freePorts(2)
    const dir = join(root, String(port))
    await mkdir(dir, { recursive: true })
    // No persistence: a cache. cluster-require-full-coverage no: while one master's slots have no owner,
    // the others keep serving theirs (a cache serves what it can). The bus port is chosen too: port+10000
    // may not exist for an ephemeral port.
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort),
      '--cluster-node-timeout', String(nodeTimeoutMs), '--cluster-require-full-coverage', 'no',
      '--save', '', '--appendonly', 'no', '--loglevel', 'warning',
    ] // prettier-ignore
    const child = spawn(server, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const collect = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-4000))
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    const started = once(child, 'spawn').catch((error: Error) => {
      throw new Error(`cannot run ${server} (apt-get install -y redis-server, or set REDIS_SERVER): ${error.message}`)
    })
    await started
    nodes.set(port, { port, child, exited: once(child, 'exit').then(() => undefined) })
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited: ${output}`)
      if ((await cli(port, 'ping').catch(() => '')).trim() === 'PONG') return port
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer: ${output}`)
      await delay(50)
    }
  }

  const cluster: RunningRedisCluster = {
    get url() {
      return `redis+cluster://${[...nodes.keys()].map((port) => `127.0.0.1:${port}`).join(',')}`
    },
    ports: () => [...nodes.keys()],
    async nodes() {
      const [port] = alive()
      if (port === undefined) throw new Error('no live node')
      return parseNodes(await cli(port, 'cluster', 'nodes'))
    },
    async info(port = alive()[0] ?? 0) {
      const text = await cli(port, 'cluster', 'info')
      return Object.fromEntries(
        text.split(/\r?\n/).flatMap((line) => (line.includes(':') ? [line.trim().split(':', 2) as [string, string]] : [])),
      )
    },
    async keysPerMaster() {
      const counts = new Map<number, number>()
      for (const node of await cluster.nodes()) {
        if (node.role === 'master' && node.connected && !node.flags.includes('fail'))
          counts.set(node.port, Number((await cli(node.port, 'dbsize')).trim()))
      }
      return counts
    },
    async kill(port, signal = 'SIGKILL') {
      const node = nodes.get(port)
      if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return
      node.child.kill(signal)
      await node.exited
    },
    async addMaster() {
      const [existing] = alive()
      const port = await startNode()
      await cli(existing ?? 0, '--cluster', 'add-node', `127.0.0.1:${port}`, `127.0.0.1:${existing}`)
      // The new node must be known to all before slots move to it.
      await cluster.waitHealthy(READY_TIMEOUT_MS, true)
      await cli(existing ?? 0, '--cluster', 'rebalance', `127.0.0.1:${existing}`, '--cluster-use-empty-masters')
      await cluster.waitHealthy()
      return port
    },
    async waitHealthy(timeoutMs = READY_TIMEOUT_MS, allowEmptyMasters = false) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const ports = alive()
        const views = await Promise.all(
          ports.map(async (port) => ({
            info: await cluster.info(port).catch(() => ({}) as Record<string, string>),
            nodes: await cli(port, 'cluster', 'nodes').then(parseNodes, () => [] as ClusterNode[]),
          })),
        )
        // Every live node says ok and sees every slot owned by a live master, and every live master of its view owns slots.
        const problems = views.flatMap(({ info, nodes: view }, i) => {
          const owners = view.filter((n) => n.role === 'master' && n.slots > 0)
          const wrong: string[] = []
          if (info.cluster_state !== 'ok') wrong.push(`${ports[i]}: state ${info.cluster_state}`)
          if (owners.some((n) => !ports.includes(n.port) || n.flags.some((f) => f.includes('fail'))))
            wrong.push(`${ports[i]}: a dead master still owns slots`)
          if (owners.reduce((sum, n) => sum + n.slots, 0) !== 16384) wrong.push(`${ports[i]}: slots not all covered`)
          if (view.filter((n) => ports.includes(n.port)).length < ports.length) wrong.push(`${ports[i]}: does not know every node`)
          if (!allowEmptyMasters && view.some((n) => n.role === 'master' && n.slots === 0 && ports.includes(n.port)))
            wrong.push(`${ports[i]}: sees a master without slots`)
          return wrong
        })
        if (problems.length === 0) return
        if (Date.now() > deadline)
          throw new Error(`the Redis cluster is not healthy after ${timeoutMs} ms: ${problems.slice(0, 4).join('; ')}`)
        await delay(200)
      }
    },
    cli,
    async stop() {
      process.removeListener('exit', killAll)
      await Promise.all([...nodes.keys()].map((port) => cluster.kill(port, 'SIGTERM')))
      await rm(root, { recursive: true, force: true })
    },
  }

  try {
    const ports: number[] = []
    for (let i = 0; i < masters * (1 + replicas); i++) ports.push(await startNode())
    await cli(
      ports[0] ?? 0,
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    )
    await cluster.waitHealthy()
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}
