#!/usr/bin/env bash
# Runs a command in a private mount namespace with its own /run (tmpfs), its
# own /etc/resolv.conf and its own /dev/net/tun, so tests can `ip netns add`,
# write state under /run and point DNS upstreams at stub servers without
# touching the machine's files. It also gets a network namespace of its own
# (loopback up, no other link), so a script that forgets to make its own
# namespaces configures a throwaway one, never the machine's; tests still
# create the namespaces they need inside it. An empty DBUS_SYSTEM_BUS_ADDRESS
# keeps skiff away from the machine's D-Bus (and so its firewalld); tests that
# want firewalld start their own bus and pass its address.
#
# /dev/net/tun: a fresh machine has it at mode 0600, so unprivileged pasta and
# slirp4netns (rootless tests) could not open it. Rather than depend on (or
# change) the machine's node, the sandbox gets its own: a 0666 `c 10 200` node
# in a private tmpfs mounted over /dev/net.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  exec "$@"   # not root: integration tests skip themselves; unit tests need nothing
fi
if [ "${SKIFF_IN_SANDBOX:-}" = 1 ]; then exec "$@"; fi
exec unshare --mount --net --propagation private -- env SKIFF_IN_SANDBOX=1 DBUS_SYSTEM_BUS_ADDRESS= bash -c '
  set -e
  ip link set lo up
  mount -t tmpfs -o mode=755 skiff-run /run
  mkdir -p /run/lock /run/netns /run/user
  printf "# skiff test sandbox: no upstream resolver\nnameserver 192.0.2.53\n" > /run/skiff-resolv.conf
  mount --bind /run/skiff-resolv.conf /etc/resolv.conf
  if [ -d /dev/net ]; then
    mkdir -p /run/skiff-dev-net
    mount -t tmpfs -o mode=755 skiff-dev-net /run/skiff-dev-net
    mknod -m 666 /run/skiff-dev-net/tun c 10 200
    mount --bind /run/skiff-dev-net /dev/net
  fi
  exec "$@"' bash "$@"
