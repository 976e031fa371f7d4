#!/usr/bin/env bash
# The project's own images, from its own Dockerfile, with buildah (no Docker daemon):
# soundline/<service>:<tag> for every chart under charts/ (tag: E2E_IMAGE_TAG, default
# "local"), saved as docker archives for the local cluster. Layers are cached: a rebuild
# without changes takes seconds.
set -euo pipefail
cd "$(dirname "$0")/../../.."
TAG=${E2E_IMAGE_TAG:-local} OUT=$PWD/.cache/k8s/images
mkdir -p "$OUT"
log() { printf '[images %s] %s\n' "$(date +%T)" "$*"; }
bash k8s/local/images/base.sh
for chart in charts/*/; do
  service=$(basename "$chart")
  [ "$service" = soundline-lib ] && continue
  image=docker.io/soundline/$service:$TAG
  SECONDS=0
  buildah bud -q --network host --layers --build-arg "SERVICE=$service" -t "$image" -f Dockerfile . >/dev/null
  rm -f "$OUT/soundline_$service.tar"
  buildah push -q "$image" "docker-archive:$OUT/soundline_$service.tar:$image" >/dev/null
  log "$image $(buildah images --format '{{.Size}}' "$image") (${SECONDS}s)"
done
