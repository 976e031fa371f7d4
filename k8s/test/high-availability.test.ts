// The replicated data tier in staging (docs/high-availability.md, "Kubernetes"): CloudNativePG
// Clusters valid against the operator's CRD schema (k8s/schemas/cnpg-cluster.schema.json), the
// services wired to their -rw/-ro Services, the Redis Cluster StatefulSet with its bootstrap Job,
// PDBs, anti-affinity and hardening, the data-tier alerts; and kind left as it was.
//   npx tap k8s/test/high-availability.test.ts      (needs helm on PATH or HELM=<path>)
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { MONITORING_APIS, SERVICE_CHARTS, helm, render, repoRoot, validateObject, type K8sObject, withHelm } from './helm.js'

const INFRA = 'k8s/charts/soundline-infra'
const NS = 'soundline-staging'
const STAGING = ['-f', 'k8s/values/infra-staging.yaml']
const WITH_MONITORING = [...MONITORING_APIS, '--api-versions', 'monitoring.coreos.com/v1/PodMonitor']
/** Database -> owning service, as the registry says (packages/registry/services.json). */
const OWNERS: Record<string, string> = { song: 'song-service', storage: 'storage-service', resource: 'resource-service', auth: 'auth-service' }

interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
interface Container { name: string; env?: EnvVar[]; command?: string[]; securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } }; resources?: { limits?: Record<string, unknown> } }
interface PodSpec { securityContext?: { runAsNonRoot?: boolean }; containers: Container[]; initContainers?: Container[]; affinity?: { podAntiAffinity?: Record<string, { topologyKey?: string; podAffinityTerm?: { topologyKey?: string } }[]> } }
type Workload = K8sObject & { spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } }
type CnpgCluster = K8sObject & {
  spec: {
    instances: number
    bootstrap: { initdb: { database: string; owner: string } }
    enablePDB?: boolean
    postgresql: { synchronous: { method: string; number: number; dataDurability: string } }
    storage: { size: string }
    resources: { limits: { memory: string } }
    affinity: { enablePodAntiAffinity: boolean; topologyKey: string; podAntiAffinityType: string }
  }
}
type Policy = K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress?: { from: { podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: number }[] }[]; egress?: { to?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port: number }[] }[] } }

const find = <T extends K8sObject>(objects: K8sObject[], kind: string, name: string): T | undefined =>
  objects.find((o): o is T => o.kind === kind && o.metadata.name === name)

withHelm(run)

