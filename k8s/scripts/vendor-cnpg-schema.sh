#!/usr/bin/env bash
# Vendors the schema of CloudNativePG's Cluster (postgresql.cnpg.io/v1) for the offline chart
# checks (k8s/test/helm.ts validates every rendered Cluster against it). The CRD comes from the
# operator's Go module on the Go module proxy (config/crd/bases/postgresql.cnpg.io_clusters.yaml);
# only its openAPIV3Schema is kept, without the descriptions (the schema is what validates).
#   bash k8s/scripts/vendor-cnpg-schema.sh [version]      (default: the version vendored now)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${1:-v1.30.1}
module=github.com/cloudnative-pg/cloudnative-pg
out=k8s/schemas/cnpg-cluster.schema.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL -o "$tmp/module.zip" "https://proxy.golang.org/$module/@v/$version.zip"
unzip -p "$tmp/module.zip" "$module@$version/config/crd/bases/postgresql.cnpg.io_clusters.yaml" >"$tmp/crd.yaml"
sha=$(sha256sum "$tmp/crd.yaml" | cut -d' ' -f1)
node --input-type=module - "$tmp/crd.yaml" "$out" "$module@$version" "$sha" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs'
import { parse } from 'yaml'
const [crdFile, out, source, sha] = process.argv.slice(2)
const crd = parse(readFileSync(crdFile, 'utf8'))
const version = crd.spec.versions.find((v) => v.name === 'v1')
const strip = (node) => {
  if (Array.isArray(node)) return node.map(strip)
  if (node === null || typeof node !== 'object') return node
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === 'description' && typeof v === 'string')).map(([k, v]) => [k, strip(v)]))
}
const schema = {
  $comment: `openAPIV3Schema of ${crd.spec.names.kind} ${crd.spec.group}/v1 from ${source} config/crd/bases/postgresql.cnpg.io_clusters.yaml (sha256 ${sha}), descriptions removed; regenerate with k8s/scripts/vendor-cnpg-schema.sh`,
  ...strip(version.schema.openAPIV3Schema),
}
writeFileSync(out, JSON.stringify(schema) + '\n')
JS
echo "$out: $module@$version ($(wc -c <"$out") bytes)"
