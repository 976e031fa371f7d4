#!/usr/bin/env bash
# Copies the shared values schema to every service chart (they must be identical).
set -euo pipefail
cd "$(dirname "$0")/../.."
for chart in charts/*/; do
  [ "$chart" = charts/soundline-lib/ ] && continue
  cp charts/soundline-lib/service-values.schema.json "${chart}values.schema.json"
done
