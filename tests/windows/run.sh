#!/usr/bin/env bash
# The Windows platform layer under wine: builds tests/windows/os_smoke.c (which
# includes src/lib/os/os_win.c; mingw-w64, warnings are errors) and runs it with wine
# in a fresh folder.  Then, if a kist.exe is given (KIST_EXE, or
# build-windows/kist.exe at the top of the tree), checks that it refuses
# every vault of tests/vectors/valid/windows-* before writing anything.
#
# usage: tests/windows/run.sh [WORKDIR]
#
# Exit 0: passed; 1: a check failed; 77: skipped (no mingw-w64 or no wine),
# with the reason on stderr, so ctest reports it as skipped.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc-posix}
WINE=${WINE:-wine}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "windows: SKIP: $CC not installed (packaging/install-deps.sh --windows)" >&2
	exit 77
fi
if ! command -v "$WINE" >/dev/null 2>&1; then
	echo "windows: SKIP: $WINE not installed (packaging/install-deps.sh --windows)" >&2
	exit 77
fi

work=${1:-}
if [ -z "$work" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
export WINEDEBUG=-all
# wine's own notes (a missing wine32, a first-run prefix) are not ours.
quiet_wine() { "$WINE" "$@" 2> >(grep -v -e wine32 -e multiarch -e 'dpkg --add' -e 'apt-get install' -e '^wine: ' >&2); }

"$CC" -std=c11 -O1 -Wall -Wextra -Werror -I"$ROOT/src/lib" -I"$ROOT/include" \
	"$ROOT/tests/windows/os_smoke.c" -static \
	-o "$work/os_smoke.exe"

rm -rf "$work/smoke"
mkdir "$work/smoke"
(cd "$work" && quiet_wine ./os_smoke.exe smoke) | tee "$work/os_smoke.tap"
if grep -q '^not ok' "$work/os_smoke.tap" || ! grep -q '^1\.\.' "$work/os_smoke.tap"; then
	echo "windows: os_smoke failed" >&2
	exit 1
fi
if [ -n "$(ls -A "$work/smoke")" ]; then
	echo "windows: os_smoke left files behind: $(ls -A "$work/smoke")" >&2
	exit 1
fi

# kist.exe against vaults whose names Windows cannot hold.
exe=${KIST_EXE:-$ROOT/build-windows/kist.exe}
if [ ! -f "$exe" ]; then
	echo "windows: SKIP (part): no kist.exe at $exe: the windows-* vectors were not extracted" >&2
	exit 0
fi
cp "$ROOT/tests/vectors/keys/alice.key" "$work/alice.key"
chmod 600 "$work/alice.key"
fail=0
for v in "$ROOT"/tests/vectors/valid/windows-*.kist; do
	name=$(basename "$v" .kist)
	rm -rf "$work/out"
	mkdir "$work/out"
	set +e
	(cd "$work" && quiet_wine "$exe" extract -i alice.key --ledger ledger.kist-log -C out \
		"$(winepath -w "$v" 2>/dev/null || echo "$v")") >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	set -e
	if [ "$rc" -ne 4 ]; then
		echo "not ok - $name: exit $rc, expected 4 (refused): $(head -c 300 "$work/$name.err")"
		fail=1
	elif [ -n "$(ls -A "$work/out")" ]; then
		echo "not ok - $name: refused but wrote $(ls -A "$work/out")"
		fail=1
	else
		echo "ok - $name refused, nothing written: $(head -n 1 "$work/$name.err")"
	fi
done
exit "$fail"
