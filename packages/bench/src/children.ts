import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'

export interface Child {
  process: ChildProcess
  stop(): Promise<void>
}

/**
 * Runs a Node script in its own process, so the server under test and the
 * load generator do not share a core.
 */
export function startNode(script: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000)
  })
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`${script} exited with ${code}:\n${output}`)
  })
  return {
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

/**
 * Node flags that make a child write a V8 CPU profile into BENCH_PROFILE_DIR
 * when it stops, named after `label` (none when the variable is unset).
 * Flags, not NODE_OPTIONS: --cpu-prof is refused there.
 */
export function profileArgs(label: string): string[] {
  const dir = process.env.BENCH_PROFILE_DIR
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`] : []
}

/** Reads the first line a child prints (children announce their port that way). */
export async function firstLine(child: Child): Promise<string> {
  const stdout = child.process.stdout
  if (!stdout) throw new Error('child has no stdout')
  let buffered = ''
  for await (const chunk of stdout) {
    buffered += String(chunk)
    const newline = buffered.indexOf('\n')
    if (newline >= 0) return buffered.slice(0, newline)
  }
  throw new Error('child exited before printing a line')
}

export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const response = await fetch(url)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
