#!/usr/bin/env bash
# Builds the Debian package kist_VERSION_ARCH.deb with CPack (packaging/cpack.cmake)
# in a Release build folder configured for the /usr prefix.
#
# usage: packaging/build-deb.sh [BUILD-DIR]     (default: build-pkg/)
# Prints the path of the .deb on its last line.  Needs dpkg-dev (dpkg-shlibdeps).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${1:-$ROOT/build-pkg}
JOBS=${JOBS:-2}
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
	-DKIST_BUILD_TESTS=OFF -DKIST_SANITIZE=OFF -DKIST_TSAN=OFF -DKIST_BUILD_FUZZERS=OFF >/dev/null
cmake --build "$B" -j"$JOBS" >/dev/null
rm -f "$B"/kist_*.deb
(cd "$B" && cpack -G DEB >/dev/null)
ls "$B"/kist_*.deb
