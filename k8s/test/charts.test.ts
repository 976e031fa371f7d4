// The Helm charts: lint-clean values, rendered objects valid against the Kubernetes and
// Prometheus-operator schemas, hardened Deployments, and wrong values refused by the schema.
//   npx tap k8s/test/charts.test.ts      (needs helm on PATH or HELM=<path>; k8s/check.sh installs it)
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { MONITORING_APIS, SERVICE_CHARTS, helm, render, repoRoot, validateObject, type K8sObject, withHelm } from './helm.js'

valuesChecks()
withHelm(run)

interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } }
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> }
  livenessProbe?: { httpGet?: { path?: string } }
  readinessProbe?: { httpGet?: { path?: string } }
  volumeMounts?: { name: string; mountPath: string }[]
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } }
  containers: Container[]
  initContainers?: Container[]
  volumes?: { name: string; emptyDir?: object }[]
}

type Values = Record<string, unknown>

/**
 * The library's defaults: the body of `define "soundline-lib.defaults"`, which is plain YAML
 * (charts/soundline-lib/templates/_defaults.tpl says so).
 */
function libraryDefaults(): Values {
  const tpl = readFileSync(path.join(repoRoot, 'charts/soundline-lib/templates/_defaults.tpl'), 'utf8')
  const body = /\{\{-? define "soundline-lib\.defaults" -?\}\}\n([\s\S]*?)\{\{-? end -?\}\}/.exec(tpl)?.[1]
  if (body === undefined || body.includes('{{')) throw new Error('_defaults.tpl: the defaults are not plain YAML')
  return parse(body) as Values
}

/** How "soundline-lib.all" merges a chart's values over the defaults: maps key by key, the rest replaced. */
function merge(base: Values, over: Values): Values {
  const out: Values = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const current = out[key]
    const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v)
    out[key] = isMap(current) && isMap(value) ? merge(current, value) : value
  }
  return out
}

/** The keys of `over` that only restate `base` (a chart's values.yaml should hold only what differs). */
function repeats(base: Values, over: Values, prefix = ''): string[] {
  const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v)
  return Object.entries(over).flatMap(([key, value]) => {
    const current = base[key]
    if (isMap(current) && isMap(value)) return repeats(current, value, `${prefix}${key}.`)
    return JSON.stringify(current) === JSON.stringify(value) ? [`${prefix}${key}`] : []
  })
}

/** Value sets every chart is rendered with: defaults (kind), kind overlays, staging. */
function valueSets(chart: string): { name: string; args: string[] }[] {
  const sets = [{ name: 'default', args: [] as string[] }]
  const kindOverlay = `k8s/values/kind-${chart}.yaml`
  try {
    readFileSync(path.join(repoRoot, kindOverlay))
    sets.push({ name: 'kind', args: ['-f', kindOverlay] })
  } catch {
    // no kind overlay for this service
  }
  sets.push({ name: 'staging', args: ['-f', 'charts/values-staging.yaml', '-f', `charts/${chart}/values-staging.yaml`] })
  return sets
}

function checkHardened(t: Test, where: string, container: Container, pod: PodSpec): void {
  const sc = container.securityContext ?? {}
  t.equal(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, true, `${where}: runs as non-root`)
  t.not(sc.runAsUser ?? pod.securityContext?.runAsUser, 0, `${where}: not uid 0`)
  t.equal(sc.readOnlyRootFilesystem, true, `${where}: read-only root filesystem`)
  t.equal(sc.allowPrivilegeEscalation, false, `${where}: no privilege escalation`)
  t.ok(sc.capabilities?.drop?.includes('ALL'), `${where}: drops all capabilities`)
  t.same(sc.capabilities?.add ?? [], [], `${where}: adds no capability`)
  t.ok(container.resources?.limits?.memory, `${where}: memory limit`)
  t.ok(container.resources?.limits?.cpu, `${where}: cpu limit`)
  t.ok(container.resources?.requests?.memory, `${where}: memory request`)
  const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp')
  t.ok(tmp, `${where}: /tmp is mounted`)
  t.ok(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, `${where}: /tmp is an emptyDir`)
}

