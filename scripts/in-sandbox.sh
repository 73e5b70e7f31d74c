#!/usr/bin/env bash
# Runs a command in a private mount namespace with its own /run (tmpfs) and its
# own /etc/resolv.conf, so tests can `ip netns add`, write state under /run and
# point DNS upstreams at stub servers without touching the machine's files.
# Network namespaces are still created by the tests themselves.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  exec "$@"   # not root: integration tests skip themselves; unit tests need nothing
fi
if [ "${SKIFF_IN_SANDBOX:-}" = 1 ]; then exec "$@"; fi
exec unshare --mount --propagation private -- env SKIFF_IN_SANDBOX=1 bash -c '
  set -e
  mount -t tmpfs -o mode=755 skiff-run /run
  mkdir -p /run/lock /run/netns /run/user
  printf "# skiff test sandbox: no upstream resolver\nnameserver 192.0.2.53\n" > /run/skiff-resolv.conf
  mount --bind /run/skiff-resolv.conf /etc/resolv.conf
  exec "$@"' bash "$@"
