// Every pod Ready, and each service pod's migration init container ran to success.
import { kubectlJson, waitFor } from '../kube.js'
import { activeTargets } from '../prometheus.js'

interface ContainerStatus {
  name: string
  ready?: boolean
  state?: { terminated?: { exitCode: number; reason?: string } }
}
interface Pod {
  metadata: { name: string; labels?: Record<string, string> }
  status: { phase: string; conditions?: { type: string; status: string }[]; initContainerStatuses?: ContainerStatus[] }
}

export async function podsReady(): Promise<string> {
  const pods = (await kubectlJson<{ items: Pod[] }>('get', 'pods')).items
  const notReady = pods.filter((p) => p.status.phase !== 'Succeeded' && !p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
  if (notReady.length > 0) throw new Error(`not Ready: ${notReady.map((p) => `${p.metadata.name} (${p.status.phase})`).join(', ')}`)
  return `${pods.length} pods Ready`
}

export async function migrationsRan(databases: string[]): Promise<string> {
  const pods = (await kubectlJson<{ items: Pod[] }>('get', 'pods')).items
  const ran: string[] = []
  for (const service of databases) {
    const servicePods = pods.filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === service)
    if (servicePods.length === 0) throw new Error(`${service}: no pod`)
    for (const pod of servicePods) {
      const migrate = pod.status.initContainerStatuses?.find((c) => c.name === 'migrate')
      if (!migrate) throw new Error(`${pod.metadata.name}: no migrate init container`)
      const exit = migrate.state?.terminated?.exitCode
      if (exit !== 0) throw new Error(`${pod.metadata.name}: migrate init container ${JSON.stringify(migrate.state)}`)
      ran.push(pod.metadata.name)
    }
  }
  return `migrate init container exited 0 in ${ran.length} pods (${databases.join(', ')})`
}

/** The charts' ServiceMonitors are real: Prometheus (run by the operator) scrapes every service. */
export async function everyServiceScraped(services: readonly string[]): Promise<string> {
  const started = Date.now()
  await waitFor('every service scraped', 360_000, async () => {
    const up = new Set((await activeTargets()).filter((t) => t.health === 'up').map((t) => t.job))
    return services.every((s) => up.has(s)) ? true : undefined
  }, 2000).catch(async (error: unknown) => {
    const targets = await activeTargets().catch(() => [])
    throw new Error(`${error instanceof Error ? error.message : String(error)}; targets: ${JSON.stringify(targets)}`)
  })
  return `${services.length} services up in Prometheus through their ServiceMonitors (${Math.round((Date.now() - started) / 1000)} s after install)`
}
