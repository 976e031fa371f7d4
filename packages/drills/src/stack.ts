// A private Soundline stack for one drill run: its own ports, its own data dir,
// and a handle on every process so a drill can kill, freeze or restart it.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { service, serviceEntry, serviceUrlVariable } from '@soundline/registry'
import { pino } from 'pino'
import { infraReady } from './infra-protocol.js'
import { freePort, startKafka, type RunningKafka } from '@soundline/dev-stack/infra'
import { cacheDir, repoRoot } from '@soundline/dev-stack/paths'
import { killAllSync, spawnChild, waitForReady, type SupervisedChild } from '@soundline/dev-stack/supervisor'

/** The upload pipeline: the services a drill kills, freezes and restarts (no gateway, no auth). */
const PIPELINE = ['song-service', 'storage-service', 'resource-service', 'resource-processor'] as const
export type ServiceName = (typeof PIPELINE)[number]

const SERVICES = PIPELINE.map((name) => ({ name, database: service(name).database?.name, entry: serviceEntry(name) }))
// Generous: on a busy 2-core machine three PGlite databases and a JVM take a while.
const READY_TIMEOUT_MS = 120_000
const INFRA_TIMEOUT_MS = 300_000

export interface StackOptions {
  /** Holds databases, objects, the broker's log and services.log; the caller removes it. */
  dataDir: string
  /** Extra environment for every service (breaker and timeout settings). */
  serviceEnv: Record<string, string>
  /**
   * Databases served from elsewhere, by name (the HA PostgreSQL of the db-failover drill):
   * not started in PGlite; `readUrl` becomes the owner's DATABASE_READ_URL.
   */
  externalDatabases?: Record<string, { url: string; readUrl?: string }>
}

export class DrillStack {
  readonly ports = new Map<ServiceName, number>()
  databaseUrls: Record<string, string> = {}
  s3Endpoint = ''
  kafkaBrokers = ''
  private kafkaPorts = { port: 0, controllerPort: 0 }
  private kafka: RunningKafka | undefined
  private infra: ChildProcess | undefined
  private readonly children = new Map<ServiceName, SupervisedChild>()
  private readonly log: WriteStream
  private readonly logger

  constructor(private readonly options: StackOptions) {
    this.log = createWriteStream(join(options.dataDir, 'services.log'), { flags: 'a' })
    this.logger = pino({ level: 'warn', base: null }, this.log)
  }

  static async start(options: StackOptions): Promise<DrillStack> {
    await mkdir(options.dataDir, { recursive: true })
    const stack = new DrillStack(options)
    process.on('exit', () => stack.killAllSync())
    try {
      await stack.startInfra()
      for (const service of SERVICES) stack.ports.set(service.name, await freePort())
      await Promise.all(SERVICES.map((service) => stack.startService(service.name)))
    } catch (error) {
      await stack.close()
      throw error
    }
    return stack
  }

  get logPath(): string {
    return join(this.options.dataDir, 'services.log')
  }

  url(name: ServiceName): string {
    return `http://127.0.0.1:${this.ports.get(name) ?? 0}`
  }

  /** Writes a marker line into services.log, so the log reads alongside the timeline. */
  note(line: string): void {
    this.log.write(`${new Date().toISOString()} drill | ${line}\n`)
  }

  isRunning(name: ServiceName): boolean {
    const child = this.children.get(name)
    return child !== undefined && !child.hasExited
  }

