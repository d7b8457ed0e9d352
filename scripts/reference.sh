# Sourced by the scripts that need a reference server of their own (run-suite.sh,
# model-check.sh, bench-model.sh): reference_start DIR starts $bin/reference-server
# on a free loopback port with a generated AFI_SECRET (exported), its output in DIR,
# and sets url and pid; the caller stops it with reference_stop (e.g. in its EXIT trap).
# Exits 3 with the server's log when it does not start within 10 s.
reference_start() {
  local dir=$1 line=""
  AFI_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export AFI_SECRET
  : >"$dir/server.out"  # before the server's shell opens it: head below must find it
  "$bin/reference-server" --port 0 >"$dir/server.out" 2>"$dir/server.log" &
  pid=$!
  for _ in $(seq 100); do
    line=$(head -n 1 "$dir/server.out")
    [ -n "$line" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  url=${line#listening on }
  if [ -z "$line" ] || [ "$url" = "$line" ]; then
    echo "$(basename "$0"): the reference server did not start; its log:" >&2
    cat "$dir/server.log" >&2
    exit 3
  fi
}

reference_stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
