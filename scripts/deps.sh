#!/usr/bin/env bash
# Installs the Debian packages the project needs, and only when one is missing.
# Usage: scripts/deps.sh [build|test|bench]...  (default: build test)
set -euo pipefail

build_pkgs=(gcc make pkg-config libmicrohttpd-dev libcjson-dev libjwt-dev
            libcurl4-openssl-dev libcriterion-dev)
test_pkgs=(curl python3 python3-pytest python3-fastapi python3-uvicorn python3-jwt
           python3-httpx chromium libxml2-utils)
bench_pkgs=(wrk python3-uvloop python3-httptools valgrind)

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
