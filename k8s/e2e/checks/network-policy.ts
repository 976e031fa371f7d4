// NetworkPolicies are enforced: probe pods (PostgreSQL's image, for pg_isready) try to
// reach the Song Service's database as an outsider, as a pod the database admits, and
// as such a pod whose own policy allows no egress.
import { apply, kubectl, kubectlJson, waitFor } from '../kube.js'

const IMAGE = 'postgres:17.6-alpine'
const TARGET = 'pg_isready -h postgres-song -p 5432 -t 3'
// Policies are programmed when a pod appears: the admitted probe retries for a while,
// the refused ones wait for their rules before the one attempt that must fail.
const RETRYING = `for i in $(seq 1 30); do ${TARGET} && exit 0; sleep 1; done; exit 1`
const AFTER_RULES = `sleep 8; ${TARGET}`

const DENY_EGRESS = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'e2e-deny-egress' },
  spec: { podSelector: { matchLabels: { 'soundline.io/e2e': 'no-egress' } }, policyTypes: ['Egress'], egress: [] },
}

interface PodStatus {
  status: { phase: string; containerStatuses?: { state?: { terminated?: { exitCode: number } } }[] }
}

async function probe(name: string, labels: string, script: string): Promise<number> {
  await kubectl('delete', 'pod', name, '--ignore-not-found', '--wait=true')
  await kubectl('run', name, `--image=${IMAGE}`, '--image-pull-policy=IfNotPresent', '--restart=Never', `--labels=${labels}`,
    '--command', '--', 'sh', '-c', script)
  const pod = await waitFor(`${name} finished`, 90_000, async () => {
    const p = await kubectlJson<PodStatus>('get', 'pod', name)
    return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p : undefined
  }, 1000)
  await kubectl('delete', 'pod', name, '--ignore-not-found', '--wait=false')
  return pod.status.containerStatuses?.[0]?.state?.terminated?.exitCode ?? -1
}

export async function networkPoliciesEnforced(): Promise<string> {
  await apply(DENY_EGRESS)
  try {
    const [outsider, admitted, noEgress] = await Promise.all([
      probe('e2e-outsider', 'soundline.io/e2e=outsider', AFTER_RULES),
      probe('e2e-admitted', 'app.kubernetes.io/name=song-service,soundline.io/e2e=admitted', RETRYING),
      probe('e2e-no-egress', 'app.kubernetes.io/name=song-service,soundline.io/e2e=no-egress', AFTER_RULES),
    ])
    const problems = [
      outsider === 0 ? 'a pod the database does not admit reached postgres-song:5432' : '',
      admitted !== 0 ? `a pod the database admits could not reach it (exit ${admitted})` : '',
      noEgress === 0 ? 'a pod whose policy allows no egress reached postgres-song:5432' : '',
    ].filter(Boolean)
    if (problems.length > 0) throw new Error(problems.join('; '))
    return `outsider refused (pg_isready exit ${outsider}), admitted pod connected, no-egress pod refused (exit ${noEgress})`
  } finally {
    await kubectl('delete', 'networkpolicy', 'e2e-deny-egress', '--ignore-not-found')
  }
}
