// What a real cluster needs beyond what renders offline: the charts install without the
// Prometheus operator's CRDs (the monitoring objects are then simply left out, unless forced),
// and the databases' and Kafka's volume claims take a StorageClass.
//   npx tap k8s/test/cluster-fit.test.ts      (needs helm on PATH or HELM=<path>)
import t from 'tap'
import { MONITORING_APIS, SERVICE_CHARTS, helm, render, validateObject, type K8sObject, withHelm } from './helm.js'

const INFRA = 'k8s/charts/soundline-infra'

withHelm(run)

function kinds(objects: K8sObject[]): string[] {
  return objects.map((o) => o.kind)
}

function run(): void {
  for (const chart of SERVICE_CHARTS) {
    t.test(`${chart}: the ServiceMonitor needs the monitoring.coreos.com/v1 API`, async (t) => {
      // `helm install` on a cluster without the CRDs sees no such API, like `helm template` here.
      const bare = helm(['template', chart, `charts/${chart}`])
      t.equal(bare.status, 0, 'renders without the API (no error)', { stderr: bare.stderr })
      const without = render(`charts/${chart}`, chart, 'soundline')
      t.notOk(kinds(without).includes('ServiceMonitor'), 'no ServiceMonitor without the API')
      t.ok(kinds(without).includes('Deployment'), 'everything else is still there')

      const served = render(`charts/${chart}`, chart, 'soundline', ['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor'])
      t.ok(kinds(served).includes('ServiceMonitor'), 'a ServiceMonitor where the API is served')

      const forced = render(`charts/${chart}`, chart, 'soundline', ['--set', 'serviceMonitor.force=true'])
      const monitor = forced.find((o) => o.kind === 'ServiceMonitor')
      t.ok(monitor, 'serviceMonitor.force=true renders it without the API')
      if (monitor) t.equal(await validateObject(monitor), null, 'and it is valid')

      const off = render(`charts/${chart}`, chart, 'soundline', ['--set', 'serviceMonitor.enabled=false', '--set', 'serviceMonitor.force=true', ...MONITORING_APIS])
      t.notOk(kinds(off).includes('ServiceMonitor'), 'enabled=false wins over the API and force')
    })
  }

  t.test('soundline-infra: the PrometheusRule needs the monitoring.coreos.com/v1 API', async (t) => {
    for (const args of [[], ['-f', 'k8s/values/infra-staging.yaml']]) {
      const where = args.length > 0 ? 'staging' : 'kind'
      const bare = helm(['template', 'soundline-infra', INFRA, ...args])
      t.equal(bare.status, 0, `${where}: renders without the API (no error)`, { stderr: bare.stderr })
      const without = render(INFRA, 'soundline-infra', 'soundline', args)
      t.notOk(kinds(without).includes('PrometheusRule'), `${where}: no PrometheusRule without the API`)
      t.ok(kinds(without).includes('ConfigMap'), `${where}: the dashboards are still there`)
      const served = render(INFRA, 'soundline-infra', 'soundline', [...args, '--api-versions', 'monitoring.coreos.com/v1/PrometheusRule'])
      t.ok(kinds(served).includes('PrometheusRule'), `${where}: a PrometheusRule where the API is served`)
      const forced = render(INFRA, 'soundline-infra', 'soundline', [...args, '--set', 'monitoring.forceRules=true'])
      t.ok(kinds(forced).includes('PrometheusRule'), `${where}: monitoring.forceRules=true renders it without the API`)
    }
    const off = render(INFRA, 'soundline-infra', 'soundline', ['--set', 'monitoring.rules=false', '--set', 'monitoring.forceRules=true', ...MONITORING_APIS])
    t.notOk(kinds(off).includes('PrometheusRule'), 'rules=false wins over the API and force')
    const refused = helm(['template', 'soundline-infra', INFRA, '--set-string', 'monitoring.forceRules=yes'])
    t.not(refused.status, 0, 'a non-boolean forceRules is refused')
    t.match(refused.stderr, /\/monitoring\/forceRules/, 'the schema names /monitoring/forceRules')
  })

  type StatefulSet = K8sObject & { spec: { volumeClaimTemplates: { spec: { storageClassName?: string } }[] } }
  const claims = (objects: K8sObject[]): { name: string; storageClassName: string | undefined }[] =>
    objects
      .filter((o): o is StatefulSet => o.kind === 'StatefulSet')
      .flatMap((o) => o.spec.volumeClaimTemplates.map((c) => ({ name: o.metadata.name, storageClassName: c.spec.storageClassName })))

  t.test('soundline-infra: StorageClass of the databases and Kafka', async (t) => {
    const defaults = claims(render(INFRA, 'soundline-infra', 'soundline'))
    t.same(
      defaults.map((c) => c.name).sort(),
      ['kafka', 'postgres-auth', 'postgres-resource', 'postgres-song', 'postgres-storage'],
      'every database and Kafka has a volume claim',
    )
    t.ok(
      defaults.every((c) => c.storageClassName === undefined),
      'by default no storageClassName: the cluster default StorageClass',
    )

    const chosen = render(INFRA, 'soundline-infra', 'soundline', ['--set', 'postgres.storageClassName=fast-ssd', '--set', 'kafka.storageClassName=local-path'])
    for (const claim of claims(chosen)) {
      t.equal(claim.storageClassName, claim.name === 'kafka' ? 'local-path' : 'fast-ssd', `${claim.name}: the chosen StorageClass`)
    }
    for (const object of chosen.filter((o) => o.kind === 'StatefulSet')) {
      t.equal(await validateObject(object), null, `StatefulSet/${object.metadata.name} is valid`)
    }

    for (const key of ['postgres.storageClassName', 'kafka.storageClassName']) {
      const refused = helm(['template', 'soundline-infra', INFRA, '--set', `${key}=Not_A_Name`])
      t.not(refused.status, 0, `${key}=Not_A_Name is refused`)
      t.match(refused.stderr, `/${key.replace('.', '/')}`, `the schema names /${key.replace('.', '/')}`)
    }
  })
}
