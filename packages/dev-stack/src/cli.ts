#!/usr/bin/env node
// `npm start`: embedded Postgres, S3 and Kafka, then every built service, with merged output.
import { localAdminPassword, tokenHowTo } from './admin-password.js'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { serviceUrlVariable } from '@soundline/registry'
import { pino, type Logger } from 'pino'
import { startKafka } from './infra/kafka.js'
import { assertPortsFree } from './infra/ports.js'
import { startEmbeddedPostgres } from './infra/postgres.js'
import { DEFAULT_S3_PORT, startEmbeddedS3 } from './infra/s3.js'
import { cacheDir, dataDir, repoRoot } from './paths.js'
import { availableServices, databaseUrlVariable, entryPath, type ServiceEntry } from './services.js'
import { createLinePrinter, killAllSync, spawnChild, waitForReady, type LinePrinter, type SupervisedChild } from './supervisor.js'

const STACK = 'stack'
/** Where the stack and its services listen unless HOST says otherwise. */
const LOCAL_HOST = '127.0.0.1'
const KAFKA_PORT = 9092
const S3_PORT = Number(process.env.SOUNDLINE_S3_PORT ?? DEFAULT_S3_PORT)
const READY_TIMEOUT_MS = Number(process.env.SOUNDLINE_READY_TIMEOUT_MS ?? 60_000)
const HELP = `usage: npm start [-- --fresh]

Starts embedded PostgreSQL (PGlite), an S3 server and Kafka, then every built service.
  --fresh            wipe the data dir first (same as SOUNDLINE_FRESH=1)
Environment:
  SOUNDLINE_DATA_DIR   data (default <repo>/.data)      SOUNDLINE_CACHE_DIR  Kafka jars, S3 server (default <repo>/.cache)
  <DB>_DATABASE_URL    e.g. SONG_DATABASE_URL: use that database instead of the embedded one
  S3_ENDPOINT          use that S3 instead of the embedded one (SOUNDLINE_S3_PORT: embedded port, default 4566)
  KAFKA_BROKERS        use those brokers instead of the embedded one
  HOST                 services' listen address (default 127.0.0.1; the embedded infrastructure always uses 127.0.0.1)
  LOG_LEVEL            services' log level (default info); STACK_LOG_LEVEL for this tool (default info)
  SOUNDLINE_READY_TIMEOUT_MS  readiness deadline (default 60000); SOUNDLINE_SERVICES  JSON registry override (tests)`

/** pino for the infra modules, printed as prefixed human lines instead of JSON. */
function stackLogger(print: LinePrinter): Logger {
  const names: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
  return pino(
    { level: process.env.STACK_LOG_LEVEL ?? 'info', base: null, timestamp: false },
    {
      write(json: string) {
        const { level, msg, err, ...rest } = JSON.parse(json) as { level: number; msg?: string; err?: { message?: string } } & Record<
          string,
          unknown
        >
        const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : ''
        const label = level >= 40 ? `${names[level] ?? level} ` : ''
        print(STACK, `${label}${msg ?? ''}${extra}${err?.message ? ` (${err.message})` : ''}`)
      },
    },
  )
}

interface Infra {
  databaseUrls: Record<string, string>
  s3Endpoint: string
  kafkaBrokers: string
  stops: { name: string; stop(): Promise<void> }[] // in stop order
}

