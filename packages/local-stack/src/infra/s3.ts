import { join } from 'node:path'
import { startS3rver } from '@soundline/platform/testing'
import type { Logger } from 'pino'

export const DEFAULT_S3_PORT = 4566

/**
 * S3-compatible server (s3rver) on 127.0.0.1, objects as files under
 * `<dataDir>/s3`. Port 4566 is LocalStack's, so the same S3_ENDPOINT works
 * with either. Credentials are not checked; use test/test.
 */
export async function startEmbeddedS3(opts: {
  dataDir: string
  port?: number
  logger: Logger
}): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const server = await startS3rver({
    directory: join(opts.dataDir, 's3'),
    port: opts.port ?? DEFAULT_S3_PORT,
    logger: opts.logger,
  })
  return { endpoint: server.endpoint, stop: () => server.stop() }
}
