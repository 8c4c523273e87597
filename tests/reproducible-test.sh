#!/usr/bin/env bash
# The "reproducible" stage of tests/run-all.sh: exports the last commit twice
# into two different folders (different paths, different build folders),
# builds the static binary in each with packaging/build-static.sh, and
# fails unless both have the same SHA-256.  Then checks that the binary is
# static and round-trips a folder through seal and extract, and that
# pubkey --qr says it is not available.
#
# It builds HEAD, not uncommitted changes: reproducibility is a property of
# a commit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct)
W=$(mktemp -d "${TMPDIR:-/tmp}/kist-repro.XXXXXX")
trap 'chmod -R u+rwX "$W" 2>/dev/null; rm -rf "$W"' EXIT

fail=0
check() { # check WHAT cmd...
	local what=$1
	shift
	if "$@"; then echo "reproducible: ok: $what"; else
		echo "reproducible: FAILED: $what" >&2
		fail=1
	fi
}

mkdir -p "$W/a/src" "$W/second/place/kist-src"
git -C "$ROOT" archive HEAD | tar -x -C "$W/a/src"
git -C "$ROOT" archive HEAD | tar -x -C "$W/second/place/kist-src"
echo "reproducible: building $(git -C "$ROOT" rev-parse --short HEAD) twice (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
# The second build also under another umask and locale: the script fixes both.
(cd "$W/a/src" && packaging/build-static.sh "$W/out-a" >/dev/null)
(cd "$W" && umask 077 && LANG=de_DE.UTF-8 TZ=Asia/Tokyo \
	second/place/kist-src/packaging/build-static.sh "$W/out-b-elsewhere" >/dev/null)
A=$(cut -d' ' -f1 "$W/out-a/kist.sha256")
B=$(cut -d' ' -f1 "$W/out-b-elsewhere/kist.sha256")
echo "reproducible: build 1: $A"
echo "reproducible: build 2: $B"
check "two builds in different folders are byte-identical" test "$A" = "$B"
if [ "$A" != "$B" ]; then
	cmp "$W/out-a/kist" "$W/out-b-elsewhere/kist" | head -n 3 >&2 || true
fi
K=$W/out-a/kist
check "the binary is static (no interpreter, no shared libraries)" \
	sh -c "! readelf -l '$K' | grep -q 'INTERP' && ! readelf -d '$K' 2>/dev/null | grep -q NEEDED"
check "no path of the build machine in the binary" sh -c "! grep -a -q -e '$W' '$K'"

cd "$W"
mkdir -p in/sub out
head -c 2500000 /dev/urandom >in/data.bin
printf 'synthetic statement\n' >in/sub/note.txt
PK=$(env -i "$K" keygen -q --no-passphrase -o r.key 2>/dev/null)
check "keygen with the static binary (empty environment)" test -n "$PK"
check "seal with the static binary" env -i "$K" seal -q -r "$PK" -o v.kist in
check "verify with the static binary" sh -c "env -i KIST_LEDGER=ledger.db '$K' verify -q -i r.key v.kist >/dev/null"
check "extract with the static binary" env -i KIST_LEDGER=ledger.db "$K" extract -q -i r.key -C out v.kist
check "round trip: the extracted tree equals the input" diff -r in out/in
rc=0
env -i "$K" pubkey --qr r.key >/dev/null 2>qr.err || rc=$?
check "pubkey --qr: exit 1 and a clear message in the static build" \
	sh -c "[ $rc -eq 1 ] && grep -q 'without QR code support' qr.err"

[ "$fail" -eq 0 ] || exit 1
echo "reproducible: all checks passed"
