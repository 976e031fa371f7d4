import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from '@soundline/platform'

/**
 * A PostgreSQL wire-protocol server in front of one PGlite instance.
 *
 * Why not `PGLiteSocketServer` from @electric-sql/pglite-socket 0.2.17: it
 * queues each protocol *message* separately, so two connections' extended-
 * protocol batches (Parse/Bind/Execute/Sync) interleave on PGlite's single
 * backend. Reproduced here with node-postgres: concurrent parameterized
 * queries with large parameters fail with "bind message supplies 2 parameters,
 * but prepared statement "" requires 1". Its queue also stalls forever after
 * one protocol-level exception. This server instead gives one connection the
 * backend from its first message until PGlite answers ReadyForQuery with status
 * Idle, i.e. for a whole batch or a whole transaction.
 */

/** What we need from a PGlite instance (structural, so any PGlite version fits). */
export interface PgliteBackend {
  execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void; syncToFs?: boolean }): Promise<void>
  isInTransaction(): boolean
  exec(sql: string): Promise<unknown>
  runExclusive<T>(fn: () => Promise<T>): Promise<T>
}

export interface PgliteServer {
  host: string
  port: number
  stop(): Promise<void>
}

export interface ServePgliteOptions {
  db: PgliteBackend
  host?: string
  /** 0 (default) picks a free port. */
  port?: number
  maxConnections?: number
  logger?: Logger
}

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
const READY_FOR_QUERY = 0x5a // 'Z'
const TERMINATE = 0x58 // 'X'
const STATUS_IDLE = 0x49 // 'I'
const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4])
const LOCK_WAIT_WARN_MS = 5_000

/** FIFO mutex: one connection owns the PGlite backend at a time. */
class BackendLock {
  private tail: Promise<void> = Promise.resolve()

  acquire(): Promise<() => void> {
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const acquired = this.tail.then(() => release)
    this.tail = this.tail.then(() => released)
    return acquired
  }
}

/** Follows backend message framing across chunks to know whether a response ended with ReadyForQuery. */
class ResponseTracker {
  private header: number[] = []
  private bodyLeft = 0
  private bodyLength = 0
  private lastType = 0
  private status: number | null = null

  push(chunk: Uint8Array): void {
    let offset = 0
    while (offset < chunk.length) {
      if (this.bodyLeft > 0) {
        if (this.lastType === READY_FOR_QUERY && this.bodyLeft === this.bodyLength) this.status = chunk[offset] ?? null
        const n = Math.min(this.bodyLeft, chunk.length - offset)
        offset += n
        this.bodyLeft -= n
        continue
      }
      this.header.push(chunk[offset++] ?? 0)
      if (this.header.length === 5) {
        const [type, b1, b2, b3, b4] = this.header as [number, number, number, number, number]
        this.lastType = type
        this.bodyLength = this.bodyLeft = ((b1 << 24) | (b2 << 16) | (b3 << 8) | b4) - 4
        this.status = null
        this.header = []
      }
    }
  }

  /** The transaction status byte if the response so far ends with a complete ReadyForQuery. */
  get readyStatus(): number | null {
    if (this.header.length > 0 || this.bodyLeft > 0 || this.lastType !== READY_FOR_QUERY) return null
    return this.status
  }
}

function fatalError(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8')
  const header = Buffer.alloc(5)
  header.write('E', 0, 'ascii')
  header.writeInt32BE(fields.length + 4, 1)
  return Buffer.concat([header, fields])
}

