// skaffold.yaml, checked offline: skaffold does not install here (its Go module is not
// served by the proxy), so the file is validated against k8s/schemas/skaffold.schema.json
// (the v4beta13 fields Soundline uses, unknown fields refused) plus cross-checks with the repo.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import t from 'tap'
import { parse } from 'yaml'
import { SERVICE_CHARTS, repoRoot } from './helm.js'

interface Release {
  name: string
  chartPath?: string
  remoteChart?: string
  valuesFiles?: string[]
  setValueTemplates?: Record<string, string>
  dependsOn?: string[]
}
interface Config {
  build: { artifacts: { image: string; docker?: { dockerfile?: string; target?: string; buildArgs?: Record<string, string> } }[] }
  deploy: { kubeContext?: string; helm: { releases: Release[] } }
  profiles: { name: string; deploy?: { helm: { releases: Release[] } }; patches?: { op?: string; path: string; value?: unknown }[] }[]
}

const config = parse(readFileSync(path.join(repoRoot, 'skaffold.yaml'), 'utf8')) as Config
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

function imageKey(image: string): string {
  return image.replace(/[^A-Za-z0-9]/g, '_')
}

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
  for (const [profile, releases] of [['kind', config.deploy.helm.releases], ['staging', config.profiles.find((p) => p.name === 'staging')?.deploy?.helm.releases ?? []]] as const) {
    const names = releases.map((r) => r.name)
    for (const release of releases) {
      if (release.chartPath) t.ok(existsSync(path.join(repoRoot, release.chartPath, 'Chart.yaml')), `${profile}/${release.name}: chart ${release.chartPath} exists`)
      for (const file of release.valuesFiles ?? []) t.ok(existsSync(path.join(repoRoot, file)), `${profile}/${release.name}: ${file} exists`)
      for (const dep of release.dependsOn ?? []) t.ok(names.includes(dep), `${profile}/${release.name}: depends on a declared release (${dep})`)
    }
    for (const service of SERVICE_CHARTS) {
      const release = releases.find((r) => r.name === service)
      const key = imageKey(`soundline/${service}`)
      t.equal(release?.chartPath, `charts/${service}`, `${profile}: deploys ${service}`)
      t.equal(release?.setValueTemplates?.['image.repository'], `{{.IMAGE_REPO_${key}}}`, `${profile}/${service}: built image repository`)
      t.equal(release?.setValueTemplates?.['image.tag'], `{{.IMAGE_TAG_${key}}}@{{.IMAGE_DIGEST_${key}}}`, `${profile}/${service}: built image tag and digest`)
      const keys = Object.keys(release?.setValueTemplates ?? {})
      t.notOk(
        keys.some((k) => k.startsWith('migrations.')),
        `${profile}/${service}: no migration image to set (the init container runs the service image)`,
      )
    }
  }
  t.equal(config.deploy.kubeContext, 'kind-soundline', 'the default profile deploys to kind')
  const staging = config.profiles.find((p) => p.name === 'staging')
  t.ok(staging?.patches?.some((p) => p.path === '/build/local/push' && p.value === true), 'staging pushes the images')
})
