// `npm run drill -- cache-failover`: run, report, keep the services' log beside the chart.
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { DrillReport } from '../report.js'
import { timestamp } from '../run.js'
import { runCacheFailover, type CacheDrillOptions } from './drill.js'
import { reportCacheDrill } from './report.js'

export const CACHE_FAILOVER = {
  name: 'cache-failover',
  summary: 'a Redis Cluster master SIGKILLed under reads through the gateway; its replica takes over',
  help: `cache-failover options (its own stack: a Redis Cluster of 3 masters + 3 replicas, the Song Service, the gateway):
  --rate <n>            reads per second through the gateway (default 100)
  --warmup <n>          seconds of load before the kill (default 10)
  --duration <n>        seconds of load after the replica took over (default 15)
  --node-timeout-ms <n> cluster-node-timeout of every Redis node (default 5000)`,
}

export async function cacheFailoverDrill(options: CacheDrillOptions & { outDir: string }): Promise<DrillReport> {
  const stamp = timestamp()
  const { logPath, ...result } = await runCacheFailover(options)
  const report = await reportCacheDrill(result, options.outDir, stamp)
  await mkdir(options.outDir, { recursive: true })
  await copyFile(logPath, join(options.outDir, `services-${stamp}.log`)).catch(() => undefined)
  return report
}
