#!/usr/bin/env bash
# The "package" stage of tests/run-all.sh: builds the .deb, installs it with
# apt-get (as a fresh machine would), then, with the installed /usr/bin/kist,
# seals and extracts a folder and compares it, checks `man -w kist` and
# `kist help`, and removes the package again.  Needs root or passwordless sudo;
# otherwise exits 77 (skipped).  Leaves the package installed only if it was
# installed before.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO="sudo -n"
	else
		echo "package: not root and no passwordless sudo: cannot install a package" >&2
		exit 77
	fi
fi
installed() { dpkg-query -W -f='${Status}' kist 2>/dev/null | grep -q 'install ok installed'; }
if [ -e /usr/bin/kist ] && ! installed; then
	echo "package: /usr/bin/kist exists and is not from the kist package: not touching it" >&2
	exit 77
fi
was_installed=0
installed && was_installed=1

DEB=$("$ROOT/packaging/build-deb.sh" | tail -n 1)
echo "package: built $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"
dpkg-deb -I "$DEB" | sed -n 's/^ Depends:/package: depends:/p'

W=$(mktemp -d "${TMPDIR:-/tmp}/kist-package.XXXXXX")
cleanup() {
	rm -rf "$W"
	if [ "$was_installed" -eq 0 ] && dpkg-query -W kist >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -qq kist >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

cp "$DEB" "$W/"
# apt-get needs a path with a slash; it reads the local .deb, resolving its
# dependencies (all present after packaging/install-deps.sh).  The _apt
# sandbox user must be able to read it.
chmod 755 "$W"
chmod 644 "$W"/*.deb
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$W/$(basename "$DEB")" >"$W/apt.log" 2>&1 ||
	{
		cat "$W/apt.log" >&2
		echo "package: FAILED: apt-get install" >&2
		exit 1
	}
fail=0
check() { # check WHAT cmd...
	local what=$1
	shift
	if "$@"; then echo "package: ok: $what"; else
		echo "package: FAILED: $what" >&2
		fail=1
	fi
}
check "dpkg lists the package as installed" installed
check "/usr/bin/kist from the package" test "$(dpkg -S /usr/bin/kist | cut -d: -f1)" = kist
check "kist --version" sh -c '/usr/bin/kist --version | grep -q "^kist [0-9]"' 
check "man -w kist" sh -c 'man -w kist | grep -q "^/usr/share/man/man1/kist\.1"'
check "man -w 5 kist-format" sh -c 'man -w 5 kist-format | grep -q "kist-format\.5"'
check "pkg-config finds kist" sh -c 'pkg-config --modversion kist | grep -qx "$(/usr/bin/kist --version | cut -d" " -f2)"'
check "bash completion installed" test -f /usr/share/bash-completion/completions/kist

cd "$W"
mkdir -p in/sub out
head -c 3000000 /dev/urandom >in/blob.bin
printf 'synthetic statement\n' >in/sub/note.txt
ln -s sub/note.txt in/link
PK=$(/usr/bin/kist keygen -q --no-passphrase -o r.key 2>/dev/null)
check "seal with the installed kist" /usr/bin/kist seal -q -r "$PK" -o v.kist in
check "verify with the installed kist" sh -c '/usr/bin/kist verify -q -i r.key v.kist >/dev/null'
check "extract with the installed kist" /usr/bin/kist extract -q -i r.key -C out v.kist
check "round trip: extracted tree equals the input" diff -r in out/in
check "round trip: the symlink kept" test "$(readlink out/in/link)" = sub/note.txt

cd /
cleanup
trap - EXIT
check "the package is removed again" sh -c '! dpkg-query -W kist >/dev/null 2>&1 && [ ! -e /usr/bin/kist ]'
if [ "$fail" -ne 0 ]; then exit 1; fi
echo "package: all checks passed"
