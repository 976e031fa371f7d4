// The embedded S3 server is versitygw, a Go program (packages/local-stack/README.md
// says why). It is built once from the Go module proxy into
// `<cacheDir>/versitygw-<version>/`, like the Kafka jars fetched into .cache/kafka.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { findOnPath, ToolNotFoundError } from './java.js'

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

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output.slice(-4000)}`))
    })
  })
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Path of the versitygw binary, building it when the cache lacks it. The build
 * goes to a temp dir renamed when complete, so a killed build never leaves a
 * half cache; the Go module and build caches make a rebuild quick.
 */
export async function ensureS3ServerBinary(cacheDir: string, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const versionDir = join(cacheDir, `versitygw-${VERSITYGW_VERSION}`)
  const binary = join(versionDir, 'bin', 'versitygw')
  const marker = join(versionDir, 'complete.json')
  if (existsSync(marker) && existsSync(binary)) return binary

  const go = findGo(env)
  await mkdir(versionDir, { recursive: true })
  for (const entry of await readdir(versionDir)) {
    const pid = Number(/^bin\.partial-(\d+)-/.exec(entry)?.[1])
    if (pid && !isProcessAlive(pid)) await rm(join(versionDir, entry), { recursive: true, force: true })
  }
  const partialDir = join(versionDir, `bin.partial-${process.pid}-${Date.now()}`)
  logger.info(
    { module: VERSITYGW_MODULE, version: VERSITYGW_VERSION },
    'building the S3 server from the Go module proxy (once, a few minutes; cached afterwards)',
  )
  const started = performance.now()
  try {
    // GOFLAGS from the user could ask for -mod=vendor or the like, meaningless for `go install pkg@version`.
    await run(go, ['install', `${VERSITYGW_MODULE}@${VERSITYGW_VERSION}`], {
      ...env,
      GOBIN: partialDir,
      GOFLAGS: '-buildvcs=false',
      CGO_ENABLED: '0',
    })
    if (!existsSync(join(partialDir, 'versitygw'))) throw new Error(`go install finished but ${partialDir}/versitygw is missing`)
    const buildMs = Math.round(performance.now() - started)
    if (existsSync(marker)) {
      // Another process finished the same build meanwhile; keep theirs.
      await rm(partialDir, { recursive: true, force: true })
      return binary
    }
    await rm(join(versionDir, 'bin'), { recursive: true, force: true })
    await rename(partialDir, join(versionDir, 'bin'))
    await writeFile(marker, JSON.stringify({ version: VERSITYGW_VERSION, buildMs, builtAt: new Date().toISOString() }) + '\n')
    logger.info({ version: VERSITYGW_VERSION, buildMs, binary }, 'S3 server built and cached')
    return binary
  } catch (error) {
    await rm(partialDir, { recursive: true, force: true })
    throw error
  }
}
