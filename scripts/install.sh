#!/usr/bin/env bash
# Installs what Skiff's tests and demo need on Debian 12, as root: the system
# packages that are missing, the npm dependencies, and the bundles in dist/.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  nftables iproute2 iputils-ping procps util-linux socat
  dnsutils dnsperf            # dig for DNS tests, dnsperf for bench/
  passt slirp4netns uidmap    # rootless backends
  podman runc busybox-static  # end-to-end tests and the demo
  netavark aardvark-dns iptables  # the reference implementation, for side-by-side checks
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "Skiff needs Node.js 20 or newer (node and npm on PATH)" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
