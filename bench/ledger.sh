#!/usr/bin/env bash
# kist custody ledger at scale: builds a ledger of N entries (default
# 100,000) on tmpfs with bench/ledger_gen.c (the library's own append), a
# copy with C stored checkpoints (default 1,000), then times each ledger
# operation once and reports wall time, CPU time and peak memory (RSS), and
# the one-core speed of Ed25519 verification that bounds the audit.
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
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "building $N entries and a copy with $C checkpoints on tmpfs..." >&2
"$W/gen" "$W/l.db" "$N"
cp "$W/l.db" "$W/cp.db"
"$W/gen" "$W/cp.db" 0 "$C"

row() { # NAME CMD...
	local name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$W/t" "$@" >"$W/out" 2>"$W/err" || true
	read -r wall user sys rss <"$W/t"
	printf '| %s | %s | %.2f | %d |\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
}
echo "| operation ($N entries) | wall s | CPU s | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: |"
row "audit verify" "$KIST" audit verify "$W/l.db"
row "audit verify, $C stored checkpoints" "$KIST" audit verify "$W/cp.db"
row "audit verify --json" "$KIST" audit verify --json "$W/l.db"
# A trustee's incremental audit: the whole ledger cosigned once (witness
# cosign audits it in full), then $M entries appended; audit verify --state
# skips the signatures of the entries the cosigned checkpoint covers.
M=1000
cp "$W/l.db" "$W/inc.db"
"$KIST" keygen --no-passphrase -o "$W/w.key" >/dev/null 2>&1
"$KIST" log checkpoint -s "$W/t.key" --ledger "$W/inc.db" >"$W/inc.note"
"$KIST" witness cosign -q -i "$W/w.key" --state "$W/ws" -o "$W/inc.cosigned" "$W/inc.note" "$W/inc.db"
"$W/gen" "$W/inc.db" "$M"
row "audit verify --state, $N audited before, $M new" "$KIST" audit verify --state "$W/ws" "$W/inc.db"
grep -q "signatures not re-checked" "$W/out" || echo "ledger.sh: the audit with --state re-checked every signature" >&2
row "log list --json" "$KIST" log list --json --ledger "$W/l.db"
row "log list" "$KIST" log list --ledger "$W/l.db"
cp "$W/l.db" "$W/c2.db"
row "log checkpoint" "$KIST" log checkpoint -s "$W/t.key" --ledger "$W/c2.db"
echo "Ed25519 verification, one core, libsodium: $("$W/gen" --verify-rate) us each"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
