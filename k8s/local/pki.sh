#!/usr/bin/env bash
# The local cluster's certificates (openssl): one CA, the API server's serving
# certificate, client certificates for each component, the service-account key pair.
# Usage: pki.sh <dir> <node-ip> <node-name>. Regenerated on every `k8s:up`.
set -euo pipefail
dir=$1 node_ip=$2 node=$3
mkdir -p "$dir" && cd "$dir"
openssl genrsa -out ca.key 2048 2>/dev/null
openssl req -x509 -new -key ca.key -subj "/CN=soundline-local-ca" -days 30 -out ca.crt 2>/dev/null
sign() { # sign <name> <subject> [subjectAltName]
  openssl genrsa -out "$1.key" 2048 2>/dev/null
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  local ext; ext=$(mktemp)
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' >"$ext"
  [ -n "${3:-}" ] && echo "subjectAltName=$3" >>"$ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$ext"
}
sign apiserver "/CN=kube-apiserver" \
  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:10.96.0.1,IP:$node_ip,IP:127.0.0.1"
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
sign admin "/O=system:masters/CN=soundline-admin"
sign controller-manager "/CN=system:kube-controller-manager"
sign scheduler "/CN=system:kube-scheduler"
sign kube-proxy "/CN=system:kube-proxy"
sign kubelet "/O=system:nodes/CN=system:node:$node" "DNS:$node,IP:$node_ip"
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

kubeconfig() { # kubeconfig <name>
  cat >"$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: soundline-local
    cluster:
      server: https://$node_ip:6443
      certificate-authority: $dir/ca.crt
users:
  - name: $1
    user:
      client-certificate: $dir/$1.crt
      client-key: $dir/$1.key
contexts:
  - name: soundline-local
    context: { cluster: soundline-local, user: $1 }
current-context: soundline-local
KC
}
for c in admin controller-manager scheduler kube-proxy kubelet; do kubeconfig "$c"; done
