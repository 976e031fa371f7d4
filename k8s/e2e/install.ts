// Installs Soundline the documented way (docs/kubernetes.md): the infrastructure chart,
// then each service chart in dependency order, every release with --wait. LocalStack's
// chart repository cannot be reached here: its stand-in is applied in its place.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { SERVICES as REGISTRY } from '@soundline/registry'
import { ROOT, helm, kubectl, must } from './kube.js'

/** Every service in the registry's order: providers before their callers, as docs/kubernetes.md installs them. */
export const SERVICES: readonly string[] = REGISTRY.map((s) => s.name)
export const STORAGE_CLASS = 'soundline-local'

export function serviceRelease(service: string, tag: string, extra: string[] = []): string[] {
  const overlay = path.join(ROOT, `k8s/values/kind-${service}.yaml`)
  return [
    'upgrade', '--install', service, `charts/${service}`,
    ...(existsSync(overlay) ? ['-f', overlay] : []),
    '--set', `image.tag=${tag}`, '--wait', '--timeout', '5m', ...extra,
  ]
}

export async function installAll(tag: string, log: (line: string) => void): Promise<void> {
  await must('kubectl', ['create', 'namespace', 'soundline', '--dry-run=client', '-o', 'yaml']).then((yaml) =>
    must('bash', ['-c', `printf '%s' "$0" | kubectl apply -f -`, yaml]),
  )
  await kubectl('apply', '-f', 'k8s/local/manifests/localstack.yaml')
  await kubectl('rollout', 'status', 'deploy/localstack', '--timeout=180s')
  log('localstack stand-in ready')
  await must('bash', ['k8s/scripts/helm-deps.sh'])
  let started = Date.now()
  await helm(
    'upgrade', '--install', 'soundline-infra', 'k8s/charts/soundline-infra', '--wait', '--timeout', '10m',
    '--set', `postgres.storageClassName=${STORAGE_CLASS}`, '--set', `kafka.storageClassName=${STORAGE_CLASS}`,
  )
  log(`soundline-infra ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  for (const service of SERVICES) {
    started = Date.now()
    await helm(...serviceRelease(service, tag))
    log(`${service} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
}
