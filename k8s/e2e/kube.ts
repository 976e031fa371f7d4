// kubectl and helm against the local cluster (k8s/local/cluster.sh), with its
// kubeconfig and the binaries built under .cache/k8s/bin.
import { execFile, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const BIN = path.join(ROOT, '.cache/k8s/bin')
export const KUBECONFIG = path.join(ROOT, '.cache/k8s/cluster/pki/admin.kubeconfig')
export const NAMESPACE = 'soundline'
/** The node's address: NodePorts answer there (gateway 30080, Prometheus 30090). */
export const NODE_IP = '10.250.0.2'

const env = { ...process.env, KUBECONFIG, PATH: `${BIN}:${process.env.PATH ?? ''}` }

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export function run(command: string, args: string[], timeoutMs = 600_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env, cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** Runs and throws with the command's own words when it fails. */
export async function must(command: string, args: string[], timeoutMs?: number): Promise<string> {
  const result = await run(command, args, timeoutMs)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')}: ${(result.stderr || result.stdout).trim().slice(-2000)}`)
  return result.stdout
}

export const kubectl = (...args: string[]): Promise<string> => must('kubectl', ['-n', NAMESPACE, ...args])
export const helm = (...args: string[]): Promise<string> => must('helm', ['-n', NAMESPACE, ...args], 900_000)

/** `kubectl apply` of one object given as data. */
export function apply(object: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['-n', NAMESPACE, 'apply', '-f', '-'], { env, cwd: ROOT })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl apply: ${out.trim()}`))))
    child.stdin.end(JSON.stringify(object))
  })
}

export async function kubectlJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(...args, '-o', 'json')) as T
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `probe` returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}
