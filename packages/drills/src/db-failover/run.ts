// `npm run drill -- db-failover`: the Song Service's database on a local HA
// PostgreSQL (Patroni + etcd + HAProxy, @soundline/dev-stack/infra), the rest
// of the private stack as in every drill; one drill, its own report.
import { createWriteStream } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureHaInstalled, startPgHa } from '@soundline/dev-stack/infra'
import { StackInspector } from '../inspect.js'
import type { DrillReport } from '../report.js'
import { runAndReport, serviceEnv, timestamp, type RunSettings } from '../run.js'
import { DrillStack } from '../stack.js'
import { PROBE_DATABASE, prepareProbes } from './probes.js'
import { dbFailoverScenario } from './scenario.js'

export type DbFailoverSettings = Omit<RunSettings, 'scenarios'>

export async function runDbFailover(settings: DbFailoverSettings): Promise<DrillReport> {
  const progress = settings.onProgress ?? (() => undefined)
  const stamp = timestamp()
  await mkdir(settings.outDir, { recursive: true })
  const haLogPath = join(settings.outDir, `pg-ha-${stamp}.log`)
  const haLog = createWriteStream(haLogPath)
  await ensureHaInstalled(progress)
  progress('starting the HA PostgreSQL: etcd, 3 PostgreSQL 15 nodes under Patroni (1 synchronous standby), HAProxy')
  let started = Date.now()
  const ha = await startPgHa({
    databases: ['song', PROBE_DATABASE],
    print: (who, line) => haLog.write(`${new Date().toISOString()} ${who} | ${line}\n`),
  })
  const members = await ha.members()
  progress(
    `HA PostgreSQL ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${members.map((m) => `${m.name} ${m.role}`).join(', ')}`,
  )
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-drill-'))
  try {
    await prepareProbes(ha)
    const env = serviceEnv({ ...settings, scenarios: [] })
    started = Date.now()
    progress(
      `starting a private stack in ${dataDir}; the Song Service on the HA PostgreSQL (DATABASE_URL: read-write, DATABASE_READ_URL: read-only endpoint)`,
    )
    const stack = await DrillStack.start({
      dataDir,
      serviceEnv: env,
      externalDatabases: { song: { url: ha.writeUrl('song'), readUrl: ha.readUrl('song') } },
    })
    try {
      const inspector = new StackInspector(stack)
      await inspector.pinPrefixes().finally(() => inspector.close())
      progress(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      const scenario = dbFailoverScenario(ha, () => stack.url('song-service'))
      progress(
        `db-failover: ${scenario.summary}; ${settings.rate}/s, observed ${settings.faultSeconds ?? scenario.defaultFaultSeconds} s after the kill`,
      )
      const report = await runAndReport(stack, scenario, settings, stamp)
      settings.onReport?.(report)
      return report
    } finally {
      await stack.close()
      await copyFile(stack.logPath, join(settings.outDir, `services-${stamp}.log`)).catch(() => undefined)
    }
  } finally {
    await ha.stop().catch(() => undefined)
    haLog.end()
    progress(`Patroni, etcd and HAProxy output: ${haLogPath}`)
    if (process.env.DRILL_KEEP_DATA === '1') progress(`kept the stack's data in ${dataDir} (DRILL_KEEP_DATA=1)`)
    else await rm(dataDir, { recursive: true, force: true })
  }
}
