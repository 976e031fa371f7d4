// The cache drill's own small stack: a Redis Cluster (3 masters + 3 replicas),
// the Song Service on an embedded database, and the gateway in front of it
// with REDIS_URL naming the cluster. No Kafka, no S3: the load is reads.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import { freePort, startRedisCluster, type RunningRedisCluster } from '@soundline/dev-stack/infra'
import { repoRoot } from '@soundline/dev-stack/paths'
import { killAllSync, spawnChild, waitForReady, type SupervisedChild } from '@soundline/dev-stack/supervisor'
import { service, serviceEntry, serviceUrlVariable } from '@soundline/registry'
import { infraReady } from '../infra-protocol.js'

const READY_TIMEOUT_MS = 120_000

export interface CacheStackOptions {
  dataDir: string
  /** cluster-node-timeout of every node: how long a dead master goes unnoticed. */
  nodeTimeoutMs: number
  /** Extra gateway environment. */
  gatewayEnv: Record<string, string>
}

export class CacheStack {
  cluster!: RunningRedisCluster
  gatewayUrl = ''
  songUrl = ''
  private db: ChildProcess | undefined
  private readonly children: SupervisedChild[] = []
  private readonly log: WriteStream

  private constructor(private readonly options: CacheStackOptions) {
    this.log = createWriteStream(join(options.dataDir, 'services.log'), { flags: 'a' })
  }

  get logPath(): string {
    return join(this.options.dataDir, 'services.log')
  }

  note(line: string): void {
    this.log.write(`${new Date().toISOString()} drill | ${line}\n`)
  }

  static async start(options: CacheStackOptions): Promise<CacheStack> {
    const stack = new CacheStack(options)
    process.on('exit', () => {
      killAllSync(stack.children)
      stack.db?.kill('SIGKILL')
    })
    try {
      const [cluster, databaseUrl] = await Promise.all([
        startRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: options.nodeTimeoutMs }),
        stack.startDatabase(),
      ])
      stack.cluster = cluster
      stack.songUrl = await stack.startService('song-service', { DATABASE_URL: databaseUrl })
      stack.gatewayUrl = await stack.startService('gateway', {
        [serviceUrlVariable('song-service')]: stack.songUrl,
        REDIS_URL: cluster.url,
        // Reads only, no token: the load measures the cache, not the auth path; the rate limit stays
        // on (its counters live on the cluster too) with a ceiling the load never reaches.
        AUTH_ENABLED: 'false',
        RATE_LIMIT_MAX: '10000000',
        ...options.gatewayEnv,
      })
    } catch (error) {
      await stack.close()
      throw error
    }
    return stack
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop(5_000)))
    await this.cluster?.stop()
    if (this.db && this.db.exitCode === null) {
      this.db.kill('SIGTERM')
      await once(this.db, 'exit')
    }
    this.log.end()
  }

  private async startService(name: 'song-service' | 'gateway', extra: Record<string, string>): Promise<string> {
    const port = await freePort()
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), LOG_LEVEL: process.env.DRILL_LOG_LEVEL ?? 'warn', ...extra }
    const child = spawnChild({
      name,
      command: process.execPath,
      args: [join(repoRoot, serviceEntry(name))],
      cwd: repoRoot,
      env,
      print: (who, line) => this.log.write(`${new Date().toISOString()} ${who} | ${line}\n`),
    })
    this.children.push(child)
    const url = `http://127.0.0.1:${port}`
    const ready = await waitForReady(`${url}/health/ready`, {
      timeoutMs: READY_TIMEOUT_MS,
      gaveUp: () => (child.hasExited ? 'exited during start-up' : undefined),
    })
    if (!ready.ready) throw new Error(`${name} did not start: ${ready.reason}\n${child.lastLines().join('\n')}`)
    return url
  }

  private async startDatabase(): Promise<string> {
    const database = service('song-service').database?.name ?? 'song'
    const db = fork(join(repoRoot, 'packages/drills/dist/cache-failover/db-child.js'), [], {
      env: { ...process.env, DRILL_INFRA_DIR: join(this.options.dataDir, 'db'), DRILL_DATABASES: database },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    })
    this.db = db
    db.stderr?.on('data', (chunk: Buffer) => this.log.write(chunk))
    const urls = await infraReady(db, 'the database process', READY_TIMEOUT_MS, this.logPath)
    const url = urls.databaseUrls[database]
    if (!url) throw new Error(`no URL for database ${database}`)
    return url
  }
}
