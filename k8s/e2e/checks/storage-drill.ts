// The storage drill on a real cluster (docs/kubernetes.md, "The storage failure drill"):
// steady uploads through the gateway, the Storage Service scaled to zero and back.
// Every upload must succeed (stub storages behind the breaker), Prometheus must see the
// breaker open and the CircuitBreakerOpen alert fire, then the breaker close again,
// and every upload must reach PERMANENT.
import { kubectl, kubectlJson, waitFor } from '../kube.js'
import { type Api } from '../soundline.js'
import { UploadLoad, notPermanentAfter } from '../load.js'
import { firingAlerts, query } from '../prometheus.js'

const BREAKER = 'circuitbreaker_state{service="resource-service",name="storage-service"'
export const ALERT = 'CircuitBreakerOpen'

async function breakerIs(state: 'open' | 'closed'): Promise<true | undefined> {
  const samples = await query(`max(${BREAKER},state="${state}"})`)
  return samples[0]?.value[1] === '1' ? true : undefined
}

async function storagePods(): Promise<number> {
  return (await kubectlJson<{ items: unknown[] }>('get', 'pods', '-l', 'app.kubernetes.io/name=storage-service')).items.length
}

export interface DrillTimings {
  goneS: number
  openS: number
  alertS: number
  closedS: number
  uploads: number
  failed: number
}

export async function storageDrill(api: Api, run: string, perSecond: number, timings: Partial<DrillTimings>): Promise<string> {
  await waitFor('the storage breaker closed before the drill', 60_000, () => breakerIs('closed'))
  const load = new UploadLoad(api, `${run}-storage`, perSecond)
  load.start()
  try {
    await new Promise((resolve) => setTimeout(resolve, 10_000))
    const down = Date.now()
    const since = (t: number): number => Math.round((Date.now() - t) / 100) / 10
    await kubectl('scale', 'deploy/storage-service', '--replicas=0')
    await waitFor('storage-service pods gone', 60_000, async () => ((await storagePods()) === 0 ? true : undefined))
    timings.goneS = since(down)
    const gone = Date.now()
    await waitFor('the breaker open in Prometheus', 90_000, () => breakerIs('open'), 250)
    timings.openS = since(gone)
    // The alert holds for 1 minute of an open breaker before it fires.
    await waitFor(`${ALERT} firing`, 180_000, async () => ((await firingAlerts()).has(ALERT) ? true : undefined), 1000)
    timings.alertS = since(gone)
    const back = Date.now()
    await kubectl('scale', 'deploy/storage-service', '--replicas=1')
    await kubectl('rollout', 'status', 'deploy/storage-service', '--timeout=180s')
    await waitFor('the breaker closed again', 120_000, () => breakerIs('closed'), 250)
    timings.closedS = since(back)
    await new Promise((resolve) => setTimeout(resolve, 5_000))
  } finally {
    await load.stop()
    await kubectl('scale', 'deploy/storage-service', '--replicas=1').catch(() => undefined)
  }
  timings.uploads = load.outcomes.length
  timings.failed = load.failed.length
  if (load.failed.length > 0) throw new Error(`${load.failed.length}/${load.outcomes.length} uploads failed: ${JSON.stringify(load.failed.slice(0, 3))}`)
  const stuck = await notPermanentAfter(api, load.ids, 180_000)
  if (stuck.length > 0) throw new Error(`${stuck.length}/${load.ids.length} uploads not PERMANENT: ${stuck.slice(0, 10).join(', ')}`)
  return (
    `${load.outcomes.length}/${load.outcomes.length} uploads 200 and PERMANENT; pods gone ${timings.goneS} s after scale-down, ` +
    `breaker open in Prometheus ${timings.openS} s after, ${ALERT} firing ${timings.alertS} s after, ` +
    `closed ${timings.closedS} s after scaling back`
  )
}
