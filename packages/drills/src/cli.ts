#!/usr/bin/env node
// `npm run drill -- <scenario>|all [options]`: failure drills on a private stack.
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { repoRoot } from '@soundline/dev-stack/paths'
import { CACHE_FAILOVER, cacheFailoverDrill } from './cache-failover/index.js'
import { runDbFailover } from './db-failover/run.js'
import type { DrillReport } from './report.js'
import { runDrills } from './run.js'
import { SCENARIO_NAMES, SCENARIOS, type ScenarioName } from './scenarios.js'

const HELP = `usage: npm run drill -- <scenario|all> [options]

Runs a private stack (free ports, temp data), drives a steady upload load, injects
the fault, heals it, waits for the pipeline to settle, then prints a timeline and
a verdict and writes a PNG chart to .data/drills/. Exit code 0 only on PASS.

scenarios:
${SCENARIO_NAMES.map((name) => `  ${name.padEnd(16)} ${SCENARIOS[name].summary} (default fault ${SCENARIOS[name].defaultFaultSeconds} s)`).join('\n')}
  all              every scenario above, one after the other, on one stack
  ${CACHE_FAILOVER.name.padEnd(16)} ${CACHE_FAILOVER.summary}
  db-failover      the Song database on a local HA PostgreSQL (Patroni, etcd, HAProxy; installed by
                   packages/dev-stack/scripts/install-ha.sh if missing); its primary SIGKILLed (default 20 s observed)

options:
  --rate <n>            uploads per second (default 20; db-failover 10)
  --fault-seconds <n>   fault length (default: per scenario)
  --warmup <n>          healthy seconds before the fault (default 10)
  --duration <n>        warm-up + fault + load after the broken part is back (default warm-up + fault + 15)
  --open-ms <n>         BREAKER_*_OPEN_MS given to the services (default 10000)
  --timeout-ms <n>      STORAGE_SERVICE_TIMEOUT_MS (default 500, the service's default)
  --cache-ttl-ms <n>    STORAGE_CACHE_TTL_MS (default: the service's own)
  --settle-seconds <n>  how long the pipeline may take after the load (default 180)
  --out <dir>           where charts go (default <repo>/.data/drills)

${CACHE_FAILOVER.help}`

/** The CLI's output is its product; stdout directly (the lint rule keeps console.log out of services). */
const say = (text: string): void => void process.stdout.write(`${text}\n`)

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!(parsed > 0)) throw new Error(`--${name} must be a positive number, got '${value}'`)
  return parsed
}

async function main(): Promise<number> {
  // Local development runs on Node 20; the SDK's warning (for the S3 listing) asks for 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  // Exiting runs the 'exit' hooks that SIGKILL the stack's processes; a signal's default action would skip them.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130))
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rate: { type: 'string' },
      'fault-seconds': { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      'open-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'cache-ttl-ms': { type: 'string' },
      'settle-seconds': { type: 'string' },
      out: { type: 'string' },
      'node-timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const target = positionals[0]
  if (values.help || !target) {
    say(HELP)
    return target || values.help ? 0 : 2
  }
  if (target === CACHE_FAILOVER.name) {
    const report = await cacheFailoverDrill({
      rate: positive(values.rate, 'rate') ?? 100,
      songs: 500,
      warmupSeconds: positive(values.warmup, 'warmup') ?? 10,
      afterSeconds: positive(values.duration, 'duration') ?? 15,
      nodeTimeoutMs: positive(values['node-timeout-ms'], 'node-timeout-ms') ?? 5_000,
      outDir: values.out ?? join(repoRoot, '.data', 'drills'),
      onProgress: (line) => say(`drill | ${line}`),
    })
    say(`\n${report.text}\n`)
    return report.passed ? 0 : 1
  }
  if (target !== 'all' && target !== 'db-failover' && !(SCENARIO_NAMES as string[]).includes(target)) {
    console.error(`unknown scenario '${target}'\n\n${HELP}`)
    return 2
  }
  const scenarios = target === 'all' ? SCENARIO_NAMES : target === 'db-failover' ? [] : [target as ScenarioName]
  const warmupSeconds = positive(values.warmup, 'warmup') ?? 10
  const faultSeconds = positive(values['fault-seconds'], 'fault-seconds')
  const duration = positive(values.duration, 'duration')
  const longestFault = faultSeconds ?? (target === 'db-failover' ? 20 : Math.max(...scenarios.map((s) => SCENARIOS[s].defaultFaultSeconds)))
  const settings = {
    // db-failover runs three PostgreSQL servers, Patroni, etcd and HAProxy beside the stack on the same cores: half the rate.
    rate: positive(values.rate, 'rate') ?? (target === 'db-failover' ? 10 : 20),
    warmupSeconds,
    faultSeconds,
    afterSeconds: duration === undefined ? 15 : Math.max(5, duration - warmupSeconds - longestFault),
    settleTimeoutMs: (positive(values['settle-seconds'], 'settle-seconds') ?? 180) * 1000,
    breakerOpenMs: positive(values['open-ms'], 'open-ms') ?? 10_000,
    storageTimeoutMs: positive(values['timeout-ms'], 'timeout-ms') ?? 500,
    storageCacheTtlMs: values['cache-ttl-ms'] === undefined ? undefined : Number(values['cache-ttl-ms']),
    outDir: values.out ?? join(repoRoot, '.data', 'drills'),
    onProgress: (line: string) => say(`drill | ${line}`),
    onReport: (report: DrillReport) => say(`\n${report.text}\n`),
  }
  if (target === 'db-failover') return (await runDbFailover(settings)).passed ? 0 : 1
  const reports = await runDrills({ scenarios, ...settings })
  if (reports.length > 1) {
    say('summary:')
    reports.forEach((report, i) => say(`  ${report.passed ? 'PASS' : 'FAIL'}  ${scenarios[i]}  ${report.pngPath}`))
  }
  return reports.every((report) => report.passed) ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
