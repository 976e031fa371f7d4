// A sibling service for a service's tests, as the real process `npm start` runs
// (its built dist/server.js), never its source imported in-process: a test then
// depends on another service only through its HTTP API, as production does.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { serviceEntry } from '@soundline/registry'
import { freePort } from '../infra/ports.js'
import { repoRoot } from '../paths.js'
import { killAllSync, spawnChild, waitForReady, type SupervisedChild } from '../supervisor.js'

export interface RunningService {
  name: string
  /** http://127.0.0.1:<port> */
  url: string
  port: number
  /** SIGTERM and wait for a graceful exit (the service drains, as in a deployment). */
  stop(): Promise<void>
  /** SIGKILL and wait: a crash, no drain. */
  kill(): Promise<void>
}

export interface StartServiceOptions {
  /** A fixed port, e.g. to start the service again where its callers look for it; default: a free one. */
  port?: number
  timeoutMs?: number
}

// Children are detached (own process group, see supervisor.ts): kill what a
// failed test left behind when the test process exits normally; orphan-guard
// covers a test process killed by a signal.
const started = new Set<SupervisedChild>()
const orphanGuard = new URL('./orphan-guard.js', import.meta.url).href
process.once('exit', () => killAllSync(started))

/**
 * Starts `services/<name>/dist/server.js` (built by `npm test`'s `tsc -b`) on
 * 127.0.0.1 with `env`, and resolves once GET /health/ready answers 200.
 * Its output is kept quiet, and shown when it fails to start
 * (SOUNDLINE_SERVICE_LOGS=1 prints it all).
 */
export async function startService(
  name: string,
  env: Record<string, string> = {},
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const entry = join(repoRoot, serviceEntry(name))
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`)
  const port = options.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  // npm test's flag makes @fastify/autoload look for .ts files, which dist/ does not have.
  const { FASTIFY_AUTOLOAD_TYPESCRIPT: _typescript, ...inherited } = process.env
  const child = spawnChild({
    name,
    command: process.execPath,
    args: ['--import', orphanGuard, entry],
    cwd: repoRoot,
    env: { ...inherited, LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    print: process.env.SOUNDLINE_SERVICE_LOGS ? (child, line) => process.stderr.write(`${child} | ${line}\n`) : () => {},
  })
  started.add(child)
  void child.exited.then(() => started.delete(child))
  const ready = await waitForReady(`${url}/health/ready`, {
    timeoutMs: options.timeoutMs ?? 60_000,
    gaveUp: () => (child.hasExited ? 'exited during startup' : undefined),
  })
  if (!ready.ready) {
    await child.stop(2_000)
    throw new Error(`${name} did not start: ${ready.reason}\n${child.lastLines().join('\n')}`)
  }
  return {
    name,
    url,
    port,
    stop: async () => void (await child.stop()),
    async kill() {
      if (!child.hasExited) child.process.kill('SIGKILL')
      await child.exited
    },
  }
}
