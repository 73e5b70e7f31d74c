#!/usr/bin/env bash
# Runs inside a sandbox "node" netns and a private mount namespace of its own
# (containerd.test.ts starts it with `nsenter --net=… unshare --mount`): gives
# containerd and ctr their own /etc/cni/net.d and /opt/cni/bin, starts
# containerd on sockets under $1, imports the busybox image and runs two
# containers with `ctr run --cni`. Prints what the containers print.
set -euo pipefail
dir=$1
# /opt and /var/lib are hidden by tmpfs mounts in this mount namespace only (ctr's
# libcni keeps its result cache in /var/lib/cni); /etc/cni/net.d is overmounted
mount -t tmpfs skiff-opt /opt
mount -t tmpfs skiff-varlib /var/lib
mkdir -p /var/lib/cni
mkdir -p /opt/cni/bin
mount --bind "$dir/net.d" /etc/cni/net.d
ln -s "$SKIFF_CNI" /opt/cni/bin/skiff
cp /usr/lib/cni/host-local /usr/lib/cni/loopback /opt/cni/bin/

containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
containerd_pid=$!
trap 'kill "$containerd_pid" 2>/dev/null; wait "$containerd_pid" 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -S "$dir/containerd.sock" ] && break; sleep 0.05; done
ctr=(ctr -a "$dir/containerd.sock" -n skiff)
"${ctr[@]}" images import --snapshotter native --base-name localhost/skiff/busybox "$dir/busybox-oci.tar" >/dev/null
image=$("${ctr[@]}" images ls -q | head -n1)

run() { "${ctr[@]}" run --rm --cni --snapshotter native "$image" "$@"; }
# c1 shows its address, then stays up long enough for c2 to reach it
run c1 /bin/sh -c 'ip -4 -o addr show eth0; sleep 6' >"$dir/c1.out" 2>&1 &
c1_pid=$!
for _ in $(seq 100); do grep -q inet "$dir/c1.out" 2>/dev/null && break; sleep 0.1; done
c1_ip=$(sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' "$dir/c1.out")
echo "c1 $c1_ip"
run c2 /bin/sh -c "ip -4 -o addr show eth0; ping -c1 -W3 $c1_ip >/dev/null && echo c2-reaches-c1; ping -c1 -W3 198.51.100.2 >/dev/null && echo c2-reaches-outside" 2>&1 | sed 's/^/c2 /'
wait "$c1_pid"
echo done
