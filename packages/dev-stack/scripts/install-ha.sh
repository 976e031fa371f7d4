#!/usr/bin/env bash
# Installs what the local highly available PostgreSQL (src/infra/pg-ha.ts) needs:
# PostgreSQL 15, etcd and HAProxy from Debian, Patroni from PyPI into
# .cache/ha-venv. Idempotent: a second run only checks. Run by .ci/run and by the
# db-failover drill when something is missing (docs/high-availability.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
venv="${SOUNDLINE_CACHE_DIR:-$root/.cache}/ha-venv"
requirements="$root/packages/dev-stack/scripts/ha-requirements.txt"

need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
command -v etcd >/dev/null || need+=(etcd-server)
command -v haproxy >/dev/null || need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-ha: apt-get install ${need[*]}"
  apt-get update -qq
  # Only the binaries are used: the packages' own services are not wanted.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  for unit in etcd haproxy; do
    { command -v systemctl >/dev/null && systemctl disable --now "$unit"; } >/dev/null 2>&1 || true
  done
fi

# Debian's python3 (not a per-user pyenv): Patroni runs as the unprivileged
# postgres user (PostgreSQL refuses root), who must be able to execute it.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
stamp="$venv/.requirements"
if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
  echo "install-ha: Patroni into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
chmod -R a+rX "$venv"
"$venv/bin/patroni" --version
