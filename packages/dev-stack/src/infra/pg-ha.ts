// A highly available PostgreSQL on this machine: etcd as Patroni's consensus
// store, three PostgreSQL 15 nodes each run by Patroni (a primary and two
// streaming replicas, one synchronous), and HAProxy giving a stable read-write
// and read-only endpoint from Patroni's health API. Free ports and a temp dir;
// everything stops with the cluster. What it is for and why Patroni:
// docs/high-availability.md.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { cacheDir, repoRoot } from '../paths.js'
import { killAllSync, spawnChild, type LinePrinter, type SupervisedChild } from '../supervisor.js'
import { haproxyConfig, patroniConfig, type HaNodePorts } from './pg-ha-config.js'
import { freePorts } from './ports.js'
import { runCommand } from './processes.js'

export const PG_BIN_DIR = '/usr/lib/postgresql/15/bin'
const HA_VENV = join(cacheDir, 'ha-venv')
const INSTALL_SCRIPT = join(repoRoot, 'packages/dev-stack/scripts/install-ha.sh')
const START_TIMEOUT_MS = 120_000

export interface HaMember {
  name: string
  /** leader, sync_standby, replica. */
  role: string
  /** running, streaming, stopped, starting, … */
  state: string
  lag?: number | string
}

export interface PgHaCluster {
  /** postgres:// URL of `database` through the read-write endpoint (always the current primary). */
  writeUrl(database: string): string
  /** postgres:// URL of `database` through the read-only endpoint (the replicas). */
  readUrl(database: string): string
  nodes: HaNodePorts[]
  /** The members as Patroni's `/cluster` lists them (asking each node until one answers). */
  members(): Promise<HaMember[]>
  /** Resolves once there is a running leader and `syncStandbys` streaming synchronous standbys. */
  waitHealthy(options?: { timeoutMs?: number; syncStandbys?: number; replicas?: number }): Promise<HaMember[]>
  /** SIGKILLs the current primary's postmaster (not Patroni): the database process dies as in a crash. */
  killPrimaryPostmaster(): Promise<{ node: string; pid: number }>
  stop(): Promise<void>
}

/** Whether Patroni, etcd and HAProxy are installed (install-ha.sh installs them). */
export function haInstalled(): boolean {
  return (
    existsSync(join(HA_VENV, 'bin', 'patroni')) &&
    existsSync(join(PG_BIN_DIR, 'postgres')) &&
    ['/usr/bin/etcd', '/usr/sbin/haproxy'].every((path) => existsSync(path))
  )
}

/** Runs packages/dev-stack/scripts/install-ha.sh when something is missing (apt needs root, as in CI). */
export async function ensureHaInstalled(say: (line: string) => void = () => undefined): Promise<void> {
  if (haInstalled()) return
  say(`installing the HA PostgreSQL tools (${INSTALL_SCRIPT})`)
  await runCommand('bash', [INSTALL_SCRIPT])
}

/** PostgreSQL refuses to run as root: as root, the nodes run as the `postgres` user Debian's package creates. */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (uid === undefined || gid === undefined) throw new Error('running as root, but there is no postgres user to run PostgreSQL as')
  return { uid: Number(uid), gid: Number(gid) }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) })
  if (!response.ok) throw new Error(`${url}: ${response.status}`)
  return response.json()
}

