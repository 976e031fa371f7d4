#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, from parts, in a network namespace of
# its own (docs/kubernetes.md, "A real cluster without Docker"):
#   etcd, containerd, runc, CNI bridge   Debian packages
#   Kubernetes, CoreDNS, kube-router     built from the Go module proxy (build-binaries.sh)
#   Prometheus operator + Prometheus     Go module / Debian, so ServiceMonitors and rules are real
# Usage: cluster.sh up | down | env
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source k8s/local/versions.sh
BIN=$ROOT/.cache/k8s/bin IMAGES=$ROOT/.cache/k8s/images STATE=$ROOT/.cache/k8s/cluster
NETNS=soundline-k8s NODE=soundline-node NODE_IP=10.250.0.2 HOST_IP=10.250.0.1 VETH=sl-k8s0
POD_CIDR=10.244.0.0/16 NODE_POD_CIDR=10.244.0.0/24 SERVICE_CIDR=10.96.0.0/16 DNS_IP=10.96.0.10
export KUBECONFIG=$STATE/pki/admin.kubeconfig PATH=$BIN:$PATH
log() { printf '[k8s %s] %s\n' "$(date +%T)" "$*"; }
in_ns() { nsenter --net=/var/run/netns/$NETNS "$@"; }

start_named() { # start_named <name> <command...>
  local name=$1; shift
  in_ns setsid "$@" >"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/pids/$name"
}
wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 limit=$2; shift 2
  for _ in $(seq 1 "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  log "timed out waiting for $what"; return 1
}

network_up() {
  ip netns add $NETNS
  ip link add $VETH type veth peer name eth0 netns $NETNS
  ip addr add $HOST_IP/30 dev $VETH && ip link set $VETH up
  in_ns ip addr add $NODE_IP/30 dev eth0
  in_ns ip link set eth0 up && in_ns ip link set lo up
  in_ns ip route add default via $HOST_IP
  # The host reaches Services and pods through the node (the e2e check and users' curl).
  ip route add $SERVICE_CIDR via $NODE_IP && ip route add $POD_CIDR via $NODE_IP
  in_ns sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
}

containerd_up() {
  mkdir -p "$STATE/containerd" "$STATE/cni/net.d"
  cat >"$STATE/containerd/config.toml" <<TOML
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$STATE/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # No CAP_SYS_RESOURCE here: runc must not raise oom_score_adj.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
TOML
  cat >"$STATE/cni/net.d/10-soundline.conflist" <<JSON
{ "cniVersion": "0.4.0", "name": "soundline", "plugins": [
  { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
    "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$NODE_POD_CIDR" }]],
              "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "$STATE/cni/ipam" } },
  { "type": "portmap", "capabilities": { "portMappings": true } } ] }
