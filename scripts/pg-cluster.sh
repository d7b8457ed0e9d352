#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: no system service, no TCP.
# Usage: scripts/pg-cluster.sh start DIR   initdb into DIR/data (once) and start it; prints its URL
#        scripts/pg-cluster.sh stop DIR    stop it (fast shutdown); nothing to do when it is not running
#        scripts/pg-cluster.sh url DIR     print the URL only
#        scripts/pg-cluster.sh with CMD... run CMD with AFI_TEST_PG set to a cluster in a new
#                                          temporary directory, then stop and remove it
#                                          whatever CMD did; exits with CMD's status
# The server listens only on a unix socket in DIR, so two clusters never race for a
# port. initdb refuses to run as root, so as root every PostgreSQL program runs as the
# postgres user and DIR is handed to it. Both commands are idempotent and every wait
# is bounded (PG_WAIT seconds, default 30). PG_BIN overrides the binaries' directory.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_WAIT=${PG_WAIT:-30}

die() {
  echo "pg-cluster: $*" >&2
  exit 1
}

if [ "${1:-}" = with ]; then
  [ $# -ge 2 ] || { echo "usage: scripts/pg-cluster.sh with CMD..." >&2; exit 2; }
  shift
  self=$(cd "$(dirname "$0")" && pwd -P)/$(basename "$0")
  tmp=$(mktemp -d /tmp/afi-pg-XXXXXX)
  trap '"$self" stop "$tmp" || true; rm -rf "$tmp"' EXIT
  AFI_TEST_PG=$("$self" start "$tmp")
  export AFI_TEST_PG
  rc=0
  "$@" || rc=$?
  exit "$rc"
fi
[ $# -eq 2 ] || { echo "usage: scripts/pg-cluster.sh start|stop|url DIR" >&2; exit 2; }
cmd=$1
dir=$2
[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL binaries in $PG_BIN (install postgresql: scripts/deps.sh build)"

# The URL carries DIR verbatim as host=, so DIR keeps to characters a URL needs no escape for.
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
[[ "$dir" =~ ^[A-Za-z0-9/._-]+$ ]] || die "DIR must be a path of letters, digits and / . _ - only: $dir"
# A unix socket path holds at most 107 bytes: DIR plus /.s.PGSQL.5432.
[ ${#dir} -le 90 ] || die "DIR is too long for a unix socket path (${#dir} bytes, at most 90): $dir"
data=$dir/data
url="postgresql:///postgres?host=$dir&user=postgres"

# as_pg CMD...: runs CMD as the postgres user when we are root, as ourselves otherwise.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$data/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

case "$cmd" in
  start)
    if [ "$(id -u)" -eq 0 ]; then
      getent passwd postgres >/dev/null || die "running as root needs a postgres user (apt-get install postgresql)"
      chown postgres: "$dir"
      runuser -u postgres -- test -w "$dir" ||
        die "the postgres user cannot write $dir (a parent directory is not searchable by it?)"
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      [ ! -e "$data" ] || die "$data exists but is not a cluster; remove it or choose another DIR"
      as_pg "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C --auth=trust \
        >"$dir/initdb.log" 2>&1 || die "initdb failed; see $dir/initdb.log"
      cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
max_connections = 200
EOF
    fi
    if ! running; then
      as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t "$PG_WAIT" start >/dev/null ||
        die "PostgreSQL did not start within ${PG_WAIT}s; see $dir/server.log"
    fi
    # pg_ctl -w returns once the postmaster accepts connections; this confirms the socket.
    as_pg "$PG_BIN/pg_isready" -q -h "$dir" -t "$PG_WAIT" || die "PostgreSQL in $dir does not accept connections"
    echo "$url"
    ;;
  stop)
    if running; then
      as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t "$PG_WAIT" stop >/dev/null ||
        die "PostgreSQL in $data did not stop within ${PG_WAIT}s"
    fi
    ;;
  url)
    echo "$url"
    ;;
  *)
    echo "usage: scripts/pg-cluster.sh start|stop|url DIR, or with CMD..." >&2
    exit 2
    ;;
esac
