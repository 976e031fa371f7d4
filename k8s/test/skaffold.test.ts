// skaffold.yaml, checked offline: skaffold does not install here (its Go module is not
// served by the proxy), so the file is validated against k8s/schemas/skaffold.schema.json
// (the v4beta13 fields Soundline uses, unknown fields refused) plus cross-checks with the repo.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import t from 'tap'
import { parse } from 'yaml'
import { skaffoldImageKey } from '@soundline/registry'
import { SERVICE_CHARTS, repoRoot } from './helm.js'

interface Release {
  name: string
  chartPath?: string
  remoteChart?: string
  namespace?: string
  valuesFiles?: string[]
  wait?: boolean
  setValueTemplates?: Record<string, string>
  dependsOn?: string[]
}
interface Patch {
  op?: string
  path: string
  value?: unknown
}
interface Config {
  build: { local?: { push?: boolean }; artifacts: { image: string; docker?: { dockerfile?: string; target?: string; buildArgs?: Record<string, string> } }[] }
  deploy: { kubeContext?: string; statusCheckDeadlineSeconds?: number; helm: { releases: Release[] } }
  profiles: { name: string; deploy?: unknown; build?: unknown; patches?: Patch[] }[]
}

const config = parse(readFileSync(path.join(repoRoot, 'skaffold.yaml'), 'utf8')) as Config

type Json = unknown
type Container = Record<string, Json> | Json[]

function isContainer(v: Json): v is Container {
  return typeof v === 'object' && v !== null
}

/**
 * The concrete paths a patch path stands for, as skaffold's JSON-patch library
 * (github.com/krishicks/yaml-patch) expands them: a `key=value` segment matches every node
 * below that has the key with that value (searching down, not into a match), and every
 * other segment must exist. No match: skaffold refuses the patch.
 */
function expand(doc: Json, pointer: string): string[] {
  let routes = new Map<string, Json>([['', doc]])
  for (const part of pointer.split('/').slice(1)) {
    const next = new Map<string, Json>()
    for (const [prefix, node] of routes) {
      const kv = part.split('=')
      if (kv.length === 2) {
        const find = (at: string, n: Json): void => {
          if (!isContainer(n)) return
          if (!Array.isArray(n) && n[kv[0] as string] === kv[1]) {
            next.set(at, n)
            return
          }
          for (const [k, v] of Object.entries(n)) find(`${at}/${k}`, v)
        }
        find(prefix, node)
      } else if (isContainer(node) && (node as Record<string, Json>)[part] !== undefined) {
        next.set(`${prefix}/${part}`, (node as Record<string, Json>)[part])
      }
    }
    routes = next
  }
  return [...routes.keys()]
}

function applyOne(doc: Json, op: string, pointer: string, value: Json): void {
  const parts = pointer.split('/').slice(1)
  const key = parts.pop() as string
  let parent: Json = doc
  for (const part of parts) {
    if (!isContainer(parent) || (parent as Record<string, Json>)[part] === undefined) throw new Error(`${op} ${pointer}: no such path`)
    parent = (parent as Record<string, Json>)[part]
  }
  if (!isContainer(parent)) throw new Error(`${op} ${pointer}: no such path`)
  const has = (parent as Record<string, Json>)[key] !== undefined
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key)
    if (op === 'add') parent.splice(index, 0, structuredClone(value))
    else if (!has) throw new Error(`${op} ${pointer}: no such index`)
    else if (op === 'remove') parent.splice(index, 1)
    else if (op === 'replace') parent[index] = structuredClone(value)
    else if (op === 'test' && JSON.stringify(parent[index]) !== JSON.stringify(value)) throw new Error(`test ${pointer} failed`)
    return
  }
  if (op === 'add') parent[key] = structuredClone(value)
  else if (!has) throw new Error(`${op} ${pointer}: no such key`)
  else if (op === 'remove') Reflect.deleteProperty(parent, key)
  else if (op === 'replace') parent[key] = structuredClone(value)
  else if (op === 'test' && JSON.stringify(parent[key]) !== JSON.stringify(value)) throw new Error(`test ${pointer} failed`)
}

function applyPatch(doc: Json, patch: Patch): void {
  const op = patch.op ?? 'replace'
  const paths = patch.path.includes('=') ? expand(doc, patch.path) : [patch.path]
  if (paths.length === 0) throw new Error(`${op} ${patch.path}: selects nothing`)
  for (const p of paths) applyOne(doc, op, p, patch.value)
}

/**
 * The configuration skaffold runs with `-p <name>` (only what Soundline's profiles use:
 * patches, no field overlays). Like skaffold, every patch must apply to the configuration
 * as written, then they are applied in order.
 */
function withProfile(name: string): Config {
  const profile = config.profiles.find((p) => p.name === name)
  if (!profile) throw new Error(`no profile ${name}`)
  if (profile.build !== undefined || profile.deploy !== undefined) throw new Error(`${name}: only patches are understood here`)
  const base = structuredClone(config) as Partial<Config>
  delete base.profiles
  for (const patch of profile.patches ?? []) applyPatch(structuredClone(base), patch)
  const result = structuredClone(base) as Config
  for (const patch of profile.patches ?? []) applyPatch(result, patch)
  return result
}
const schema = JSON.parse(readFileSync(path.join(repoRoot, 'k8s/schemas/skaffold.schema.json'), 'utf8')) as object

