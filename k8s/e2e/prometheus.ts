// The in-cluster Prometheus's HTTP API (k8s/local/manifests/monitoring.yaml: NodePort 30090).
import { NODE_IP } from './kube.js'

const API = `http://${NODE_IP}:30090/api/v1`

export interface Sample {
  metric: Record<string, string>
  value: [number, string]
}

export async function query(expr: string): Promise<Sample[]> {
  const res = await fetch(`${API}/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10_000) })
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] | [number, string] } }
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? res.status}`)
  const result = body.data?.result
  if (body.data?.resultType === 'scalar' && Array.isArray(result)) return [{ metric: {}, value: result as [number, string] }]
  return (result as Sample[] | undefined) ?? []
}

/** A query over a time range, as a Grafana panel runs it: the series that have any point in it. */
export async function queryRange(expr: string, startMs: number, endMs: number, stepS = 15): Promise<Sample[]> {
  const params = new URLSearchParams({ query: expr, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepS) })
  const res = await fetch(`${API}/query_range?${params}`, { signal: AbortSignal.timeout(20_000) })
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } }
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? res.status}`)
  return body.data?.result ?? []
}

/** Alerts in the firing state, by name. */
export async function firingAlerts(): Promise<Set<string>> {
  const res = await fetch(`${API}/alerts`, { signal: AbortSignal.timeout(10_000) })
  const body = (await res.json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }
  return new Set(body.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname ?? '?'))
}

/** Prometheus has scraped every service's /metrics at least once. */
export async function activeTargets(): Promise<{ job: string; health: string }[]> {
  const res = await fetch(`${API}/targets?state=active`, { signal: AbortSignal.timeout(10_000) })
  const body = (await res.json()) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } }
  return body.data.activeTargets.map((t) => ({ job: t.labels.job ?? t.labels.service ?? '?', health: t.health }))
}
