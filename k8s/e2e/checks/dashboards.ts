// Every Grafana dashboard query answers with data from the in-cluster Prometheus (Grafana
// itself cannot be had here; its queries run against the same Prometheus), over the e2e
// run's time range as a dashboard shows it. Queries on metrics listed in
// k8s/promql/pending-metrics.txt are reported, not judged.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { collectExpressions, metricNames } from '../../scripts/check-promql.js'
import { ROOT } from '../kube.js'
import { queryRange } from '../prometheus.js'

function pendingMetrics(): Set<string> {
  const text = readFileSync(path.join(ROOT, 'k8s/promql/pending-metrics.txt'), 'utf8')
  return new Set(text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')))
}

export async function dashboardsAnswer(sinceMs: number): Promise<string> {
  const pending = pendingMetrics()
  const expressions = collectExpressions().filter((e) => e.kind === 'panel' && e.source.endsWith('.json'))
  const empty: string[] = []
  let withData = 0
  let skipped = 0
  for (const e of expressions) {
    if (metricNames(e.expr).some((m) => pending.has(m))) {
      skipped += 1
      continue
    }
    const samples = await queryRange(e.expr, sinceMs, Date.now())
    if (samples.length > 0) withData += 1
    else empty.push(`${e.source} / ${e.title}: ${e.expr.replace(/\s+/g, ' ')}`)
  }
  const dashboards = new Set(expressions.map((e) => e.source))
  if (empty.length > 0) throw new Error(`${empty.length} of ${expressions.length} queries returned no data:\n    ${empty.join('\n    ')}`)
  return `${withData} queries of ${dashboards.size} dashboards returned data${skipped ? ` (${skipped} on pending metrics not judged)` : ''}`
}
