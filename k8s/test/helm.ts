// Helpers of the chart tests: run helm, parse what it renders, validate every object
// against the Kubernetes and Prometheus-operator schemas (kubernetes-models, offline) and
// custom resources against their vendored CRD schemas (k8s/schemas).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ValidateFunction } from 'ajv'
import t from 'tap'
import { parseAllDocuments } from 'yaml'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const helmBin = process.env.HELM ?? 'helm'

export const SERVICE_CHARTS = readdirSync(path.join(repoRoot, 'charts'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== 'soundline-lib' && existsSync(path.join(repoRoot, 'charts', e.name, 'Chart.yaml')))
  .map((e) => e.name)
  .sort()

export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [key: string]: unknown
}

export interface HelmResult {
  status: number
  stdout: string
  stderr: string
}

export function helm(args: string[]): HelmResult {
  const result = spawnSync(helmBin, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error) throw result.error
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr }
}

/** Why helm cannot be used here, or null. On CI a missing helm is an error, not a skip. */
export function helmMissing(): string | null {
  const result = spawnSync(helmBin, ['version', '--short'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) return `helm not found (${helmBin}); k8s/check.sh installs it`
  return null
}

/**
 * Runs the chart tests when helm is there. Without it they cannot run: in CI that is a
 * failure (.ci/run builds helm first); elsewhere (`npm test` on a machine without helm)
 * they are reported as skipped, saying why, beside the file's checks that need no helm.
 */
export function withHelm(run: () => void): void {
  const missing = helmMissing()
  if (missing === null) {
    buildDependencies()
    run()
  } else if (process.env.CI) t.fail(missing)
  else t.test('the checks that render with helm', { skip: missing }, async () => {})
}

let depsBuilt = false
export function buildDependencies(): void {
  if (depsBuilt) return
  for (const chart of SERVICE_CHARTS) {
    const result = helm(['dependency', 'build', `charts/${chart}`])
    if (result.status !== 0) throw new Error(`helm dependency build charts/${chart}: ${result.stderr}`)
  }
  depsBuilt = true
}

/**
 * `helm template` sees no cluster: these flags tell it the Prometheus operator's API is served,
 * as on a cluster with its CRDs, so ServiceMonitor and PrometheusRule objects are rendered.
 */
export const MONITORING_APIS = ['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor', '--api-versions', 'monitoring.coreos.com/v1/PrometheusRule']

export function render(chartDir: string, release: string, namespace: string, extraArgs: string[] = []): K8sObject[] {
  const result = helm(['template', release, chartDir, '--namespace', namespace, ...extraArgs])
  if (result.status !== 0) throw new Error(`helm template ${chartDir} ${extraArgs.join(' ')}: ${result.stderr}`)
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`YAML from helm template ${chartDir}: ${doc.errors[0]?.message}`)
      return doc.toJS() as K8sObject | null
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object')
}

type ModelCtor = new (data: unknown) => { validate(): void }

/**
 * Custom resources kubernetes-models has no model for, validated against their CRD's
 * openAPIV3Schema vendored under k8s/schemas (each file says where it comes from).
 */
const CRD_SCHEMAS: Record<string, string> = {
  'postgresql.cnpg.io/v1/Cluster': 'k8s/schemas/cnpg-cluster.schema.json',
}

/**
 * Unknown fields refused, as the API server's strict field validation (kubectl's default)
 * refuses them: every object schema with properties gets additionalProperties: false unless
 * it keeps unknown fields (x-kubernetes-preserve-unknown-fields) or already says otherwise.
 */
function strictFields(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictFields)
  if (node === null || typeof node !== 'object') return node
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strictFields(s)])) : strictFields(v)]))
  if ('properties' in out && !('additionalProperties' in out) && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false
  return out
}

const crdValidators = new Map<string, ValidateFunction>()
function crdValidator(key: string): ValidateFunction | undefined {
  const file = CRD_SCHEMAS[key]
  if (file === undefined) return undefined
  let validate = crdValidators.get(key)
  if (!validate) {
    const schema = strictFields(JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8'))) as object
    // CEL rules (x-kubernetes-validations) and formats are the API server's: not checked here.
    validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema)
    crdValidators.set(key, validate)
  }
  return validate
}

async function modelFor(apiVersion: string, kind: string): Promise<ModelCtor> {
  const modulePath = apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`
    : `kubernetes-models/${apiVersion}/${kind}`
  let mod: Record<string, unknown>
  try {
    mod = (await import(modulePath)) as Record<string, unknown>
  } catch {
    throw new Error(`no schema for ${apiVersion} ${kind} (looked for ${modulePath}): unknown kind or apiVersion`)
  }
  const ctor = mod[kind]
  if (typeof ctor !== 'function') throw new Error(`${modulePath} exports no ${kind}`)
  return ctor as ModelCtor
}

/** Validates one object; returns the error message or null. */
export async function validateObject(object: K8sObject): Promise<string | null> {
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return 'apiVersion and kind are required'
  const crd = crdValidator(`${object.apiVersion}/${object.kind}`)
  if (crd) {
    if (crd(object)) return null
    return (crd.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`).join('; ')
  }
  try {
    const Model = await modelFor(object.apiVersion, object.kind)
    new Model(object).validate()
    return null
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}