async function startInfra(services: ServiceEntry[], fresh: boolean, logger: Logger): Promise<Infra> {
  const databaseUrls: Record<string, string> = {}
  const embedded: { name: string; port: number }[] = []
  for (const service of services) {
    if (!service.database) continue
    const override = process.env[databaseUrlVariable(service.database)] || undefined
    if (override) databaseUrls[service.database] = override
    else embedded.push({ name: service.database, port: service.dbPort ?? 0 })
  }
  // An empty variable counts as unset (so `S3_ENDPOINT= npm start` means "embedded").
  const externalS3 = process.env.S3_ENDPOINT || undefined
  const externalKafka = process.env.KAFKA_BROKERS || undefined
  await assertPortsFree([
    ...services.map((s) => ({ port: s.port, owner: s.name })),
    ...embedded.map((d) => ({ port: d.port, owner: `postgres ${d.name}` })),
    ...(externalS3 ? [] : [{ port: S3_PORT, owner: 's3' }]),
    ...(externalKafka
      ? []
      : [
          { port: KAFKA_PORT, owner: 'kafka' },
          { port: KAFKA_PORT + 1, owner: 'kafka controller' },
        ]),
  ])

  const [postgres, s3, kafka] = await Promise.allSettled([
    embedded.length > 0 ? startEmbeddedPostgres({ dataDir, databases: embedded, logger }) : Promise.resolve(undefined),
    externalS3 ? Promise.resolve(undefined) : startEmbeddedS3({ dataDir, port: S3_PORT, logger }),
    externalKafka
      ? Promise.resolve(undefined)
      : startKafka({ dataDir: join(dataDir, 'kafka'), cacheDir: join(cacheDir, 'kafka'), port: KAFKA_PORT, logger, fresh }),
  ])
  const stops: Infra['stops'] = []
  if (kafka.status === 'fulfilled' && kafka.value) stops.push({ name: 'kafka', stop: kafka.value.stop })
  if (s3.status === 'fulfilled' && s3.value) stops.push({ name: 's3', stop: s3.value.stop })
  if (postgres.status === 'fulfilled' && postgres.value) stops.push({ name: 'postgres', stop: postgres.value.stop })
  const failures = [postgres, s3, kafka].filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failures.length > 0) {
    await stopAll(stops, logger)
    throw new Error(failures.map((f) => (f.reason as Error).message ?? String(f.reason)).join('\n'))
  }
  if (postgres.status === 'fulfilled' && postgres.value) Object.assign(databaseUrls, postgres.value.urls)
  return {
    databaseUrls,
    s3Endpoint: externalS3 ?? (s3.status === 'fulfilled' && s3.value ? s3.value.endpoint : ''),
    kafkaBrokers: externalKafka ?? (kafka.status === 'fulfilled' && kafka.value ? kafka.value.brokers : ''),
    stops,
  }
}

async function stopAll(stops: Infra['stops'], logger: Logger): Promise<void> {
  for (const { name, stop } of stops) {
    try {
      await stop()
      logger.info(`${name} stopped`)
    } catch (err) {
      logger.error({ err }, `${name} did not stop cleanly`)
    }
  }
}

function serviceEnv(service: ServiceEntry, services: ServiceEntry[], infra: Infra, adminPassword: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  if (service.name === 'auth-service') env.ADMIN_PASSWORD = adminPassword
  for (const other of services) env[serviceUrlVariable(other.name)] ??= `http://127.0.0.1:${other.port}`
  delete env.DATABASE_URL // one user-level DATABASE_URL must not point every service at the same database
  if (service.database) env.DATABASE_URL = infra.databaseUrls[service.database]
  return {
    ...env,
    PORT: String(service.port),
    // The services answer without authentication on their own ports: on a developer's
    // machine only this machine should reach them (containers keep their 0.0.0.0 default).
    HOST: process.env.HOST || LOCAL_HOST,
    S3_ENDPOINT: infra.s3Endpoint,
    KAFKA_BROKERS: infra.kafkaBrokers,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // Local development runs on Node 20; images run Node 22, which the SDK's warning asks for.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'true',
  }
}

function printTable(print: LinePrinter, rows: string[][]): void {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, col) => (widths[col] = Math.max(widths[col] ?? 0, cell.length)))
  for (const row of rows)
    print(
      STACK,
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
}

