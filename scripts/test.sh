#!/usr/bin/env bash
# The whole test suite: unit tests (no root), integration tests (root; each file
# builds its own throwaway network namespaces) and end-to-end tests with Podman.
# Everything runs inside scripts/in-sandbox.sh: private mount and network
# namespaces, with its own /run and /etc/resolv.conf.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${SKIFF_SKIP_INSTALL:-}" ] || bash scripts/install.sh
# One clear line naming whatever is missing, before anything runs.
bash scripts/check-prereqs.sh
# Type errors fail the run; SKIFF_ALLOW_TYPE_ERRORS=1 keeps going (tsc still emits) while developing.
# SKIFF_BUILD_DIR / SKIFF_DIST_DIR let several developers build side by side.
build_dir=${SKIFF_BUILD_DIR:-build}
export SKIFF_DIST_DIR=${SKIFF_DIST_DIR:-dist}
npx tsc -p tsconfig.json --outDir "$build_dir" || [ -n "${SKIFF_ALLOW_TYPE_ERRORS:-}" ]
node scripts/build.mjs
mapfile -t files < <(find "$build_dir/test" -name '*.test.js' | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec scripts/in-sandbox.sh node --test --test-concurrency="${SKIFF_TEST_CONCURRENCY:-2}" --test-timeout=300000 "${files[@]}"
