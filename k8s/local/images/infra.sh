#!/usr/bin/env bash
# Stand-ins, built with buildah, for the infrastructure images the charts name and this
# machine cannot pull. Tagged exactly as the charts expect, so the charts users install
# are the ones tested; for this machine only (docs/kubernetes.md, "A real cluster
# without Docker"). Each image is saved as a docker archive in .cache/k8s/images, which
# `k8s:up` imports into the cluster's containerd. Built once; `--force` rebuilds;
# `--without-go` leaves out the images of programs build-binaries.sh makes (so that the
# rest can be built while that runs).
#   registry.k8s.io/pause:3.10                        static C pause (pause/pause.c)
#   soundline-local/coredns                           CoreDNS built by build-binaries.sh
#   postgres:17.6-alpine                              Debian's PostgreSQL 15 + an entrypoint like the official one
#   apache/kafka:4.1.1                                OpenJDK 17 + Kafka's jars from Maven Central + its env-to-config start
#   localstack/localstack:4.14.0                      moto's S3 server on :4566 (LocalStack's S3 grew out of moto)
#   quay.io/prometheus/prometheus                     built by build-binaries.sh (Debian's lacks Kubernetes discovery)
#   quay.io/prometheus-operator/prometheus-config-reloader   built by build-binaries.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
source k8s/local/versions.sh
HERE=k8s/local/images BIN=$PWD/.cache/k8s/bin OUT=$PWD/.cache/k8s/images WORK=$PWD/.cache/k8s/rootfs
mkdir -p "$OUT" "$WORK"
force=false without_go=false
for arg in "$@"; do
  case "$arg" in --force) force=true ;; --without-go) without_go=true ;; esac
