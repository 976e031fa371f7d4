// A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
// run from the Maven Central jars, for `npm start` and tests on machines
// without Docker. Jars are fetched once with Maven and cached; KRaft data is
// kept in dataDir across restarts.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import type { Logger } from 'pino'
import { cachedInstall, installOnce } from './cached-install.js'
import { findJava17, findMaven } from './java.js'
import { isProcessAlive, runCommand } from './processes.js'

/** Passed to Maven as -Dkafka.version, so this is the one place to change it. */
export const KAFKA_VERSION = '4.1.1'
const POM_PATH = fileURLToPath(new URL('../../kafka/pom.xml', import.meta.url))
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 15_000

export interface KafkaBrokerOptions {
  dataDir: string
  /** Kafka's own cache dir, e.g. `<repo>/.cache/kafka`; jars go to `<cacheDir>/kafka-<version>/libs`. */
  cacheDir: string
  /** Client port; default 9092. */
  port?: number
  /** KRaft controller port; default port+1. */
  controllerPort?: number
  logger: Logger
  /** Wipe dataDir first. */
  fresh?: boolean
  /** Where to look for java/mvn (PATH, JAVA_HOME); default process.env. */
  env?: NodeJS.ProcessEnv
  /**
   * log4j level inside the broker; default INFO. Broker INFO records reach pino
   * at debug (about 180 lines per start), WARN/ERROR at warn/error, and the
   * last 40 lines are in the error when the broker fails to start.
   */
  brokerLogLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
  readyTimeoutMs?: number
}

export interface RunningKafka {
  /** "127.0.0.1:9092" */
  brokers: string
  stop(): Promise<void>
}

/**
 * Directory holding the broker's jars (classpath `<dir>/*`). Runs Maven only
 * when the cache marker is missing (cached-install.ts: a killed fetch never
 * leaves a half cache).
 */
