import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from '@soundline/dev-stack/testing'

export interface RedisServer {
  url: string
  stop(): Promise<void>
}

/**
 * A real redis-server (Debian's `redis-server` package) on a free port, no
 * persistence. REDIS_SERVER names another binary.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  const binary = process.env.REDIS_SERVER ?? 'redis-server'
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const failed = once(child, 'error').then(([error]) => {
    throw new Error(`cannot run ${binary} (apt-get install -y redis-server, or set REDIS_SERVER): ${(error as Error).message}`)
  })
  let output = ''
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)))
  })
  await Promise.race([ready, failed])
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}
