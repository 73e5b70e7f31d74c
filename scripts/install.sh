#!/usr/bin/env bash
# Installs what Skiff's tests and demo need on Debian 12, as root: the system
# packages that are missing, the npm dependencies, and the bundles in dist/.
# Idempotent and quick when everything is already there.
#
#   bash scripts/install.sh           install what is missing
#   bash scripts/install.sh --check   install nothing; exit 1 naming what is missing
#
# Services some packages ship (firewalld, containerd) are never started by this
# install: the tests run their own copies inside sandboxes, and starting them on
# the machine would change its firewall.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  nftables iproute2 iputils-ping procps util-linux socat conntrack
  dnsmasq-base                # the LAN DHCP server of the DHCP proxy tests
  dnsutils dnsperf            # dig for DNS tests, dnsperf for bench/
  passt slirp4netns uidmap    # rootless backends
  podman runc conmon catatonit busybox-static  # end-to-end tests and the demo (catatonit: pod infra)
  netavark aardvark-dns iptables  # the reference implementation, for side-by-side checks
  bats jq firewalld           # netavark's own suite (../shared/conformance; also dnsmasq-base) and its firewalld tests
  gcc libc6-dev               # builds bin/skiff-client, skiffd's native client (src/client/client.c)
  containernetworking-plugins containerd  # CNI mode: IPAM/meta plugins to delegate to and chain with, ctr run --cni
)

check=0
[ "${1:-}" = --check ] && check=1

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$check" = 1 ]; then
    echo "missing Debian packages: ${missing[*]} (bash scripts/install.sh installs them)" >&2
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}" >&2
  # Keep maintainer scripts from starting services on the machine (firewalld
  # would load its ruleset into the machine's own namespace): policy-rc.d 101.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
    trap '[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # A package install enables its units for the next boot; the tests never need them on the host.
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    for unit in firewalld containerd; do
      if printf '%s\n' "${missing[@]}" | grep -qx "$unit"; then systemctl disable --now "$unit" >/dev/null 2>&1 || true; fi
    done
  fi
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "Skiff needs Node.js 20 or newer (node and npm on PATH)" >&2
  exit 1
fi
if [ "$check" = 1 ]; then
  [ -d node_modules ] || { echo "node_modules is missing (npm ci)" >&2; exit 1; }
  exit 0
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
