#!/usr/bin/env bash
# Installs the Debian packages the project needs, and only when one is missing.
# Usage: scripts/deps.sh [--list] [build|test|bench]...  (default: build test)
#   --list  print the groups' packages, one a line, and install nothing
# Everything `make check` and `make demo` run or import is in build or test:
# bench only adds tools that measure (scripts/fresh-check.sh proves it).
set -euo pipefail

build_pkgs=(gcc make pkg-config libmicrohttpd-dev libcjson-dev libjwt-dev
            libcurl4-openssl-dev libssl-dev libcriterion-dev libpq-dev)
# The FastAPI port imports uvicorn's httptools protocol and serves --fast on
# uvloop, so both are test packages, not bench ones. python3-jwt and uvicorn
# import cryptography and yaml whenever present: installed, so every machine
# runs the same code (harness/test_deps.py checks what is loaded). make check
# runs the store's tests against a throwaway PostgreSQL (scripts/pg-cluster.sh),
# so postgresql is a test package; make demo runs on the in-memory store.
test_pkgs=(curl python3 python3-pytest python3-fastapi python3-uvicorn python3-jwt
           python3-httpx python3-httptools python3-uvloop python3-cryptography python3-yaml
           chromium libxml2-utils postgresql python3-psycopg2)
bench_pkgs=(wrk valgrind)

list=0
if [ "${1:-}" = "--list" ]; then
  list=1
  shift
fi
want=()
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build test)
for g in "${groups[@]}"; do
  case "$g" in
    build) want+=("${build_pkgs[@]}") ;;
    test)  want+=("${test_pkgs[@]}") ;;
    bench) want+=("${bench_pkgs[@]}") ;;
    *) echo "deps.sh: unknown group '$g' (build, test, bench)" >&2; exit 2 ;;
  esac
done

if [ "$list" = 1 ]; then
  printf '%s\n' "${want[@]}"
  exit 0
fi

# One dpkg-query for the whole list keeps the already-installed case fast.
missing=()
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${want[@]}" 2>/dev/null || true)
for p in "${want[@]}"; do
  grep -q "^$p ii" <<<"$installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: not root; install these with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
