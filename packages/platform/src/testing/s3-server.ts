import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { format } from 'node:util'
import type { Logger } from '../logging/logger.js'

/** The slice of s3rver 3.x we use (it ships no types). */
interface S3rverInstance {
  run(): Promise<AddressInfo>
  close(): Promise<void>
  on(event: 'error', listener: (err: Error) => void): void
  logger: Record<'error' | 'warn' | 'info' | 'debug', (message: string, ...args: unknown[]) => void>
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance

const require = createRequire(import.meta.url)

/** Credentials the embedded/test S3 server accepts (LocalStack's convention). */
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string
  port: number
  stop(): Promise<void>
}

/** Runs s3rver (S3-compatible, objects as files under `directory`) on 127.0.0.1. */
export async function startS3rver(options: { directory: string; port?: number; logger?: Logger }): Promise<S3Server> {
  const S3rver = require('s3rver') as S3rverConstructor
  // s3rver checks signatures against its key registry, which only knows S3RVER/S3RVER.
  // Register LocalStack's conventional test/test (our config default) as well.
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as {
    DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void }
  }
  DUMMY_ACCOUNT.createKeyPair(TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey)
  const { logger } = options
  await mkdir(options.directory, { recursive: true })
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    // Path-style only: with vhost buckets a Host like "bucket.localhost" would be read as a bucket name.
    vhostBuckets: false,
  })
  // s3rver logs every request through winston at info; route it to our logger at debug.
  for (const level of ['error', 'warn', 'info', 'debug'] as const) {
    server.logger[level] = (message, ...args) => logger?.debug({ component: 's3rver', level }, format(message, ...args))
  }
  // Without a listener Koa prints every failed request's stack to stderr.
  server.on('error', (err) => logger?.debug({ component: 's3rver', err }, 's3rver request failed'))
  const address = await server.run()
  const endpoint = `http://127.0.0.1:${address.port}`
  let stopped = false
  return {
    endpoint,
    port: address.port,
    async stop() {
      if (stopped) return
      stopped = true
      await server.close()
    },
  }
}

/**
 * An S3 endpoint for one test: the shared one from the test environment
 * (S3_ENDPOINT, set by `npm test`; stop is then a no-op) or a private s3rver
 * on an ephemeral port in a temporary directory. Use unique bucket names.
 */
export async function startTestS3(options: { logger?: Logger } = {}): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const shared = process.env.S3_ENDPOINT
  if (shared) return { endpoint: shared, stop: async () => {} }
  const directory = await mkdtemp(join(tmpdir(), 'soundline-s3-'))
  const server = await startS3rver({ directory, ...(options.logger ? { logger: options.logger } : {}) })
  return {
    endpoint: server.endpoint,
    async stop() {
      await server.stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
