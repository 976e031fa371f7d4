// npm run registry:sync: writes the two files that must list every service and cannot
// read the registry themselves. skaffold.yaml gets each service's build artifact, its Helm
// release and, in the staging profile, the patch giving that release its staging values
// (skaffold has no loop over a list); everything else in it (comments, the infrastructure
// releases, other patches) is kept as it is. The root tsconfig.json references every
// workspace (tsc -b builds them in the order their own references give).
// packages/registry/test/deployment.test.ts fails while either is out of step.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { YAMLMap, YAMLSeq } from 'yaml'
import { isMap, isSeq, parseDocument, type Document, type Node } from 'yaml'
import { SERVICES, skaffoldImageKey, type ServiceDefinition } from '../src/index.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const SKAFFOLD = join(root, 'skaffold.yaml')
const TSCONFIG = join(root, 'tsconfig.json')
/** A service release patch in the staging profile: `/deploy/helm/releases/<n>/…`. */
const INDEXED_RELEASE_PATH = /^\/deploy\/helm\/releases\/\d+\//

function seqAt(doc: Document, path: (string | number)[]): YAMLSeq {
  const node = doc.getIn(path, true)
  if (!isSeq(node)) throw new Error(`skaffold.yaml: ${path.join('.')} is not a list`)
  return node
}

const field = (node: unknown, key: string): unknown => (isMap(node) ? node.get(key) : undefined)

function artifact(doc: Document, s: ServiceDefinition): Node {
  return doc.createNode({
    image: s.image,
    context: '.',
    docker: { dockerfile: 'Dockerfile', target: 'runtime', buildArgs: { SERVICE: s.name } },
  }) as Node
}

function release(doc: Document, s: ServiceDefinition): Node {
  const key = skaffoldImageKey(s.image)
  const kindOverlay = `k8s/values/kind-${s.name}.yaml`
  const node = doc.createNode({
    name: s.name,
    chartPath: `charts/${s.chart}`,
    namespace: 'soundline',
    ...(existsSync(join(root, kindOverlay)) ? { valuesFiles: [kindOverlay] } : {}),
    setValueTemplates: {
      'image.registry': `{{.IMAGE_DOMAIN_${key}}}`,
      'image.repository': `{{.IMAGE_REPO_NO_DOMAIN_${key}}}`,
      'image.tag': `{{.IMAGE_TAG_${key}}}@{{.IMAGE_DIGEST_${key}}}`,
    },
    dependsOn: ['soundline-infra'],
  }) as YAMLMap
  for (const list of ['valuesFiles', 'dependsOn']) {
    const value = node.get(list, true)
    if (isSeq(value)) value.flow = true
  }
  return node
}

function flowPatch(doc: Document, patch: Record<string, unknown>): Node {
  const node = doc.createNode(patch) as YAMLMap
  node.flow = true
  const value = node.get('value', true)
  if (isSeq(value)) value.flow = true
  return node
}

/** Replaces `items` of a list by `next`, keeping the comment that stood before the first. */
function replaceItems(list: YAMLSeq, start: number, count: number, next: Node[]): void {
  const comment = (list.items[start] as Node | undefined)?.commentBefore
  list.items.splice(start, count, ...next)
  if (comment && next[0]) next[0].commentBefore = comment
}

export function syncSkaffold(text: string): string {
  const doc = parseDocument(text)

  const artifacts = seqAt(doc, ['build', 'artifacts'])
  replaceItems(
    artifacts,
    0,
    artifacts.items.length,
    SERVICES.map((s) => artifact(doc, s)),
  )

  // Service releases (chartPath under charts/) follow the infrastructure releases, in the
  // registry's order (providers first); a release already written keeps its own fields.
  const releases = seqAt(doc, ['deploy', 'helm', 'releases'])
  const isService = (node: unknown): boolean => String(field(node, 'chartPath') ?? '').startsWith('charts/')
  const existing = new Map(releases.items.filter(isService).map((node) => [String(field(node, 'name')), node as Node]))
  const infrastructure = releases.items.filter((node) => !isService(node))
  const serviceReleases = SERVICES.map((s) => existing.get(s.name) ?? release(doc, s))
  releases.items = [...infrastructure, ...serviceReleases]

  // Staging: each service release by index gets the shared and its own staging values.
  const profiles = seqAt(doc, ['profiles'])
  const staging = profiles.items.find((p) => field(p, 'name') === 'staging')
  const patches = isMap(staging) ? staging.get('patches', true) : undefined
  if (!isSeq(patches)) throw new Error('skaffold.yaml: the staging profile has no patches')
  // A service's pair: `test …/<n>/name` naming it, then `add …/<n>/valuesFiles` (soundline-infra has its own pair).
  const isServicePatch = (node: unknown): boolean =>
    INDEXED_RELEASE_PATH.test(String(field(node, 'path') ?? '')) && !JSON.stringify(field(node, 'value') ?? null).includes('infra')
  const start = patches.items.findIndex(isServicePatch)
  const count = patches.items.filter(isServicePatch).length
  const stagingPatches = SERVICES.flatMap((s, i) => {
    const index = infrastructure.length + i
    return [
      flowPatch(doc, { op: 'test', path: `/deploy/helm/releases/${index}/name`, value: s.name }),
      flowPatch(doc, {
        op: 'add',
        path: `/deploy/helm/releases/${index}/valuesFiles`,
        value: ['charts/values-staging.yaml', `charts/${s.chart}/values-staging.yaml`],
      }),
    ]
  })
  if (start < 0) throw new Error('skaffold.yaml: no service patches found in the staging profile to replace')
  replaceItems(patches, start, count, stagingPatches)

  return doc.toString({ lineWidth: 0, flowCollectionPadding: false })
}

/** The root tsconfig.json with a reference to every workspace that has a tsconfig.json. */
export function syncTsconfig(text: string): string {
  const config = JSON.parse(text) as { references?: { path: string }[] }
  const workspaces = ['packages', 'services'].flatMap((folder) =>
    readdirSync(join(root, folder), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, folder, entry.name, 'tsconfig.json')))
      .map((entry) => `${folder}/${entry.name}`)
      .sort(),
  )
  config.references = workspaces.map((path) => ({ path }))
  return `${JSON.stringify(config, null, 2)}\n`
}

function rewrite(file: string, sync: (text: string) => string): void {
  const before = readFileSync(file, 'utf8')
  const after = sync(before)
  const name = file.slice(root.length)
  if (after === before) console.log(`${name} already agrees with the registry`)
  else {
    writeFileSync(file, after)
    console.log(`${name} rewritten`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  rewrite(SKAFFOLD, syncSkaffold)
  rewrite(TSCONFIG, syncTsconfig)
}
