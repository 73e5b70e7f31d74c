#!/usr/bin/env bash
# Skiff demo: Podman with Skiff as its network backend, end to end.
#
# On a fresh Debian 12, as root:  bash scripts/demo.sh
#
# It installs what is missing (scripts/install.sh: Debian packages such as
# podman runc nftables busybox-static, then npm ci), builds (npm run build),
# then, inside a sandbox
# (scripts/in-sandbox.sh: private /run and /etc/resolv.conf; plus a "host"
# network namespace for Podman and an "outside" one playing another machine),
# shows two containers on a Skiff bridge network pinging each other and the
# gateway, resolving each other by name, and a page fetched through a published
# port from the outside, with the client address the container saw. Nothing
# touches the machine's own network namespace or /etc/containers; everything
# is removed at the end.
#
# Env: SKIFF_DIST_DIR (default dist) picks the bundles to run; KEEP_GOING=1
# shows every step even after one fails.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
DIST_DIR=${SKIFF_DIST_DIR:-dist}
case $DIST_DIR in /*) DIST=$DIST_DIR ;; *) DIST=$REPO/$DIST_DIR ;; esac

bold() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\033[31mdemo: %s\033[0m\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- outside the sandbox
if [ "${SKIFF_IN_SANDBOX:-}" != 1 ]; then
  [ "$(id -u)" = 0 ] || die "run me as root: I create network namespaces and run rootful podman (all inside a sandbox)"

  # the project's one installer: missing Debian packages (podman, runc, nftables,
  # busybox-static, ...), a Node.js >= 20 check, npm ci
  bold "Installing what is missing (scripts/install.sh)"
  bash scripts/install.sh
  bold "Building Skiff (npm run build -> $DIST_DIR/)"
  SKIFF_DIST_DIR=$DIST_DIR npm run -s build
  [ -f "$DIST/skiff.cjs" ] || die "$DIST/skiff.cjs was not built"
  [ -f "$DIST/skiff-dns.cjs" ] || die "$DIST/skiff-dns.cjs was not built"
  exec scripts/in-sandbox.sh bash scripts/demo.sh "$@"
fi

# ---------------------------------------------------------------- inside the sandbox
T=$(mktemp -d /tmp/skiff-demo.XXXXXX)
H=skdemoh$$          # the "host" netns: Podman, conmon, Skiff and skiff-dns live here
O=skdemoo$$          # the "outside" netns: another machine on a link to the host
HOST4=203.0.113.1 OUT4=203.0.113.2
IMAGE=localhost/skiff-demo-busybox:latest
failed=0

export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf CONTAINERS_REGISTRIES_CONF=$T/registries.conf
export DBUS_SYSTEM_BUS_ADDRESS=

P() { nsenter --net=/run/netns/$H podman "$@"; }

cleanup() {
  set +e
  bold "Cleaning up"
  if [ -e /run/netns/$H ]; then
    P rm -af -t0 >/dev/null 2>&1
    P network prune -f >/dev/null 2>&1
    # anything still running in the host netns was started by this demo
    for p in $(ip netns pids $H 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  fi
  ip netns delete $O 2>/dev/null
  ip netns delete $H 2>/dev/null
  rm -rf "$T"
  note "removed containers, networks, namespaces and $T"
}
trap cleanup EXIT

# `step TITLE -- CMD...`: prints the command and its indented output; a failure
# is reported and (with KEEP_GOING=1) the demo carries on.
step() {
  local title=$1; shift; [ "$1" = -- ] && shift
  printf '    \033[36m$ %s\033[0m\n' "$title"
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/      /'
  if [ $rc -ne 0 ]; then
    printf '      \033[31m(failed, exit %s)\033[0m\n' "$rc"
    failed=1
    [ "${KEEP_GOING:-}" = 1 ] || exit 1
  fi
}

bold "Sandbox: a host and an outside network namespace, linked by a veth"
ip netns add $H; ip netns add $O
ip -n $H link set lo up; ip -n $O link set lo up
ip -n $H link add eo0 type veth peer name eo1 netns $O
ip -n $H addr add $HOST4/24 dev eo0; ip -n $H link set eo0 up
ip -n $O addr add $OUT4/24 dev eo1; ip -n $O link set eo1 up
note "host    $H  eo0 $HOST4/24"
note "outside $O  eo1 $OUT4/24"

# Podman's own configuration, all under $T: storage, network definitions, and
# helper_binaries_dir = Skiff's netavark/aardvark-dns shims.
if [ "$DIST" = "$REPO/dist" ]; then
  BIN=$REPO/bin
else
  BIN=$T/bin; mkdir -p "$BIN"
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$(command -v node)" "$DIST/skiff.cjs" > "$BIN/netavark"
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$(command -v node)" "$DIST/skiff-dns.cjs" > "$BIN/aardvark-dns"
  chmod +x "$BIN/netavark" "$BIN/aardvark-dns"
fi
mkdir -p "$T"/{storage,runroot,tmp,netconf,root/bin,root/etc,root/www/cgi-bin}
# contrib/containers.conf is the template a real installation uses; the demo
# adds its sandbox settings into the template's own sections.
{
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n'
  sed -e "s|@SKIFF_BIN@|$BIN|" \
      -e "/^\[engine\]/a runtime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\ntmp_dir = \"$T/tmp\"" \
      -e "/^\[network\]/a network_config_dir = \"$T/netconf\"" \
      contrib/containers.conf
} > "$T/containers.conf"
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$T/storage" "$T/runroot" > "$T/storage.conf"
echo 'unqualified-search-registries = []' > "$T/registries.conf"

bold "A tiny busybox image (imported locally, no registry)"
cp /bin/busybox "$T/root/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$T/root/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$T/root/etc/passwd"; echo 'root:x:0:' > "$T/root/etc/group"
echo 'Hello from a container on a Skiff network!' > "$T/root/www/index.html"
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\necho "$REMOTE_ADDR"\n' > "$T/root/www/cgi-bin/ip"
chmod +x "$T/root/www/cgi-bin/ip"
tar -C "$T/root" -cf "$T/busybox.tar" .
P import -q "$T/busybox.tar" $IMAGE >/dev/null
note "$IMAGE"
note "podman helper_binaries_dir = $BIN  (netavark -> skiff, aardvark-dns -> skiff-dns)"

bold "1. A bridge network, served by Skiff"
step "podman network create --subnet 10.89.0.0/24 skiffnet" -- P network create --subnet 10.89.0.0/24 skiffnet
step "podman network inspect skiffnet (driver, subnet, gateway, DNS)" -- \
  P network inspect skiffnet --format '{{.Driver}} {{range .Subnets}}{{.Subnet}} gateway {{.Gateway}}{{end}} dns_enabled={{.DNSEnabled}}'

bold "2. Two containers: a web server publishing 8080 -> 80, and a client"
step "podman run -d --name web --network skiffnet -p 8080:80 busybox httpd -f -p 80 -h /www" -- \
  P run -d --name web --network skiffnet -p 8080:80 $IMAGE httpd -f -p 80 -h /www
step "podman run -d --name client --network skiffnet busybox sleep 600" -- \
  P run -d --name client --network skiffnet $IMAGE sleep 600
step "their addresses" -- P ps --format '{{.Names}}  {{.Networks}}  {{.Ports}}'
for c in web client; do
  step "podman exec $c ip -4 addr show eth0" -- P exec $c sh -c "ip -4 -o addr show eth0 | awk '{ print \$2, \$4 }'"
done
step "podman exec client cat /etc/resolv.conf" -- P exec client cat /etc/resolv.conf

bold "3. They ping each other and the gateway"
step "podman exec client ping -c2 web" -- P exec client ping -c2 -W2 web
step "podman exec web ping -c2 client" -- P exec web ping -c2 -W2 client
step "podman exec client ping -c1 10.89.0.1   (the gateway: the bridge on the host)" -- P exec client ping -c1 -W2 10.89.0.1

bold "4. They resolve each other by name (skiff-dns on the gateway)"
step "podman exec client nslookup web 10.89.0.1" -- P exec client nslookup web 10.89.0.1
step "podman exec web nslookup client.dns.podman 10.89.0.1" -- P exec web nslookup client.dns.podman 10.89.0.1

bold "5. From another machine (the outside namespace), through the published port"
step "outside\$ wget -qO- http://$HOST4:8080/" -- ip netns exec $O timeout 10 busybox wget -qO- http://$HOST4:8080/
printf '    \033[36m$ %s\033[0m\n' "outside\$ wget -qO- http://$HOST4:8080/cgi-bin/ip   (a CGI printing REMOTE_ADDR)"
seen=$(ip netns exec $O timeout 10 busybox wget -qO- http://$HOST4:8080/cgi-bin/ip 2>&1) || true
printf '      %s\n' "$seen"
seen=$(printf '%s' "$seen" | tr -d '[]' | sed 's/^::ffff://')
if [ "$seen" = "$OUT4" ]; then
  note "the container saw the real client address $seen: the published port is DNATed, the source is kept"
else
  note "expected the container to see $OUT4, it saw '${seen:-nothing}'"; failed=1
  [ "${KEEP_GOING:-}" = 1 ] || exit 1
fi

bold "6. What Skiff set up on the host"
step "ip -br link   (host netns)" -- ip -n $H -br link
step "nft list table inet skiff   (the sets and maps Skiff filled in)" -- \
  sh -c "ip netns exec $H nft list table inet skiff | grep -E '^[[:space:]]*(set|map) |elements' | grep -B1 elements | grep -v '^--'"
step "ps: the DNS server" -- sh -c "ps -o pid,args -p \"\$(ip netns pids $H | tr '\n' ',' | sed 's/,\$//')\" | grep -E 'PID|skiff-dns|aardvark-dns' | cut -c1-160"

bold "7. Tear down and check nothing is left"
step "podman rm -f -t0 web client" -- P rm -f -t0 web client
step "podman network rm skiffnet" -- P network rm skiffnet
left=$(ip -n $H -br link | awk '$1 != "lo" && $1 !~ /^eo0/' || true)
if [ -z "$left" ]; then note "host netns: no bridge or veth left"; else note "left behind: $left"; failed=1; fi
sleep 0.5
# what is left in the host netns: no DNS server (it leaves with its last network); skiffd, which Podman's calls went
# through (bin/netavark is its client), and the warm skiff-dns it keeps once DNS is in use, until it is stopped
args_of() { tr '\0' ' ' < /proc/$1/cmdline 2>/dev/null; }
dns=$(for p in $(ip netns pids $H); do args_of $p | grep -E -- '(aardvark-dns|skiff-dns)(\.cjs)? .*--config' || true; done)
if [ -z "$dns" ]; then note "host netns: no DNS server left (skiff-dns exited with its last network)"; else note "DNS server left: $dns"; failed=1; fi
step "skiff daemon status   (the resident engine that served Podman's calls)" -- \
  sh -c "nsenter --net=/run/netns/$H $REPO/bin/skiff daemon status | grep -E '\"(running|served|rss_bytes|dns_servers_started|dns_warm_used)\"'"
step "skiff daemon stop" -- nsenter --net=/run/netns/$H $REPO/bin/skiff daemon stop
for _ in $(seq 40); do [ -z "$(ip netns pids $H)" ] && break; sleep 0.1; done
procs=$(ip netns pids $H | wc -l)
if [ "$procs" = 0 ]; then note "host netns: no process left"; else note "$procs process(es) left in the host netns: $(for p in $(ip netns pids $H); do args_of $p | cut -c1-100; echo; done)"; failed=1; fi

if [ $failed = 0 ]; then bold "Demo finished: every step worked"; else bold "Demo finished with failures (see above)"; exit 1; fi
