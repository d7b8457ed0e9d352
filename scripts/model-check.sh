#!/usr/bin/env bash
# make check's short `conformance model` run (issue 13): the reference server on a free
# loopback port with a generated secret, one fixed seed, a few seconds; stops the server.
# Usage: scripts/model-check.sh [extra conformance model options...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${AFI_BUILD:-build}
tmp=$(mktemp -d /tmp/afi-model-XXXXXX)
AFI_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AFI_SECRET

"$bin/reference-server" --port 0 >"$tmp/server.out" 2>"$tmp/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
line=""
for _ in $(seq 100); do
  line=$(head -n 1 "$tmp/server.out")
  [ -n "$line" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
url=${line#listening on }
if [ -z "$line" ] || [ "$url" = "$line" ]; then
  echo "model-check: the reference server did not start; its log:" >&2
  cat "$tmp/server.log" >&2
  exit 3
fi
"$bin/conformance" model --target "$url" --seed 1 --ops 3000 --clients 8 --viewers 8 --keys 4 \
  --time-limit 5 -q "$@"
