import { readFile } from 'node:fs/promises'

/** Resident set size of a process in bytes (Linux /proc VmRSS), or NaN elsewhere. */
export async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024
  } catch {
    return Number.NaN
  }
}

/** Runs `work` while sampling the process's RSS every `everyMs`; returns the peak, the sample count and the duration. */
export async function peakRssDuring(
  pid: number,
  everyMs: number,
  work: () => Promise<void>,
): Promise<{ peak: number; samples: number; seconds: number }> {
  let peak = await rssOf(pid)
  let samples = 1
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, everyMs))
      peak = Math.max(peak, await rssOf(pid))
      samples++
    }
  })()
  const started = performance.now()
  try {
    await work()
  } finally {
    sampling = false
    await sampler
  }
  return { peak, samples, seconds: (performance.now() - started) / 1000 }
}
