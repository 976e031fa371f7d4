#!/usr/bin/env bash
# npm run k8s:e2e: builds the project's images (k8s/local/images/services.sh), loads
# them into the running local cluster, then runs the checks (k8s/e2e/main.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
STATE=$PWD/.cache/k8s/cluster
[ -S "$STATE/containerd.sock" ] || { echo "no local cluster: npm run k8s:up first"; echo "k8s e2e: 0 passed, 1 failed"; exit 1; }
bash k8s/local/images/services.sh
for tar in .cache/k8s/images/soundline_*.tar; do
  ctr -a "$STATE/containerd.sock" -n k8s.io images import "$tar" >/dev/null
done
exec npx tsx k8s/e2e/main.ts
