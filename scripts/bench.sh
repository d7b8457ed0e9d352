#!/usr/bin/env bash
# make bench: builds the static libmicrohttpd baseline, installs newman (npm) when it is
# missing, then measures everything in one run and writes reports/bench.md
# (harness/bench/bench.py; `harness/bench/bench.py --help` lists its options, which
# this script passes on). Takes a few minutes; never part of make check.
set -euo pipefail
cd "$(dirname "$0")/.."

# The project's own compiler flags (Makefile: CSTD, WARN, OPT), so the baseline is
# compiled the way the reference server is.
mkdir -p build/bench
cc -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O2 -g \
  $(pkg-config --cflags libmicrohttpd) harness/bench/static_server.c \
  -o build/bench/static-server $(pkg-config --libs libmicrohttpd) -lpthread

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
