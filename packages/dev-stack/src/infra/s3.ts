import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startS3Server } from '../testing/index.js'
import type { Logger } from 'pino'
import { cacheDir as defaultCacheDir } from '../paths.js'
import { isProcessAlive } from './processes.js'
import { ensureS3ServerBinary } from './s3-install.js'

export const DEFAULT_S3_PORT = 4566

/** Kills a server left running on this data dir by a parent that died without stopping it (it would hold the port). */
async function killStaleServer(pidFile: string, directory: string, logger: Logger): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
  if (!pid || !isProcessAlive(pid)) return
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  if (!cmdline.includes('versitygw') || !cmdline.includes(directory)) return
  logger.warn({ pid }, 'killing an S3 server left over from an earlier run on this data dir')
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 50 && isProcessAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100))
}

/**
 * S3-compatible server (versitygw, POSIX backend) on 127.0.0.1: buckets are
 * directories under `<dataDir>/s3`, objects plain files. Port 4566 is
 * LocalStack's, so the same S3_ENDPOINT works with either. Credentials test/test.
 */
export async function startEmbeddedS3(opts: {
  dataDir: string
  port?: number
  logger: Logger
  /** Where the server's binary is cached; default `<repo>/.cache` (SOUNDLINE_CACHE_DIR). */
  cacheDir?: string
}): Promise<{ endpoint: string; binary: string; stop(): Promise<void> }> {
  const logger = opts.logger.child({ component: 's3-server' })
  const binary = await ensureS3ServerBinary(opts.cacheDir ?? defaultCacheDir, logger)
  const directory = join(opts.dataDir, 's3')
  const pidFile = join(opts.dataDir, 's3-server.pid')
  await killStaleServer(pidFile, directory, logger)
  const started = performance.now()
  const server = await startS3Server({ binary, directory, port: opts.port ?? DEFAULT_S3_PORT, logger })
  await writeFile(pidFile, `${server.pid}\n`)
  logger.info({ endpoint: server.endpoint, readyMs: Math.round(performance.now() - started) }, 'S3 server ready')
  return {
    endpoint: server.endpoint,
    binary,
    async stop() {
      await server.stop()
      await rm(pidFile, { force: true })
    },
  }
}