/** The values files and the schema, without helm. */
function valuesChecks(): void {
  t.test('every service chart has the shared values schema', async (t) => {
    for (const chart of SERVICE_CHARTS) {
      const file = path.join(repoRoot, 'charts', chart, 'values.schema.json')
      t.ok(lstatSync(file).isSymbolicLink(), `${chart}/values.schema.json is a symlink`)
      t.equal(readlinkSync(file), '../soundline-lib/service-values.schema.json', `${chart}/values.schema.json links to the shared schema`)
    }
    t.same(SERVICE_CHARTS, ['auth-service', 'gateway', 'resource-processor', 'resource-service', 'song-service', 'storage-service'])
  })

  t.test("the library's defaults, and each chart's values merged over them, meet the schema", async (t) => {
    const schema = JSON.parse(readFileSync(path.join(repoRoot, 'charts/soundline-lib/service-values.schema.json'), 'utf8')) as object
    // (its $schema is the https URL helm accepts, which Ajv does not know as draft-07's)
    const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema)
    const defaults = libraryDefaults()
    // Every key of the schema has a default, except what only a service can know.
    const own = ['image', 'containerPort', 'service']
    const keys = Object.keys((schema as { properties: Record<string, unknown> }).properties).filter((k) => !['global', 'soundline-lib'].includes(k))
    t.same(keys.filter((k) => !(k in defaults) && !own.includes(k)), [], 'every other top-level key has a default')
    const sharedStaging = parse(readFileSync(path.join(repoRoot, 'charts', 'values-staging.yaml'), 'utf8')) as Values
    for (const chart of SERVICE_CHARTS) {
      const values = parse(readFileSync(path.join(repoRoot, 'charts', chart, 'values.yaml'), 'utf8')) as Values
      const staging = merge(sharedStaging, (parse(readFileSync(path.join(repoRoot, 'charts', chart, 'values-staging.yaml'), 'utf8')) ?? {}) as Values)
      for (const [name, merged] of [['values.yaml', merge(defaults, values)], ['values-staging.yaml', merge(merge(defaults, values), staging)]] as const) {
        t.ok(validate(merged), `${chart}: defaults + ${name}`, { errors: validate.errors })
      }
      t.same(repeats(defaults, values), [], `${chart}/values.yaml repeats no default`)
    }
  })
}

