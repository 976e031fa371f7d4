// npm run k8s:e2e — Soundline on a real Kubernetes (k8s/local/cluster.sh): installs every
// chart the documented way, then checks what only a real cluster shows. Each check prints
// one PASS/FAIL line; the last line is "k8s e2e: N passed, N failed" (exit 0 only if all pass).
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from './kube.js'
import { installAll, SERVICES } from './install.js'
import { Api, adminToken } from './soundline.js'
import { everyServiceScraped, migrationsRan, podsReady } from './checks/pods.js'
import { notAnMp3Refused, uploadToPermanent } from './checks/pipeline.js'
import { type DrillTimings, storageDrill } from './checks/storage-drill.js'
import { processorDeleted, upgradedUnderLoad } from './checks/disruptions.js'
import { networkPoliciesEnforced } from './checks/network-policy.js'
import { dashboardsAnswer } from './checks/dashboards.js'

const TAG = process.env.E2E_IMAGE_TAG ?? 'local'
const RATE = Number(process.env.E2E_UPLOADS_PER_SECOND ?? 4)
const RUN = new Date().toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)
const started = Date.now()
const results: { name: string; ok: boolean; detail: string; seconds: number }[] = []
const log = (line: string): void => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`)

async function check(name: string, body: () => Promise<string>): Promise<boolean> {
  const t0 = Date.now()
  log(`${name} ...`)
  try {
    const detail = await body()
    results.push({ name, ok: true, detail, seconds: (Date.now() - t0) / 1000 })
    console.log(`PASS ${name}: ${detail}`)
    return true
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    results.push({ name, ok: false, detail, seconds: (Date.now() - t0) / 1000 })
    console.log(`FAIL ${name}: ${detail}`)
    return false
  }
}

async function main(): Promise<number> {
  const installed = await check('install: soundline-infra, then each service chart, --wait', async () => {
    await installAll(TAG, log)
    return `infra + ${SERVICES.length} service releases installed`
  })
  if (installed) {
    await check('every pod Ready', podsReady)
    await check('migration init containers ran', () => migrationsRan(['song-service', 'storage-service', 'resource-service', 'auth-service']))
    await check('Prometheus scrapes every service through its ServiceMonitor', () => everyServiceScraped(SERVICES))
    const api = new Api(await adminToken())
    await check('upload through the gateway -> PERMANENT -> song -> identical download', () => uploadToPermanent(api, RUN))
    await check('a file that is not an MP3 is refused with the contract\'s 400', () => notAnMp3Refused(api))
    const timings: Partial<DrillTimings> = {}
    await check('storage drill: scale storage-service to 0 and back under load', () => storageDrill(api, RUN, RATE, timings))
    await check('resource-processor pod deleted mid-load: nothing lost', () => processorDeleted(api, RUN, RATE))
    await check('helm upgrade of resource-service under load: 0 failed requests', () => upgradedUnderLoad(api, RUN, RATE, TAG, `${TAG}-upgrade-${RUN}`))
    await check('NetworkPolicies enforced', networkPoliciesEnforced)
    await check("each dashboard's queries return data from the in-cluster Prometheus", () => dashboardsAnswer(started))
    writeFileSync(path.join(ROOT, '.cache/k8s/e2e-timings.json'), JSON.stringify(timings, null, 2) + '\n')
  }
  const passed = results.filter((r) => r.ok).length
  const failed = results.length - passed
  console.log('\nverdict:')
  for (const r of results) console.log(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name} (${r.seconds.toFixed(0)} s)`)
  console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`)
  console.log(`k8s e2e: ${passed} passed, ${failed} failed`)
  return failed === 0 && passed > 0 ? 0 : 1
}

process.exitCode = await main().catch((error: unknown) => {
  console.log(`FAIL e2e: ${error instanceof Error ? error.stack : String(error)}`)
  console.log('k8s e2e: 0 passed, 1 failed')
  return 1
})