done
log() { printf '[images %s] %s\n' "$(date +%T)" "$*"; }
archive() { echo "$OUT/$(echo "$1" | tr '/:' '__').tar"; }
save() { # save <image>: docker archive for ctr import
  rm -f "$(archive "$1")"
  buildah push -q "$1" "docker-archive:$(archive "$1"):$1" >/dev/null
  log "$1 $(buildah images --format '{{.Size}}' "$1")"
}
needed() { # needed <image>: true when it must be built; an image buildah already has is only saved
  $force && return 0
  [ -s "$(archive "$1")" ] && return 1
  buildah inspect --type image "$1" >/dev/null 2>&1 || return 0
  save "$1"
  return 1
}
from_scratch_with() { # from_scratch_with <image> <entrypoint> <file:dest>...
  local image=$1 entrypoint=$2 ctr mnt; shift 2
  ctr=$(buildah from scratch); mnt=$(buildah mount "$ctr")
  for pair in "$@"; do install -D -m 0755 "${pair%%:*}" "$mnt/${pair#*:}"; done
  buildah umount "$ctr" >/dev/null
  buildah config --cmd '[]' --entrypoint "[\"$entrypoint\"]" --user 65534:65534 "$ctr"
  buildah commit --rm -q "$ctr" "$image" >/dev/null
}
apt_image() { # apt_image <image> <packages...>: Debian base + packages, started as a working container
  local ctr; ctr=$(buildah from "$DEBIAN_IMAGE")
  buildah run --network host "$ctr" -- sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $* >/dev/null && rm -rf /var/lib/apt/lists/*" >&2
  echo "$ctr"
}

bash k8s/local/images/base.sh

if needed "$PAUSE_IMAGE"; then
  gcc -static -O2 -o "$WORK/pause" "$HERE/pause/pause.c"
  from_scratch_with "$PAUSE_IMAGE" /pause "$WORK/pause:/pause"
  save "$PAUSE_IMAGE"
fi

if needed "$POSTGRES_IMAGE"; then
  log "PostgreSQL stand-in"
  ctr=$(buildah from "$DEBIAN_IMAGE")
  # uid/gid 70 as in the alpine image the chart runs as (runAsUser: 70).
  buildah run "$ctr" -- sh -c 'groupadd -g 70 postgres && useradd -u 70 -g 70 -d /var/lib/postgresql postgres'
  buildah run --network host "$ctr" -- sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15'
  buildah copy -q --chmod 0755 "$ctr" "$HERE/postgres/docker-entrypoint.sh" /usr/local/bin/docker-entrypoint.sh >/dev/null
  buildah run "$ctr" -- sh -c 'mkdir -p /var/run/postgresql && chown 70:70 /var/run/postgresql'
  buildah config --env PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin --env PGDATA=/var/lib/postgresql/data \
    --entrypoint '["/usr/local/bin/docker-entrypoint.sh"]' --cmd '[]' --user 70:70 "$ctr"
  buildah commit --rm -q "$ctr" "$POSTGRES_IMAGE" >/dev/null
  save "$POSTGRES_IMAGE"
fi

if needed "$KAFKA_IMAGE"; then
  log "Kafka stand-in"
  libs=$PWD/.cache/kafka/kafka-$KAFKA_VERSION/libs
  if [ ! -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then
    libs=$WORK/kafka-libs
    [ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ] || mvn -q -B -f packages/dev-stack/kafka/pom.xml dependency:copy-dependencies \
      "-Dkafka.version=$KAFKA_VERSION" "-DoutputDirectory=$libs"
  fi
  ctr=$(buildah from "$DEBIAN_IMAGE")
  buildah run "$ctr" -- sh -c 'mkdir -p /usr/share/man/man1'  # openjdk's postinst expects it
  buildah run --network host "$ctr" -- sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null && rm -rf /var/lib/apt/lists/*'
  buildah copy -q "$ctr" "$libs" /opt/kafka/libs >/dev/null
  buildah copy -q "$ctr" "$HERE/kafka/log4j2.properties" /opt/kafka/config/log4j2.properties >/dev/null
  buildah copy -q --chmod 0755 "$ctr" "$HERE/kafka/run.sh" /etc/kafka/docker/run >/dev/null
  buildah run "$ctr" -- sh -c 'groupadd -g 1000 appuser && useradd -u 1000 -g 1000 -M appuser && mkdir -p /var/lib/kafka/data && chown 1000:1000 /var/lib/kafka/data'
  buildah config --cmd '[]' --entrypoint '["/etc/kafka/docker/run"]' --user 1000:1000 "$ctr"
  buildah commit --rm -q "$ctr" "$KAFKA_IMAGE" >/dev/null
  save "$KAFKA_IMAGE"
fi

if needed "$LOCALSTACK_IMAGE"; then
  log "S3 stand-in for LocalStack (moto $MOTO_VERSION)"
  ctr=$(buildah from "$DEBIAN_IMAGE")
  buildah run --network host "$ctr" -- sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null && rm -rf /var/lib/apt/lists/*'
  buildah run --network host --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt "$ctr" -- sh -c \
    "python3 -m venv /opt/moto && /opt/moto/bin/pip install -q --no-cache-dir 'moto[server,s3]==$MOTO_VERSION'"
  buildah config --cmd '[]' --entrypoint '["/opt/moto/bin/moto_server", "-H", "0.0.0.0", "-p", "4566"]' --user 1000:1000 "$ctr"
  buildah commit --rm -q "$ctr" "$LOCALSTACK_IMAGE" >/dev/null
  save "$LOCALSTACK_IMAGE"
fi
# Programs built from Go sources (build-binaries.sh) go last.
if $without_go; then log "images of Go programs left for later (--without-go)"; exit 0; fi
if needed "$COREDNS_IMAGE"; then
  from_scratch_with "$COREDNS_IMAGE" /coredns "$BIN/coredns:/coredns"
  save "$COREDNS_IMAGE"
fi

if needed "$CONFIG_RELOADER_IMAGE"; then
  from_scratch_with "$CONFIG_RELOADER_IMAGE" /bin/prometheus-config-reloader \
    "$BIN/prometheus-config-reloader:/bin/prometheus-config-reloader"
  save "$CONFIG_RELOADER_IMAGE"
fi
if needed "$PROMETHEUS_IMAGE"; then
  ctr=$(buildah from "$DEBIAN_IMAGE")
  buildah copy -q "$ctr" "$BIN/prometheus" /bin/prometheus >/dev/null
  buildah run "$ctr" -- sh -c 'mkdir -p /prometheus /etc/prometheus && chown 65534:65534 /prometheus'
  buildah config --cmd '[]' --entrypoint '["/bin/prometheus"]' --workingdir /prometheus --user 65534:65534 "$ctr"
  buildah commit --rm -q "$ctr" "$PROMETHEUS_IMAGE" >/dev/null
  save "$PROMETHEUS_IMAGE"
fi

log "infrastructure images ready in $OUT"
