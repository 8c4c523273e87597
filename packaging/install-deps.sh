#!/bin/sh
# Install the Debian 12 packages kist needs to build and test, if any are missing.
# Usage: packaging/install-deps.sh [--windows]   (as root, or with sudo available)
#   --windows  also what packaging/build-windows.sh needs: mingw-w64's C++
#              compilers and the tools that build Debian's source packages
#              (not in the default list: they take CI time).  The default list
#              has mingw-w64's C compiler and wine, for ctest windows/os-smoke.
set -eu

PKGS="build-essential cmake pkg-config clang libsodium-dev libzstd-dev libsqlite3-dev libssl-dev libcmocka-dev libjansson-dev libgfshare-dev libicu-dev libisal-dev libqrencode-dev libzxcvbn-dev python3 zstd strace valgrind util-linux age zbar-tools man-db groff-base dpkg-dev zsh fish dosfstools fusefat chromium poppler-utils gcc-mingw-w64-x86-64-posix wine64"

case "${1:-}" in
'') ;;
--windows)
	PKGS="$PKGS gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 g++-mingw-w64-x86-64-posix tcl autoconf automake libtool"
	;;
*)
	echo "usage: packaging/install-deps.sh [--windows]" >&2
	exit 2
	;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all build and test dependencies are present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
