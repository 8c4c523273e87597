#!/usr/bin/env bash
# shellcheck disable=SC2016 # pipelines are bash -c 'SCRIPT' _ ARGS, quoted on purpose
# kist benchmark of many small files, beside tar and zstd, in the same run.
#
# usage: bench/small.sh [--sizes "N1 N2 .."] [--kist PATH]
#
#   --sizes L   file counts (default "10000 100000 400000"); growth ratios
#               compare each size with the one before it
#   --kist P    the kist binary (default: a release build in build-bench/)
#
# Each tree holds N files of 12 to 15 bytes in 1,000 folders.  Timed once
# each, wall and CPU time (user + system, /usr/bin/time): `tar cf - | zstd
# -3 -T0` against `kist seal`, `zstd -d | tar xf -` against `kist extract`
# (every byte of the extraction compared), `kist list` and `kist verify`.
# Prints a markdown table with kist/peer ratios and the growth from one size
# to the next.  Works on /dev/shm (else $TMPDIR) and removes everything at
# exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES="10000 100000 400000"
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
	[[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -ge 1000 ] && [ "$n" -le 1000000 ] ||
		{ echo "small.sh: sizes are counts from 1000 to 1000000" >&2; exit 2; }
done
for t in tar zstd /usr/bin/time python3; do
	command -v "$t" >/dev/null || { echo "small.sh: needs $t" >&2; exit 2; }
done
log() { printf '[small %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ -z "$KIST" ]; then
	log "building a release kist in build-bench/"
	cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DKIST_BUILD_TESTS=OFF >/dev/null
	cmake --build "$ROOT/build-bench" -j2 >/dev/null
	KIST=$ROOT/build-bench/src/kist
fi
KIST=$(realpath "$KIST")

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
W=$(mktemp -d "$base/kist-small.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
cd "$W"
export KIST_LEDGER=$W/ledger.db
"$KIST" keygen -q --no-passphrase -o id.key >id.pub 2>/dev/null
PUB=$(cat id.pub)

# make_tree N DIR: N files of 12 to 15 bytes in 1,000 folders.
make_tree() {
	python3 - "$1" "$2" <<'EOF'
import os, sys
n, top = int(sys.argv[1]), sys.argv[2]
os.mkdir(top)
for d in range(1000):
    os.mkdir("%s/d%03d" % (top, d))
for i in range(n):
    with open("%s/d%03d/f%06d.txt" % (top, i % 1000, i), "w") as f:
        f.write("note %07d\n" % i)
EOF
}

# timed CMD...: runs CMD (stdout discarded) and prints "WALL CPU" in seconds.
timed() {
	local s e
	s=$EPOCHREALTIME
	/usr/bin/time -f '%U %S' -o "$W/cpu" "$@" >/dev/null 2>"$W/err" ||
		{ cat "$W/err" >&2; echo "small.sh: FAILED: $*" >&2; exit 1; }
	e=$EPOCHREALTIME
	awk -v s="$s" -v e="$e" '{ printf "%.3f %.3f", e - s, $1 + $2 }' "$W/cpu"
}

OPS="tar-seal kist-seal tar-extract kist-extract kist-list kist-verify"
declare -A T
for n in $SIZES; do
	log "$n files: making the tree"
	rm -rf e out-t out-k x.tar.zst v.kist && make_tree "$n" e
	sync
	log "$n files: timing"
	T[tar-seal,$n]=$(timed bash -c 'tar cf - e | zstd -q -3 -T0 >x.tar.zst')
	T[kist-seal,$n]=$(timed "$KIST" seal -q -r "$PUB" -o v.kist e)
	mkdir out-t out-k
	T[tar-extract,$n]=$(timed bash -c 'zstd -q -d <x.tar.zst | tar xf - -C out-t')
	T[kist-extract,$n]=$(timed "$KIST" extract -q -i id.key -C out-k v.kist)
	T[kist-list,$n]=$(timed "$KIST" list -i id.key v.kist)
	T[kist-verify,$n]=$(timed "$KIST" verify -q -i id.key v.kist)
	diff -r e out-k/e >/dev/null || { echo "small.sh: FAILED: kist extract differs at $n" >&2; exit 1; }
	diff -r e out-t/e >/dev/null || { echo "small.sh: FAILED: tar extract differs at $n" >&2; exit 1; }
	log "$n files: vault $(stat -c %s v.kist) bytes, tar.zst $(stat -c %s x.tar.zst) bytes"
	rm -rf out-t out-k
done

printf '| operation |'
for n in $SIZES; do printf ' %s wall s | %s CPU s |' "$n" "$n"; done
prev=""
for n in $SIZES; do [ -n "$prev" ] && printf ' %s/%s wall | %s/%s CPU |' "$n" "$prev" "$n" "$prev"; prev=$n; done
printf '\n|---|'
prev=""
for n in $SIZES; do printf -- '---|---|'; [ -n "$prev" ] && printf -- '---|---|'; prev=$n; done
printf '\n'
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }'; }
for op in $OPS; do
	printf '| %s |' "$op"
	for n in $SIZES; do
		read -r w c <<<"${T[$op,$n]}"
		printf ' %s | %s |' "$w" "$c"
	done
	prev=""
	for n in $SIZES; do
		if [ -n "$prev" ]; then
			read -r w0 c0 <<<"${T[$op,$prev]}"
			read -r w c <<<"${T[$op,$n]}"
			printf ' %s | %s |' "$(ratio "$w0" "$w")" "$(ratio "$c0" "$c")"
		fi
		prev=$n
	done
	printf '\n'
done
printf '\n| kist / peer |'
for n in $SIZES; do printf ' %s wall | %s CPU |' "$n" "$n"; done
printf '\n|---|'
for n in $SIZES; do printf -- '---|---|'; done
printf '\n'
for pair in "seal tar-seal kist-seal" "extract tar-extract kist-extract"; do
	read -r name p k <<<"$pair"
	printf '| %s |' "$name"
	for n in $SIZES; do
		read -r pw pc <<<"${T[$p,$n]}"
		read -r kw kc <<<"${T[$k,$n]}"
		printf ' %s | %s |' "$(ratio "$pw" "$kw")" "$(ratio "$pc" "$kc")"
	done
	printf '\n'
done
printf '\nkist %s on %s, %s cores, load %s\n' "$("$KIST" --version 2>&1 | head -1)" \
	"$(uname -sr)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