t.test('skaffold.yaml matches the schema', async (t) => {
  const ajv = new Ajv({ allErrors: true, strict: false })
  const validate = ajv.compile(schema)
  t.ok(validate(config), 'valid', { errors: validate.errors })
  const broken = structuredClone(config) as unknown as { deploy: { helm: { releases: Record<string, unknown>[] } } }
  const first = broken.deploy.helm.releases[0]
  if (first) first.valueFile = ['typo.yaml']
  t.notOk(validate(broken), 'a misspelt field is refused')
})

t.test('every service image is built and deployed; it also runs its migrations', async (t) => {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8')
  const images = config.build.artifacts.map((a) => a.image).sort()
  t.same(images, SERVICE_CHARTS.map((s) => `soundline/${s}`).sort(), 'one artifact per service, no separate migration image')
  t.notMatch(dockerfile, /^FROM \S+ AS migrate$/m, 'no migrate stage: the service image runs the migrations')
  for (const artifact of config.build.artifacts) {
    const target = artifact.docker?.target
    t.ok(target && new RegExp(`^FROM \\S+ AS ${target}$`, 'm').test(dockerfile), `${artifact.image}: Dockerfile has stage ${target}`)
    t.equal(artifact.docker?.buildArgs?.SERVICE, artifact.image.split('/')[1], `${artifact.image}: SERVICE build arg`)
  }
  const staging = withProfile('staging')
  for (const [profile, releases] of [['kind', config.deploy.helm.releases], ['staging', staging.deploy.helm.releases]] as const) {
    const names = releases.map((r) => r.name)
    for (const release of releases) {
      if (release.chartPath) t.ok(existsSync(path.join(repoRoot, release.chartPath, 'Chart.yaml')), `${profile}/${release.name}: chart ${release.chartPath} exists`)
      for (const file of release.valuesFiles ?? []) t.ok(existsSync(path.join(repoRoot, file)), `${profile}/${release.name}: ${file} exists`)
      for (const dep of release.dependsOn ?? []) t.ok(names.includes(dep), `${profile}/${release.name}: depends on a declared release (${dep})`)
    }
    for (const service of SERVICE_CHARTS) {
      const release = releases.find((r) => r.name === service)
      const key = skaffoldImageKey(`soundline/${service}`)
      t.equal(release?.chartPath, `charts/${service}`, `${profile}: deploys ${service}`)
      // Domain and path apart, as the chart takes them: staging's image.registry cannot prefix the built image twice.
      t.equal(release?.setValueTemplates?.['image.registry'], `{{.IMAGE_DOMAIN_${key}}}`, `${profile}/${service}: built image registry`)
      t.equal(release?.setValueTemplates?.['image.repository'], `{{.IMAGE_REPO_NO_DOMAIN_${key}}}`, `${profile}/${service}: built image repository`)
      t.equal(release?.setValueTemplates?.['image.tag'], `{{.IMAGE_TAG_${key}}}@{{.IMAGE_DIGEST_${key}}}`, `${profile}/${service}: built image tag and digest`)
      const keys = Object.keys(release?.setValueTemplates ?? {})
      t.notOk(
        keys.some((k) => k.startsWith('migrations.')),
        `${profile}/${service}: no migration image to set (the init container runs the service image)`,
      )
    }
  }
  t.equal(config.deploy.kubeContext, 'kind-soundline', 'the default profile deploys to kind')
  t.equal(staging.build.local?.push, true, 'staging pushes the images')
})

t.test('the staging profile: every release into soundline-staging with its staging values', async (t) => {
  const staging = withProfile('staging')
  const releases = staging.deploy.helm.releases
  t.same(releases.map((r) => r.name), ['soundline-infra', ...config.deploy.helm.releases.filter((r) => r.chartPath?.startsWith('charts/')).map((r) => r.name)], 'soundline-infra and the services, no LocalStack or kube-prometheus-stack')
  for (const release of releases) {
    t.equal(release.namespace, 'soundline-staging', `${release.name}: namespace soundline-staging`)
    const expected =
      release.name === 'soundline-infra' ? ['k8s/values/infra-staging.yaml'] : ['charts/values-staging.yaml', `charts/${release.name}/values-staging.yaml`]
    t.same(release.valuesFiles, expected, `${release.name}: staging values only (no kind overlay)`)
  }
  const infra = releases.find((r) => r.name === 'soundline-infra')
  t.notOk(infra?.dependsOn, 'soundline-infra depends on nothing')
  t.notOk(infra?.wait, 'soundline-infra is not waited for')
  t.equal(staging.deploy.statusCheckDeadlineSeconds, 900, 'a longer status check deadline')
  t.equal(staging.deploy.kubeContext, undefined, 'deploys to the current kubectl context, not kind-soundline')

  // A patch that selects nothing or names a missing field is refused, as skaffold refuses it.
  t.throws(() => applyPatch(structuredClone(config), { op: 'remove', path: '/deploy/helm/releases/name=no-such-release' }), /selects nothing/)
  t.throws(() => applyPatch(structuredClone(config), { op: 'add', path: '/deploy/helm/releases/name=gateway/newField', value: 1 }), /selects nothing/)
  t.throws(() => applyPatch(structuredClone(config), { op: 'test', path: '/deploy/helm/releases/3/name', value: 'gateway' }), /test .* failed/)
})
