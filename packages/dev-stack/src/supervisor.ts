import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'

const COLORS = [36, 33, 35, 32, 34, 91, 96, 93] // cyan, yellow, magenta, green, blue, bright red/cyan/yellow
const LAST_LINES = 40

export interface LinePrinter {
  /** Writes one line prefixed with the padded (and, on a TTY, colored) name. */
  (name: string, line: string): void
}

/** Prefixes merged output lines, e.g. `song-service    | listening`. */
export function createLinePrinter(names: string[], out: NodeJS.WriteStream = process.stdout): LinePrinter {
  const width = Math.max(5, ...names.map((n) => n.length))
  const color = out.isTTY === true && !process.env.NO_COLOR
  const colorOf = new Map(names.map((name, i) => [name, COLORS[i % COLORS.length] ?? 90]))
  return (name, line) => {
    const label = name.padEnd(width)
    const prefix = color ? `\x1b[${colorOf.get(name) ?? 90}m${label} |\x1b[0m` : `${label} |`
    out.write(`${prefix} ${line}\n`)
  }
}

/** Calls onLine for each complete line of a stream (a trailing partial line is flushed at end). */
export function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  let pending = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    pending += chunk
    let newline: number
    while ((newline = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''))
      pending = pending.slice(newline + 1)
    }
  })
  stream.on('end', () => {
    if (pending) onLine(pending)
    pending = ''
  })
}

export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface SupervisedChild {
  name: string
  process: ChildProcess
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<ChildExit>
  /** Whether the process has exited. */
  readonly hasExited: boolean
  /** The most recent output lines, oldest first. */
  lastLines(): string[]
  /** SIGTERM, then SIGKILL after graceMs. Resolves once exited. */
  stop(graceMs?: number): Promise<ChildExit>
}

/**
 * Spawns a child in its own process group: Ctrl-C in the terminal then reaches
 * only the orchestrator, which stops children in order. (A shared group would
 * deliver SIGINT to each child too, and our SIGTERM would become its "second
 * signal: exit now".)
 */
export function spawnChild(spec: {
  name: string
  command: string
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  print: LinePrinter
}): SupervisedChild {
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const recent: string[] = []
  const onLine = (line: string): void => {
    recent.push(line)
    if (recent.length > LAST_LINES) recent.shift()
    spec.print(spec.name, line)
  }
  forEachLine(child.stdout, onLine)
  forEachLine(child.stderr, onLine)
  let exitedFlag = false
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('error', (err) => {
      onLine(`failed to start: ${err.message}`)
      exitedFlag = true
      resolve({ code: null, signal: null })
    })
    child.once('exit', (code, signal) => {
      exitedFlag = true
      resolve({ code, signal })
    })
  })
  return {
    name: spec.name,
    process: child,
    exited,
    get hasExited() {
      return exitedFlag
    },
    lastLines: () => [...recent],
    async stop(graceMs = 10_000) {
      if (exitedFlag) return exited
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        spec.print(spec.name, `did not exit within ${graceMs} ms, sending SIGKILL`)
        child.kill('SIGKILL')
      }, graceMs)
      timer.unref()
      const result = await exited
      clearTimeout(timer)
      return result
    },
  }
}

/** Last-resort cleanup on process exit (synchronous): kill whatever still runs. */
export function killAllSync(children: Iterable<SupervisedChild>): void {
  for (const child of children) {
    if (!child.hasExited) {
      try {
        child.process.kill('SIGKILL')
      } catch {
        // Already gone.
      }
    }
  }
}

export type Readiness = { ready: true; ms: number } | { ready: false; reason: string }

/**
 * Polls `GET url` until it answers 200, the deadline passes, or `gaveUp()`
 * says to stop (e.g. the child exited). The reason names the last answer.
 */
export async function waitForReady(url: string, opts: { timeoutMs: number; gaveUp?: () => string | undefined }): Promise<Readiness> {
  const start = Date.now()
  let last = 'no answer yet'
  while (Date.now() - start < opts.timeoutMs) {
    const stop = opts.gaveUp?.()
    if (stop) return { ready: false, reason: stop }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      const body = await response.text()
      if (response.status === 200) return { ready: true, ms: Date.now() - start }
      last = `HTTP ${response.status}: ${body.slice(0, 300)}`
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string } }).cause
      last = cause?.code ?? (err as Error).message
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return { ready: false, reason: `not ready after ${opts.timeoutMs} ms (last: ${last})` }
}
