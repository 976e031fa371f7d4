// One embedded database in a worker thread (infra/postgres.ts says why): opens
// PGlite on `directory`, serves it on 127.0.0.1, reports its port, stops on
// request. Log records go to the parent, which owns the logger.
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { pino } from 'pino'
import { servePglite } from '../testing/pglite-server.js'

export interface PgliteWorkerData {
  directory: string
  port: number
  maxConnections: number
  level: string
}

/** What the worker posts to its parent. */
export type PgliteWorkerMessage = { ready: { port: number } } | { log: string } | { failed: string } | { stopped: true }

const port = parentPort
if (!port) throw new Error('pglite-worker runs as a worker thread')
const options = workerData as PgliteWorkerData
const post = (message: PgliteWorkerMessage): void => port.postMessage(message)
const logger = pino({ level: options.level, base: null }, { write: (line: string) => post({ log: line }) })

try {
  const db = await PGlite.create(options.directory)
  const server = await servePglite({ db, port: options.port, maxConnections: options.maxConnections, logger }).catch(
    async (err: unknown) => {
      await db.close()
      throw err
    },
  )
  port.once('message', () => {
    // Sockets first so no query runs during close; close() checkpoints and flushes to disk.
    void server
      .stop()
      .then(() => db.close())
      .then(
        () => post({ stopped: true }),
        (err: unknown) => post({ failed: (err as Error).message }),
      )
  })
  post({ ready: { port: server.port } })
} catch (err) {
  post({ failed: (err as Error).message })
}
