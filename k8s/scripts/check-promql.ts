#!/usr/bin/env -S npx tsx
// Runs every PromQL expression of the Grafana dashboards and the alert rules against a real
// Prometheus that scrapes the local stack under a short load (npm run check:promql).
//
//   1. starts the local stack (`npm start` without Docker: PGlite, S3 server, Kafka) unless
//      --no-stack (then the services must already answer on their usual ports);
//   2. starts Debian's `prometheus` scraping every service's /metrics every 2 s;
//   3. drives a short load: uploads real MP3s, waits for them to reach PERMANENT, reads songs,
//      storages, statuses, and makes 4xx answers;
//   4. queries every expression through the HTTP API (Grafana variables substituted; alert
//      expressions also without their threshold) and prints one line per expression.
//
// Outcome per expression: OK (returns series); PENDING (uses a metric listed in
// k8s/promql/pending-metrics.txt, i.e. not implemented yet); EMPTY (every metric exists but the
// selection has no series now, e.g. no 5xx answers under a healthy load); FAIL (a parse error,
// or a metric name that no service exports: a typo). Exit 1 on any FAIL; --strict also fails
// on EMPTY and PENDING.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SERVICES as REGISTRY } from '@soundline/registry'
import { parse } from 'yaml'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const args = new Set(process.argv.slice(2))
const strict = args.has('--strict')
const startStack = !args.has('--no-stack')
const loadSeconds = Number(process.env.PROMQL_LOAD_SECONDS ?? 20)
const promPort = Number(process.env.PROMQL_PROMETHEUS_PORT ?? 19090)
const prometheusBin = process.env.PROMETHEUS ?? 'prometheus'
const SERVICES: Record<string, number> = Object.fromEntries(REGISTRY.map((s) => [s.name, s.port]))

interface Expression { source: string; title: string; expr: string; kind: 'panel' | 'variable' | 'alert' | 'probe' }

// ---- collect expressions ------------------------------------------------------------
const GRAFANA_VARS: [RegExp, string][] = [
  [/\$__rate_interval|\$\{__rate_interval\}/g, '1m'],
  [/\$__interval|\$\{__interval\}/g, '15s'],
  [/\$__range|\$\{__range\}/g, '5m'],
  [/\$\{?(service|breaker)\}?/g, '.*'],
]
function substitute(expr: string): string {
  return GRAFANA_VARS.reduce((e, [re, value]) => e.replace(re, value), expr)
}

interface Panel { title?: string; targets?: { expr?: string }[]; panels?: Panel[] }
interface Dashboard { title: string; panels: Panel[]; templating?: { list: { type: string; name: string; query?: { query?: string } | string }[] } }

