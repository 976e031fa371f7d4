import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { servePglite, type PgliteServer } from '../testing/index.js'
import type { Logger } from 'pino'

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

/**
 * One PGlite instance per database (a PGlite instance holds exactly one
 * database), persisted under `<dataDir>/pglite/<name>` and served over the
 * PostgreSQL wire protocol on 127.0.0.1. PGlite accepts any user and database
 * name in the startup message and always answers as `postgres`/`postgres`,
 * so the URLs use those.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string
  databases: EmbeddedDatabase[]
  logger: Logger
  maxConnections?: number
}): Promise<EmbeddedPostgres> {
  const started: { name: string; db: PGlite; server: PgliteServer }[] = []
  const stop = async (): Promise<void> => {
    // Sockets first so no query runs during close; close() checkpoints and flushes to disk.
    await Promise.all(
      started.splice(0).map(async ({ name, db, server }) => {
        await server.stop()
        await db.close()
        opts.logger.debug({ database: name }, 'embedded postgres stopped')
      }),
    )
  }
  try {
    await Promise.all(
      opts.databases.map(async ({ name, port }) => {
        const directory = join(opts.dataDir, 'pglite', name)
        await mkdir(directory, { recursive: true })
        const begun = Date.now()
        const db = await PGlite.create(directory)
        try {
          const server = await servePglite({
            db,
            port,
            maxConnections: opts.maxConnections ?? 16,
            logger: opts.logger.child({ database: name }),
          })
          started.push({ name, db, server })
          opts.logger.debug({ database: name, port: server.port, ms: Date.now() - begun }, 'embedded postgres ready')
        } catch (err) {
          await db.close()
          throw err
        }
      }),
    )
  } catch (err) {
    await stop()
    throw err
  }
  const urls: Record<string, string> = {}
  for (const { name, server } of started) urls[name] = `postgres://postgres@127.0.0.1:${server.port}/postgres`
  return { urls, stop }
}