export async function startPgHa(options: {
  databases: string[]
  print: LinePrinter
  nodeCount?: number
  scope?: string
}): Promise<PgHaCluster> {
  await ensureHaInstalled((line) => options.print('pg-ha', line))
  const user = unprivileged()
  const dir = await mkdtemp(join(tmpdir(), 'soundline-pgha-'))
  const children: SupervisedChild[] = []
  const postmasterPidFiles: string[] = []
  const stopAll = (): void => {
    killAllSync(children)
    for (const file of postmasterPidFiles) {
      const pid = Number(existsSync(file) ? readFileSync(file, 'utf8').split('\n')[0] : NaN)
      if (pid > 0) process.kill(pid, 'SIGKILL')
    }
  }
  const onExit = (): void => {
    try {
      stopAll()
    } catch {
      // Already gone.
    }
  }
  process.on('exit', onExit)
  const nodeCount = options.nodeCount ?? 3
  const ports = await freePorts(5 + 2 * nodeCount)
  const port = (i: number): number => ports[i] as number
  const [etcdPort, etcdPeerPort, writePort, readPort, statsPort] = [port(0), port(1), port(2), port(3), port(4)]
  const nodes: HaNodePorts[] = Array.from({ length: nodeCount }, (_, i) => ({
    name: `pg${i + 1}`,
    pgPort: port(5 + 2 * i),
    restPort: port(6 + 2 * i),
  }))
  const secrets = { superuser: randomBytes(12).toString('hex'), replication: randomBytes(12).toString('hex') }
  const env = { PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: dir }
  const spawn = (name: string, command: string, args: string[], asPostgres = false): SupervisedChild => {
    const wrapped: [string, string[]] =
      asPostgres && user
        ? ['setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', command, ...args]]
        : [command, args]
    const child = spawnChild({ name, command: wrapped[0], args: wrapped[1], cwd: dir, env, print: options.print })
    children.push(child)
    return child
  }
  const cluster: PgHaCluster = {
    nodes,
    writeUrl: (database) => `postgres://postgres:${secrets.superuser}@127.0.0.1:${writePort}/${database}`,
    readUrl: (database) => `postgres://postgres:${secrets.superuser}@127.0.0.1:${readPort}/${database}`,
    async members() {
      for (const node of nodes) {
        try {
          const body = (await getJson(`http://127.0.0.1:${node.restPort}/cluster`)) as { members?: HaMember[] }
          if (body.members) return body.members
        } catch {
          // This node's Patroni is down: ask the next.
        }
      }
      return []
    },
    async waitHealthy({ timeoutMs = START_TIMEOUT_MS, syncStandbys = 1, replicas = nodeCount - 1 } = {}) {
      const deadline = Date.now() + timeoutMs
      let members: HaMember[] = []
      while (Date.now() < deadline) {
        members = await cluster.members()
        const leader = members.some((m) => m.role === 'leader' && m.state === 'running')
        const streaming = members.filter((m) => m.role !== 'leader' && m.state === 'streaming')
        const sync = streaming.filter((m) => m.role === 'sync_standby')
        if (leader && sync.length >= syncStandbys && streaming.length >= replicas) return members
        await sleep(250)
      }
      throw new Error(`the HA PostgreSQL was not healthy within ${timeoutMs} ms: ${JSON.stringify(members)}`)
    },
    async killPrimaryPostmaster() {
      const leader = (await cluster.members()).find((m) => m.role === 'leader')
      if (!leader) throw new Error('no primary to kill')
      const pid = Number(readFileSync(join(dir, leader.name, 'data', 'postmaster.pid'), 'utf8').split('\n')[0])
      process.kill(pid, 'SIGKILL')
      return { node: leader.name, pid }
    },
    async stop() {
      // Patroni stops its PostgreSQL on SIGTERM; replicas first, so the primary does not wait on a synchronous standby.
      const patronis = children.filter((c) => c.name.startsWith('pg'))
      await Promise.all(patronis.map((child) => child.stop(15_000)))
      await Promise.all(children.map((child) => child.stop(5_000)))
      stopAll()
      process.off('exit', onExit)
      await rm(dir, { recursive: true, force: true })
    },
  }
  try {
    await spawnEtcd()
    for (const node of nodes) {
      const nodeDir = join(dir, node.name)
      await mkdir(join(nodeDir, 'socket'), { recursive: true })
      const configPath = join(nodeDir, 'patroni.yml')
      const dataDir = join(nodeDir, 'data')
      postmasterPidFiles.push(join(dataDir, 'postmaster.pid'))
      const config = patroniConfig({
        scope: options.scope ?? 'soundline',
        node,
        etcdPort,
        dataDir,
        socketDir: join(nodeDir, 'socket'),
        binDir: PG_BIN_DIR,
        secrets,
      })
      await writeFile(configPath, config, { mode: 0o600 })
      if (user) for (const path of [dir, nodeDir, join(nodeDir, 'socket'), configPath]) await chown(path, user.uid, user.gid)
      spawn(node.name, join(HA_VENV, 'bin', 'patroni'), [configPath], true)
    }
    const haproxyPath = join(dir, 'haproxy.cfg')
    await writeFile(haproxyPath, haproxyConfig({ nodes, writePort, readPort, statsPort }))
    spawn('haproxy', 'haproxy', ['-db', '-f', haproxyPath])
    await cluster.waitHealthy()
    await createDatabases(cluster, options.databases)
    return cluster
  } catch (error) {
    await cluster.stop().catch(() => undefined)
    throw error
  }

  async function spawnEtcd(): Promise<void> {
    const etcd = spawn('etcd', 'etcd', [
      '--name=etcd1',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=etcd1=http://127.0.0.1:${etcdPeerPort}`,
      '--log-level=warn',
    ])
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline && !etcd.hasExited) {
      const healthy = await getJson(`http://127.0.0.1:${etcdPort}/health`).then(
        (body) => (body as { health?: string }).health === 'true',
        () => false,
      )
      if (healthy) return
      await sleep(200)
    }
    throw new Error(`etcd did not start: ${etcd.lastLines().join('\n')}`)
  }
}

/** The services' databases, through the read-write endpoint (the synchronous standby receives them like any write). */
async function createDatabases(cluster: PgHaCluster, databases: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.writeUrl('postgres'), connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    for (const database of databases) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`)
    }
  } finally {
    await client.end()
  }
}
