#!/usr/bin/env bash
# Builds, once, every program the local cluster needs that Debian does not package
# (or packages without what is needed): Kubernetes v1.34 (apiserver, controller-manager,
# scheduler, kubelet, kube-proxy, kubectl), CoreDNS, helm, kube-router (NetworkPolicy
# firewall only), the Prometheus operator and Prometheus, all from the Go module proxy. Output: .cache/k8s/bin.
# A program already built at the pinned version is skipped; `--only NAME` builds one.
# Cold: ~30 min on 2 cores alone (Kubernetes ~15), ~50 beside the tests in CI; warm: seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
source k8s/local/versions.sh
BIN=$PWD/.cache/k8s/bin SRC=$PWD/.cache/k8s/src
mkdir -p "$BIN" "$SRC"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
only=${2:-}
[ "${1:-}" = --only ] || only=
log() { printf '[build %s] %s\n' "$(date +%T)" "$*"; }
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
built() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$BIN/.$1.version"; }

# A module's source as a writable copy (the module cache is read-only). Nested
# modules are not part of a module's zip: replaces that point into the tree are
# dropped so that the published versions are used instead.
module_src() { # module_src <module> <version> <dir>
  local dir
  dir=$(cd /tmp && go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  rm -rf "$3" && cp -r "$dir" "$3" && chmod -R u+w "$3"
  rm -rf "$3/vendor" "$3/go.work" "$3/go.work.sum"
}
build_module() { # build_module <module> <version> <dir> <package>...: binaries named after their folders
  local module=$1 version=$2 dir=$SRC/$3; shift 3
  module_src "$module" "$version" "$dir"
  (cd "$dir" && sed -i -E '/=> \.\.?\//d' go.mod && go build -trimpath -ldflags "-s -w" -o "$BIN/" "$@")
  for p in "$@"; do stamp "$(basename "$p")" "$version"; done
}

# helm first: the offline chart checks need it long before the cluster does.
if want helm && ! built helm "$HELM_VERSION"; then
  log "helm $HELM_VERSION"
  GOBIN=$BIN go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  stamp helm "$HELM_VERSION"
fi

if want kubernetes && ! built kube-apiserver "$KUBERNETES_VERSION"; then
  log "Kubernetes $KUBERNETES_VERSION (~16 min cold)"
  module_src k8s.io/kubernetes "$KUBERNETES_VERSION" "$SRC/kubernetes"
  cd "$SRC/kubernetes"
  # The staging repositories are published as modules of their own: use those.
  staging=${KUBERNETES_VERSION/v1./v0.}
  sed -i -E "s#^(\s*k8s.io/[a-z0-9-]+) => \./staging/src/k8s.io/[a-z0-9-]+#\1 => \1 $staging#" go.mod
  pkg=k8s.io/component-base/version minor=${KUBERNETES_VERSION#v1.}
  ldflags="-s -w -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor%%.*} -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
  go build -trimpath -ldflags "$ldflags" -o "$BIN/" ./cmd/kube-apiserver ./cmd/kube-controller-manager \
    ./cmd/kube-scheduler ./cmd/kubelet ./cmd/kube-proxy ./cmd/kubectl
  cd - >/dev/null
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do stamp "$b" "$KUBERNETES_VERSION"; done
  rm -rf "$SRC/kubernetes"
fi

if want coredns && ! built coredns "$COREDNS_VERSION"; then
  log "CoreDNS $COREDNS_VERSION (only the plugins the Corefile uses)"
  module_src github.com/coredns/coredns "$COREDNS_VERSION" "$SRC/coredns"
  cd "$SRC/coredns"
  printf '%s\n' errors health ready kubernetes prometheus forward cache loop reload loadbalance log >/tmp/coredns-plugins
  grep -E "^($(paste -sd'|' /tmp/coredns-plugins)):" plugin.cfg >plugin.cfg.new && mv plugin.cfg.new plugin.cfg
  go generate coredns.go >/dev/null
  go build -trimpath -ldflags "-s -w" -o "$BIN/coredns" .
  cd - >/dev/null && rm -rf "$SRC/coredns"
  stamp coredns "$COREDNS_VERSION"
fi

if want kube-router && ! built kube-router "$KUBE_ROUTER_VERSION"; then
  log "kube-router $KUBE_ROUTER_VERSION (NetworkPolicy firewall)"
  build_module github.com/cloudnativelabs/kube-router/v2 "$KUBE_ROUTER_VERSION" kube-router ./cmd/kube-router
  rm -rf "$SRC/kube-router"
fi

if want prometheus-operator && ! built operator "$PROMETHEUS_OPERATOR_VERSION"; then
  log "Prometheus operator $PROMETHEUS_OPERATOR_VERSION"
  build_module github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION" prometheus-operator \
    ./cmd/operator ./cmd/prometheus-config-reloader
  # The CustomResourceDefinitions ship in the module: k8s:up applies them.
  rm -rf "$BIN/crds" && cp -r "$SRC/prometheus-operator/example/prometheus-operator-crd" "$BIN/crds"
  rm -rf "$SRC/prometheus-operator"
fi
if want prometheus && ! built prometheus "$PROMETHEUS_VERSION"; then
  # Debian's Prometheus is built without Kubernetes service discovery, which the
  # operator's configuration needs: build it with that discovery only (no web UI
  # assets: the API is what the checks use).
  log "Prometheus $PROMETHEUS_VERSION (Kubernetes service discovery only)"
  module_src github.com/prometheus/prometheus "$PROMETHEUS_MODULE_VERSION" "$SRC/prometheus"
  printf 'package plugins\n\nimport (\n\t_ "github.com/prometheus/prometheus/discovery/kubernetes"\n)\n' \
    >"$SRC/prometheus/plugins/plugins.go"
  (cd "$SRC/prometheus" && go build -trimpath \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION#v}" \
    -o "$BIN/prometheus" ./cmd/prometheus)
  rm -rf "$SRC/prometheus"
  stamp prometheus "$PROMETHEUS_VERSION"
fi

log "done: $(ls "$BIN" | tr '\n' ' ')"
