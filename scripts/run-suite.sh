#!/usr/bin/env bash
# Starts the reference server on a free loopback port with a generated secret,
# runs the whole conformance suite against it, writes reports/latest/, stops it.
# Usage: scripts/run-suite.sh [extra conformance run options...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${AFI_BUILD:-build}
out=${REPORTS:-reports/latest}
mkdir -p "$out"

AFI_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AFI_SECRET

"$bin/reference-server" --port 0 >"$out/server.out" 2>"$out/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
line=""
for _ in $(seq 100); do
  line=$(head -n 1 "$out/server.out")
  [ -n "$line" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
url=${line#listening on }
if [ -z "$line" ] || [ "$url" = "$line" ]; then
  echo "run-suite: the reference server did not start; its log:" >&2
  cat "$out/server.log" >&2
  exit 3
fi

# Known reference defects (harness/data/README.md), while the list exists.
xfail=harness/data/framing-xfail.txt
if [ -f "$xfail" ]; then
  set -- --expected-failures "$xfail" "$@"
fi

rc=0
"$bin/conformance" run --target "$url" --name reference \
  --report "json:$out/report.json" --report "junit:$out/junit.xml" \
  --report "md:$out/report.md" --report "tap:$out/report.tap" \
  --report "html:$out/report.html" "$@" || rc=$?
echo "reports: $out/report.html $out/report.md $out/junit.xml $out/report.tap $out/report.json"
exit "$rc"
