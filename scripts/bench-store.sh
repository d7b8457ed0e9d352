#!/usr/bin/env bash
# make bench, the store part (issue 12): kv_set, kv_get and counter_incr through the
# reference server on the in-memory store, on PostgreSQL with one instance and with two
# instances on one database, side by side in one run, and PostgreSQL's own ceiling for
# the same statements (pgbench -M prepared, a custom script per call: the revocation
# check of the token's jti plus the call's statement, as the server sends them), with
# the CPU each configuration spends per call, split between the load generator, the
# server and PostgreSQL (the figure that explains the ratios on a small machine), and the
# machine's context switches per call (what makes the same SQL dearer through the server).
# Writes reports/bench-store.md (OUT overrides); never part of make check.
# Environment: AFI_BUILD (default build), DUR seconds per measurement (default 5),
# ROUNDS of every measurement, the best kept (default 3), CONC requests in flight
# (default 8: wrk connections, server threads, pgbench clients).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${AFI_BUILD:-build}
out=${OUT:-reports/bench-store.md}
dur=${DUR:-5}
rounds=${ROUNDS:-3}
conc=${CONC:-8}
for tool in wrk pgbench; do
  command -v "$tool" >/dev/null || { echo "bench-store: $tool is missing (scripts/deps.sh build test bench)" >&2; exit 1; }
