// Runs drills on one private stack (shared by the scenarios of one run, which
// saves a broker start per scenario) and cleans up after itself.
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runDrill, type DrillOptions } from './drill.js'
import { StackInspector } from './inspect.js'
import { reportDrill, type DrillReport } from './report.js'
import { SCENARIOS, type Scenario, type ScenarioName } from './scenarios.js'
import { DrillStack } from './stack.js'

export interface RunSettings {
  scenarios: ScenarioName[]
  rate: number
  warmupSeconds: number
  /** Per scenario; undefined: the scenario's default. */
  faultSeconds?: number
  afterSeconds: number
  settleTimeoutMs: number
  /** BREAKER_*_OPEN_MS of every breaker. */
  breakerOpenMs: number
  /** Smaller breaker windows for low rates, so a breaker can judge within a second. */
  breakerWindow?: { size: number; minimumCalls: number }
  /** STORAGE_SERVICE_TIMEOUT_MS of the Resource Service. */
  storageTimeoutMs: number
  /** STORAGE_CACHE_TTL_MS of the Resource Service; undefined: the service's default. */
  storageCacheTtlMs?: number
  outDir: string
  /** Called with each report as soon as it is ready. */
  onReport?: (report: DrillReport) => void
  onProgress?: (line: string) => void
}

export function serviceEnv(settings: RunSettings): Record<string, string> {
  const env: Record<string, string> = { STORAGE_SERVICE_TIMEOUT_MS: String(settings.storageTimeoutMs) }
  if (settings.storageCacheTtlMs !== undefined) env.STORAGE_CACHE_TTL_MS = String(settings.storageCacheTtlMs)
  for (const breaker of ['STORAGE_SERVICE', 'SONG_SERVICE', 'RESOURCE_SERVICE']) {
    env[`BREAKER_${breaker}_OPEN_MS`] = String(settings.breakerOpenMs)
    if (settings.breakerWindow) {
      env[`BREAKER_${breaker}_WINDOW_SIZE`] = String(settings.breakerWindow.size)
      env[`BREAKER_${breaker}_MINIMUM_CALLS`] = String(settings.breakerWindow.minimumCalls)
    }
  }
  return env
}

/** One scenario on a running stack, reported; a drill that throws is a failed report, not a crash of the run. */
export async function runAndReport(
  stack: DrillStack,
  scenario: Scenario,
  settings: Omit<RunSettings, 'scenarios'>,
  stamp: string,
  progress: (line: string) => void = () => undefined,
): Promise<DrillReport> {
  const options: DrillOptions = {
    rate: settings.rate,
    warmupSeconds: settings.warmupSeconds,
    faultSeconds: settings.faultSeconds ?? scenario.defaultFaultSeconds,
    afterSeconds: settings.afterSeconds,
    settleTimeoutMs: settings.settleTimeoutMs,
    breakerOpenMs: settings.breakerOpenMs,
    storageTimeoutMs: settings.storageTimeoutMs,
  }
  const drill = scenario.run
    ? scenario.run(stack, scenario, options, { outDir: settings.outDir, stamp, progress })
    : runDrill(stack, scenario, options, stamp).then((result) => reportDrill(result, settings.outDir, stamp))
  return drill.catch((error: unknown): DrillReport => {
    const message = (error as Error).stack ?? String(error)
    return {
      criteria: [{ name: 'the drill runs to its end', pass: false, actual: message }],
      passed: false,
      text: `== ${scenario.name}: the drill itself failed\n${message}`,
      pngPath: '',
    }
  })
}

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')
}

export async function runDrills(settings: RunSettings): Promise<DrillReport[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-drill-'))
  const stamp = timestamp()
  const progress = settings.onProgress ?? (() => undefined)
  const env = serviceEnv(settings)
  progress(
    `starting a private stack in ${dataDir} with ${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  )
  const started = Date.now()
  const stack = await DrillStack.start({ dataDir, serviceEnv: env }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true })
    throw error
  })
  const inspector = new StackInspector(stack)
  await inspector.pinPrefixes().finally(() => inspector.close())
  progress(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const reports: DrillReport[] = []
  try {
    for (const name of settings.scenarios) {
      const scenario = SCENARIOS[name]
      progress(`${name}: ${scenario.summary}; ${settings.rate}/s, fault ${settings.faultSeconds ?? scenario.defaultFaultSeconds} s`)
      const report = await runAndReport(stack, scenario, settings, stamp, progress)
      reports.push(report)
      settings.onReport?.(report)
    }
  } finally {
    await stack.close()
    // The services' own log, for reading a failed verdict next to its timeline.
    await copyFile(stack.logPath, join(settings.outDir, `services-${stamp}.log`)).catch(() => undefined)
    if (process.env.DRILL_KEEP_DATA === '1') progress(`kept the stack's data in ${dataDir} (DRILL_KEEP_DATA=1)`)
    else await rm(dataDir, { recursive: true, force: true })
  }
  return reports
}
