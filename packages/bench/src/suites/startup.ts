import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { availableServices } from '@soundline/dev-stack/services'
import { startNode } from '../children.js'
import { fixed, table } from '../report.js'
import type { Figures } from '../figures.js'

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))

async function allReady(urls: string[]): Promise<boolean> {
  const answers = await Promise.all(
    urls.map((url) =>
      fetch(url).then(
        (r) => r.ok,
        () => false,
      ),
    ),
  )
  return answers.every(Boolean)
}

/**
 * The time from `npm start`'s orchestrator starting (build already done, Kafka
 * jars cached) to every service answering 200 on /health/ready: once on an
 * empty data folder, once on the data the first run left.
 */
export async function benchStartup(figures: Figures): Promise<string> {
  const services = availableServices(repoRoot)
  const urls = services.map((service) => `http://127.0.0.1:${service.port}/health/ready`)
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-bench-'))
  const rows: string[][] = []
  try {
    for (const [run, figure] of [
      ['empty data folder', 'startup_fresh_s'],
      ['existing data', 'startup_warm_s'],
    ] as const) {
      const started = performance.now()
      const stack = startNode(join(repoRoot, 'packages/dev-stack/dist/cli.js'), { SOUNDLINE_DATA_DIR: dataDir })
      try {
        const deadline = started + 120_000
        while (!(await allReady(urls))) {
          if (performance.now() > deadline) throw new Error('the stack was not ready within 120 s')
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        const seconds = (performance.now() - started) / 1000
        figures.set(figure, seconds)
        rows.push([run, services.map((s) => s.name).join(', '), fixed(seconds, 1)])
      } finally {
        await stack.stop()
      }
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
  return table(['start', 'services', 'seconds to all ready'], rows)
}
