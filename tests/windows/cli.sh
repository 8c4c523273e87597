#!/usr/bin/env bash
# The CLI test suite (tests/cli/*.sh) against kist.exe under wine.
#
# usage: tests/windows/cli.sh [NAME...]     (default: every tests/cli/NAME.sh)
#
# Each test script runs as on Linux, with KIST_BIN a wrapper that runs
# kist.exe (KIST_EXE, or build-windows/kist.exe) with wine, two at a time,
# and KIST_TEST_WINDOWS=1: the scripts then make no file whose name Windows
# cannot hold, or have the Linux kist (KIST, or build/src/kist) seal it.
# A check may fail there for a reason of Windows or of wine, never of kist:
# each such failure is listed in tests/windows/cli-differences.txt, with the
# reason.  This script fails on a failure the list does not name, on a line
# of the list that no failure matched (the list must stay exact), and on a
# script that crashed or timed out.  Scripts that cannot run here at all
# are named below with the reason, and not run.
#
# Exit 0: passed; 1: failed; 77: skipped (no wine or no kist.exe), with the
# reason on stderr.
set -uo pipefail

# The whole script is one block, read before it runs: an edit to this file
# during a run does not change the run.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WINE=${WINE:-wine}
exe=${KIST_EXE:-$ROOT/build-windows/kist.exe}
LIST=$ROOT/tests/windows/cli-differences.txt

if ! command -v "$WINE" >/dev/null 2>&1; then
	echo "windows-cli: SKIP: $WINE not installed (packaging/install-deps.sh)" >&2
	exit 77
fi
if [ ! -f "$exe" ]; then
	echo "windows-cli: SKIP: no kist.exe at $exe (packaging/build-windows.sh, or tests/run-all.sh --windows)" >&2
	exit 77
fi
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")
WINE=$(command -v "$WINE") # the wrapper runs where a test empties PATH
# The Linux kist, which seals what kist.exe cannot (names Windows cannot hold).
export KIST_LINUX_BIN=${KIST:-$ROOT/build/src/kist}
if [ ! -x "$KIST_LINUX_BIN" ]; then
	echo "windows-cli: SKIP: no Linux kist at $KIST_LINUX_BIN (build it, or set KIST)" >&2
	exit 77
fi

# Not run, and why.
declare -A NOT_RUN=(
	[install]="installs the Linux package"
	[signals]="sends POSIX signals, which reach a Windows program under wine as a kill (Ctrl-C is the console's)"
	[tempfiles]="traces the files the process opens with strace, which sees wine's"
	[reads]="counts the process's reads in /proc, which counts wine's"
	[qr]="kist.exe is built without libqrencode"
	[progress]="reads a progress line from a pty, which wine's console redraws with its own escapes"
)

work=$(mktemp -d "${TMPDIR:-/tmp}/kist-wincli.XXXXXX")
trap 'rm -rf "$work"' EXIT
# One wine prefix for every script, whatever HOME a script sets (wine would
# make a new one in each HOME, and the tests look there for traces of kist).
export WINEPREFIX=${WINEPREFIX:-$HOME/.wine}
export WINEDEBUG=-all
# The tests make no file whose name Windows cannot hold (tests/cli/lib.sh).
export KIST_TEST_WINDOWS=1
cat >"$work/kist" <<EOF
#!/bin/sh
WINEPREFIX='$WINEPREFIX' WINEDEBUG=-all WINEDLLOVERRIDES=winemenubuilder.exe=d exec '$WINE' '$exe' "\$@"
EOF
chmod 755 "$work/kist"
wineserver -p 2>/dev/null || true

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for s in "$ROOT"/tests/cli/*.sh; do
		n=$(basename "$s" .sh)
		[ "$n" = lib ] || names+=("$n")
	done
fi

run1() { # run1 NAME: runs one script, its log in $work/NAME.log, status in NAME.rc
	local n=$1
	KIST_BIN=$work/kist CMD_TIMEOUT=120 timeout -k 10 1500 \
		bash "$ROOT/tests/cli/$n.sh" >"$work/$n.log" 2>&1 </dev/null
	echo $? >"$work/$n.rc"
}
export -f run1
export ROOT work
torun=()
for n in "${names[@]}"; do
	if [ -n "${NOT_RUN[$n]:-}" ]; then
		echo "not run - $n: ${NOT_RUN[$n]}"
	elif [ ! -f "$ROOT/tests/cli/$n.sh" ]; then
		echo "windows-cli: no test tests/cli/$n.sh" >&2
		exit 2
	else
		torun+=("$n")
	fi
done
printf '%s\n' "${torun[@]}" | xargs -P 2 -I{} bash -c 'run1 {}'

# The list: TEST <tab> ERE matching a FAIL line <tab> why.
fail=0
used=$work/used
: >"$used"
total_checks=0
total_diff=0
for n in "${torun[@]}"; do
	rc=$(cat "$work/$n.rc")
	log=$work/$n.log
	if [ "$rc" = 77 ]; then
		echo "skipped - $n: $(grep -m1 'SKIP' "$log")"
		continue
	fi
	if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		echo "not ok - $n: exit $rc (crashed or timed out); its log:"
		tail -n 20 "$log" | sed 's/^/    /'
		fail=1
		continue
	fi
	unexpected=0
	ndiff=0
	while IFS= read -r line; do
		hit=0
		while IFS=$'\t' read -r t re why; do
			case $t in '' | '#'*) continue ;; esac
			[ "$t" = "$n" ] || continue
			if printf '%s\n' "$line" | grep -Eq -- "$re"; then
				hit=1
				printf '%s\t%s\n' "$t" "$re" >>"$used"
				break
			fi
		done <"$LIST"
		if [ "$hit" = 1 ]; then
			ndiff=$((ndiff + 1))
		else
			echo "not ok - $line"
			unexpected=1
		fi
	done < <(grep -E "^$n: FAIL" "$log")
	checks=$(grep -oE "all [0-9]+ checks passed|[0-9]+ of [0-9]+ checks FAILED" "$log" |
		grep -oE '[0-9]+ checks|of [0-9]+' | grep -oE '[0-9]+' | tail -n 1)
	total_checks=$((total_checks + ${checks:-0}))
	total_diff=$((total_diff + ndiff))
	if [ "$unexpected" = 1 ]; then
		fail=1
	else
		echo "ok - $n: ${checks:-?} checks, $ndiff of them listed as differing on Windows"
	fi
done

# Every line of the list for a script that ran must have matched.
while IFS=$'\t' read -r t re why; do
	case $t in '' | '#'*) continue ;; esac
	case " ${torun[*]} " in *" $t "*) ;; *) continue ;; esac
	[ "$(cat "$work/$t.rc")" = 77 ] && continue
	if ! grep -qxF "$(printf '%s\t%s' "$t" "$re")" "$used"; then
		echo "not ok - $t: the difference /$re/ ($why) no longer happens: take it off the list"
		fail=1
	fi
done <"$LIST"

echo "windows-cli: ${#torun[@]} scripts, $total_checks checks; $total_diff differ on Windows or wine, each for a reason in tests/windows/cli-differences.txt"
[ -z "${KEEP:-}" ] || cp "$work"/*.log "$KEEP"/
if [ "$fail" = 1 ]; then
	echo "windows-cli: FAILED (KEEP=DIR keeps the scripts' logs in DIR)" >&2
	exit 1
fi
exit 0
}