async function main(): Promise<number> {
  const started = Date.now()
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP)
    return 0
  }
  const fresh = args.includes('--fresh') || process.env.SOUNDLINE_FRESH === '1'
  const services = availableServices(repoRoot)
  const print = createLinePrinter([STACK, ...services.map((s) => s.name)])
  const logger = stackLogger(print)

  if (fresh) {
    await rm(dataDir, { recursive: true, force: true })
    logger.info(`--fresh: wiped ${dataDir}`)
  }
  const admin = await localAdminPassword(dataDir)
  if (services.length === 0) logger.warn('no built services found (run `npm run build`); starting infrastructure only')

  const children: SupervisedChild[] = []
  let infra: Infra | undefined
  let stopping: Promise<void> | undefined
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info('stopping services')
      await Promise.all(children.map((c) => c.stop(10_000)))
      if (infra) await stopAll(infra.stops, logger)
    })())
  process.on('exit', () => killAllSync(children))
  let signals = 0
  const signalled = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1
      if (signals > 1) {
        logger.warn(`second ${signal}: killing everything now`)
        killAllSync(children)
        process.exit(130)
      }
      logger.info(`${signal} received`)
      resolve()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })

  logger.info(`data ${dataDir}${fresh ? ' (fresh)' : ''}`)
  const infraStarting = startInfra(services, fresh, logger)
  const first = await Promise.race([
    infraStarting.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    signalled.then(() => 'signal' as const),
  ])
  if (first === 'signal') {
    // Let the start finish so nothing (e.g. the Kafka JVM) is left running, then stop it.
    logger.info('waiting for infrastructure to finish starting, then stopping it')
    infra = await infraStarting.catch(() => undefined)
    await shutdown()
    return 0
  }
  if ('error' in first) {
    logger.error(`infrastructure failed to start:\n${(first.error as Error).message}`)
    return 1
  }
  infra = first.value
  logger.info(`infrastructure up in ${Date.now() - started} ms`)

  const running = services.map((service) => {
    const child = spawnChild({
      name: service.name,
      command: process.execPath,
      args: [entryPath(repoRoot, service)],
      cwd: repoRoot,
      env: serviceEnv(service, services, infra, admin.password),
      print,
    })
    children.push(child)
    return { service, child }
  })
  const readiness = await Promise.race([
    Promise.all(
      running.map(async ({ service, child }) => ({
        service,
        result: await waitForReady(`http://127.0.0.1:${service.port}/health/ready`, {
          timeoutMs: READY_TIMEOUT_MS,
          gaveUp: () => (child.hasExited ? 'exited during startup' : undefined),
        }),
      })),
    ),
    signalled.then(() => undefined),
  ])
  if (!readiness) {
    await shutdown()
    return 0
  }
  const dead = children.filter((c) => c.hasExited)
  if (dead.length > 0) {
    for (const child of dead) {
      const { code, signal } = await child.exited
      logger.error(`${child.name} exited during startup (${signal ?? `code ${code}`}); its last lines:\n${child.lastLines().join('\n')}`)
    }
    await shutdown()
    return 1
  }
  for (const { service, result } of readiness) {
    if (!result.ready) logger.warn(`${service.name} is not ready: ${result.reason}`)
  }

  const rows = [['SERVICE', 'URL', 'DOCS', 'READY']]
  for (const { service: s, result } of readiness)
    rows.push([s.name, `http://127.0.0.1:${s.port}`, `http://127.0.0.1:${s.port}/docs`, result.ready ? 'yes' : 'NO'])
  rows.push(['', '', '', ''])
  for (const [name, url] of Object.entries(infra.databaseUrls)) rows.push([`postgres ${name}`, url, '', ''])
  rows.push(['s3', infra.s3Endpoint, process.env.S3_ENDPOINT ? '(external)' : 'credentials test/test', ''])
  rows.push(['kafka', infra.kafkaBrokers, process.env.KAFKA_BROKERS ? '(external)' : '', ''])
  printTable(print, rows)
  const gateway = services.find((s) => s.name === 'gateway')
  if (gateway) for (const line of tokenHowTo(admin, `http://${LOCAL_HOST}:${gateway.port}`)) print(STACK, line)
  logger.info(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Ctrl-C stops everything.`)

  for (const child of children) {
    void child.exited.then(({ code, signal }) => {
      if (!stopping) logger.warn(`${child.name} exited (${signal ?? `code ${code}`}); the rest keeps running`)
    })
  }
  await signalled
  await shutdown()
  logger.info('stopped')
  return 0
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
