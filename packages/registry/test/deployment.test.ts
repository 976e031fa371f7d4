// The deployment files restate what the registry says (a chart cannot read JSON from
// outside itself, skaffold has no templating over a list): this test fails as soon as
// one of them disagrees. Each check also runs on a copy with one value broken, to show
// it would notice.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import { parse, stringify } from 'yaml'
import { syncSkaffold, syncTsconfig } from '../scripts/sync.js'
import { SERVICES, service, serviceUrl, serviceUrlVariable, skaffoldImageKey, usesKafka, type ServiceDefinition } from '../src/index.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const readYaml = (path: string): unknown => parse(readFileSync(join(root, path), 'utf8'))

type Values = Record<string, unknown>
const isMap = (value: unknown): value is Values => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Helm's merge: maps key by key, anything else (lists, scalars) replaced. */
function merge(base: Values, over: Values): Values {
  const out = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const current = out[key]
    out[key] = isMap(current) && isMap(value) ? merge(current, value) : value
  }
  return out
}

const LIBRARY_DEFAULTS = 'charts/soundline-lib/templates/_defaults.tpl'

/** A service's values as the library chart renders them: its shared defaults with the chart's values.yaml over them. */
function chartValues(chart: string): ChartValues {
  // The defaults are plain YAML inside a named template; a chart whose values.yaml states everything has none.
  const template = existsSync(join(root, LIBRARY_DEFAULTS)) ? readFileSync(join(root, LIBRARY_DEFAULTS), 'utf8') : ''
  const body = /\{\{-? define "soundline-lib\.defaults" -?\}\}([\s\S]*)\{\{-? end -?\}\}/.exec(template)?.[1] ?? ''
  const defaults = (parse(body) ?? {}) as Values
  return merge(defaults, readYaml(`charts/${chart}/values.yaml`) as Values) as unknown as ChartValues
}

interface NetworkRule {
  to?: { podSelector?: { matchLabels?: Record<string, string> } }[]
}
interface ChartValues {
  image: { repository: string }
  containerPort: number
  service: { port: number }
  config: Record<string, string>
  migrations: { enabled: boolean }
  networkPolicy: {
    ingress: { fromApps: string[] }
    egress: { toApps: { name: string; port: number }[]; rules: NetworkRule[] }
  }
}
interface Release {
  name: string
  chartPath?: string
  setValueTemplates?: Record<string, string>
}
interface Skaffold {
  build: { artifacts: { image: string; docker?: { buildArgs?: Record<string, string> } }[] }
  deploy: { helm: { releases: Release[] } }
  profiles: { name: string; deploy?: { helm: { releases: Release[] } }; patches?: { path: string; value?: unknown }[] }[]
}

/** Collects "what: file says X, registry says Y" lines; an empty list means agreement. */
class Differences {
  readonly lines: string[] = []
  expect(what: string, actual: unknown, expected: unknown): void {
    if (!isDeepStrictEqual(actual, expected))
      this.lines.push(`${what}: ${JSON.stringify(actual)}, registry says ${JSON.stringify(expected)}`)
  }
}

const sorted = (values: readonly string[]): string[] => [...values].sort()
const callers = (name: string): string[] => SERVICES.filter((s) => s.upstreams.includes(name)).map((s) => s.name)
const serviceUrlVariables = new Set(SERVICES.map((s) => serviceUrlVariable(s.name)))
/** The egress rules' pod labels, e.g. `postgres/song`, `kafka`, `localstack`. */
const egressTargets = (rules: NetworkRule[]): string[] =>
  rules.flatMap((rule) =>
    (rule.to ?? []).map(({ podSelector }) => {
      const labels = podSelector?.matchLabels ?? {}
      const database = labels['soundline.io/database']
      return `${labels['app.kubernetes.io/name']}${database ? `/${database}` : ''}`
    }),
  )

function chartDifferences(s: ServiceDefinition, values: ChartValues): string[] {
  const d = new Differences()
  d.expect('image.repository', values.image.repository, s.image)
  d.expect('containerPort', values.containerPort, s.port)
  d.expect('service.port', values.service.port, s.port)
  const urls = Object.fromEntries(Object.entries(values.config).filter(([key]) => serviceUrlVariables.has(key)))
  const expectedUrls = Object.fromEntries(s.upstreams.map((up) => [serviceUrlVariable(up), serviceUrl(up, up)]))
  d.expect('config <SERVICE>_URL', urls, expectedUrls)
  const toApps = values.networkPolicy.egress.toApps.map((app) => `${app.name}:${app.port}`)
  d.expect('networkPolicy.egress.toApps', sorted(toApps), sorted(s.upstreams.map((up) => `${up}:${service(up).port}`)))
  d.expect('networkPolicy.ingress.fromApps', sorted(values.networkPolicy.ingress.fromApps), sorted(callers(s.name)))
  const infra = [
    ...(s.database ? [`postgres/${s.database.name}`] : []),
    ...(usesKafka(s.name) ? ['kafka'] : []),
    ...(s.s3 ? ['localstack'] : []),
  ]
  d.expect('networkPolicy.egress.rules (infrastructure)', sorted(egressTargets(values.networkPolicy.egress.rules)), sorted(infra))
  d.expect('migrations.enabled', values.migrations.enabled, s.database !== undefined)
  return d.lines
}