  async startService(name: ServiceName): Promise<void> {
    const service = SERVICES.find((s) => s.name === name)
    if (!service) throw new Error(`unknown service ${name}`)
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env.DATABASE_URL
    delete env.DATABASE_READ_URL
    for (const other of SERVICES) env[serviceUrlVariable(other.name)] = this.url(other.name)
    if (service.database) env.DATABASE_URL = this.databaseUrls[service.database]
    const readUrl = service.database ? this.options.externalDatabases?.[service.database]?.readUrl : undefined
    if (readUrl) env.DATABASE_READ_URL = readUrl
    Object.assign(env, {
      PORT: String(this.ports.get(name)),
      S3_ENDPOINT: this.s3Endpoint,
      KAFKA_BROKERS: this.kafkaBrokers,
      LOG_LEVEL: process.env.DRILL_LOG_LEVEL ?? 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...this.options.serviceEnv,
    })
    const child = spawnChild({
      name,
      command: process.execPath,
      args: [join(repoRoot, service.entry)],
      cwd: repoRoot,
      env,
      print: (who, line) => this.log.write(`${new Date().toISOString()} ${who} | ${line}\n`),
    })
    this.children.set(name, child)
    const ready = await waitForReady(`${this.url(name)}/health/ready`, {
      timeoutMs: READY_TIMEOUT_MS,
      gaveUp: () => (child.hasExited ? 'exited during start-up' : undefined),
    })
    // The processor reports DOWN until its consumer joined; that can outlast a start, and is not an error.
    if (!ready.ready && child.hasExited) throw new Error(`${name} did not start: ${ready.reason}\n${child.lastLines().join('\n')}`)
  }

  /** Waits until `GET /health/ready` answers 200 (or the deadline passes); false on timeout. */
  async waitReady(name: ServiceName, timeoutMs = READY_TIMEOUT_MS): Promise<boolean> {
    return (await waitForReady(`${this.url(name)}/health/ready`, { timeoutMs })).ready
  }

  /** SIGKILL: no shutdown hook runs, as when a node dies. */
  async kill(name: ServiceName): Promise<void> {
    const child = this.children.get(name)
    if (!child || child.hasExited) return
    child.process.kill('SIGKILL')
    await child.exited
  }

  /** SIGSTOP: the process keeps its sockets open but never answers (the timeout path). */
  pause(name: ServiceName): void {
    this.children.get(name)?.process.kill('SIGSTOP')
  }

  resume(name: ServiceName): void {
    this.children.get(name)?.process.kill('SIGCONT')
  }

  async stopKafka(): Promise<void> {
    await this.kafka?.stop()
    this.kafka = undefined
  }

  /** Same ports and data as before: a restart, not a new cluster. */
  async startKafka(): Promise<void> {
    this.kafka = await startKafka({
      dataDir: join(this.options.dataDir, 'kafka'),
      cacheDir: join(cacheDir, 'kafka'),
      ...this.kafkaPorts,
      logger: this.logger,
      brokerLogLevel: 'WARN',
      // The JVM on a busy 2-core machine can take longer than dev-stack's default minute.
      readyTimeoutMs: INFRA_TIMEOUT_MS,
    })
  }

  async close(): Promise<void> {
    // A frozen process ignores SIGTERM until it is continued.
    for (const child of this.children.values()) if (!child.hasExited) child.process.kill('SIGCONT')
    await Promise.all([...this.children.values()].map((child) => child.stop(5_000)))
    await this.stopKafka().catch(() => undefined)
    if (this.infra && this.infra.exitCode === null) {
      this.infra.kill('SIGTERM')
      await once(this.infra, 'exit')
    }
    this.log.end()
  }

  private killAllSync(): void {
    killAllSync(this.children.values())
    this.infra?.kill('SIGKILL')
  }

  private async startInfra(): Promise<void> {
    this.kafkaPorts = { port: await freePort(), controllerPort: await freePort() }
    // The built file, also when this module runs from src/ under tsx (tests).
    const infraEntry = join(repoRoot, 'packages/drills/dist/infra-child.js')
    const external = this.options.externalDatabases ?? {}
    const databases = SERVICES.flatMap((s) => (s.database && !external[s.database] ? [s.database] : []))
    const infra = fork(infraEntry, [], {
      env: { ...process.env, DRILL_INFRA_DIR: join(this.options.dataDir, 'infra'), DRILL_DATABASES: databases.join(',') },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    })
    this.infra = infra
    infra.stderr?.on('data', (chunk: Buffer) => this.log.write(chunk))
    const urls = infraReady(infra, 'the infra process', INFRA_TIMEOUT_MS, this.logPath)
    const [ready] = await Promise.all([urls, this.startKafka()])
    this.databaseUrls = { ...ready.databaseUrls, ...Object.fromEntries(Object.entries(external).map(([name, db]) => [name, db.url])) }
    this.s3Endpoint = ready.s3Endpoint
    this.kafkaBrokers = `127.0.0.1:${this.kafkaPorts.port}`
  }
}
