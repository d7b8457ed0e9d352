#!/usr/bin/env bash
# `make cluster`: a deployment of several instances, run as one (issue 12). Starts a
# throwaway PostgreSQL (scripts/pg-cluster.sh: initdb into a temporary directory, pg_ctl,
# as the postgres user when root; no system service), two reference instances on one of
# its databases and the FastAPI port with two workers on another, runs the whole suite
# with all the instances as targets (the cases tagged cluster included), writes the
# reports under reports/cluster/{reference,fastapi}/ and stops everything on exit,
# whatever happened. Every wait is bounded (CLUSTER_WAIT seconds, default 60).
# Usage: scripts/cluster.sh [extra conformance run options...]
# Environment: AFI_BUILD (default build), REPORTS (default reports/cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
bin=$(cd "${AFI_BUILD:-build}" && pwd -P)
out=${REPORTS:-reports/cluster}
wait_s=${CLUSTER_WAIT:-60}
python=/usr/bin/python3
mkdir -p "$out/reference" "$out/fastapi"

tmp=$(mktemp -d /tmp/afi-cluster-XXXXXX) # short: PostgreSQL's unix socket lives in it
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  "$root/scripts/pg-cluster.sh" stop "$tmp" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "cluster: $*" >&2
  exit 3
}

AFI_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AFI_SECRET
# The full level signs with a key (FULL-*): every instance verifies with its public half.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/issuer.pem" 2>/dev/null &&
  openssl pkey -in "$tmp/issuer.pem" -pubout -out "$tmp/issuer.pub" || die "cannot generate a key"
export AFI_PUBLIC_KEY_FILE=$tmp/issuer.pub AFI_ISSUER=afi-conformance-issuer AFI_AUDIENCE=afi-conformance

pg=$(PG_WAIT=$wait_s "$root/scripts/pg-cluster.sh" start "$tmp") || die "PostgreSQL did not start"
echo "cluster: a throwaway PostgreSQL in $tmp"
# One database per implementation: their tables are their own.
"$python" - "$pg" <<'PY' || die "cannot create the databases"
import sys, psycopg2
conn = psycopg2.connect(sys.argv[1])
conn.autocommit = True
with conn.cursor() as cur:
    for name in ("afi_reference", "afi_fastapi"):
        cur.execute(f"CREATE DATABASE {name}")
conn.close()
PY
ref_db=${pg/:\/\/\/postgres?/:\/\/\/afi_reference?}
port_db=${pg/:\/\/\/postgres?/:\/\/\/afi_fastapi?}

# wait_health URL PID LOG: until URL/health answers 200, PID dies, or the bound passes.
wait_health() {
  local deadline=$((SECONDS + wait_s))
  until curl -sf -o /dev/null --max-time 2 "$1/health"; do
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "the instance for $1 exited"; }
    [ $SECONDS -lt $deadline ] || { cat "$3" >&2; die "$1 did not answer /health within ${wait_s}s"; }
    sleep 0.2
  done
}

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

refs=()
for i in 1 2; do
  port=$(free_port)
  "$bin/reference-server" --port "$port" --store "$ref_db" >"$tmp/ref$i.log" 2>&1 &
  pids+=($!)
  refs+=("http://127.0.0.1:$port/afi")
  wait_health "${refs[-1]}" "${pids[-1]}" "$tmp/ref$i.log"
done
port=$(free_port)
"$python" harness/ports/fastapi/serve.py --port "$port" --workers 2 --store "$port_db" \
  >"$tmp/fastapi.log" 2>&1 &
pids+=($!)
fastapi="http://127.0.0.1:$port/afi"
wait_health "$fastapi" "${pids[-1]}" "$tmp/fastapi.log"

# run NAME DIR TARGET...: the whole suite against the targets, five reports in DIR.
run() {
  local name=$1 dir=$2
  shift 2
  local args=()
  for t in "$@"; do
    args+=(--target "$t")
  done
  "$bin/conformance" run "${args[@]}" --name "$name" --level full --private-key "$tmp/issuer.pem" \
    --report "json:$dir/report.json" --report "junit:$dir/junit.xml" \
    --report "md:$dir/report.md" --report "tap:$dir/report.tap" \
    --report "html:$dir/report.html" "${extra[@]}"
}
extra=("$@")
rc=0
echo "cluster: reference, two instances on one PostgreSQL: ${refs[*]}"
run reference-cluster "$out/reference" "${refs[@]}" || rc=$?
# Two workers behind one URL: given twice, each case's steps use two connections.
echo "cluster: FastAPI port, two workers on one PostgreSQL: $fastapi (twice)"
frc=0
run fastapi-cluster "$out/fastapi" "$fastapi" "$fastapi" || frc=$?
[ "$rc" -ne 0 ] || rc=$frc
echo "reports: $out/reference/report.html $out/fastapi/report.html (and .md, .xml, .tap, .json beside them)"
exit "$rc"