done
[ -x "$bin/reference-server" ] || { echo "bench-store: $bin/reference-server is not built (make all)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/afi-bench-XXXXXX)
chmod 755 "$tmp"   # the cluster in $tmp/pg runs as the postgres user
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  scripts/pg-cluster.sh stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
url=$(scripts/pg-cluster.sh start "$tmp/pg")
postmaster=$(head -n 1 "$tmp/pg/data/postmaster.pid")
# The settings every write waits for, read from the cluster rather than assumed.
pg_settings=$(psql -h "$tmp/pg" -U postgres -Atc "SELECT string_agg(name || ' ' || setting, ', ' ORDER BY name)
  FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')" postgres)
# pgbench's sessions get the server's own session setting too (store_pg.c's session_sql).
bound_ms=$(awk '/#define STORE_PG_BOUND_MS/ { print $3 }' reference/store_pg.h)
[ -n "$bound_ms" ] || { echo "bench-store: no STORE_PG_BOUND_MS in reference/store_pg.h" >&2; exit 1; }

AFI_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AFI_SECRET
jti=bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
# One viewer, sub "bench", with a jti: every call also checks its revocation, as real tokens make it.
token=$(/usr/bin/python3 -c 'import jwt, os, sys, time
print(jwt.encode({"sub": "bench", "role": "WRITER", "jti": sys.argv[1], "exp": int(time.time()) + 86400},
                 os.environ["AFI_SECRET"], algorithm="HS256"))' "$jti")

# wrk: one call per request on one of 1000 keys (counters: 1000 counters), so the
# numbers measure the store rather than one row's lock.
cat >"$tmp/call.lua" <<'EOF'
local fn = os.getenv("AFI_BENCH_FN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AFI_BENCH_TOKEN")
request = function()
  local k = math.random(0, 999)
  local body
  if fn == "kv_set" then
    body = '{"key":"personal:k' .. k .. '","value":{"n":' .. k .. ',"s":"bench"}}'
  elseif fn == "kv_get" then
    body = '{"key":"personal:k' .. k .. '"}'
  else
    body = '{"key":"personal:c' .. k .. '"}'
  end
  return wrk.format(nil, wrk.path .. "/call/" .. fn, nil, body)
end
EOF

# pgbench: the same statements store_pg.c prepares, on the keys profile.c makes of
# sub "bench" (p5:bench:NAME; pgbench would take :bench in a literal for a variable,
# so the prefix comes in as -D pre).
revoked="SELECT 1 FROM afi_revoked WHERE jti_hash = sha256(convert_to(:jti::text, 'UTF8')) AND jti = convert_to(:jti::text, 'UTF8');"
cat >"$tmp/kv_set.sql" <<EOF
\set k random(0, 999)
$revoked
INSERT INTO afi_kv AS t (key, value, rev) VALUES (convert_to(:pre::text || 'k' || :k::text, 'UTF8'), '{"n":' || :k::text || ',"s":"bench"}', 1) ON CONFLICT (key) DO UPDATE SET value = excluded.value, rev = t.rev + 1 RETURNING rev;
EOF
cat >"$tmp/kv_get.sql" <<EOF
\set k random(0, 999)
$revoked
SELECT value, rev FROM afi_kv WHERE key = convert_to(:pre::text || 'k' || :k::text, 'UTF8');
EOF
cat >"$tmp/counter_incr.sql" <<EOF
\set k random(0, 999)
$revoked
SELECT status, val, newrev FROM afi_incr(convert_to(:pre::text || 'c' || :k::text, 'UTF8'), 1, 9007199254740992);
EOF

# start_server NAME [--store URL]: starts an instance, sets $port (and pid_of[$port]).
declare -A pid_of
start_server() {
  local name=$1
  shift
  "$bin/reference-server" --port 0 --threads "$conc" "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" &
  pids+=($!)
  local pid=$!
  local line=""
  for _ in $(seq 100); do
    line=$(head -n 1 "$tmp/$name.out")
    [ -n "$line" ] && break
    sleep 0.1
  done
  [ -n "$line" ] || { echo "bench-store: $name did not start:" >&2; cat "$tmp/$name.log" >&2; exit 1; }
  port=${line##*:}
  port=${port%%/*}
  pid_of[$port]=$pid
}

stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
}

# CPU accounting, in clock ticks of all cores together. pg_ticks: the cluster's
# processes (the postmaster, its live children, and the children it has reaped, as
# pgbench's backends are once pgbench disconnects). proc_ticks PID...: those processes.
# run_ticks FILE CMD...: runs CMD and writes the CPU ticks it used to FILE.
tck=$(getconf CLK_TCK)
pg_ticks() {
  local p t=0
  for p in $postmaster $(pgrep -P "$postmaster"); do
    t=$((t + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
proc_ticks() {
  local p t=0
  for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
  echo "$t"
}
run_ticks() {
  local file=$1 rc=0
  shift
  # times' second line: the user and system time of the subshell's children (CMD), as 1m2.345s.
  (rc=0; "$@" || rc=$?; times >"$file.times"; exit "$rc") || rc=$?
  tail -n 1 "$file.times" | awk -v tck="$tck" '{ for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
    printf "%.0f\n", s * tck }' >"$file"
  return "$rc"
}
# ctxt: context switches of the whole machine so far (every process, wrk's and
# PostgreSQL's too): each is a task going to sleep or being preempted.
ctxt() {
  awk '/^ctxt / { print $2 }' /proc/stat
}
# per_call TICKS CALLS: microseconds of CPU per call.
per_call() {
  awk -v t="$1" -v n="$2" -v tck="$tck" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / tck / n; else print 0 }'
}
# count_per_call COUNT CALLS: COUNT per call, to one decimal.
count_per_call() {
  awk -v t="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", t / n; else print 0 }'
}

# wrk_run FN CONNS PORT...: one wrk per port at once, CONNS connections each; prints
# "req/s p99_ms errors client_us server_us pg_us switches" (sums; the p99 is the
# worst instance's; CPU per call of the wrk processes, the servers behind PORT... and
# PostgreSQL; the machine's context switches per call, to one decimal).
wrk_run() {
  local fn=$1 conns=$2
  shift 2
  local i=0 files=() srv=()
  rm -f "$tmp"/ticks.*
  for p in "$@"; do srv+=("${pid_of[$p]}"); done
  local s0 g0 x0 x1
  s0=$(proc_ticks "${srv[@]}")
  g0=$(pg_ticks)
  x0=$(ctxt)
  for p in "$@"; do
    run_ticks "$tmp/ticks.$i" env AFI_BENCH_FN="$fn" AFI_BENCH_TOKEN="$token" wrk -t1 -c"$conns" -d"${dur}s" --latency \
      -s "$tmp/call.lua" "http://127.0.0.1:$p/afi" >"$tmp/wrk.$i" 2>&1 &
    files+=("$tmp/wrk.$i")
    i=$((i + 1))
  done
  wait_jobs
  x1=$(ctxt)
  local s1 g1 c
  s1=$(proc_ticks "${srv[@]}")
  g1=$(pg_ticks)
  c=$(cat "$tmp"/ticks.[0-9] | awk '{ t += $1 } END { print t + 0 }')
  local line
  line=$(awk '/^Requests\/sec:/ { rps += $2 }
       /^ +99%/ { v = $2; ms = v + 0; if (v ~ /us$/) ms /= 1000; else if (v ~ /[^m]s$/) ms *= 1000; if (ms > p99) p99 = ms }
       /Non-2xx/ { bad += $NF }
       /Socket errors/ { gsub(/,/, ""); sock += $4 + $6 + $8 + $10 }
       END { printf "%.0f %.2f %s\n", rps, p99, bad + sock ? (bad + 0) "-non-2xx," (sock + 0) "-socket-errors" : "ok" }' "${files[@]}")
  local calls=$(( ${line%% *} * dur ))
  echo "$line $(per_call "$c" "$calls") $(per_call $((s1 - s0)) "$calls") $(per_call $((g1 - g0)) "$calls")" \
       "$(count_per_call $((x1 - x0)) "$calls")"
}

# Waits for the wrk jobs of this shell (not the servers).
wait_jobs() {
  local j
  for j in $(jobs -p); do
    case " ${pids[*]} " in *" $j "*) ;; *) wait "$j" ;; esac
  done
}

# pgbench_run FN: "tps p99_ms errors client_us 0 pg_us switches" for the same statements,
# CONC clients, with the server's session setting.
pgbench_run() {
  local fn=$1
  rm -f "$tmp"/pgb.*
  local db_dir=$tmp/pg g0 g1 x0 x1 before
  before=$(pgrep -c -P "$postmaster" || true)
  g0=$(pg_ticks)
  x0=$(ctxt)
  (cd "$tmp" && PGOPTIONS="-c statement_timeout=$bound_ms" run_ticks "$tmp/ticks.pgb" \
     pgbench -n -h "$db_dir" -U postgres -M prepared -c "$conc" -j 2 -T "$dur" \
     -D jti="$jti" -D pre=p5:bench: -f "$tmp/$fn.sql" --log --log-prefix="$tmp/pgb" postgres >"$tmp/pgbench.out" 2>&1) ||
    { echo "bench-store: pgbench failed:" >&2; cat "$tmp/pgbench.out" >&2; exit 1; }
  x1=$(ctxt)
  # Its backends' CPU reaches the postmaster's account once they are reaped.
  for _ in $(seq 40); do
    [ "$(pgrep -c -P "$postmaster" || true)" -le "$before" ] && break
    sleep 0.05
  done
  g1=$(pg_ticks)
  local tps calls
  tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$tmp/pgbench.out")
  calls=$(awk '/^number of transactions actually processed: / { print $NF }' "$tmp/pgbench.out")
  cat "$tmp"/pgb.* | awk '{ print $3 }' | sort -n | awk -v tps="$tps" '
    { v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%s %.2f ok", tps, v[i] / 1000 }'
  echo " $(per_call "$(cat "$tmp/ticks.pgb")" "$calls") 0 $(per_call $((g1 - g0)) "$calls") $(count_per_call $((x1 - x0)) "$calls")"
}

fns=(kv_set kv_get counter_incr)
declare -A res
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Every server runs throughout (an idle one costs nothing); for each call the four
# configurations are measured one after the other, ROUNDS times, so the shared
# machine's load swings fall on all of them alike; the best round of each is kept.
start_server mem
pm=$port
start_server pg1 --store "$url"
p1=$port
start_server pg2a --store "$url"
pa=$port
start_server pg2b --store "$url"
pb=$port

# keep KEY LINE: res[KEY] becomes LINE when LINE's first number is higher.
keep() {
  local old=${res[$1]:-0 0 ok}
  if awk -v a="${2%% *}" -v b="${old%% *}" 'BEGIN { exit !(a > b) }'; then res[$1]=$2; fi
}
for _ in $(seq "$rounds"); do
  for fn in "${fns[@]}"; do
    keep "mem,$fn" "$(wrk_run "$fn" "$conc" "$pm")"
    keep "pg1,$fn" "$(wrk_run "$fn" "$conc" "$p1")"
    keep "pg2,$fn" "$(wrk_run "$fn" $((conc / 2)) "$pa" "$pb")"
    keep "pgb,$fn" "$(pgbench_run "$fn")"
  done
done
stop_servers
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$(dirname "$out")"
{
  echo "# The store: in memory, PostgreSQL, and PostgreSQL's own ceiling"
  echo
  echo "\`scripts/bench-store.sh\` (make bench), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores,"
  echo "load average $load_before before and $load_after after; ${dur}s per measurement,"
  echo "the best of $rounds rounds (the configurations in turn within each round),"
  echo "$conc requests in flight everywhere (wrk connections, server threads and so"
  echo "PostgreSQL connections per instance, pgbench clients). One viewer (sub \`bench\`,"
  echo "a jti, so each call also checks its revocation), 1000 keys (kv_set, kv_get) or"
  echo "1000 counters, picked at random per request. PostgreSQL 15 in a throwaway cluster"
  echo "(scripts/pg-cluster.sh; $pg_settings, the same for the server and pgbench):"
  echo "every 200 is on disk. The server and pgbench both reach it over its unix socket"
  echo "(wrk reaches the server over loopback TCP). Two instances: two wrk at once,"
  echo "$((conc / 2)) connections each; their p99 is the worse of the two. The ceiling is"
  echo "pgbench -M prepared running the very statements the server sends per call (the"
  echo "revocation check, then the call's statement: two round trips, as the server makes"
  echo "them), in sessions with the server's statement_timeout (${bound_ms} ms)."
  echo
  echo "| call | memory, 1 instance | PostgreSQL, 1 instance | PostgreSQL, 2 instances | pgbench, same SQL | 1 instance / pgbench |"
  echo "|---|---|---|---|---|---|"
  for fn in "${fns[@]}"; do
    read -r m_rps m_p99 m_err _ <<<"${res[mem,$fn]}"
    read -r p1_rps p1_p99 p1_err _ <<<"${res[pg1,$fn]}"
    read -r p2_rps p2_p99 p2_err _ <<<"${res[pg2,$fn]}"
    read -r b_tps b_p99 _ <<<"${res[pgb,$fn]}"
    ratio=$(awk -v a="$p1_rps" -v b="$b_tps" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }')
    flag() { [ "$1" = ok ] || echo " (${1//-/ })"; }
    echo "| \`$fn\` | $m_rps/s, p99 $m_p99 ms$(flag "$m_err") | $p1_rps/s, p99 $p1_p99 ms$(flag "$p1_err") |" \
         "$p2_rps/s, p99 $p2_p99 ms$(flag "$p2_err") | $b_tps/s, p99 $b_p99 ms | $ratio |"
  done
  echo
  echo "Where the time goes: CPU per call in µs (all cores together, from the same best"
  echo "round), split between the load generator (wrk or pgbench), the reference server(s)"
  echo "and PostgreSQL (every process of the cluster). Two cores give 2,000,000 µs of CPU"
  echo "a second, so a total of T µs per call caps the rate near 2,000,000 / T calls a second."
  echo "The last column bounds the ratio of the first table while the cores are the limit:"
  echo "a call through the server costs at least the HTTP side (the memory column) plus"
  echo "what pgbench spends on the same SQL (its libpq client work and PostgreSQL's), so"
  echo "1 instance / pgbench stays below pgbench / (memory + pgbench)."
  echo
  echo "| call | memory, 1 instance | PostgreSQL, 1 instance | PostgreSQL, 2 instances | pgbench, same SQL | bound on the ratio |"
  echo "|---|---|---|---|---|---|"
  cpu_cell() {
    read -r _ _ _ c s g _ <<<"$1"
    echo "$2 $c + server $s + PostgreSQL $g = $((c + s + g))"
  }
  for fn in "${fns[@]}"; do
    read -r _ _ _ bc _ bg _ <<<"${res[pgb,$fn]}"
    read -r _ _ _ mc ms mg _ <<<"${res[mem,$fn]}"
    bound=$(awk -v b=$((bc + bg)) -v m=$((mc + ms + mg)) 'BEGIN { if (b + m > 0) printf "%.0f%%", 100 * b / (b + m); else print "n/a" }')
    echo "| \`$fn\` | $(cpu_cell "${res[mem,$fn]}" wrk) | $(cpu_cell "${res[pg1,$fn]}" wrk) |" \
         "$(cpu_cell "${res[pg2,$fn]}" wrk) | pgbench $bc + PostgreSQL $bg = $((bc + bg)) | $bound |"
  done
  echo
  echo "Context switches per call, of the whole machine (/proc/stat, same rounds): each"
  echo "is a task going to sleep or being preempted, and each costs CPU beyond the work"
  echo "itself. A call through the server puts its handler thread and a PostgreSQL session"
  echo "to sleep once per SQL round trip, on top of the HTTP side's switches (the memory"
  echo "column); pgbench's two threads serve $((conc / 2)) sessions each and often find an answer"
  echo "already waiting, so it switches less for the same SQL."
  echo
  echo "| call | memory, 1 instance | PostgreSQL, 1 instance | PostgreSQL, 2 instances | pgbench, same SQL |"
  echo "|---|---|---|---|---|"
  switches() {
    read -r _ _ _ _ _ _ x _ <<<"$1"
    echo "${x:-n/a}"
  }
  for fn in "${fns[@]}"; do
    echo "| \`$fn\` | $(switches "${res[mem,$fn]}") | $(switches "${res[pg1,$fn]}") | $(switches "${res[pg2,$fn]}") | $(switches "${res[pgb,$fn]}") |"
  done
  echo
  echo "Goal (issue 12): the reference on PostgreSQL reaches at least 70% of pgbench for"
  echo "the same statements. The machine is shared and small: wrk, the server(s) and"
  echo "PostgreSQL share its cores, while pgbench has no HTTP server or client to feed;"
  echo "the memory column's total is what the HTTP side costs per call before any SQL."
  echo
  echo "| call | 1 instance / pgbench | goal | verdict |"
  echo "|---|---|---|---|"
  for fn in "${fns[@]}"; do
    read -r p1_rps _ <<<"${res[pg1,$fn]}"
    read -r b_tps _ <<<"${res[pgb,$fn]}"
    awk -v fn="$fn" -v a="$p1_rps" -v b="$b_tps" 'BEGIN {
      if (b <= 0) { printf "| `%s` | n/a | >= 70%% | not measured |\n", fn; exit }
      r = 100 * a / b
      printf "| `%s` | %.0f%% | >= 70%% | %s |\n", fn, r, (r >= 70 ? "PASS" : sprintf("MISS (%.1f points short)", 70 - r)) }'
  done
} >"$out"
cat "$out"
