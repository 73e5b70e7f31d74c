#!/usr/bin/env bash
# Every target of the resident engine (skiffd) in one command: latency and
# one call's RSS beside Debian's netavark 1.4 (bench/skiffd.mjs), skiffd's idle
# RSS over 1,000 containers with DNS (bench/skiffd-rss.mjs), skiff-dns' qps,
# p99 and reload beside aardvark-dns 1.4 (bench/dns-bench.sh).
# ~15 minutes on 2 cores. Usage (root): bash bench/skiffd-targets.sh [--quick]
# --quick: the short skiffd.mjs run, 300 containers for the RSS, 2 s DNS runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "needs root: it creates network namespaces" >&2; exit 1; fi
quick=()
containers=1000
dns_seconds=5
if [ "${1:-}" = --quick ]; then quick=(--quick); containers=300; dns_seconds=2; fi
echo "== latency, one call's RSS (bench/skiffd.mjs)"
scripts/in-sandbox.sh node bench/skiffd.mjs "${quick[@]}"
echo
echo "== skiffd idle RSS over $containers containers, with DNS (bench/skiffd-rss.mjs)"
scripts/in-sandbox.sh node bench/skiffd-rss.mjs --containers "$containers"
echo
echo "== skiff-dns: qps, p99, reload [qps >= 1.5x, p99 <= 1x, reload <= 1x] (bench/dns-bench.sh)"
bash bench/dns-bench.sh "$dns_seconds"