function skaffoldDifferences(config: Skaffold): string[] {
  const d = new Differences()
  const artifacts = Object.fromEntries(config.build.artifacts.map((a) => [a.image, a.docker?.buildArgs?.SERVICE]))
  d.expect('build.artifacts (image: SERVICE)', artifacts, Object.fromEntries(SERVICES.map((s) => [s.image, s.name])))
  const profiles = [
    ['deploy', config.deploy.helm.releases],
    ...config.profiles.flatMap((p) => (p.deploy ? [[`profiles.${p.name}`, p.deploy.helm.releases] as const] : [])),
  ] as const
  for (const [where, releases] of profiles) {
    const serviceReleases = releases.filter((r) => r.chartPath?.startsWith('charts/'))
    d.expect(`${where} service releases`, sorted(serviceReleases.map((r) => r.name)), sorted(SERVICES.map((s) => s.name)))
    for (const s of SERVICES) {
      const release = serviceReleases.find((r) => r.name === s.name)
      d.expect(`${where}.${s.name}.chartPath`, release?.chartPath, `charts/${s.chart}`)
      d.expect(
        `${where}.${s.name} image.repository`,
        release?.setValueTemplates?.['image.repository'],
        `{{.IMAGE_REPO_NO_DOMAIN_${skaffoldImageKey(s.image)}}}`,
      )
    }
  }
  return d.lines
}

t.test('every chart agrees with the registry', async (t) => {
  for (const s of SERVICES) {
    const values = chartValues(s.chart)
    t.same(chartDifferences(s, values), [], `charts/${s.chart}/values.yaml`)
  }
  const song = service('song-service')
  const broken = chartValues(song.chart)
  broken.service.port += 1
  broken.networkPolicy.ingress.fromApps.pop()
  t.equal(chartDifferences(song, broken).length, 2, 'a wrong port and a missing caller are noticed')
})

t.test('skaffold.yaml builds and deploys exactly the registry', async (t) => {
  t.same(skaffoldDifferences(readYaml('skaffold.yaml') as Skaffold), [], 'skaffold.yaml')
  const broken = readYaml('skaffold.yaml') as Skaffold
  broken.build.artifacts.pop()
  const release = broken.deploy.helm.releases.find((r) => r.name === 'gateway')
  if (release) release.chartPath = 'charts/gateway-old'
  t.equal(skaffoldDifferences(broken).length, 2, 'a missing artifact and a wrong chart are noticed')
})

t.test('skaffold.yaml is what `npm run registry:sync` writes', async (t) => {
  const current = readFileSync(join(root, 'skaffold.yaml'), 'utf8')
  t.equal(syncSkaffold(current), current, 'in step with the registry (run `npm run registry:sync` if not)')
  // A service missing from the file (a new registry entry) gets its artifact, release and staging patch.
  const doc = parse(current) as Skaffold
  doc.build.artifacts = doc.build.artifacts.filter((a) => a.image !== 'soundline/gateway')
  doc.deploy.helm.releases = doc.deploy.helm.releases.filter((r) => r.name !== 'gateway')
  const staging = doc.profiles.find((p) => p.name === 'staging')
  if (staging?.patches) staging.patches = staging.patches.filter((p) => !JSON.stringify(p.value ?? null).includes('gateway'))
  const synced = parse(syncSkaffold(stringify(doc))) as Skaffold
  t.same(skaffoldDifferences(synced), [], 'a service left out is written back')
  t.same(synced, parse(current), 'exactly as the file has it')
})

t.test('the root tsconfig.json references every workspace', async (t) => {
  const current = readFileSync(join(root, 'tsconfig.json'), 'utf8')
  t.equal(syncTsconfig(current), current, 'in step with the workspaces (run `npm run registry:sync` if not)')
  const partial = JSON.parse(current) as { references: { path: string }[] }
  partial.references = partial.references.filter((r) => r.path !== 'services/gateway')
  t.equal(syncTsconfig(JSON.stringify(partial)), current, 'a workspace left out is written back')
})
