import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Logger } from '@soundline/platform'
import { servePglite, type PgliteServer } from './pglite-server.js'

export interface TestDatabase {
  /** postgres:// URL of a fresh, empty database. */
  url: string
  stop(): Promise<void>
}

/**
 * A fresh, empty database for one test. With TEST_POSTGRES_URL (a real server)
 * it creates `test_<random>` there and drops it on stop; otherwise it runs an
 * in-memory PGlite behind a wire-protocol server on an ephemeral port.
 */
export async function startTestDatabase(options: { logger?: Logger } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_POSTGRES_URL
  return serverUrl ? createOnServer(serverUrl) : startPgliteDatabase(options)
}

async function createOnServer(serverUrl: string): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async stop() {
      const dropper = new pg.Client({ connectionString: serverUrl })
      await dropper.connect()
      try {
        // FORCE (PostgreSQL 13+) disconnects pools a test forgot to close.
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await dropper.end()
      }
    },
  }
}

/** Always PGlite, even with TEST_POSTGRES_URL: for a test that compares PGlite with a real server. */
export async function startPgliteDatabase(options: { logger?: Logger; maxConnections?: number } = {}): Promise<TestDatabase> {
  // Loaded lazily: a test run against a real server never pays for the WASM start.
  const { PGlite } = await import('@electric-sql/pglite')
  const db = await PGlite.create()
  const { logger, maxConnections = 64 } = options
  const server = await servePglite({ db, maxConnections, ...(logger ? { logger } : {}) })
  return {
    url: `postgres://postgres@127.0.0.1:${server.port}/postgres`,
    async stop() {
      await server.stop()
      await db.close()
    },
  }
}

export interface RestartableDatabase extends TestDatabase {
  /** Closes the server and every connection to it: the address refuses connections. */
  goAway(): Promise<void>
  /** Serves the same data on the same address again. */
  comeBack(): Promise<void>
}

/**
 * A PGlite database whose server stops and starts on the same address: what a
 * client of a stable endpoint (HAProxy in front of Patroni) sees during a
 * failover, for tests of reconnecting without a restart.
 */
export async function startRestartablePgliteDatabase(): Promise<RestartableDatabase> {
  const { PGlite } = await import('@electric-sql/pglite')
  const db = await PGlite.create()
  let server: PgliteServer | undefined = await servePglite({ db, maxConnections: 64 })
  const port = server.port
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async goAway() {
      await server?.stop()
      server = undefined
    },
    async comeBack() {
      server ??= await servePglite({ db, port, maxConnections: 64 })
    },
    async stop() {
      await server?.stop()
      await db.close()
    },
  }
}