export function collectExpressions(): Expression[] {
  const out: Expression[] = []
  const dashboardsDir = path.join(root, 'k8s/charts/soundline-infra/dashboards')
  for (const file of readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).sort()) {
    const dashboard = JSON.parse(readFileSync(path.join(dashboardsDir, file), 'utf8')) as Dashboard
    const walk = (panels: Panel[]): void => {
      for (const panel of panels) {
        for (const target of panel.targets ?? []) {
          if (target.expr) out.push({ source: file, title: panel.title ?? '?', expr: substitute(target.expr), kind: 'panel' })
        }
        walk(panel.panels ?? [])
      }
    }
    walk(dashboard.panels)
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type !== 'query') continue
      const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '')
      const m = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)$/.exec(query.trim())
      if (m?.[1]) out.push({ source: file, title: `variable $${variable.name}`, expr: substitute(m[1]), kind: 'variable' })
    }
  }
  const rules = parse(readFileSync(path.join(root, 'k8s/charts/soundline-infra/rules/soundline.rules.yaml'), 'utf8')) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] }
  for (const group of rules.groups) {
    for (const rule of group.rules) {
      const expr = rule.expr.trim()
      out.push({ source: 'soundline.rules.yaml', title: `${rule.alert ?? rule.record} (condition)`, expr, kind: 'alert' })
      // the same expression without its threshold: must return data under load
      const withoutThreshold = expr.replace(/\s*(>|<|==|!=|>=|<=)\s*-?[0-9.]+(e-?\d+)?\s*$/, '')
      if (withoutThreshold !== expr) out.push({ source: 'soundline.rules.yaml', title: `${rule.alert ?? rule.record} (value)`, expr: withoutThreshold, kind: 'panel' })
    }
  }
  return out
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'])
/** Metric names an expression reads (strings, label matchers, grouping lists and ranges removed). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, '[]')
  const names = new Set<string>()
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice((m.index ?? 0) + m[0].length).trimStart()
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue
    names.add(m[0])
  }
  return [...names]
}

// ---- processes -----------------------------------------------------------------------
const children: ChildProcess[] = []
function stopAll(): void {
  for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGINT')
}
process.on('exit', stopAll)
process.on('SIGINT', () => process.exit(130))

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch {
    return false
  }
}

async function waitFor(url: string, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (await answers(url)) return true
    await sleep(500)
  }
  return false
}

// ---- load ------------------------------------------------------------------------------
async function drive(seconds: number, liveServices: string[]): Promise<{ uploads: number; permanent: number }> {
  const { makeMp3 } = (await import('@soundline/dev-stack/testing')) as { makeMp3: (o?: Record<string, unknown>) => Buffer }
  const base = (service: string): string => `http://127.0.0.1:${SERVICES[service]}`
  const ids: number[] = []
  let uploads = 0
  const deadline = Date.now() + seconds * 1000
  let i = 0
  const calls: Promise<unknown>[] = []
  while (Date.now() < deadline) {
    i += 1
    if (liveServices.includes('resource-service')) {
      const body = makeMp3({ title: `Load ${i}`, artist: 'Soundline', album: 'PromQL check', year: '2026' })
      const res = await fetch(`${base('resource-service')}/resources`, { method: 'POST', headers: { 'content-type': 'audio/mpeg' }, body }).catch(() => null)
      if (res?.ok) {
        uploads += 1
        ids.push(((await res.json()) as { id: number }).id)
      }
      calls.push(fetch(`${base('resource-service')}/resources`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => null)) // 400
      calls.push(fetch(`${base('resource-service')}/resources/999999999/status`).catch(() => null)) // 404
      for (const id of ids.slice(-3)) calls.push(fetch(`${base('resource-service')}/resources/${id}/status`).catch(() => null))
    }
    if (liveServices.includes('song-service')) {
      for (const id of ids.slice(-3)) calls.push(fetch(`${base('song-service')}/songs/${id}`).catch(() => null))
      calls.push(fetch(`${base('song-service')}/songs/ABC`).catch(() => null)) // 400
    }
    if (liveServices.includes('storage-service')) calls.push(fetch(`${base('storage-service')}/storages`).catch(() => null))
    for (const service of liveServices) calls.push(fetch(`${base(service)}/health/ready`).catch(() => null))
    await sleep(200)
  }
  await Promise.all(calls)
  // wait (bounded) until the uploads are processed
  let permanent = 0
  const until = Date.now() + 30_000
  while (Date.now() < until && liveServices.includes('resource-service')) {
    const states = await Promise.all(ids.map(async (id) => {
      const res = await fetch(`${base('resource-service')}/resources/${id}/status`).catch(() => null)
      return res?.ok ? ((await res.json()) as { state: string }).state : 'UNKNOWN'
    }))
    permanent = states.filter((s) => s === 'PERMANENT').length
    if (states.every((s) => s === 'PERMANENT' || s === 'FAILED')) break
    await sleep(1000)
  }
  return { uploads, permanent }
}

// ---- main ------------------------------------------------------------------------------
async function main(): Promise<number> {
  const expressions = collectExpressions()
  // A deliberately misspelt copy of a real query: this run proves that a typo fails.
  expressions.push({ source: 'probe', title: 'typo in a metric name must FAIL', expr: 'sum(rate(http_server_request_totl[1m]))', kind: 'probe' })
  const work = mkdtempSync(path.join(tmpdir(), 'soundline-promql-'))
  try {
    if (spawnSync(prometheusBin, ['--version']).status !== 0) {
      console.error(`check-promql: ${prometheusBin} not found (apt-get install -y prometheus)`)
      return 2
    }
    if (startStack) {
      const stack = spawn(process.execPath, ['packages/dev-stack/dist/cli.js', '--fresh'], {
        cwd: root,
        env: { ...process.env, SOUNDLINE_DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'warn', STACK_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      })
      children.push(stack)
      console.log('check-promql: starting the local stack (npm start) ...')
    }
    const live: string[] = []
    for (const [service, port] of Object.entries(SERVICES)) {
      if (await waitFor(`http://127.0.0.1:${port}/health/live`, startStack ? 180 : 3)) live.push(service)
    }
    if (live.length === 0) {
      console.error('check-promql: no service answers on 8080-8085 (build first: npm run build)')
      return 2
    }
    console.log(`check-promql: services up: ${live.join(', ')}`)

    const config = {
      global: { scrape_interval: '2s', evaluation_interval: '2s' },
      scrape_configs: [{
        job_name: 'soundline',
        metrics_path: '/metrics',
        static_configs: live.map((service) => ({ targets: [`127.0.0.1:${SERVICES[service]}`], labels: { app: service } })),
      }],
    }
    writeFileSync(path.join(work, 'prometheus.yml'), JSON.stringify(config))
    const prometheus = spawn(prometheusBin, [
      `--config.file=${path.join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'inherit'] })
    children.push(prometheus)
    const api = `http://127.0.0.1:${promPort}/api/v1`
    if (!(await waitFor(`http://127.0.0.1:${promPort}/-/ready`, 30))) {
      console.error('check-promql: prometheus did not start')
      return 2
    }
    console.log(`check-promql: load for ${loadSeconds} s ...`)
    const load = await drive(loadSeconds, live)
    console.log(`check-promql: ${load.uploads} uploads, ${load.permanent} PERMANENT`)
    await sleep(6000) // three more scrapes

    // Metric names with samples, plus those only announced (HELP/TYPE, no sample yet: a
    // labelled counter that never counted); the latter are not typos.
    const withSamples = new Set(((await (await fetch(`${api}/label/__name__/values`)).json()) as { data: string[] }).data)
    const announced = new Set<string>()
    const metadata = ((await (await fetch(`${api}/metadata`)).json()) as { data: Record<string, { type: string }[]> }).data
    for (const [name, entries] of Object.entries(metadata)) {
      announced.add(name)
      if (entries.some((m) => m.type === 'histogram' || m.type === 'summary')) for (const suffix of ['_bucket', '_sum', '_count']) announced.add(name + suffix)
    }
    const known = new Set([...withSamples, ...announced])
    const pending = new Set(readFileSync(path.join(root, 'k8s/promql/pending-metrics.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')))
    const counts = { OK: 0, PENDING: 0, EMPTY: 0, FAIL: 0 }
    for (const e of expressions) {
      const res = await fetch(`${api}/query?${new URLSearchParams({ query: e.expr })}`)
      const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } }
      let outcome: keyof typeof counts
      let detail = ''
      const unknown = metricNames(e.expr).filter((name) => !known.has(name))
      if (body.status !== 'success') {
        outcome = 'FAIL'
        detail = `query error: ${body.error}`
      } else if (unknown.some((name) => !pending.has(name))) {
        outcome = 'FAIL'
        detail = `unknown metric ${unknown.filter((n) => !pending.has(n)).join(', ')} (typo, or not exported)`
      } else if (unknown.length > 0) {
        outcome = 'PENDING'
        detail = `not implemented yet: ${unknown.join(', ')}`
      } else if ((body.data?.result.length ?? 0) > 0) {
        outcome = 'OK'
        detail = `${body.data?.result.length} series`
      } else {
        const silent = metricNames(e.expr).filter((name) => !withSamples.has(name))
        outcome = e.kind === 'alert' ? 'OK' : 'EMPTY'
        detail = e.kind === 'alert'
          ? 'not firing (metrics exist)'
          : silent.length > 0
            ? `no series: ${silent.join(', ')} exported but nothing counted yet`
            : 'no series now (metrics exist; condition not met under this load)'
      }
      if (e.kind === 'probe') {
        const caught = outcome === 'FAIL'
        console.log(`${caught ? 'OK     ' : 'FAIL   '} probe / ${e.title}: ${caught ? 'detected' : `NOT detected (${outcome})`}`)
        counts[caught ? 'OK' : 'FAIL'] += 1
        continue
      }
      counts[outcome] += 1
      console.log(`${outcome.padEnd(7)} ${e.source} / ${e.title}: ${detail}\n        ${e.expr.replace(/\s+/g, ' ')}`)
    }
    console.log(`\ncheck-promql: ${expressions.length} expressions: ${counts.OK} OK, ${counts.EMPTY} EMPTY, ${counts.PENDING} PENDING, ${counts.FAIL} FAIL`)
    if (counts.FAIL > 0) return 1
    if (strict && counts.EMPTY + counts.PENDING > 0) return 1
    return 0
  } finally {
    stopAll()
    await sleep(1500)
    rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = await main()
}