JSON
  start_named containerd containerd --config "$STATE/containerd/config.toml"
  wait_for containerd 30 ctr -a "$STATE/containerd.sock" version
  log "importing images"
  for tar in "$IMAGES"/*.tar; do
    ctr -a "$STATE/containerd.sock" -n k8s.io images import "$tar" >/dev/null
  done
}

control_plane_up() {
  local pki=$STATE/pki
  start_named etcd etcd --data-dir "$STATE/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --log-level warn
  wait_for etcd 30 in_ns curl -sf http://127.0.0.1:2379/health
  start_named kube-apiserver kube-apiserver --etcd-servers=http://127.0.0.1:2379 \
    --advertise-address=$NODE_IP --bind-address=0.0.0.0 --secure-port=6443 \
    --service-cluster-ip-range=$SERVICE_CIDR --allow-privileged=true \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --profiling=false --v=0
  wait_for kube-apiserver 90 kubectl get --raw /readyz
  start_named kube-controller-manager kube-controller-manager --kubeconfig="$pki/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$pki/controller-manager.kubeconfig" --authorization-kubeconfig="$pki/controller-manager.kubeconfig" \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials=true --allocate-node-cidrs=true --cluster-cidr=$POD_CIDR \
    --node-cidr-mask-size=24 --service-cluster-ip-range=$SERVICE_CIDR --leader-elect=false \
    --bind-address=127.0.0.1 --profiling=false
  start_named kube-scheduler kube-scheduler --kubeconfig="$pki/scheduler.kubeconfig" \
    --authentication-kubeconfig="$pki/scheduler.kubeconfig" --authorization-kubeconfig="$pki/scheduler.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --profiling=false
}

node_up() {
  local pki=$STATE/pki
  mkdir -p "$STATE/kubelet"
  # No upstream DNS is reachable: pods resolve cluster names only.
  printf 'nameserver %s\nsearch cluster.local\n' "$HOST_IP" >"$STATE/kubelet/resolv.conf"
  cat >"$STATE/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$STATE/containerd.sock
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $pki/ca.crt }
authorization: { mode: Webhook }
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
resolvConf: $STATE/kubelet/resolv.conf
readOnlyPort: 0
# Mounted ConfigMaps and Secrets (Prometheus's generated configuration) refresh sooner.
syncFrequency: 10s
serializeImagePulls: false
# A developer machine's disk and memory are what they are: never evict for them.
evictionHard: { memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
YAML
  start_named kubelet kubelet --config="$STATE/kubelet/config.yaml" --kubeconfig="$pki/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet/root" --node-ip=$NODE_IP --hostname-override=$NODE --v=0
  start_named kube-proxy kube-proxy --kubeconfig="$pki/kube-proxy.kubeconfig" --hostname-override=$NODE \
    --cluster-cidr=$POD_CIDR --proxy-mode=iptables --conntrack-max-per-core=0 \
    --metrics-bind-address=127.0.0.1:10249 --healthz-bind-address=127.0.0.1:10256
  wait_for "node $NODE" 90 kubectl get node $NODE
  kubectl wait node/$NODE --for=condition=Ready --timeout=120s >/dev/null
  # NetworkPolicy enforcement: kube-router's firewall only (routing and proxying stay
  # with the bridge and kube-proxy).
  start_named kube-router kube-router --kubeconfig="$KUBECONFIG" --hostname-override=$NODE \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --metrics-port=0 --health-port=20244
}

addons_up() {
  log "CoreDNS, storage, monitoring"
  kubectl apply -f k8s/local/manifests/coredns.yaml >/dev/null
  mkdir -p "$STATE/volumes"
  for i in $(seq -w 1 12); do mkdir -p "$STATE/volumes/pv$i" && chmod 0777 "$STATE/volumes/pv$i"; done
  STATE=$STATE envsubst '$STATE' <k8s/local/manifests/storage.yaml | kubectl apply -f - >/dev/null
  # The operator's CRDs are large: server-side apply (no last-applied annotation).
  kubectl apply --server-side -f "$BIN/crds/" >/dev/null
  kubectl wait --for=condition=Established crd --all --timeout=60s >/dev/null
  start_named prometheus-operator operator --apiserver=https://$NODE_IP:6443 --ca-file="$STATE/pki/ca.crt" \
    --cert-file="$STATE/pki/admin.crt" --key-file="$STATE/pki/admin.key" \
    --prometheus-config-reloader="$CONFIG_RELOADER_IMAGE" --web.listen-address=127.0.0.1:8089 \
    --log-level=warn
  kubectl apply -f k8s/local/manifests/monitoring.yaml >/dev/null
  kubectl -n kube-system rollout status deploy/coredns --timeout=120s >/dev/null
  wait_for "Prometheus" 180 kubectl -n monitoring get pod prometheus-prometheus-0
  kubectl -n monitoring wait pod/prometheus-prometheus-0 --for=condition=Ready --timeout=180s >/dev/null
}

up() {
  [ -e /var/run/netns/$NETNS ] && { log "already up (npm run k8s:down first)"; exit 1; }
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl coredns kube-router operator; do
    [ -x "$BIN/$b" ] || { log "missing $BIN/$b: run k8s/local/build-binaries.sh"; exit 1; }
  done
  ls "$IMAGES"/*.tar >/dev/null 2>&1 || { log "no images in $IMAGES: run k8s/local/images/build.sh"; exit 1; }
  rm -rf "$STATE" && mkdir -p "$STATE/logs" "$STATE/pids"
  SECONDS=0
  log "network namespace $NETNS (node $NODE_IP)"
  network_up
  k8s/local/pki.sh "$STATE/pki" $NODE_IP $NODE
  containerd_up
  log "control plane"
  control_plane_up
  log "node"
  node_up
  addons_up
  log "up in ${SECONDS}s — export KUBECONFIG=$KUBECONFIG PATH=$BIN:\$PATH"
}

down() {
  SECONDS=0
  # Containers first (every process in a kubepods cgroup), then the daemons, shims included.
  for cg in /sys/fs/cgroup/*/kubepods; do
    [ -d "$cg" ] && find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  done
  if [ -d "$STATE/pids" ]; then
    for f in "$STATE"/pids/*; do kill -TERM -- -"$(cat "$f")" 2>/dev/null || true; done
  fi
  [ -e /var/run/netns/$NETNS ] && ip netns pids $NETNS | xargs -r kill -9 2>/dev/null || true
  pkill -9 -f "containerd-shim.*$STATE" 2>/dev/null || true
  sleep 1
  # Mounts under the state directory (overlays, kubelet volumes, shm), deepest first.
  grep -F " $STATE" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  # Pod network namespaces made by the CNI for this cluster.
  for ns in $(ip netns list | awk '/^cni-/{print $1}'); do ip netns delete "$ns" 2>/dev/null || true; done
  for cg in /sys/fs/cgroup/*/kubepods; do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  ip route del $SERVICE_CIDR 2>/dev/null || true
  ip route del $POD_CIDR 2>/dev/null || true
  ip link del $VETH 2>/dev/null || true
  ip netns delete $NETNS 2>/dev/null || true
  rm -rf "$STATE"
  log "down in ${SECONDS}s"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) echo "export KUBECONFIG=$KUBECONFIG PATH=$BIN:\$PATH" ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