function run(): void {
  for (const chart of SERVICE_CHARTS) {
    t.test(`${chart}: helm lint --strict`, async (t) => {
      for (const set of valueSets(chart)) {
        const result = helm(['lint', '--strict', `charts/${chart}`, ...set.args])
        t.equal(result.status, 0, `${set.name} values lint clean`, { output: result.stdout + result.stderr })
      }
    })

    for (const set of valueSets(chart)) {
      t.test(`${chart} (${set.name} values): every rendered object is valid`, async (t) => {
        const namespace = set.name === 'staging' ? 'soundline-staging' : 'soundline'
        const objects = render(`charts/${chart}`, chart, namespace, [...set.args, ...MONITORING_APIS])
        const kinds = objects.map((o) => o.kind).sort()
        for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor']) {
          t.ok(kinds.includes(kind), `renders a ${kind}`)
        }
        if (set.name === 'staging') t.ok(kinds.includes('HorizontalPodAutoscaler'), 'staging renders an HPA')
        for (const object of objects) {
          t.equal(await validateObject(object), null, `${object.kind}/${object.metadata.name} is valid`)
          t.equal(object.metadata.namespace, namespace, `${object.kind}/${object.metadata.name} is in ${namespace}`)
        }

        const deployment = objects.find((o) => o.kind === 'Deployment') as K8sObject & { spec: { template: { spec: PodSpec } } }
        t.equal(deployment.metadata.name, chart, 'the Deployment is named after the service (kubectl scale deploy <service>)')
        const pod = deployment.spec.template.spec
        t.equal(pod.securityContext?.runAsNonRoot, true, 'pod: runAsNonRoot')
        t.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', 'pod: seccomp RuntimeDefault')
        const [main] = pod.containers
        if (!main) throw new Error('no container')
        checkHardened(t, 'service container', main, pod)
        t.equal(main.livenessProbe?.httpGet?.path, '/health/live', 'liveness probe on /health/live')
        t.equal(main.readinessProbe?.httpGet?.path, '/health/ready', 'readiness probe on /health/ready')
        for (const init of pod.initContainers ?? []) checkHardened(t, `init container ${init.name}`, init, pod)

        const migrates = (pod.initContainers ?? []).find((c) => c.name === 'migrate')
        const ownsDatabase = !['gateway', 'resource-processor'].includes(chart)
        t.equal(Boolean(migrates), ownsDatabase, ownsDatabase ? 'migrates before serving' : 'has no migration step')
        if (migrates) {
          t.equal(migrates.image, main.image, 'migrates from the service image itself (no separate migration image)')
          t.same(migrates.args, ['/app/packages/platform/dist/cli/migrate.js'], "runs the project's migrator with the image's node")
          t.notOk(migrates.command, 'the entrypoint (node) is kept')
          const values = parse(readFileSync(path.join(repoRoot, 'charts', chart, 'values.yaml'), 'utf8')) as { migrations: { database: string } }
          const dir = migrates.env?.find((e) => e.name === 'MIGRATIONS_DIR')?.value
          t.equal(dir, `/app/prisma/${values.migrations.database}/migrations`, 'MIGRATIONS_DIR is its database folder in the image')
          t.ok(existsSync(path.join(repoRoot, 'prisma', values.migrations.database, 'migrations')), `prisma/${values.migrations.database}/migrations exists`)
          const url = migrates.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef
          t.same(url, main.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef, 'the same DATABASE_URL Secret as the service')
        }

        const monitor = objects.find((o) => o.kind === 'ServiceMonitor')
        t.ok(monitor?.metadata.labels?.release, 'ServiceMonitor carries the Prometheus selector label')
      })
    }

    t.test(`${chart}: wrong values are refused by values.schema.json`, async (t) => {
      const cases: { set: string[]; path: string }[] = [
        { set: ['--set-string', 'replicas=two'], path: '/replicas' },
        { set: ['--set', 'replica=2'], path: 'replica' },
        { set: ['--set', 'securityContext.readOnlyRootFilesystem=false'], path: '/securityContext/readOnlyRootFilesystem' },
        { set: ['--set', 'securityContext.runAsNonRoot=false'], path: '/securityContext/runAsNonRoot' },
        { set: ['--set-string', 'serviceMonitor.enabled=yes'], path: '/serviceMonitor/enabled' },
        { set: ['--set-string', 'serviceMonitor.force=yes'], path: '/serviceMonitor/force' },
        // The separate migration image is gone: the init container runs the service image.
        { set: ['--set', 'migrations.image.repository=soundline/migrate'], path: '/migrations' },
        { set: ['--set', 'image.pullPolicy=Sometimes'], path: '/image/pullPolicy' },
        { set: ['--set', 'probes.readiness.path=health'], path: '/probes/readiness/path' },
        { set: ['--set', 'resources.limits.memory=lots'], path: '/resources/limits/memory' },
      ]
      for (const c of cases) {
        const result = helm(['template', chart, `charts/${chart}`, ...c.set])
        t.not(result.status, 0, `${c.set.join(' ')} is refused`)
        t.match(result.stderr, /values don't meet the specifications of the schema/, `${c.set.join(' ')}: refused by the schema`)
        t.match(result.stderr, c.path, `${c.set.join(' ')}: the message names ${c.path}`)
      }
      // The example, as a values file: `replicas: "two"`.
      const file = path.join(repoRoot, 'k8s/test/fixtures/replicas-two.yaml')
      // (helm install and helm template validate values with the same code; install needs a cluster)
      for (const command of ['template', 'lint']) {
        const result = helm([command, ...(command === 'template' ? [chart] : []), `charts/${chart}`, '-f', file])
        t.not(result.status, 0, `helm ${command} -f replicas-two.yaml is refused`)
        t.match(result.stdout + result.stderr, /\/replicas/, `helm ${command}: the error names /replicas`)
      }
    })

    t.test(`${chart}: switches`, async (t) => {
      const off = render(`charts/${chart}`, chart, 'soundline', ['--set', 'serviceMonitor.enabled=false', '--set', 'networkPolicy.enabled=false', '--set', 'podDisruptionBudget.enabled=false', ...MONITORING_APIS])
      t.notOk(off.some((o) => ['ServiceMonitor', 'NetworkPolicy', 'PodDisruptionBudget'].includes(o.kind)), 'ServiceMonitor, NetworkPolicy and PDB can be switched off')
      const relabelled = render(`charts/${chart}`, chart, 'soundline', ['--set', 'serviceMonitor.labels.release=prometheus', '--set', 'serviceMonitor.labels.team=audio', ...MONITORING_APIS])
      const monitor = relabelled.find((o) => o.kind === 'ServiceMonitor')
      t.equal(monitor?.metadata.labels?.release, 'prometheus', 'the selector label is configurable')
      t.equal(monitor?.metadata.labels?.team, 'audio', 'extra selector labels are added')
      const scaled = render(`charts/${chart}`, chart, 'soundline', ['--set', 'autoscaling.enabled=true', '--set', 'autoscaling.maxReplicas=5'])
      const hpa = scaled.find((o) => o.kind === 'HorizontalPodAutoscaler') as (K8sObject & { spec: { maxReplicas: number } }) | undefined
      t.equal(hpa?.spec.maxReplicas, 5, 'HPA rendered when autoscaling.enabled')
      const deployment = scaled.find((o) => o.kind === 'Deployment') as K8sObject & { spec: { replicas?: number } }
      t.equal(deployment.spec.replicas, undefined, 'the HPA owns the replica count')
    })
  }

  t.test('soundline-infra: lint, render, validate (kind and staging)', async (t) => {
    for (const args of [[], ['-f', 'k8s/values/infra-staging.yaml']]) {
      const lint = helm(['lint', '--strict', 'k8s/charts/soundline-infra', ...args])
      t.equal(lint.status, 0, `lint ${args.join(' ') || 'defaults'}`, { output: lint.stdout + lint.stderr })
      const objects = render('k8s/charts/soundline-infra', 'soundline-infra', 'soundline', [...args, ...MONITORING_APIS])
      for (const object of objects) t.equal(await validateObject(object), null, `${object.kind}/${object.metadata.name} is valid`)
      const dashboards = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1')
      t.equal(dashboards.length, 3, 'three dashboards labelled grafana_dashboard: "1"')
      for (const cm of dashboards) {
        const data = (cm as K8sObject & { data: Record<string, string> }).data
        for (const [file, json] of Object.entries(data)) {
          const dashboard = JSON.parse(json) as { uid: string; panels: unknown[] }
          t.ok(dashboard.uid && dashboard.panels.length > 0, `${file}: a dashboard with panels`)
        }
      }
      const rule = objects.find((o) => o.kind === 'PrometheusRule' && o.metadata.name === 'soundline') as K8sObject & { spec: unknown }
      const file = parse(readFileSync(path.join(repoRoot, 'k8s/charts/soundline-infra/rules/soundline.rules.yaml'), 'utf8')) as unknown
      t.same(rule.spec, file, 'the PrometheusRule ships exactly rules/soundline.rules.yaml')
    }
    // The warehouse refresh is off in kind by default (no local image): rendered with it on.
    const kind = render('k8s/charts/soundline-infra', 'soundline-infra', 'soundline', ['--set', 'warehouse.enabled=true'])
    const policies = kind.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name).sort()
    t.same(
      policies,
      ['kafka', 'localstack', 'postgres-auth', 'postgres-resource', 'postgres-song', 'postgres-storage', 'warehouse'],
      'each database, Kafka, LocalStack and the warehouse refresh have a NetworkPolicy',
    )
    const cronJob = kind.find((o) => o.kind === 'CronJob') as K8sObject & {
      spec: { concurrencyPolicy: string; jobTemplate: { spec: { template: { spec: PodSpec } } } }
    }
    t.equal(cronJob.spec.concurrencyPolicy, 'Forbid', 'warehouse refresh: one run at a time')
    const pod = cronJob.spec.jobTemplate.spec.template.spec
    for (const container of pod.containers) {
      t.equal(container.securityContext?.readOnlyRootFilesystem, true, 'warehouse refresh: read-only root filesystem')
      t.equal(pod.securityContext?.runAsNonRoot, true, 'warehouse refresh: non-root')
    }
    t.ok(pod.volumes?.some((volume) => volume.name === 'tmp' && volume.emptyDir), 'warehouse refresh: an emptyDir for its files')
  })

  t.test('NetworkPolicies: each database reachable only by its owner (and the warehouse refresh)', async (t) => {
    const infra = render('k8s/charts/soundline-infra', 'soundline-infra', 'soundline', ['--set', 'warehouse.enabled=true'])
    type Policy = K8sObject & { spec: { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] } }
    // and the warehouse refresh, which reads song, storage and resource (READ ONLY: docs/warehouse.md)
    for (const [db, ...readers] of [
      ['song', 'song-service', 'warehouse'],
      ['storage', 'storage-service', 'warehouse'],
      ['resource', 'resource-service', 'warehouse'],
      ['auth', 'auth-service'],
    ]) {
      const policy = infra.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === `postgres-${db}`) as Policy
      const allowed = policy.spec.ingress.flatMap((rule) => rule.from.map((peer) => peer.podSelector.matchLabels['app.kubernetes.io/name']))
      t.same(allowed, readers, `postgres-${db}: only ${readers.join(' and ')}`)
    }
    // and every service's egress names only its own database
    for (const chart of SERVICE_CHARTS) {
      const objects = render(`charts/${chart}`, chart, 'soundline')
      const policy = objects.find((o) => o.kind === 'NetworkPolicy') as K8sObject & { spec: { egress: { to?: { podSelector?: { matchLabels?: Record<string, string> } }[] }[] } }
      const databases = policy.spec.egress
        .flatMap((rule) => rule.to ?? [])
        .map((peer) => peer.podSelector?.matchLabels?.['soundline.io/database'])
        .filter((db): db is string => db !== undefined)
      const own = { 'song-service': ['song'], 'storage-service': ['storage'], 'resource-service': ['resource'], 'auth-service': ['auth'] }[chart] ?? []
      t.same(databases, own, `${chart} reaches ${own.length > 0 ? own.join(', ') : 'no database'}`)
    }
  })
}
