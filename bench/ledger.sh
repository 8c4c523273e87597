#!/usr/bin/env bash
# kist custody ledger at scale: builds a ledger of N entries (default
# 100,000) on tmpfs with bench/ledger_gen.c (the library's own append), a
# copy with C stored checkpoints (default 1,000), then times each ledger
# operation once and reports wall time, CPU time and peak memory (RSS).
#
# usage: bench/ledger.sh [N] [C]      (needs a build in build-bench or build)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-100000}
C=${2:-1000}
BUILD=$ROOT/build-bench
[ -x "$BUILD/src/kist" ] || BUILD=$ROOT/build
KIST=$BUILD/src/kist
[ -x "$KIST" ] || { echo "ledger.sh: build kist first (cmake --build build)" >&2; exit 2; }
W=$(mktemp -d /dev/shm/kist-ledger-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM

# shellcheck disable=SC2046 # pkg-config prints several words
cc -O2 -I"$ROOT/include" -I"$ROOT/src/lib" -I"$BUILD/src" -o "$W/gen" "$ROOT/bench/ledger_gen.c" \
	"$BUILD/src/libkist.a" $(pkg-config --libs libsodium libzstd sqlite3 jansson libcrypto) -lpthread
"$KIST" keygen --no-passphrase -o "$W/t.key" >/dev/null 2>&1
echo "building $N entries and a copy with $C checkpoints on tmpfs..." >&2
"$W/gen" "$W/l.db" "$N"
cp "$W/l.db" "$W/cp.db"
"$W/gen" "$W/cp.db" 0 "$C"

row() { # NAME CMD...
	local name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$W/t" "$@" >/dev/null 2>"$W/err" || true
	read -r wall user sys rss <"$W/t"
	printf '| %s | %s | %.2f | %d |\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
}
echo "| operation ($N entries) | wall s | CPU s | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: |"
row "audit verify" "$KIST" audit verify "$W/l.db"
row "audit verify, $C stored checkpoints" "$KIST" audit verify "$W/cp.db"
row "audit verify --json" "$KIST" audit verify --json "$W/l.db"
row "log list --json" "$KIST" log list --json --ledger "$W/l.db"
row "log list" "$KIST" log list --ledger "$W/l.db"
cp "$W/l.db" "$W/c2.db"
row "log checkpoint" "$KIST" log checkpoint -s "$W/t.key" --ledger "$W/c2.db"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
