// Static checks of the dashboards and alert rules (no Prometheus needed; the live check is
// `npm run check:promql`, k8s/scripts/check-promql.ts): every metric a query reads is one
// that the code exports (or prom-client's default metrics), or is listed as pending; the
// data-tier alerts read exporters of staging instead (k8s/promql/exporter-metrics.txt).
import { readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { collectExpressions, metricNames } from '../scripts/check-promql.js'
import { repoRoot } from './helm.js'

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry)
    if (statSync(full).isDirectory()) {
      if (entry !== 'node_modules' && entry !== 'dist' && entry !== 'test' && entry !== 'generated') sources(full, out)
    } else if (/\.(ts|js)$/.test(entry)) out.push(readFileSync(full, 'utf8'))
  }
  return out
}

t.test('metricNames reads metric names, not labels, functions or keywords', async (t) => {
  t.same(metricNames('sum by (service, le) (rate(http_server_request_duration_seconds_bucket{service=~".*", route="/x"}[1m]))'), ['http_server_request_duration_seconds_bucket'])
  t.same(metricNames('max by (name) ((2 * a{state="open"}) + ignoring(state) b{state="half_open"}) == 1'), ['a', 'b'])
  t.same(metricNames('sum(x) > 0 and sum by (g) (delta(y[5m])) > 0'), ['x', 'y'])
})

t.test('every metric in the dashboards and rules is exported by the code or pending', async (t) => {
  const code = [
    ...['packages', 'services'].flatMap((d) => readdirSync(path.join(repoRoot, d)).flatMap((p) => sources(path.join(repoRoot, d, p, 'src')))),
    ...sources(path.join(repoRoot, 'node_modules/prom-client/lib')),
  ].join('\n')
  const pending = new Set(readFileSync(path.join(repoRoot, 'k8s/promql/pending-metrics.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')))
  const expressions = collectExpressions()
  t.ok(expressions.length > 30, `${expressions.length} expressions`)
  const names = new Set(expressions.flatMap((e) => metricNames(e.expr)))
  for (const name of [...names].sort()) {
    if (pending.has(name)) {
      t.pass(`${name}: pending (not exported yet)`)
      continue
    }
    const base = name.replace(/_(bucket|sum|count)$/, '')
    // the exact name as a string literal (prom-client's default metrics are literals too)
    const exported = [`'${base}'`, `"${base}"`, `\`${base}\``].some((literal) => code.includes(literal))
    t.ok(exported, `${name} is exported by the code (a typo otherwise)`)
  }
})

t.test("the data-tier alerts use only the exporters' metrics listed, and the chart's recordings", async (t) => {
  const listed = new Set(readFileSync(path.join(repoRoot, 'k8s/promql/exporter-metrics.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')))
  const template = readFileSync(path.join(repoRoot, 'k8s/charts/soundline-infra/templates/prometheusrule-data-tier.yaml'), 'utf8')
  const rules = parse(readFileSync(path.join(repoRoot, 'k8s/charts/soundline-infra/rules/data-tier.rules.yaml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }
  const names = new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))))
  t.ok(names.size >= 8, `${names.size} metric names`)
  for (const name of [...names].sort()) {
    if (name.includes(':')) t.match(template, `record: ${name}`, `${name} is recorded by the chart`)
    else t.ok(listed.has(name), `${name} is an exporter metric listed in k8s/promql/exporter-metrics.txt`)
  }
})
