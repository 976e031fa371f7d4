import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { PgliteWorkerData, PgliteWorkerMessage } from './pglite-worker.js'

// Under tsx (tests) this module is the .ts source, and so is its worker: Node 20 refuses a .ts
// file as a worker's entry, so a one-line entry registers tsx in the thread and imports it.
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const WORKER = new URL(`./pglite-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url)
function newWorker(workerData: PgliteWorkerData): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER, { workerData })
  const entry = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER.href)}) })`
  return new Worker(entry, { eval: true, workerData })
}

export interface EmbeddedPostgres {
  /** Database name → postgres:// URL. */
  urls: Record<string, string>
  stop(): Promise<void>
}

export interface EmbeddedDatabase {
  name: string
  /** 0 picks a free port. */
  port: number
}

/** A database's worker thread, started and ready; `stop()` closes it (checkpoint included) and ends the thread. */
interface DatabaseWorker {
  port: number
  stop(): Promise<void>
}

/** Re-logs a worker's pino line through the parent's logger, at its level. */
function relog(logger: Logger, line: string): void {
  const { level, msg, ...rest } = JSON.parse(line) as { level: number; msg?: string } & Record<string, unknown>
  const method = level >= 50 ? 'error' : level >= 40 ? 'warn' : level >= 30 ? 'info' : 'debug'
  logger[method](rest, msg ?? '')
}

function startDatabaseWorker(data: PgliteWorkerData, logger: Logger): Promise<DatabaseWorker> {
  const worker = newWorker(data)
  let settle: ((message: PgliteWorkerMessage | Error) => void) | undefined
  const next = (): Promise<PgliteWorkerMessage | Error> => new Promise((resolve) => (settle = resolve))
  worker.on('message', (message: PgliteWorkerMessage) => {
    if ('log' in message) relog(logger, message.log)
    else settle?.(message)
  })
  worker.on('error', (err) => settle?.(err))
  worker.on('exit', (code) => settle?.(new Error(`the database worker exited (code ${code})`)))
  const fail = async (message: PgliteWorkerMessage | Error): Promise<never> => {
    await worker.terminate()
    throw message instanceof Error
      ? message
      : new Error('failed' in message ? message.failed : 'unexpected message from the database worker')
  }
  return next().then(async (first) => {
    if (first instanceof Error || !('ready' in first)) return fail(first)
    return {
      port: first.ready.port,
      stop: async () => {
        const stopped = next()
        worker.postMessage('stop')
        const answer = await stopped
        await worker.terminate()
        if (answer instanceof Error || !('stopped' in answer)) await fail(answer)
      },
    }
  })
}

/**
 * One PGlite instance per database (a PGlite instance holds exactly one
 * database), persisted under `<dataDir>/pglite/<name>` and served over the
 * PostgreSQL wire protocol on 127.0.0.1. PGlite accepts any user and database
 * name in the startup message and always answers as `postgres`/`postgres`,
 * so the URLs use those.
 *
 * Each database runs in its own worker thread: PGlite is WASM and runs every
 * query (and the initdb of a new folder) on its thread's event loop. Sharing
 * the stack's thread, the four databases opened one after the other (4 x 6-25 s
 * at start) and held up the Kafka broker's spawn; apart, they start in parallel
 * and serve the services on every core (docs/performance.md "Start-up").
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string
  databases: EmbeddedDatabase[]
  logger: Logger
  maxConnections?: number
}): Promise<EmbeddedPostgres> {
  const started: { name: string; worker: DatabaseWorker }[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(
      started.splice(0).map(async ({ name, worker }) => {
        await worker.stop()
        opts.logger.debug({ database: name }, 'embedded postgres stopped')
      }),
    )
  }
  const results = await Promise.allSettled(
    opts.databases.map(async ({ name, port }) => {
      const directory = join(opts.dataDir, 'pglite', name)
      await mkdir(directory, { recursive: true })
      const begun = Date.now()
      const logger = opts.logger.child({ database: name })
      const worker = await startDatabaseWorker({ directory, port, maxConnections: opts.maxConnections ?? 16, level: logger.level }, logger)
      started.push({ name, worker })
      opts.logger.debug({ database: name, port: worker.port, ms: Date.now() - begun }, 'embedded postgres ready')
    }),
  )
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) {
    await stop()
    throw failed.reason
  }
  const urls: Record<string, string> = {}
  for (const { name, worker } of started) urls[name] = `postgres://postgres@127.0.0.1:${worker.port}/postgres`
  return { urls, stop }
}
