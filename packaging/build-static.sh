#!/usr/bin/env bash
# Builds a fully static kist binary (glibc, libsodium, zstd, SQLite, libcrypto,
# jansson and ICU linked in from Debian's .a files), reproducibly: the same
# source, built on the same Debian 12 toolchain, gives the same bytes
# whatever the folder, the user, the time or the locale.
#
# usage: packaging/build-static.sh [OUTDIR]      (default: build-static/)
#
# Writes OUTDIR/kist and OUTDIR/kist.sha256, and prints the SHA-256.
# To check a binary someone gave you: build the same commit twice (or on
# another machine) and compare `sha256sum kist` (README, "Static binary").
#
# What makes it reproducible:
#   - SOURCE_DATE_EPOCH: the time of the last commit (or as given); nothing
#     else of the clock gets in (no __DATE__/__TIME__ in the sources);
#   - -ffile-prefix-map for the source and build folders: no path of this
#     machine in the binary;
#   - -Wl,--build-id=none, stripped (-s): no hash of paths or debug info;
#   - a fixed locale and time zone (LC_ALL=C, TZ=UTC), umask 022;
#   - the sources are listed explicitly in src/CMakeLists.txt (no globbing),
#     so the link order is fixed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/build-static}
JOBS=${JOBS:-2}
export LC_ALL=C TZ=UTC
umask 022

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || true)
	if [ -z "$SOURCE_DATE_EPOCH" ]; then
		echo "build-static: not a git checkout: set SOURCE_DATE_EPOCH" >&2
		exit 2
	fi
fi
export SOURCE_DATE_EPOCH

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
B=$OUT/.build
rm -rf "$B"
FLAGS="-ffile-prefix-map=$ROOT=. -ffile-prefix-map=$B=build"
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DKIST_STATIC_BINARY=ON \
	-DKIST_BUILD_TESTS=OFF -DKIST_SANITIZE=OFF -DKIST_TSAN=OFF -DKIST_BUILD_FUZZERS=OFF \
	-DCMAKE_C_FLAGS="$FLAGS" -DCMAKE_EXE_LINKER_FLAGS="-Wl,--build-id=none -s" >"$OUT/build.log" 2>&1 ||
	{
		cat "$OUT/build.log" >&2
		exit 1
	}
# The static glibc warns that getpwnam/dlopen need the shared glibc at run
# time (SQLite's extension loading, which kist never enables): expected.
cmake --build "$B" -j"$JOBS" --target kist >>"$OUT/build.log" 2>&1 || {
	tail -n 40 "$OUT/build.log" >&2
	exit 1
}
cp "$B/src/kist" "$OUT/kist"
chmod 755 "$OUT/kist"
touch -d "@$SOURCE_DATE_EPOCH" "$OUT/kist"
(cd "$OUT" && sha256sum kist >kist.sha256)
if ldd "$OUT/kist" >/dev/null 2>&1; then
	echo "build-static: $OUT/kist is not static:" >&2
	ldd "$OUT/kist" >&2
	exit 1
fi
cat "$OUT/kist.sha256"
