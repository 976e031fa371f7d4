import os from 'node:os'

/** What the numbers were measured on: they mean nothing without it. */
export function describeMachine(): string {
  const cpus = os.cpus()
  const model = cpus[0]?.model.trim() ?? 'unknown CPU'
  const memory = `${Math.round(os.totalmem() / 2 ** 30)} GiB`
  return `${model}, ${cpus.length} cores, ${memory}, ${os.platform()} ${os.release()}, Node ${process.version}`
}
