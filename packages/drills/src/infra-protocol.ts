import type { ChildProcess } from 'node:child_process'

/** The line infra-child prints once its databases and S3 server listen, followed by JSON. */
export const INFRA_READY_PREFIX = 'DRILL-INFRA-READY '

export interface InfraUrls {
  databaseUrls: Record<string, string>
  s3Endpoint: string
}

/**
 * The URLs a forked infra child announces on its stdout; rejects if it exits or stays silent
 * for `timeoutMs`. `what` names it in the errors ("the infra process"), `logPath` says where
 * its output went.
 */
export function infraReady(child: ChildProcess, what: string, timeoutMs: number, logPath: string): Promise<InfraUrls> {
  return new Promise<InfraUrls>((resolve, reject) => {
    let buffered = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const line = buffered.split('\n').find((l) => l.startsWith(INFRA_READY_PREFIX))
      if (line) resolve(JSON.parse(line.slice(INFRA_READY_PREFIX.length)) as InfraUrls)
    })
    child.once('exit', (code) => reject(new Error(`${what} exited during start-up (code ${code}); see ${logPath}`)))
    setTimeout(() => reject(new Error(`${what} was not ready within ${timeoutMs} ms`)), timeoutMs).unref()
  })
}
