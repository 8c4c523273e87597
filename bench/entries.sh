#!/usr/bin/env bash
# kist benchmark of the number of entries: how list, extract, verify,
# manifest and people grow with the entries of one vault.
#
# usage: bench/entries.sh [--sizes "N1 N2"] [--kist PATH]
#
#   --sizes "N1 N2"  entry counts (default "100000 400000"); the ratio column
#                    compares each size with the first
#   --kist PATH      the kist binary (default: a release build in build-bench/)
#
# Each vault holds N entries: folders e/gGGGG/ of 1000 entries each, nine
# empty folders to one empty file, and a people register of N/10 people,
# person i linked to the i-th file.  Each operation is timed once, wall time
# and CPU time (user + system), with a ledger on the same tmpfs.  For growth
# of N log N, the 400k/100k ratio is 4 x log(400k)/log(100k) = 4.48 at most
# (4.0 for linear work); a quadratic step gives about 16.  Prints a markdown
# table on stdout; progress on stderr.  Works in /dev/shm and removes
# everything at exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES="100000 400000"
KIST=""
usage() { sed -n '3,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=${2:?--sizes needs a list}; shift 2 ;;
	--kist) KIST=${2:?--kist needs a path}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
for n in $SIZES; do
	[[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 1000000 ] ||
		{ echo "entries.sh: sizes are counts from 1 to 1000000" >&2; exit 2; }
done
log() { printf '[entries %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ -z "$KIST" ]; then
	log "building a release kist in build-bench/"
	cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DKIST_BUILD_TESTS=OFF >/dev/null
	cmake --build "$ROOT/build-bench" -j2 >/dev/null
	KIST=$ROOT/build-bench/src/kist
fi
KIST=$(realpath "$KIST")

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
W=$(mktemp -d "$base/kist-entries.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
cd "$W"
export KIST_LEDGER=$W/ledger.db
"$KIST" keygen -q --no-passphrase -o id.key >id.pub 2>/dev/null
PUB=$(cat id.pub)

# make_tree N DIR REGISTER: N entries below DIR (DIR itself counted), and a register.
make_tree() {
	python3 - "$1" "$2" "$3" <<'EOF'
import csv, os, sys
n, top, reg = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.mkdir(top)
made, g, files = 1, 0, []
while made < n:
    gd = "%s/g%04d" % (top, g)
    os.mkdir(gd)
    made += 1
    i = 0
    while i < 999 and made < n:
        if i % 10 == 9:
            p = "%s/f%03d" % (gd, i)
            open(p, "w").close()
            files.append(p)
        else:
            os.mkdir("%s/d%03d" % (gd, i))
        made += 1
        i += 1
    g += 1
with open(reg, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["name", "born", "location", "media"])
    for i in range(n // 10):
        w.writerow(["Person %07d" % i, 1950 + i % 60, "Place %d" % (i % 97), files[i % len(files)]])
EOF
}

# timed CMD...: runs CMD (output discarded) and prints "WALL CPU" in seconds
# (CPU: user + system, from /usr/bin/time; steadier than wall time on a
# loaded machine).
timed() {
	local s e
	s=$EPOCHREALTIME
	/usr/bin/time -f '%U %S' -o "$W/cpu" "$@" >/dev/null 2>"$W/err" ||
		{ cat "$W/err" >&2; echo "entries.sh: FAILED: $*" >&2; exit 1; }
	e=$EPOCHREALTIME
	awk -v s="$s" -v e="$e" '{ printf "%.3f %.3f", e - s, $1 + $2 }' "$W/cpu"
}

OPS="seal list extract verify manifest people"
declare -A T
first=""
for n in $SIZES; do
	log "$n entries: making the tree"
	rm -rf e out && make_tree "$n" e reg.csv
	log "$n entries: timing"
	T[seal,$n]=$(timed "$KIST" seal -q -r "$PUB" --people reg.csv -o v.kist e)
	T[list,$n]=$(timed "$KIST" list -i id.key v.kist)
	mkdir out
	T[extract,$n]=$(timed "$KIST" extract -q -i id.key -C out v.kist)
	T[verify,$n]=$(timed "$KIST" verify -q -i id.key v.kist)
	T[manifest,$n]=$(timed "$KIST" manifest -i id.key v.kist)
	T[people,$n]=$(timed "$KIST" people -i id.key v.kist)
	got=$(find out -mindepth 1 | wc -l)
	[ "$got" -eq "$n" ] || { echo "entries.sh: FAILED: extracted $got of $n entries" >&2; exit 1; }
	rm -rf out v.kist
	[ -n "$first" ] || first=$n
done

# One row per operation: wall and CPU seconds per size, then the ratios to the first size.
printf '| operation |'
for n in $SIZES; do printf ' %s wall s | %s CPU s |' "$n" "$n"; done
for n in $SIZES; do [ "$n" = "$first" ] || printf ' %s/%s wall | %s/%s CPU |' "$n" "$first" "$n" "$first"; done
printf '\n|---|'
for n in $SIZES; do printf -- '---|---|'; done
for n in $SIZES; do [ "$n" = "$first" ] || printf -- '---|---|'; done
printf '\n'
for op in $OPS; do
	printf '| %s |' "$op"
	for n in $SIZES; do
		read -r w c <<<"${T[$op,$n]}"
		printf ' %s | %s |' "$w" "$c"
	done
	read -r w0 c0 <<<"${T[$op,$first]}"
	for n in $SIZES; do
		[ "$n" = "$first" ] && continue
		read -r w c <<<"${T[$op,$n]}"
		awk -v a="$w0" -v b="$w" -v c="$c0" -v d="$c" \
			'BEGIN { printf " %.2f | %.2f |", (a > 0 ? b / a : 0), (c > 0 ? d / c : 0) }'
	done
	printf '\n'
done
printf '\nkist %s on %s, %s cores, load %s\n' "$("$KIST" --version 2>&1 | head -1)" \
	"$(uname -sr)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