function run(): void {
  const infra = render(INFRA, 'soundline-infra', NS, [...STAGING, ...WITH_MONITORING])

  t.test('staging infra: every object valid (CNPG Clusters against the CRD schema)', async (t) => {
    for (const object of infra) t.equal(await validateObject(object), null, `${object.kind}/${object.metadata.name} is valid`)
  })

  t.test('the CRD schema refuses what the API server would', async (t) => {
    const cluster = find<CnpgCluster>(infra, 'Cluster', 'postgres-song')
    if (!cluster) throw new Error('no Cluster postgres-song')
    const variant = (change: (spec: Record<string, unknown>) => void): K8sObject => {
      const copy = structuredClone(cluster) as K8sObject & { spec: Record<string, unknown> }
      change(copy.spec)
      return copy
    }
    t.match(await validateObject(variant((s) => (s.instancess = 4))), /instancess/, 'an unknown field')
    t.match(await validateObject(variant((s) => (s.instances = 'four'))), /instances/, 'a string for an integer')
    t.match(await validateObject(variant((s) => ((s.postgresql as { synchronous: { method: string } }).synchronous.method = 'all'))), /method/, 'a value outside the enum')
    t.match(await validateObject(variant((s) => (s.affinity = { podAntiAffinityType: 'preferred', topologyKeys: 'x' }))), /topologyKeys/, 'a misspelt affinity field')
  })

  t.test('one CloudNativePG Cluster per database: instances, synchronous standby, storage, anti-affinity, PDBs', async (t) => {
    const clusters = infra.filter((o): o is CnpgCluster => o.kind === 'Cluster')
    t.same(clusters.map((c) => c.metadata.name).sort(), Object.keys(OWNERS).map((db) => `postgres-${db}`).sort(), 'a Cluster per database of the registry')
    for (const c of clusters) {
      const db = c.metadata.name.replace(/^postgres-/, '')
      t.equal(c.apiVersion, 'postgresql.cnpg.io/v1', `${c.metadata.name}: postgresql.cnpg.io/v1`)
      t.ok(c.spec.instances >= (db === 'song' ? 4 : 3), `${c.metadata.name}: ${c.spec.instances} instances (at least ${db === 'song' ? 4 : 3})`)
      t.same(c.spec.bootstrap.initdb, { database: db, owner: db }, `${c.metadata.name}: database and owner ${db}`)
      t.ok(c.spec.postgresql.synchronous.number >= 1, `${c.metadata.name}: at least one synchronous standby`)
      t.equal(c.spec.postgresql.synchronous.dataDurability, 'required', `${c.metadata.name}: a commit waits for it`)
      t.ok(c.spec.postgresql.synchronous.number < c.spec.instances - 1, `${c.metadata.name}: one replica may be lost without blocking writes`)
      t.match(c.spec.storage.size, /^[0-9]+Gi$/, `${c.metadata.name}: storage`)
      t.ok(c.spec.resources.limits.memory, `${c.metadata.name}: a memory limit`)
      t.equal(c.spec.affinity.enablePodAntiAffinity, true, `${c.metadata.name}: pod anti-affinity`)
      t.equal(c.spec.affinity.topologyKey, 'kubernetes.io/hostname', `${c.metadata.name}: instances on different nodes`)
      t.not(c.spec.enablePDB, false, `${c.metadata.name}: the operator makes its PodDisruptionBudgets (enablePDB)`)
      const monitor = find<K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; relabelings: { targetLabel: string; replacement: string }[] }[] } }>(infra, 'PodMonitor', c.metadata.name)
      t.equal(monitor?.spec.selector.matchLabels['cnpg.io/cluster'], c.metadata.name, `${c.metadata.name}: a PodMonitor on its instances`)
      t.same(monitor?.spec.podMetricsEndpoints[0]?.relabelings, [{ targetLabel: 'cluster', replacement: c.metadata.name }], `${c.metadata.name}: metrics labelled cluster=${c.metadata.name}`)
      const policy = find<Policy>(infra, 'NetworkPolicy', c.metadata.name)
      const clients = (policy?.spec.ingress ?? []).filter((r) => r.ports.some((p) => p.port === 5432)).flatMap((r) => r.from.map((f) => f.podSelector?.matchLabels['app.kubernetes.io/name'])).filter(Boolean)
      t.same(clients, [OWNERS[db]], `${c.metadata.name}: only ${OWNERS[db]} connects (besides its own instances and the operator)`)
    }
  })

  t.test('services in staging write to <cluster>-rw and read from <cluster>-ro', async (t) => {
    for (const [db, chart] of Object.entries(OWNERS)) {
      const objects = render(`charts/${chart}`, chart, NS, ['-f', 'charts/values-staging.yaml', '-f', `charts/${chart}/values-staging.yaml`])
      const deployment = objects.find((o): o is Workload => o.kind === 'Deployment')
      if (!deployment) throw new Error(`${chart}: no Deployment`)
      const cluster = `postgres-${db}`
      t.ok(find(infra, 'Cluster', cluster), `${chart}: the Cluster ${cluster} exists in the staging infra`)
      const pod = deployment.spec.template.spec
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const env = new Map((container.env ?? []).map((e) => [e.name, e]))
        t.same(env.get('DATABASE_USER')?.valueFrom?.secretKeyRef, { name: `${cluster}-app`, key: 'username' }, `${chart}/${container.name}: the user from ${cluster}-app`)
        t.same(env.get('DATABASE_PASSWORD')?.valueFrom?.secretKeyRef, { name: `${cluster}-app`, key: 'password' }, `${chart}/${container.name}: the password from ${cluster}-app`)
        t.equal(env.get('DATABASE_URL')?.value, `postgresql://$(DATABASE_USER):$(DATABASE_PASSWORD)@${cluster}-rw:5432/${db}`, `${chart}/${container.name}: DATABASE_URL on ${cluster}-rw`)
        t.equal(env.get('DATABASE_READ_URL')?.value, `postgresql://$(DATABASE_USER):$(DATABASE_PASSWORD)@${cluster}-ro:5432/${db}`, `${chart}/${container.name}: DATABASE_READ_URL on ${cluster}-ro`)
        const names = (container.env ?? []).map((e) => e.name)
        t.ok(names.indexOf('DATABASE_PASSWORD') < names.indexOf('DATABASE_URL'), `${chart}/${container.name}: the credentials come before the URLs that expand them`)
        t.notOk((container.env ?? []).some((e) => e.valueFrom?.secretKeyRef?.name === `${db}-db`), `${chart}/${container.name}: not kind's ${db}-db Secret`)
      }
      const policy = objects.find((o): o is Policy => o.kind === 'NetworkPolicy')
      const egress = (policy?.spec.egress ?? []).filter((r) => (r.to ?? []).some((p) => p.podSelector?.matchLabels?.['cnpg.io/cluster'] === cluster))
      t.same(egress.flatMap((r) => r.ports?.map((p) => p.port)), [5432], `${chart}: egress to the instances of ${cluster} on 5432`)
      for (const object of objects) t.equal(await validateObject(object), null, `${chart}: ${object.kind}/${object.metadata.name} is valid`)
    }
  })

  t.test('postgresCluster and a DATABASE_URL in secretEnv together are refused', async (t) => {
    const result = helm(['template', 'song-service', 'charts/song-service', '--set', 'postgresCluster.name=postgres-song', '--set', 'postgresCluster.database=song'])
    t.not(result.status, 0, 'the render fails')
    t.match(result.stderr, /remove it from secretEnv/, 'and says why')
    const nameless = helm(['template', 'song-service', 'charts/song-service', '--set', 'secretEnv=null', '--set', 'postgresCluster.name=postgres-song'])
    t.not(nameless.status, 0, 'a Cluster without its database is refused')
    t.match(nameless.stderr, /postgresCluster[\s\S]*database/, 'by the schema')
  })

  t.test('the Redis Cluster: 3 masters + 3 replicas, bootstrap Job, PDB, anti-affinity, hardened', async (t) => {
    const sts = find<Workload & { spec: { serviceName: string; podManagementPolicy: string } }>(infra, 'StatefulSet', 'redis-cluster')
    if (!sts) throw new Error('no StatefulSet redis-cluster')
    t.equal(sts.spec.replicas, 6, 'six nodes')
    t.equal(sts.spec.serviceName, 'redis-cluster-headless', 'named through the headless Service')
    const headless = find<K8sObject & { spec: { clusterIP: string; publishNotReadyAddresses: boolean } }>(infra, 'Service', 'redis-cluster-headless')
    t.equal(headless?.spec.clusterIP, 'None', 'a headless Service')
    t.equal(headless?.spec.publishNotReadyAddresses, true, 'names resolve before the nodes are ready (the bootstrap needs them)')
    const anti = sts.spec.template.spec.affinity?.podAntiAffinity ?? {}
    const terms = Object.values(anti).flat()
    t.ok(terms.some((term) => (term.topologyKey ?? term.podAffinityTerm?.topologyKey) === 'kubernetes.io/hostname'), 'pod anti-affinity over nodes')
    const pdb = find<K8sObject & { spec: { maxUnavailable?: number; selector: { matchLabels: Record<string, string> } } }>(infra, 'PodDisruptionBudget', 'redis-cluster')
    t.equal(pdb?.spec.maxUnavailable, 1, 'a PDB: one node at a time')
    t.same(pdb?.spec.selector.matchLabels, sts.spec.selector.matchLabels, 'the PDB selects the StatefulSet pods')
    t.ok(sts.spec.template.spec.containers.some((c) => c.name === 'exporter'), 'a redis_exporter sidecar')

    const job = find<Workload>(infra, 'Job', 'redis-cluster-bootstrap')
    if (!job) throw new Error('no bootstrap Job')
    const env = new Map((job.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]))
    t.equal(env.get('NODES'), '6', 'the Job waits for six nodes')
    t.equal(env.get('REPLICAS'), '1', 'one replica per master')
    const config = find<K8sObject & { data: Record<string, string> }>(infra, 'ConfigMap', 'redis-cluster')
    t.match(config?.data['bootstrap.sh'], /redis-cli --cluster create \$addresses --cluster-replicas "\$REPLICAS" --cluster-yes/, 'the Job runs redis-cli --cluster create')
    t.match(config?.data['redis.conf'], /cluster-enabled yes/, 'the nodes run in cluster mode')

    for (const workload of [sts, job]) {
      const pod = workload.spec.template.spec
      t.equal(pod.securityContext?.runAsNonRoot, true, `${workload.kind}: pod runs as non-root`)
      for (const c of pod.containers) {
        t.equal(c.securityContext?.readOnlyRootFilesystem, true, `${workload.kind}/${c.name}: read-only root filesystem`)
        t.equal(c.securityContext?.allowPrivilegeEscalation, false, `${workload.kind}/${c.name}: no privilege escalation`)
        t.ok(c.securityContext?.capabilities?.drop?.includes('ALL'), `${workload.kind}/${c.name}: drops all capabilities`)
        t.not(c.securityContext?.runAsUser, 0, `${workload.kind}/${c.name}: not uid 0`)
        t.ok(c.resources?.limits?.memory, `${workload.kind}/${c.name}: a memory limit`)
      }
    }
  })

  t.test("the gateway's REDIS_URL names the cluster's nodes, and may reach them", async (t) => {
    const objects = render('charts/gateway', 'gateway', NS, ['-f', 'charts/values-staging.yaml', '-f', 'charts/gateway/values-staging.yaml'])
    const config = objects.find((o): o is K8sObject & { data: Record<string, string> } => o.kind === 'ConfigMap')
    const url = config?.data.REDIS_URL ?? ''
    t.match(url, /^redis\+cluster:\/\//, 'a cluster URL')
    const seeds = url.replace(/^redis\+cluster:\/\//, '').split(',')
    t.same(seeds, [0, 1, 2, 3, 4, 5].map((i) => `redis-cluster-${i}.redis-cluster-headless:6379`), 'every node of the StatefulSet as a seed')
    const policy = objects.find((o): o is Policy => o.kind === 'NetworkPolicy')
    t.ok((policy?.spec.egress ?? []).some((r) => (r.to ?? []).some((p) => p.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'redis-cluster') && r.ports?.some((p) => p.port === 6379)), 'gateway egress to the nodes on 6379')
    const redisPolicy = find<Policy>(infra, 'NetworkPolicy', 'redis-cluster')
    const admitted = (redisPolicy?.spec.ingress ?? []).flatMap((r) => r.from.map((f) => f.podSelector?.matchLabels['app.kubernetes.io/name']))
    t.ok(admitted.includes('gateway'), 'the nodes admit the gateway')
  })

  t.test('the data-tier alerts ship with each cluster\'s desired size', async (t) => {
    const rule = find<K8sObject & { spec: { groups: { name: string; rules: { record?: string; expr: string; labels?: Record<string, string> }[] }[] } }>(infra, 'PrometheusRule', 'soundline-data-tier')
    if (!rule) throw new Error('no PrometheusRule soundline-data-tier')
    const file = parse(readFileSync(path.join(repoRoot, INFRA, 'rules/data-tier.rules.yaml'), 'utf8')) as { groups: unknown[] }
    t.same(rule.spec.groups.slice(0, file.groups.length), file.groups, 'rules/data-tier.rules.yaml as it is')
    const desired = rule.spec.groups.at(-1)?.rules ?? []
    for (const c of infra.filter((o): o is CnpgCluster => o.kind === 'Cluster')) {
      const record = desired.find((r) => r.record === 'soundline:cnpg_cluster_instances:desired' && r.labels?.cluster === c.metadata.name)
      t.equal(record?.expr, `vector(${c.spec.instances})`, `${c.metadata.name}: desired ${c.spec.instances} instances`)
      t.equal(record?.labels?.namespace, NS, `${c.metadata.name}: in its namespace`)
    }
    const redis = desired.find((r) => r.record === 'soundline:redis_cluster_nodes:desired')
    t.equal(redis?.expr, 'vector(6)', 'the Redis Cluster: desired 6 nodes')
    const bare = render(INFRA, 'soundline-infra', NS, STAGING)
    t.notOk(bare.some((o) => ['PrometheusRule', 'PodMonitor'].includes(o.kind)), 'without the monitoring API: no PrometheusRule or PodMonitor')
  })

  t.test('kind keeps its single PostgreSQL per database and no Redis', async (t) => {
    for (const args of [[], WITH_MONITORING]) {
      const kind = render(INFRA, 'soundline-infra', 'soundline', args)
      t.notOk(kind.some((o) => o.kind === 'Cluster' || o.metadata.name.startsWith('redis-cluster') || o.metadata.name === 'soundline-data-tier' || o.kind === 'PodMonitor'), `no Cluster, Redis or data-tier object ${args.length > 0 ? '(monitoring API served)' : ''}`)
      t.same(kind.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name).sort(), ['kafka', 'postgres-auth', 'postgres-resource', 'postgres-song', 'postgres-storage'], 'the single-instance databases and Kafka')
    }
    for (const chart of SERVICE_CHARTS) {
      const objects = render(`charts/${chart}`, chart, 'soundline')
      const deployment = objects.find((o): o is Workload => o.kind === 'Deployment')
      const env = deployment?.spec.template.spec.containers[0]?.env ?? []
      t.notOk(env.some((e) => e.name === 'DATABASE_READ_URL' || e.name === 'DATABASE_USER'), `${chart}: no replica URL on kind`)
    }
  })

  t.test('wrong data-tier values are refused by the schema', async (t) => {
    const cases: [string[], string][] = [
      [['--set', 'cnpg.instances=2'], '/cnpg/instances'],
      [['--set', 'cnpg.instancesByDatabase.song=1'], '/cnpg/instancesByDatabase/song'],
      [['--set', 'cnpg.synchronous.number=0'], '/cnpg/synchronous/number'],
      [['--set', 'cnpg.podAntiAffinityType=sometimes'], '/cnpg/podAntiAffinityType'],
      [['--set', 'redisCluster.masters=2'], '/redisCluster/masters'],
      [['--set', 'redisCluster.replicasPerMaster=0'], '/redisCluster/replicasPerMaster'],
    ]
    for (const [set, where] of cases) {
      const result = helm(['template', 'soundline-infra', INFRA, ...STAGING, ...set])
      t.not(result.status, 0, `${set.join(' ')} is refused`)
      t.match(result.stderr, where, `the schema names ${where}`)
    }
  })
}
