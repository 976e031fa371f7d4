import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import type { S3Client } from '@aws-sdk/client-s3'
import { createS3Client, type Logger } from '@soundline/platform'
import { freePort } from '../infra/ports.js'

/** Credentials the embedded/test S3 server accepts (LocalStack's convention). */
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const

/** A client of the test S3 server at `endpoint`, as the services configure theirs. */
export function testS3Client(endpoint: string): S3Client {
  return createS3Client({ endpoint, region: 'us-east-1', ...TEST_CREDENTIALS, forcePathStyle: true })
}

/** Where `npm test` (test-env) tells tests the S3 server's binary is, for tests that need a private one. */
export const S3_SERVER_BINARY_VARIABLE = 'SOUNDLINE_S3_BINARY'

const READY_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 5_000

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string
  port: number
  /** The server process, for a pid file that lets the next start kill a leftover. */
  pid: number
  stop(): Promise<void>
}

export interface S3ServerOptions {
  /** The versitygw executable (packages/dev-stack installs it; see its README). */
  binary: string
  /** Buckets are directories here, objects plain files: data survives a restart. */
  directory: string
  /** Default: a free port. */
  port?: number
  /** Default 127.0.0.1: the server checks signatures, but only against the well-known test/test. */
  host?: string
  logger?: Logger
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Runs versitygw's POSIX backend: an S3 API whose buckets are directories under
 * `directory`. Chosen over s3rver for AbortMultipartUpload, ListMultipartUploads
 * and ListObjectsV2 paging (packages/dev-stack/README.md compares servers).
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const host = options.host ?? '127.0.0.1'
  const port = options.port || (await freePort())
  const { logger } = options
  await mkdir(options.directory, { recursive: true })
  const child = spawn(
    options.binary,
    [
      '--access',
      TEST_CREDENTIALS.accessKeyId,
      '--secret',
      TEST_CREDENTIALS.secretAccessKey,
      '--port',
      `${host}:${port}`,
      '--quiet',
      'posix',
      options.directory,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lastLines: string[] = []
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lastLines.push(line)
      if (lastLines.length > 20) lastLines.shift()
      logger?.debug({ component: 's3-server' }, line)
    })
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let stopping = false
  child.once('exit', (code, signal) => {
    if (!stopping) logger?.error({ component: 's3-server', code, signal, lastLines }, 'S3 server exited unexpectedly')
  })
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject))
  // A parent that exits without stop() must not leave the server holding the port.
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.on('exit', killOnExit)

  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    process.removeListener('exit', killOnExit)
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + READY_TIMEOUT_MS
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the S3 server exited during start (${child.signalCode ?? `exit ${child.exitCode}`})`)
      }
      if (await Promise.race([accepts(host, port), spawnError])) break
      if (Date.now() > deadline) throw new Error(`the S3 server did not listen on ${host}:${port} within ${READY_TIMEOUT_MS} ms`)
      await delay(50)
    }
  } catch (error) {
    await stop()
    throw new Error(`${(error as Error).message}. Last output:\n${lastLines.join('\n')}`, { cause: error })
  }
  return { endpoint: `http://${host}:${port}`, port, pid: child.pid ?? 0, stop }
}

/**
 * An S3 endpoint for one test: the shared one from the test environment
 * (S3_ENDPOINT, set by `npm test`; stop is then a no-op) or a private server
 * from SOUNDLINE_S3_BINARY in a temporary directory. Use unique bucket names.
 */
export async function startTestS3(options: { logger?: Logger } = {}): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const shared = process.env.S3_ENDPOINT
  if (shared) return { endpoint: shared, stop: async () => {} }
  const directory = await mkdtemp(join(tmpdir(), 'soundline-s3-'))
  const server = await startS3Server({ binary: testS3Binary(), directory, ...(options.logger ? { logger: options.logger } : {}) })
  return {
    endpoint: server.endpoint,
    async stop() {
      await server.stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

/** The S3 server binary `npm test` installed; tests that stop and start their own server need it. */
export function testS3Binary(): string {
  const binary = process.env[S3_SERVER_BINARY_VARIABLE]
  if (!binary) {
    throw new Error(
      `${S3_SERVER_BINARY_VARIABLE} is not set: run tests through \`npm test\` (packages/dev-stack test-env), ` +
        'which installs the S3 server and sets it, or set S3_ENDPOINT to a running S3 server.',
    )
  }
  return binary
}
