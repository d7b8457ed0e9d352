#!/usr/bin/env bash
# `make check` as a new user on a fresh Debian 12 machine would run it: every
# package scripts/deps.sh lists is removed (then apt-get autoremove), the
# committed tree is cloned into a temporary directory, and the README's test
# command runs there and must install what it needs itself. Afterwards every
# listed package is installed again. Prints the wall time and exit code of
# `make check` last, and exits with that code.
#
# Usage: scripts/fresh-check.sh [--keep]   (--keep: leave the clone for a look)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
keep=0
[ "${1:-}" = "--keep" ] && keep=1

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-check: needs root (it removes and reinstalls packages with apt-get)" >&2
  exit 2
fi

# What a new machine of this kind already has and what runs this very check:
# make runs `make check`, gcc builds, Debian's python3 carries apt's and the
# workplace's own tools. Everything else deps.sh lists goes.
base=(gcc make python3)
mapfile -t listed < <(scripts/deps.sh --list build test bench)
remove=()
for p in "${listed[@]}"; do
  [[ " ${base[*]} " == *" $p "* ]] || remove+=("$p")
done
present=()
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${remove[@]}" 2>/dev/null || true)
for p in "${remove[@]}"; do
  grep -q "^$p ii" <<<"$installed" && present+=("$p")
done

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "fresh-check: note: uncommitted changes are not part of the clone; it checks HEAD $(git rev-parse --short HEAD)" >&2
fi
tmp=$(mktemp -d /tmp/afi-fresh.XXXXXX)
installed_now() {
  dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' | awk '$2 == "ii" { print $1 }' | sort
}
# autoremove may take packages deps.sh does not list (a tool that came with the
# machine and shared a dependency): whatever was there before comes back.
installed_now >"$tmp/before.txt"
reinstall() {
  echo "fresh-check: reinstalling the listed packages" >&2
  scripts/deps.sh build test bench >&2 || echo "fresh-check: reinstalling failed; run: scripts/deps.sh build test bench" >&2
  mapfile -t lost < <(comm -23 "$tmp/before.txt" <(installed_now))
  if [ ${#lost[@]} -gt 0 ]; then
    echo "fresh-check: reinstalling ${#lost[@]} more that the removal took: ${lost[*]}" >&2
    apt-get install -y -qq --no-install-recommends "${lost[@]}" >&2 ||
      echo "fresh-check: could not reinstall: ${lost[*]}" >&2
  fi
  [ "$keep" = 1 ] || rm -rf "$tmp"
}
trap reinstall EXIT

export DEBIAN_FRONTEND=noninteractive
echo "fresh-check: removing ${#present[@]} of ${#remove[@]} listed packages (kept, as on a new machine: ${base[*]})" >&2
if [ ${#present[@]} -gt 0 ]; then
  apt-get remove -y -qq "${present[@]}" >&2
fi
apt-get autoremove -y -qq >&2
still=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${remove[@]}" 2>/dev/null | grep ' ii' || true)
if [ -n "$still" ]; then
  echo "fresh-check: these are still installed after the removal: $still" >&2
  exit 2
fi

git clone -q "$repo" "$tmp/afi"
rev=$(git -C "$tmp/afi" rev-parse --short HEAD)
echo "fresh-check: make check in $tmp/afi (log: $tmp/check.log)" >&2
start=$(date +%s)
set +e
(cd "$tmp/afi" && make check) 2>&1 | tee "$tmp/check.log"
rc=${PIPESTATUS[0]}
set -e
secs=$(( $(date +%s) - start ))
[ "$rc" -eq 0 ] || keep=1
echo "fresh-check: packages removed first: ${present[*]:-(none were installed)}"
echo "fresh-check: make check on a clean clone of $rev: exit $rc, wall time ${secs} s"
[ "$keep" = 1 ] && echo "fresh-check: the clone and its log stay in $tmp"
exit "$rc"
