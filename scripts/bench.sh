#!/usr/bin/env bash
# make bench: builds the static libmicrohttpd baseline and the runner of an earlier
# commit (the "before" of the runner's figures), installs newman (npm) when it is
# missing, then measures everything in one run and writes reports/bench.md
# (harness/bench/bench.py; `harness/bench/bench.py --help` lists its options, which
# this script passes on). Takes a few minutes; never part of make check.
set -euo pipefail
cd "$(dirname "$0")/.."
# AFI_BUILD: the build directory holding the programs (make bench passes its BUILDROOT).
build=${AFI_BUILD:-build}
export AFI_BUILD=$build

# The project's own compiler flags (Makefile: CSTD, WARN, OPT), so the baseline is
# compiled the way the reference server is.
mkdir -p "$build/bench"
cc -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O2 -g \
  $(pkg-config --cflags libmicrohttpd) harness/bench/static_server.c \
  -o "$build/bench/static-server" $(pkg-config --libs libmicrohttpd) -lpthread

# The runner as it was before issue 11's speed work (BENCH_BASELINE_REF names another
# commit), built from `git archive` with that commit's own Makefile: the "before" of the
# runner's before/after figures. Without git or the commit, bench.md says so.
baseline_ref=${BENCH_BASELINE_REF:-af401b5}
rm -rf "$build/bench/baseline-src" "$build/bench/baseline-conformance" "$build/bench/baseline-ref"
if git rev-parse -q --verify "$baseline_ref^{commit}" >/dev/null 2>&1; then
  mkdir -p "$build/bench/baseline-src"
  git archive "$baseline_ref" Makefile VERSION conformance | tar -x -C "$build/bench/baseline-src"
  if make -s -C "$build/bench/baseline-src" BUILDROOT=build build/conformance >&2; then
    cp "$build/bench/baseline-src/build/conformance" "$build/bench/baseline-conformance"
    git rev-parse --short "$baseline_ref" > "$build/bench/baseline-ref"
  else
    echo "bench: the baseline runner ($baseline_ref) did not build" >&2
  fi
else
  echo "bench: commit $baseline_ref not found; no before figures" >&2
fi

# newman, pinned in harness/bench/package.json, into the git-ignored node_modules.
if [ ! -x harness/bench/node_modules/.bin/newman ]; then
  if command -v npm >/dev/null; then
    echo "bench: installing newman into harness/bench/node_modules" >&2
    npm install --prefix harness/bench --no-audit --no-fund --no-package-lock >&2 ||
      echo "bench: npm could not install newman; bench.md will say so" >&2
  else
    echo "bench: npm missing; newman will not be measured" >&2
  fi
fi

exec /usr/bin/python3 harness/bench/bench.py "$@"