export async function ensureKafkaJars(cacheDir: string, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const versionDir = join(cacheDir, `kafka-${KAFKA_VERSION}`)
  const cached = cachedInstall(versionDir, 'libs')
  if (cached) return cached

  const mvn = findMaven(env)
  const { dir: libsDir, installed } = await installOnce({
    versionDir,
    target: 'libs',
    fill: async (partialDir) => {
      logger.info({ version: KAFKA_VERSION, pom: POM_PATH }, 'fetching Kafka jars from Maven Central (once; cached afterwards)')
      const started = performance.now()
      await runCommand(mvn, [
        '-q',
        '-B',
        '-f',
        POM_PATH,
        'dependency:copy-dependencies',
        `-Dkafka.version=${KAFKA_VERSION}`,
        `-DoutputDirectory=${partialDir}`,
      ])
      const jars = await readdir(partialDir)
      if (!jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`))
        throw new Error(`Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is missing in ${partialDir}`)
      const fetchMs = Math.round(performance.now() - started)
      return { version: KAFKA_VERSION, jars: jars.length, fetchMs, fetchedAt: new Date().toISOString() }
    },
  })
  if (installed) logger.info({ version: KAFKA_VERSION, jars: installed.jars, fetchMs: installed.fetchMs, libsDir }, 'Kafka jars cached')
  return libsDir
}

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    // Static voters (not `format --standalone`), so ports may change between restarts.
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(dataDir, 'kraft')}`,
    'auto.create.topics.enable=true',
    'num.partitions=3',
    'default.replication.factor=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // After an unclean stop the old registration blocks the new one until its
    // session expires (DUPLICATE_BROKER_REGISTRATION): 5 s instead of 9 s.
    'broker.heartbeat.interval.ms=1000',
    'broker.session.timeout.ms=5000',
    // Dev sizes: 16 MiB segments, keep at most 3 days / 256 MiB per partition.
    'log.segment.bytes=16777216',
    'log.retention.hours=72',
    'log.retention.bytes=268435456',
    'log.retention.check.interval.ms=60000',
    // Few threads: the dev machine has 2 cores shared with everything else.
    'num.network.threads=2',
    'num.io.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'background.threads=2',
    '',
  ].join('\n')
}

/**
 * JVM flags for a fast start of a development broker (docs/performance.md
 * "Start-up"): C1 only (-XX:TieredStopAtLevel=1: most of a start is the JIT
 * compiling code run once; C1's code is slower at peak, which a dev broker's
 * few messages a second never reach), and a class-data archive of the
 * broker's own classes next to its jars: written when the first broker exits,
 * mapped by every later start instead of loading and verifying some 5000
 * classes. A missing or stale archive only costs the time it saves (the JVM
 * warns and loads classes as usual).
 */
function fastStartFlags(archive: string, writeArchive: string | undefined): string[] {
  return [
    '-XX:TieredStopAtLevel=1',
    '-XX:-UsePerfData',
    ...(existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : writeArchive ? [`-XX:ArchiveClassesAtExit=${writeArchive}`] : []),
    '-Xlog:cds=off,cds+dynamic=off',
  ]
}

/** Console-only log4j2 config: everything goes to stdout, which we forward to pino. */
function log4jProperties(rootLevel: string): string {
  return [
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = STDOUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = %p %c{1} %m%n',
    `rootLogger.level = ${rootLevel}`,
    'rootLogger.appenderRef.out.ref = STDOUT',
    // Full config dumps (~1000 lines per start) say nothing server.properties doesn't.
    'logger.configDump.name = org.apache.kafka.common.config.AbstractConfig',
    'logger.configDump.level = WARN',
    '',
  ].join('\n')
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port ${port} on 127.0.0.1 is not free (${error.code}); is another Kafka running? ` +
            'Stop it, pick other ports, or set KAFKA_BROKERS to use that broker.',
        ),
      ),
    )
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()))
  })
}

/** Kills a broker left running on this dataDir by a parent that died without cleanup. */
async function killStaleBroker(pidFile: string, configPath: string, logger: Logger): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
  if (!pid || !isProcessAlive(pid)) return
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  if (!cmdline.includes(configPath)) return
  logger.warn({ pid }, 'killing a Kafka broker left over from an earlier run on this data dir')
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 50 && isProcessAlive(pid); i++) await delay(100)
}

/** Polls with a kafkajs admin until it can list topics; throws if the JVM exits first or the deadline passes. */
async function waitUntilReady(brokers: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const probe = new Kafka({
    clientId: 'soundline-dev-stack-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`Kafka broker exited during start (${child.signalCode ?? `exit ${child.exitCode}`})`)
    const admin = probe.admin()
    try {
      await admin.connect()
      await admin.listTopics()
      return
    } catch {
      // Not up yet.
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
    await delay(500)
  }
  throw new Error(`Kafka broker was not ready within ${timeoutMs} ms`)
}

// Broker INFO is chatty startup detail: debug for us, so `npm start` stays readable.
const PINO_LEVEL: Record<string, 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'debug',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'error',
}

/** Forwards the JVM's output to pino line by line and keeps the last lines for error messages. */
function forwardOutput(child: ChildProcess, logger: Logger, lastLines: string[]): void {
  let level: 'debug' | 'info' | 'warn' | 'error' = 'info'
  const onLine = (line: string, fromStderr: boolean): void => {
    if (line.trim() === '') return
    lastLines.push(line)
    if (lastLines.length > 40) lastLines.shift()
    const parsed = /^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL) (\S+) (.*)$/.exec(line)
    if (parsed?.[1]) {
      level = PINO_LEVEL[parsed[1]] ?? 'info'
      // Kafka logs every normal controller start at WARN.
      if (level === 'warn' && parsed[3]?.includes('Performing controller activation')) level = 'debug'
      logger[level]({ logger: parsed[2] }, parsed[3] ?? '')
    } else {
      // Continuation lines (stack traces) keep the level of their record; raw stderr is the JVM itself.
      logger[fromStderr ? 'warn' : level](line)
    }
  }
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => onLine(line, false))
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => onLine(line, true))
}

export async function startKafka(opts: KafkaBrokerOptions): Promise<RunningKafka> {
  const logger = opts.logger.child({ component: 'kafka-broker' })
  const env = opts.env ?? process.env
  const port = opts.port ?? 9092
  const controllerPort = opts.controllerPort ?? port + 1
  const brokers = `127.0.0.1:${port}`

  const java = await findJava17(env)
  const libsDir = await ensureKafkaJars(opts.cacheDir, logger, env)
  const classpath = `${libsDir}/*`
  const configDir = join(opts.dataDir, 'config')
  const serverConfig = join(configDir, 'server.properties')
  const log4jConfig = join(configDir, 'log4j2.properties')
  const pidFile = join(opts.dataDir, 'broker.pid')

  await killStaleBroker(pidFile, serverConfig, logger)
  if (opts.fresh) await rm(opts.dataDir, { recursive: true, force: true })
  await mkdir(configDir, { recursive: true })
  await assertPortFree(port)
  await assertPortFree(controllerPort)
  await writeFile(serverConfig, serverProperties(opts.dataDir, port, controllerPort))
  await writeFile(log4jConfig, log4jProperties(opts.brokerLogLevel ?? 'INFO'))
  const jvmLogging = [`-Dlog4j2.configurationFile=${log4jConfig}`, '-Djava.awt.headless=true']

  // Written under a name of this process's own and renamed when the JVM is gone: two brokers
  // starting at once (tests) never write one file, and a half-written archive is never mapped.
  const archive = join(opts.cacheDir, `kafka-${KAFKA_VERSION}`, 'broker-classes.jsa')
  const archiveDraft = existsSync(archive) ? undefined : `${archive}.${process.pid}.${port}`
  const started = performance.now()
  if (!existsSync(join(opts.dataDir, 'kraft', 'meta.properties'))) {
    // A leading '-' would be read by the storage tool as an option: any other first letter is as good.
    const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A')
    await runCommand(
      java,
      [
        '-Xmx256m',
        ...fastStartFlags(archive, undefined),
        ...jvmLogging,
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        serverConfig,
      ],
      { cwd: opts.dataDir },
    )
    logger.info({ clusterId, dataDir: opts.dataDir }, 'formatted KRaft storage')
  }

  const lastLines: string[] = []
  let stopping: Promise<void> | undefined
  const child = spawn(
    java,
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseSerialGC',
      '-XX:+ExitOnOutOfMemoryError',
      ...fastStartFlags(archive, archiveDraft),
      ...jvmLogging,
      '-cp',
      classpath,
      'kafka.Kafka',
      serverConfig,
    ],
    { cwd: opts.dataDir, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve())).then(async () => {
    if (archiveDraft && existsSync(archiveDraft)) await rename(archiveDraft, archive).catch(() => rm(archiveDraft, { force: true }))
  })
  child.on('error', (error) => logger.error({ err: error }, 'Kafka broker process error'))
  child.once('exit', (code, signal) => {
    if (!stopping) logger.error({ code, signal, lastLines: lastLines.slice(-10) }, 'Kafka broker exited unexpectedly')
  })
  // Never leave the JVM behind when this process exits (a SIGKILLed parent is handled by killStaleBroker next start).
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.on('exit', killOnExit)
  if (child.pid) await writeFile(pidFile, `${child.pid}\n`)
  forwardOutput(child, logger, lastLines)
  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal)
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
        timer.unref()
        await exited
        clearTimeout(timer)
      }
      process.removeListener('exit', killOnExit)
      await rm(pidFile, { force: true })
      logger.info({ brokers }, 'Kafka broker stopped')
    })()
    return stopping
  }

  try {
    await waitUntilReady(brokers, child, opts.readyTimeoutMs ?? READY_TIMEOUT_MS)
  } catch (error) {
    await stop('SIGKILL') // a broker that never got ready has nothing to shut down cleanly
    throw new Error(`${(error as Error).message}. Last broker output:\n${lastLines.join('\n')}`, { cause: error })
  }
  const readyMs = Math.round(performance.now() - started)
  logger.info({ brokers, readyMs, version: KAFKA_VERSION }, 'Kafka broker ready')
  return { brokers, stop: () => stop() }
}
