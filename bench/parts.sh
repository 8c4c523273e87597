#!/usr/bin/env bash
# kist benchmark of part sets: split, verify of a part (keyless check),
# repair and join against vault size, beside coreutils split/cat and par2
# (the usual tool for parity files) in the same run, with peak memory; and
# the parity file of an unsplit vault (kist parity add at 5 %, verify,
# repair of two 4 KiB runs).
#
# usage: bench/parts.sh [--sizes "64 256 1024"] [--parity N] [--no-peers] [--kist PATH]
#
#   --sizes "A B .."  vault sizes in MiB (default "64 256 1024"); each is cut
#                     into 10 parts plus N parity parts (par2: the same
#                     redundancy, N blocks' worth, 2000 blocks); the ratio
#                     column compares each size with the first
#   --parity N        parity parts (default 2)
#   --no-peers        kist only (for a 4 GiB memory check within tmpfs)
#   --kist PATH       the kist binary (default: a release build in build-bench/)
#
# The vault is random bytes (parts do not look inside; it need not be a
# vault).  Repair: one data part deleted and 4 KiB of another overwritten.
# Every operation runs once; wall and CPU time, peak RSS from /usr/bin/time.
# Prints a markdown table on stdout; progress on stderr.  Works in /dev/shm
# and removes everything at exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES="64 256 1024"
PARITY=2
PEERS=1
KIST=""
usage() { sed -n '3,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=${2:?--sizes needs a list}; shift 2 ;;
	--parity) PARITY=${2:?--parity needs a number}; shift 2 ;;
	--no-peers) PEERS=0; shift ;;
	--kist) KIST=${2:?--kist needs a path}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
for n in $SIZES; do
	[[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 8192 ] ||
		{ echo "parts.sh: sizes are MiB from 1 to 8192" >&2; exit 2; }
done
[[ $PARITY =~ ^[1-9][0-9]*$ ]] && [ "$PARITY" -le 50 ] ||
	{ echo "parts.sh: --parity takes 1 to 50" >&2; exit 2; }
log() { printf '[parts %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

missing=""
[ -x /usr/bin/time ] || missing="$missing time"
[ "$PEERS" = 0 ] || command -v par2 >/dev/null 2>&1 || missing="$missing par2"
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		log "installing$missing"
		apt-get install -y -q $missing >/dev/null
	else
		echo "parts.sh: needs$missing (apt-get install$missing)" >&2
		exit 1
	fi
fi
if [ -z "$KIST" ]; then
	log "building a release kist in build-bench/"
	cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DKIST_BUILD_TESTS=OFF >/dev/null
	cmake --build "$ROOT/build-bench" -j2 >/dev/null
	KIST=$ROOT/build-bench/src/kist
fi
KIST=$(realpath "$KIST")

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
W=$(mktemp -d "$base/kist-parts.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
cd "$W"

# timed NAME cmd...: runs cmd once; appends "NAME wall cpu rss_kib" to $W/times.
timed() {
	local name=$1
	shift
	/usr/bin/time -f "$name %e %U %S %M" -a -o "$W/times" "$@" >/dev/null 2>"$W/last.err" ||
		{ echo "parts.sh: $name failed: $(tail -n 3 "$W/last.err")" >&2; exit 1; }
}

for mib in $SIZES; do
	log "$mib MiB"
	rm -rf s c p && mkdir s c p
	head -c $((mib << 20)) /dev/urandom >v.kist
	part=$(((mib << 20) / 10 + 65536))
	timed "kist-split/$mib" "$KIST" split -q --parity "$PARITY" -o s/v.kist v.kist "$part"
	timed "kist-verify/$mib" "$KIST" verify s/v.kist.001
	rm s/v.kist.003
	python3 - s/v.kist.005 <<'PY'
import os, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(1 << 20)
    f.write(os.urandom(4096))
PY
	timed "kist-repair/$mib" "$KIST" repair -q s/v.kist.001
	timed "kist-join/$mib" "$KIST" join -q -o joined.kist s/v.kist.001
	cmp -s v.kist joined.kist || { echo "parts.sh: the repaired set does not join to the vault" >&2; exit 1; }
	rm -f joined.kist
	# The parity file of the unsplit vault: add, check, repair two 4 KiB runs.
	cp v.kist pv.kist
	timed "kist-parity-add/$mib" "$KIST" parity add -q pv.kist
	python3 - pv.kist $(((mib << 20) / 3)) $(((mib << 20) * 2 / 3)) <<'PY'
import os, sys
with open(sys.argv[1], 'r+b') as f:
    for at in sys.argv[2:]:
        f.seek(int(at)); f.write(os.urandom(4096))
PY
	# exit 4 (damage found) is the success here
	timed "kist-parity-verify/$mib" bash -c '"$0" verify -q "$1"; [ $? = 4 ]' "$KIST" pv.kist
	timed "kist-parity-repair/$mib" "$KIST" repair -q pv.kist
	cmp -s v.kist pv.kist || { echo "parts.sh: the parity file did not repair the vault" >&2; exit 1; }
	rm -f pv.kist pv.kist.parity
	[ "$PEERS" = 1 ] || continue
	timed "coreutils-split/$mib" split -b "$part" -a 3 -d v.kist c/v.kist.
	timed "coreutils-cat/$mib" bash -c 'cat "$0"/v.kist.* >catted.kist' c
	rm -rf c catted.kist
	# par2: the same redundancy as PARITY of 10 parts, in 200 blocks
	cp v.kist p/v.kist
	timed "par2-create/$mib" par2 create -q -q -b200 -r$((PARITY * 10)) -n"$PARITY" p/v.par2 p/v.kist
	python3 - p/v.kist $(((mib << 20) * 3 / 10)) $(((mib << 20) / 10)) <<'PY'
import os, sys
with open(sys.argv[1], 'r+b') as f:   # a tenth of the file lost, 4 KiB damaged elsewhere
    f.seek(int(sys.argv[2])); f.write(bytes(int(sys.argv[3])))
    f.seek(int(sys.argv[2]) * 2); f.write(os.urandom(4096))
PY
	timed "par2-repair/$mib" par2 repair -q -q p/v.par2
	cmp -s v.kist p/v.kist || { echo "parts.sh: par2 did not repair the vault" >&2; exit 1; }
done

first=${SIZES%% *}
echo "## Part sets: split into 10 parts + $PARITY parity, repair, join; parity file at 5 % (MiB; one run each)"
echo
echo "Wall and CPU seconds, peak RSS; ratio: CPU time against the $first MiB row."
echo
echo "| operation | MiB | wall s | CPU s | peak RSS MiB | CPU ratio |"
echo "|---|---:|---:|---:|---:|---:|"
awk -v first="$first" '
{ split($1, a, "/"); op = a[1]; mib = a[2]; cpu = $3 + $4
  if (mib == first) base[op] = cpu
  r = (base[op] > 0) ? sprintf("%.2f", cpu / base[op]) : "-"
  printf "| %s | %s | %.2f | %.2f | %.1f | %s |\n", op, mib, $2, cpu, $5 / 1024, r }' "$W/times" |
	sort -t'|' -k2,2 -k3,3n
