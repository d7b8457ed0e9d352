#!/usr/bin/env bash
# make check's short `conformance model` run (issue 13): the reference server on a free
# loopback port with a generated secret, one fixed seed, a few seconds; stops the server.
# Usage: scripts/model-check.sh [extra conformance model options...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${AFI_BUILD:-build}
tmp=$(mktemp -d /tmp/afi-model-XXXXXX)
. scripts/reference.sh
trap 'reference_stop; rm -rf "$tmp"' EXIT
reference_start "$tmp"
"$bin/conformance" model --target "$url" --seed 1 --ops 3000 --clients 8 --viewers 8 --keys 4 \
  --time-limit 5 -q "$@"