export async function servePglite(options: ServePgliteOptions): Promise<PgliteServer> {
  const { db, logger } = options
  const host = options.host ?? '127.0.0.1'
  const maxConnections = options.maxConnections ?? 16
  const lock = new BackendLock()
  const sockets = new Set<Socket>()
  const handlers = new Set<Promise<void>>()

  const server: Server = createServer((socket) => {
    // Every socket is tracked (also refused ones) so stop() can destroy what clients leave half-open.
    const accepted = handlers.size < maxConnections
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', (err) => logger?.debug({ err }, 'pglite: client socket error'))
    if (!accepted) {
      logger?.warn({ maxConnections }, 'pglite: too many connections, refusing one')
      socket.end(fatalError('53300', 'sorry, too many clients already'))
      return
    }
    socket.setNoDelay(true)
    const done: Promise<void> = handleConnection(socket).finally(() => handlers.delete(done))
    handlers.add(done)
  })

  async function handleConnection(socket: Socket): Promise<void> {
    let buffer: Buffer = Buffer.alloc(0)
    let started = false
    let closed = false
    let release: (() => void) | null = null
    let lastStatus: number | null = STATUS_IDLE
    let chain: Promise<void> = Promise.resolve()

    const run = async (message: Uint8Array): Promise<void> => {
      if (closed) return
      if (!release) {
        const waitStart = Date.now()
        const warn = setTimeout(
          () => logger?.warn('pglite: a connection waits for the backend (another holds a transaction open)'),
          LOCK_WAIT_WARN_MS,
        )
        warn.unref()
        release = await lock.acquire()
        clearTimeout(warn)
        if (Date.now() - waitStart > LOCK_WAIT_WARN_MS)
          logger?.warn({ waitedMs: Date.now() - waitStart }, 'pglite: backend acquired after a long wait')
        if (closed) return // cleanup releases it
      }
      const tracker = new ResponseTracker()
      await db.runExclusive(() =>
        db.execProtocolRawStream(message, {
          onRawData: (data) => {
            tracker.push(data)
            if (!socket.destroyed) socket.write(Buffer.from(data))
          },
        }),
      )
      lastStatus = tracker.readyStatus
      if (lastStatus === STATUS_IDLE) {
        release()
        release = null
      }
    }

    // On disconnect: finish a half-sent batch and roll back an open transaction so the next client gets a clean backend.
    const cleanup = async (): Promise<void> => {
      if (!release) return
      try {
        if (lastStatus === null) await db.runExclusive(() => db.execProtocolRawStream(SYNC_MESSAGE, { onRawData: () => {} }))
        if (db.isInTransaction()) await db.exec('ROLLBACK')
      } catch (err) {
        logger?.error({ err }, 'pglite: cleanup after disconnect failed')
      } finally {
        release()
        release = null
      }
    }

    const enqueue = (message: Uint8Array): void => {
      chain = chain
        .then(() => run(message))
        .catch((err: unknown) => {
          logger?.error({ err }, 'pglite: protocol message failed, closing the connection')
          socket.destroy()
        })
    }

    const onData = (chunk: Buffer): void => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return
          const length = buffer.readInt32BE(0)
          if (buffer.length < length) return
          const code = buffer.readInt32BE(4)
          const message = buffer.subarray(0, length)
          buffer = buffer.subarray(length)
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            socket.write('N') // no encryption: the client continues in plain text
            continue
          }
          if (code === CANCEL_REQUEST) {
            socket.end() // cancelling is not supported; the request is answered by closing
            return
          }
          started = true
          enqueue(new Uint8Array(message))
          continue
        }
        if (buffer.length < 5) return
        const total = 1 + buffer.readInt32BE(1)
        if (buffer.length < total) return
        const type = buffer[0]
        const message = buffer.subarray(0, total)
        buffer = buffer.subarray(total)
        if (type === TERMINATE) {
          socket.end()
          return
        }
        enqueue(new Uint8Array(message))
      }
    }

    await new Promise<void>((resolve) => {
      socket.on('data', onData)
      socket.on('close', () => {
        closed = true
        resolve()
      })
    })
    chain = chain.then(cleanup)
    await chain
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0

  return {
    host,
    port,
    async stop() {
      const closedServer = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await Promise.all([closedServer, ...handlers])
    },
  }
}
