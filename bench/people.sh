#!/usr/bin/env bash
# kist benchmark of the people register: how `kist people --search` grows
# with the number of people in one vault.
#
# usage: bench/people.sh [--sizes "N1 N2 N3"] [--runs R] [--kist PATH]
#
#   --sizes "N1 N2 N3"  people counts (default "2000 20000 100000"); the ratio
#                       columns compare each size with the first
#   --runs R            timings of each command per size (default 2)
#   --kist PATH         the kist binary (default: a release build in build-bench/)
#
# Each vault holds 101 entries (a folder of 100 files) and a register of N
# invented people (name, born, location, notes), each linked to one file.
# The search is two words that one person matches ("sample" and that
# person's number); `kist list` on the same vault is timed beside it: the
# opening (people rows checked) and the ledger entry without the search.
# Each command runs R times, wall and CPU time (user + system) each; for
# 10x the people, growth of N log N gives at most 10 x log(10N)/log(N), a
# quadratic step 100.  Prints a markdown table on stdout; progress on
# stderr.  Works in /dev/shm and removes everything at exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES="2000 20000 100000"
RUNS=2
KIST=""
usage() { sed -n '3,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=${2:?--sizes needs a list}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--kist) KIST=${2:?--kist needs a path}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
for n in $SIZES; do
	[[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 1000000 ] ||
		{ echo "people.sh: sizes are counts from 1 to 1000000" >&2; exit 2; }
done
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "people.sh: --runs is 1 to 99" >&2; exit 2; }
log() { printf '[people %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ -z "$KIST" ]; then
	log "building a release kist in build-bench/"
	cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DKIST_BUILD_TESTS=OFF >/dev/null
	cmake --build "$ROOT/build-bench" -j2 >/dev/null
	KIST=$ROOT/build-bench/src/kist
fi
KIST=$(realpath "$KIST")

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
W=$(mktemp -d "$base/kist-people.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
cd "$W"
export KIST_LEDGER=$W/ledger.db
"$KIST" keygen -q --no-passphrase -o id.key >id.pub 2>/dev/null
PUB=$(cat id.pub)
mkdir e
for i in $(seq -w 0 99); do echo "file $i" >"e/f$i.txt"; done

# make_register N OUT: N invented people, person i linked to file i mod 100.
make_register() {
	python3 - "$1" "$2" <<'PY'
import csv, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
random.seed(7)
given = ["Amira", "Bahar", "Chen", "Dara", "Elif", "Farid", "Goli", "Hana", "Idris", "Jana"]
family = ["Abbasi", "Borova", "Castell", "Demir", "Esfahani", "Fournier", "Gashi", "Haidari"]
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["name", "born", "location", "notes", "media"])
    for i in range(n):
        w.writerow(["%s %s %07d" % (random.choice(given), random.choice(family), i),
                    1940 + i % 70, "Place %d" % (i % 97), "sample statement %d" % (i % 13),
                    "e/f%02d.txt" % (i % 100)])
PY
}

# timed CMD...: runs CMD (output discarded) and prints "WALL CPU" in seconds.
timed() {
	local s e
	s=$EPOCHREALTIME
	/usr/bin/time -f '%U %S' -o "$W/cpu" "$@" >"$W/out" 2>"$W/err" ||
		{ cat "$W/err" >&2; echo "people.sh: FAILED: $*" >&2; exit 1; }
	e=$EPOCHREALTIME
	awk -v s="$s" -v e="$e" '{ printf "%.3f %.3f", e - s, $1 + $2 }' "$W/cpu"
}

declare -A T
first=""
for n in $SIZES; do
	log "$n people: sealing"
	make_register "$n" reg.csv
	"$KIST" seal -q -r "$PUB" --people reg.csv -o v.kist e
	want=$((n / 2))
	q=$(printf 'sample %07d' "$want")
	for r in $(seq "$RUNS"); do
		T[search,$n,$r]=$(timed "$KIST" people -i id.key v.kist --search "$q")
		grep -q "$(printf '%07d' "$want")" "$W/out" ||
			{ echo "people.sh: FAILED: search '$q' did not find person $want" >&2; exit 1; }
		T[list,$n,$r]=$(timed "$KIST" list -i id.key v.kist)
	done
	rm -f v.kist
	[ -n "$first" ] || first=$n
done

printf '| command | run |'
for n in $SIZES; do printf ' %s wall s | %s CPU s |' "$n" "$n"; done
for n in $SIZES; do [ "$n" = "$first" ] || printf ' %s/%s wall | %s/%s CPU |' "$n" "$first" "$n" "$first"; done
printf '\n|---|---|'
for n in $SIZES; do printf -- '---|---|'; done
for n in $SIZES; do [ "$n" = "$first" ] || printf -- '---|---|'; done
printf '\n'
for op in search list; do
	for r in $(seq "$RUNS"); do
		case $op in
		search) printf '| people --search |' ;;
		list) printf '| list (open, no search) |' ;;
		esac
		printf ' %s |' "$r"
		for n in $SIZES; do
			read -r w c <<<"${T[$op,$n,$r]}"
			printf ' %s | %s |' "$w" "$c"
		done
		read -r w0 c0 <<<"${T[$op,$first,$r]}"
		for n in $SIZES; do
			[ "$n" = "$first" ] && continue
			read -r w c <<<"${T[$op,$n,$r]}"
			awk -v a="$w0" -v b="$w" -v c="$c0" -v d="$c" \
				'BEGIN { printf " %.2f | %.2f |", (a > 0 ? b / a : 0), (c > 0 ? d / c : 0) }'
		done
		printf '\n'
	done
done
printf '\nkist %s on %s, %s cores, load %s\n' "$("$KIST" --version 2>&1 | head -1)" \
	"$(uname -sr)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
