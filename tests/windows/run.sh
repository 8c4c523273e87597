#!/usr/bin/env bash
# The Windows platform layer under wine: builds tests/windows/os_smoke.c (which
# includes src/lib/os/os_win.c; mingw-w64, warnings are errors) and runs it with wine
# in a fresh folder.  Then, if a kist.exe is given (KIST_EXE, or
# build-windows/kist.exe at the top of the tree), checks that it refuses
# every vault of tests/vectors/valid/windows-* before writing anything, and
# that the demo's sample sealed by kist.exe lists, verifies and extracts the
# same under wine and with the Linux kist (KIST, or build/src/kist), byte for
# byte, and the reverse.  tests/run-all.sh --windows builds kist.exe first.
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
	echo "windows: no kist.exe at $exe: its checks run with tests/run-all.sh --windows" >&2
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

# The demo's sample, sealed on each side and opened on the other.
lin=${KIST:-$ROOT/build/src/kist}
if [ ! -x "$lin" ]; then
	echo "not ok - no Linux kist at $lin to compare with"
	exit 1
fi
rt=$work/rt
rm -rf "$rt"
mkdir -p "$rt/wout" "$rt/lout" "$rt/wout2"
python3 "$ROOT/demo/make-sample.py" "$rt/sample" >/dev/null
export KIST_LEDGER=$rt/ledger.db
check() { # check DESCRIPTION COMMAND...: ok or not ok
	local what=$1
	shift
	if "$@" >"$rt/last.out" 2>"$rt/last.err"; then
		echo "ok - $what"
	else
		echo "not ok - $what: $(head -c 300 "$rt/last.err")"
		fail=1
	fi
}
cd "$rt"
"$lin" keygen -q --no-passphrase -o lin.key >lin.pub 2>/dev/null
quiet_wine "$exe" keygen -q --no-passphrase -o win.key 2>/dev/null | tr -d '\r' >win.pub
check "kist.exe seals the sample for both" quiet_wine "$exe" seal -q -r "$(cat win.pub)" \
	-r "$(cat lin.pub)" --people sample/people.csv -o w.kist sample
check "kist.exe lists it" sh -c "'$WINE' '$exe' list -i win.key w.kist | tr -d '\r' >wlist.txt"
check "the Linux kist lists it the same" sh -c "'$lin' list -i lin.key w.kist | cmp -s - wlist.txt"
check "kist.exe verifies it" quiet_wine "$exe" verify -q -i win.key w.kist
check "kist.exe extracts it" quiet_wine "$exe" extract -q -i win.key -C wout w.kist
check "the Linux kist extracts it" "$lin" extract -q -i lin.key -C lout w.kist
check "both extracted the sample byte for byte" diff -r wout/sample sample
check "the same files on both sides" diff -r wout/sample lout/sample
check "the Linux kist seals it for kist.exe" "$lin" seal -q -r "$(cat win.pub)" \
	--people sample/people.csv -o l.kist sample
check "kist.exe extracts the Linux vault byte for byte" sh -c \
	"'$WINE' '$exe' extract -q -i win.key -C wout2 l.kist && diff -r wout2/sample sample"
check "kist.exe searches its people" sh -c \
	"'$WINE' '$exe' people -i win.key l.kist --search 'Hana' | grep -q 'Hana'"

# Windows paths: '\' separates names, a drive is never stored, and the
# entries named to extract may use '\' too.
"$lin" seal -q -r "$(cat lin.pub)" -o lp.kist sample/photos
"$lin" list -i lin.key lp.kist >lp.txt
check "kist.exe seals .\\sample\\photos as photos/..." sh -c \
	"'$WINE' '$exe' seal -q -r '$(cat lin.pub)' -o wb.kist '.\\sample\\photos'"
check "  and its list equals the Linux seal of sample/photos" sh -c \
	"'$lin' list -i lin.key wb.kist | cmp -s - lp.txt"
wabs=$(winepath -w "$rt/sample/photos" 2>/dev/null)
check "kist.exe seals $wabs (a drive path) as photos/..." sh -c \
	"'$WINE' '$exe' seal -q -r '$(cat lin.pub)' -o wd.kist '$wabs' && '$lin' list -i lin.key wd.kist | cmp -s - lp.txt"
check "kist.exe seals --base . sample\\photos as sample/photos/..." sh -c \
	"'$WINE' '$exe' seal -q -r '$(cat lin.pub)' --base . -o wbase.kist 'sample\\photos' && '$lin' list -i lin.key wbase.kist | sed 's|^sample/||' | cmp -s - lp.txt"
mkdir -p wsel
check "kist.exe extracts photos\\DSC_1180.jpg, named with '\\'" sh -c \
	"'$WINE' '$exe' extract -q -i win.key -C wsel l.kist 'sample\\photos\\DSC_1180.jpg' && cmp sample/photos/DSC_1180.jpg wsel/sample/photos/DSC_1180.jpg && [ \"\$(find wsel -type f | wc -l)\" = 1 ]"
exit "$fail"
