#!/usr/bin/env bash
# Checks, before any test runs, that this machine has what the suite needs, and
# fails in one line naming everything missing (instead of a test failing or
# skipping half-way). Not root: only the unit tests run, and they need only Node.
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || missing+=("Node.js >= 20")
[ -d node_modules ] || missing+=("node_modules (npm ci)")

if [ "$(id -u)" = 0 ]; then
  # command → the Debian package that provides it
  while read -r cmd pkg; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd ($pkg)")
  done <<'LIST'
ip iproute2
nft nftables
unshare util-linux
nsenter util-linux
setpriv util-linux
useradd passwd
ping iputils-ping
dig dnsutils
socat socat
podman podman
runc runc
conmon conmon
catatonit catatonit
busybox busybox-static
pasta passt
slirp4netns slirp4netns
newuidmap uidmap
LIST
  # CNI mode: the reference IPAM/meta plugins skiff-cni delegates to and chains with
  for plugin in host-local static tuning bandwidth; do
    [ -x "/usr/lib/cni/$plugin" ] || missing+=("/usr/lib/cni/$plugin (containernetworking-plugins)")
  done
  [ -c /dev/net/tun ] || missing+=("/dev/net/tun (the tun module: modprobe tun)")
  # The kernel pieces every integration test builds on, probed in a throwaway netns.
  if command -v unshare >/dev/null && command -v ip >/dev/null && command -v nft >/dev/null; then
    unshare -n sh -c 'ip link add skp0 type veth peer name skp1' >/dev/null 2>&1 || missing+=("kernel veth support")
    unshare -n sh -c 'ip link add skpb type bridge' >/dev/null 2>&1 || missing+=("kernel bridge support")
    unshare -n sh -c 'nft add table inet skiffprobe' >/dev/null 2>&1 || missing+=("kernel nftables support (nf_tables)")
  fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
  (IFS=','; echo "scripts/test.sh: missing prerequisites:${missing[*]/#/ } — run bash scripts/install.sh (as root) first" >&2)
  exit 1
fi
