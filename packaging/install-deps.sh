#!/bin/sh
# Install the Debian 12 packages kist needs to build and test, if any are missing.
# Usage: packaging/install-deps.sh        (as root, or with sudo available)
set -eu

PKGS="build-essential cmake pkg-config clang libsodium-dev libzstd-dev libsqlite3-dev libssl-dev libcmocka-dev libjansson-dev libgfshare-dev libicu-dev libisal-dev libqrencode-dev libzxcvbn-dev python3 zstd strace valgrind util-linux age zbar-tools man-db groff-base dpkg-dev zsh fish dosfstools fusefat chromium poppler-utils"

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
