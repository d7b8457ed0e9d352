#!/usr/bin/env bash
# Runs libFuzzer targets for a set time each and prints one line per target:
# executions, coverage (cov: edges, ft: features) and corpus size.
# Usage: scripts/fuzz.sh FUZZDIR SECONDS TARGET...
#   FUZZDIR  where make put the targets ($(BUILDROOT)/fuzz); new inputs go to
#            FUZZDIR/corpus/TARGET, crashes to FUZZDIR/crash-TARGET-*, logs to FUZZDIR/TARGET.log
# The seeds are read from reference/fuzz/corpus/TARGET or conformance/fuzz/corpus/TARGET.
# Exits 1 when a target crashed: its log's tail, libFuzzer's seed and the input that
# crashed it (base64, with the command that replays it) go to stderr.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=$1 seconds=$2
shift 2
status=0
for t in "$@"; do
  seeds=""
  for d in reference/fuzz/corpus/$t conformance/fuzz/corpus/$t; do
    [ -d "$d" ] && seeds=$d
  done
  mkdir -p "$dir/corpus/$t"
  log=$dir/$t.log
  ASAN_OPTIONS=detect_leaks=1 "$dir/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -rss_limit_mb=4096 -artifact_prefix="$dir/crash-$t-" "$dir/corpus/$t" $seeds >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $rc) after ${execs:-?} executions; log $log" >&2
    grep -m1 '^INFO: Seed:' "$log" >&2
    tail -30 "$log" >&2
    # The input itself, so that a failure seen only in CI's output can be replayed.
    sed -n 's/.*Test unit written to //p' "$log" | while read -r f; do
      echo "fuzz: $f, $(stat -c %s "$f") bytes; to replay: base64 -d >input <<'EOF' && $dir/$t input" >&2
      base64 -w 76 "$f" >&2
      echo "EOF" >&2
    done
    status=1
  else
    echo "fuzz: $t: ${execs:-?} executions in ${seconds}s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
  fi
done
exit $status
