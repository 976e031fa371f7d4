// The embedded S3 server is versitygw, a Go program (packages/dev-stack/README.md
// says why). It is built once from the Go module proxy into
// `<cacheDir>/versitygw-<version>/`, like the Kafka jars fetched into .cache/kafka.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { cachedInstall, installOnce } from './cached-install.js'
import { findOnPath, ToolNotFoundError } from './java.js'
import { runCommand } from './processes.js'

export const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw'
export const VERSITYGW_VERSION = 'v1.8.0'
/** Its go.mod asks for this Go (older toolchains fetch it themselves, GOTOOLCHAIN=auto). */
const GO_NEEDED = '1.25'
const USE_EXISTING = 'or set S3_ENDPOINT to an S3 server of your own'
const GO_LOCATIONS = ['/usr/local/go/bin/go', '/usr/lib/go/bin/go']

/** `go` on PATH (or where its installers put it); throws ToolNotFoundError naming the fix. */
export function findGo(env: NodeJS.ProcessEnv = process.env): string {
  const found = findOnPath('go', env.PATH) ?? GO_LOCATIONS.find((candidate) => existsSync(candidate))
  if (found) return found
  throw new ToolNotFoundError(
    `Go (${GO_NEEDED} or newer) was not found on PATH; it is needed once to build the local S3 server (versitygw) ` +
      `from the Go module proxy. Install Go, ${USE_EXISTING}.`,
  )
}

/**
 * Path of the versitygw binary, building it when the cache lacks it. The build
 * goes to a temp dir renamed when complete, so a killed build never leaves a
 * half cache; the Go module and build caches make a rebuild quick.
 */
export async function ensureS3ServerBinary(cacheDir: string, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const versionDir = join(cacheDir, `versitygw-${VERSITYGW_VERSION}`)
  const cached = cachedInstall(versionDir, 'bin', 'versitygw')
  if (cached) return cached

  const go = findGo(env)
  const { dir, installed } = await installOnce({
    versionDir,
    target: 'bin',
    fill: async (partialDir) => {
      logger.info(
        { module: VERSITYGW_MODULE, version: VERSITYGW_VERSION },
        'building the S3 server from the Go module proxy (once, a few minutes; cached afterwards)',
      )
      const started = performance.now()
      // GOFLAGS from the user could ask for -mod=vendor or the like, meaningless for `go install pkg@version`.
      await runCommand(go, ['install', `${VERSITYGW_MODULE}@${VERSITYGW_VERSION}`], {
        env: { ...env, GOBIN: partialDir, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' },
      })
      if (!existsSync(join(partialDir, 'versitygw'))) throw new Error(`go install finished but ${partialDir}/versitygw is missing`)
      const buildMs = Math.round(performance.now() - started)
      return { version: VERSITYGW_VERSION, buildMs, builtAt: new Date().toISOString() }
    },
  })
  const binary = join(dir, 'versitygw')
  if (installed) logger.info({ version: VERSITYGW_VERSION, buildMs: installed.buildMs, binary }, 'S3 server built and cached')
  return binary
}
