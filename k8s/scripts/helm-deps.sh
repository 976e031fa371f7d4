#!/usr/bin/env bash
# Packages the library chart into every service chart (charts/<service>/charts/soundline-lib-*.tgz).
# Offline: the dependency is file://../soundline-lib. Run after changing charts/soundline-lib.
set -euo pipefail
cd "$(dirname "$0")/../.."
for chart in charts/*/; do
  [ "$chart" = charts/soundline-lib/ ] && continue
  helm dependency build "$chart" >/dev/null
done
echo "helm dependencies built for $(ls -d charts/*/ | grep -vc soundline-lib) charts"
