#!/usr/bin/env bash
# Starts the reference server on a free loopback port with a generated secret,
# runs the whole conformance suite against it, writes reports/latest/, stops it.
# Usage: scripts/run-suite.sh [extra conformance run options...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${AFI_BUILD:-build}
out=${REPORTS:-reports/latest}
mkdir -p "$out"

. scripts/reference.sh
trap reference_stop EXIT
reference_start "$out"

rc=0
"$bin/conformance" run --target "$url" --name reference \
  --report "json:$out/report.json" --report "junit:$out/junit.xml" \
  --report "md:$out/report.md" --report "tap:$out/report.tap" \
  --report "html:$out/report.html" "$@" || rc=$?
echo "reports: $out/report.html $out/report.md $out/junit.xml $out/report.tap $out/report.json"
exit "$rc"
