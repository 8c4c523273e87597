#!/usr/bin/env bash
# Cross-builds kist.exe for 64-bit Windows on Debian 12 with mingw-w64: one
# statically linked file, reproducibly (same commit, same bytes).
#
# usage: packaging/build-windows.sh [OUTDIR]      (default: build-windows/)
#
# Writes OUTDIR/kist.exe and OUTDIR/kist.exe.sha256, and prints the SHA-256.
# Needs: packaging/install-deps.sh --windows (mingw-w64 with the posix thread
# model, dpkg-dev, tcl, wine), and root the first time (see stage "sources").
#
# Stages; the script stops with one line naming the first that fails:
#   tools    the cross compilers and host tools are present.
#   sources  Debian has no Windows builds of libsodium, zstd, SQLite, jansson,
#            OpenSSL, libgfshare or ICU, so they are built from Debian's own
#            source packages, at the versions in packaging/windows/versions.txt.
#            If apt does not know them, a deb-src twin of the Types: deb
#            stanzas of /etc/apt/sources.list.d/debian.sources is written to
#            /etc/apt/sources.list.d/kist-deb-src.sources (same URIs, Suites,
#            Signed-By; rewritten only when it would change) and
#            `apt-get update` runs: this needs root.  `apt-get source
#            --download-only` then fetches them into OUTDIR/.deps/src, and every
#            file of every .dsc must have the SHA-256 pinned in
#            packaging/windows/SHA256SUMS (apt checks the .dsc against the
#            signed Release file; the pin makes any change to it visible).
#            With the files already there and matching, no network is used.
#   deps     each package is unpacked with `dpkg-source -x` (Debian's patches
#            applied) and cross-built into a static library under
#            OUTDIR/.deps/parts/NAME; the parts are copied into
#            OUTDIR/.deps/prefix (lib/*.a, include/, lib/pkgconfig/*.pc with
#            prefix=${pcfiledir}/../..).  A part is rebuilt only when its
#            key changes: the hash of its recipe (the build_NAME function
#            below and the shared flags), its pinned version and checksums,
#            and the compilers' versions.  Logs and times: OUTDIR/.deps/logs.
#   depcheck packaging/windows/depcheck.c is linked statically against all of
#            them and, if wine is installed, run under wine (each library
#            does one real thing; libcrypto and libsodium must agree).
#   kist     CMake with packaging/windows/mingw64.cmake finds the libraries
#            through pkg-config in the prefix (--static) and links kist.exe.
#            On failure the compile errors are summarised per file from
#            OUTDIR/build.log.
#
# Left out on Windows: QR codes (libqrencode), parity repair (ISA-L) and the
# passphrase strength estimate (zxcvbn), as in the Linux static binary
# (which keeps zxcvbn).
#
# What makes it reproducible (as packaging/build-static.sh):
#   - SOURCE_DATE_EPOCH: the time of the last commit (or as given);
#   - -ffile-prefix-map for the source, build and dependency folders;
#   - PE without time stamp: -Wl,--no-insert-timestamp (`objdump -p` shows
#     "Time/Date Thu Jan 1 00:00:00 1970"), stripped (-s), no build id;
#   - a fixed locale and time zone (LC_ALL=C, TZ=UTC), umask 022;
#   - binutils' ar is deterministic (zero dates, uids); COFF objects carry no
#     time.
#
# Knobs (for working on the script): JOBS (default 2); KIST_WIN_ONLY="icu
# sqlite3" builds only those parts and stops after the deps stage;
# KIST_WIN_REPIN=1 appends the checksums of newly downloaded files to
# SHA256SUMS instead of refusing them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WIN=$ROOT/packaging/windows
OUT=${1:-$ROOT/build-windows}
JOBS=${JOBS:-2}
export LC_ALL=C TZ=UTC
umask 022

HOST=x86_64-w64-mingw32
CC=$HOST-gcc-posix
CXX=$HOST-g++-posix
AR=$HOST-ar
RANLIB=$HOST-ranlib
STAGE=start

say() { echo "build-windows: $*"; }
die() {
	echo "build-windows: $STAGE: $*" >&2
	exit 1
}

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || true)
	[ -n "$SOURCE_DATE_EPOCH" ] || die "not a git checkout: set SOURCE_DATE_EPOCH"
fi
export SOURCE_DATE_EPOCH

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DEPS=$OUT/.deps
SRC=$DEPS/src
WORK=$DEPS/work
PARTS=$DEPS/parts
PREFIX=$DEPS/prefix
LOGS=$DEPS/logs
mkdir -p "$SRC" "$WORK" "$PARTS" "$LOGS"

# ---------------------------------------------------------------- tools
STAGE=tools
for t in "$CC" "$CXX" "$AR" "$RANLIB" $HOST-strip $HOST-objdump gcc g++ make perl \
	tclsh autoreconf libtoolize dpkg-source apt-get cmake pkg-config sha256sum; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t is missing: run packaging/install-deps.sh --windows"
done
"$CC" -v 2>&1 | grep '^Thread model: posix' >/dev/null ||
	die "$CC does not use the posix thread model (kist needs winpthreads)"
TOOLCHAIN="$("$CC" --version | head -n1); $("$CXX" --version | head -n1); $($AR --version | head -n1)"

# ---------------------------------------------------------------- sources
STAGE=sources
PINS=$WIN/SHA256SUMS
[ -f "$PINS" ] || : >"$PINS"

# The deb-src twin of debian.sources: each stanza whose Types is "deb",
# without its comments.
DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources
DEBSRC_FILE=/etc/apt/sources.list.d/kist-deb-src.sources
debsrc_text() {
	echo "# Written by kist's packaging/build-windows.sh: Debian's source"
	echo "# packages from the same archive as debian.sources."
	awk 'BEGIN { RS = ""; FS = "\n" }
	{
		keep = 0; out = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^#/) continue
			if ($i ~ /^Types:[ \t]*deb[ \t]*$/) { keep = 1; $i = "Types: deb-src" }
			out = out $i "\n"
		}
		if (keep) printf "\n%s", out
	}' "$DEBIAN_SOURCES"
}
apt_knows() { apt-cache showsrc "$1" 2>/dev/null | grep -x "Version: $2" >/dev/null; }
enable_deb_src() {
	[ -f "$DEBIAN_SOURCES" ] ||
		die "no $DEBIAN_SOURCES (deb822): add deb-src lines for Debian 12 by hand"
	[ "$(id -u)" -eq 0 ] ||
		die "apt has no source packages: run this once as root (it adds $DEBSRC_FILE and runs apt-get update)"
	local text
	text=$(debsrc_text)
	if [ ! -f "$DEBSRC_FILE" ] || [ "$(cat "$DEBSRC_FILE")" != "$text" ]; then
		say "writing $DEBSRC_FILE"
		printf '%s\n' "$text" >"$DEBSRC_FILE"
	fi
	say "apt-get update (source indexes)"
	apt-get update -qq || die "apt-get update failed"
}

# The files a .dsc names (its Checksums-Sha256 field), one a line.
dsc_files() {
	awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && NF == 3 { print $3 }' "$1"
}
# pinned FILE: its SHA-256 as pinned, or nothing.
pinned() { awk -v f="$1" '$2 == f { print $1 }' "$PINS"; }
# Checks FILE against the pin (KIST_WIN_REPIN=1: pins a file not yet pinned).
check_pin() {
	local f=$1 want got
	[ -f "$SRC/$f" ] || die "$f was not downloaded"
	got=$(sha256sum "$SRC/$f" | cut -d' ' -f1)
	want=$(pinned "$f")
	if [ -z "$want" ]; then
		[ "${KIST_WIN_REPIN:-0}" = 1 ] || die "$f is not pinned in packaging/windows/SHA256SUMS"
		echo "$got  $f" >>"$PINS"
		say "pinned $f"
	elif [ "$got" != "$want" ]; then
		die "$f: SHA-256 $got, pinned $want: refusing it"
	fi
}
# All files of a source package present and as pinned?
have_source() {
	local dsc=$1 f
	[ -f "$SRC/$dsc" ] && [ "$(sha256sum "$SRC/$dsc" | cut -d' ' -f1)" = "$(pinned "$dsc")" ] || return 1
	for f in $(dsc_files "$SRC/$dsc"); do
		[ -f "$SRC/$f" ] && [ "$(sha256sum "$SRC/$f" | cut -d' ' -f1)" = "$(pinned "$f")" ] || return 1
	done
}

declare -A VERSION DSC
PKGS=()
while read -r pkg ver; do
	case "$pkg" in '' | '#'*) continue ;; esac
	PKGS+=("$pkg")
	VERSION[$pkg]=$ver
	DSC[$pkg]=${pkg}_${ver#*:}.dsc
done <"$WIN/versions.txt"

for pkg in "${PKGS[@]}"; do
	ver=${VERSION[$pkg]}
	dsc=${DSC[$pkg]}
	if ! have_source "$dsc"; then
		apt_knows "$pkg" "$ver" || enable_deb_src
		apt_knows "$pkg" "$ver" ||
			die "the archive has no source $pkg $ver (superseded?): change packaging/windows/versions.txt"
		say "apt-get source --download-only $pkg=$ver"
		(cd "$SRC" && apt-get source -qq --download-only "$pkg=$ver") >>"$LOGS/apt.log" 2>&1 ||
			die "apt-get source $pkg=$ver failed (see $LOGS/apt.log)"
	fi
	check_pin "$dsc"
	for f in $(dsc_files "$SRC/$dsc"); do check_pin "$f"; done
done

# ---------------------------------------------------------------- deps
STAGE=deps
# Shared by every recipe (and part of every key).  -ffile-prefix-map keeps
# this folder out of the objects; nothing is built with debug info.
DEP_CFLAGS="-O2 -g0 -ffile-prefix-map=$WORK=/deps"

# Makes NAME's .pc files relocatable: the prefix is where the .pc file is.
relocate_pc() {
	local p=$1 f
	for f in "$p"/lib/pkgconfig/*.pc; do
		sed -i -e "s|^prefix *=.*|prefix=\${pcfiledir}/../..|" -e "s|$p|\${prefix}|g" "$f"
	done
}

build_libsodium() { # $1 source tree, $2 part prefix
	cd "$1"
	autoreconf -fi # the Debian tree has no configure (dh_autoreconf)
	./configure --host=$HOST --prefix="$2" --disable-shared --enable-static \
		--disable-dependency-tracking CC="$CC" AR="$AR" RANLIB="$RANLIB" CFLAGS="$DEP_CFLAGS"
	make -j"$JOBS"
	make install
	rm -f "$2"/lib/*.la
	# Without SODIUM_STATIC, sodium's headers declare everything dllimport.
	sed -i 's|^Cflags: \(.*\)|Cflags: \1 -DSODIUM_STATIC|' "$2/lib/pkgconfig/libsodium.pc"
}

build_libzstd() {
	cd "$1"
	# The static library single-threaded, as Debian's libzstd.a.
	make -C lib -j"$JOBS" libzstd.a CC="$CC" AR="$AR" MOREFLAGS="$DEP_CFLAGS"
	make -C lib install-static install-includes install-pc PREFIX="$2" CC="$CC" AR="$AR"
}

# SQLite's amalgamation is generated by a native build of Debian's patched
# tree (needs tclsh), then compiled with one gcc call.  The compile options
# are those of debian/rules that change what kist's SQL sees (FTS5 for the
# people search, secure delete, threads, the limits); not extension loading,
# which kist turns off and a static .exe has no use for.
SQLITE_OPTS="-DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_FTS3 \
-DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_JSON1 -DSQLITE_SECURE_DELETE \
-DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_USE_URI=1 -DSQLITE_MAX_SCHEMA_RETRY=25 \
-DSQLITE_MAX_VARIABLE_NUMBER=250000 -DSQLITE_OMIT_LOOKASIDE=1 \
-DSQLITE_ALLOW_ROWID_IN_VIEW -DSQLITE_OMIT_LOAD_EXTENSION"
build_sqlite3() {
	cd "$1"
	mkdir native
	(cd native && CC=gcc ../configure --disable-tcl --disable-shared && make sqlite3.c)
	# shellcheck disable=SC2086
	"$CC" $DEP_CFLAGS $SQLITE_OPTS -c native/sqlite3.c -o sqlite3.o
	mkdir -p "$2/lib/pkgconfig" "$2/include"
	"$AR" rcs "$2/lib/libsqlite3.a" sqlite3.o
	cp native/sqlite3.h src/sqlite3ext.h "$2/include/"
	local v
	v=$(sed -n 's/^#define SQLITE_VERSION *"\(.*\)"/\1/p' native/sqlite3.h)
	cat >"$2/lib/pkgconfig/sqlite3.pc" <<-EOF
		prefix=$2
		libdir=\${prefix}/lib
		includedir=\${prefix}/include

		Name: SQLite
		Description: SQL database engine (Debian's source, kist's Windows build)
		Version: $v
		Libs: -L\${libdir} -lsqlite3
		Cflags: -I\${includedir}
	EOF
}

build_jansson() {
	cd "$1"
	autoreconf -fi # no configure in Debian's tree either
	./configure --host=$HOST --prefix="$2" --disable-shared --enable-static \
		--disable-dependency-tracking CC="$CC" AR="$AR" RANLIB="$RANLIB" CFLAGS="$DEP_CFLAGS"
	make -j"$JOBS"
	make install
	rm -f "$2"/lib/*.la
}

# libcrypto only (its targets; OpenSSL 3.0 has no no-apps).  OPENSSLDIR is
# where libcrypto looks for openssl.cnf at run time; on Windows a path like
# /usr/local/ssl lands on C:\usr\..., which any user may create: under
# System32 (PREFIX/ssl; Configure takes "C:/..." for a relative
# --openssldir) only administrators may write.  No
# engines, no loadable modules (the providers are built in).  Built in its
# tree with relative file names; no CFLAGS of ours, as OpenSSL records its
# flags in the library ("openssl version -f").
build_openssl() {
	cd "$1"
	./Configure mingw64 no-shared no-tests no-module no-dso no-engine \
		--prefix=C:/Windows/System32/OpenSSL \
		--libdir=lib --cross-compile-prefix=$HOST- CC=gcc-posix
	make -j"$JOBS" build_generated
	make -j"$JOBS" libcrypto.a libcrypto.pc
	mkdir -p "$2/lib/pkgconfig" "$2/include/openssl"
	cp libcrypto.a "$2/lib/"
	cp include/openssl/*.h "$2/include/openssl/"
	sed -e "s|^prefix=.*|prefix=$2|" -e 's|^exec_prefix=.*|exec_prefix=${prefix}|' \
		-e 's|^libdir=.*|libdir=${exec_prefix}/lib|' \
		-e 's|^includedir=.*|includedir=${prefix}/include|' libcrypto.pc >"$2/lib/pkgconfig/libcrypto.pc"
}

# One file.  random() is POSIX only; libgfshare calls it only in its
# fallback generator, which kist never installs (it sets gfshare_fill_rand to
# libsodium's): if anything ever called it, it aborts.
build_libgfshare() {
	cd "$1"
	: >config.h
	# shellcheck disable=SC2086
	"$CC" $DEP_CFLAGS -I. -Iinclude '-Drandom()=(abort(), 0L)' -c src/libgfshare.c -o libgfshare.o
	mkdir -p "$2/lib/pkgconfig" "$2/include"
	"$AR" rcs "$2/lib/libgfshare.a" libgfshare.o
	cp include/libgfshare.h "$2/include/"
	sed -e "s|@prefix@|$2|" -e 's|@exec_prefix@|${prefix}|' -e 's|@libdir@|${exec_prefix}/lib|' \
		-e 's|@includedir@|${prefix}/include|' -e "s|@VERSION@|${VERSION[libgfshare]%%-*}|" \
		libgfshare.pc.in >"$2/lib/pkgconfig/libgfshare.pc"
}

# ICU's tools run at build time, so a native build of them comes first
# (--with-cross-build; its own data is not needed: DATASUBDIR=).  Static, with the full data (libsicudt.a, about
# 30 MB): kist's "Any-Latin; Latin-ASCII; Lower" transliterator reaches most
# of the transliteration rules, and a smaller filter is not obviously safe.
ICU_OPTS="--disable-tests --disable-samples --disable-extras --disable-layoutex --disable-icuio"
build_icu() {
	cd "$1"
	mkdir native cross
	# shellcheck disable=SC2086
	(cd native && CC=gcc CXX=g++ CFLAGS="$DEP_CFLAGS" CXXFLAGS="$DEP_CFLAGS" \
		../source/configure $ICU_OPTS --disable-icu-config && make -j"$JOBS" DATASUBDIR=)
	# shellcheck disable=SC2086
	(cd cross && ../source/configure --host=$HOST --with-cross-build="$1/native" \
		--prefix="$2" --enable-static --disable-shared --with-data-packaging=static \
		$ICU_OPTS --disable-tools --disable-icu-config CC="$CC" CXX="$CXX" AR="$AR" RANLIB="$RANLIB" \
		CPPFLAGS=-DU_STATIC_IMPLEMENTATION CFLAGS="$DEP_CFLAGS" CXXFLAGS="$DEP_CFLAGS" &&
		make -j"$JOBS" && mkdir -p "$2/bin" && make install)
	# make install puts the static data (sicudt.a, 30 MB) in bin/, as if it
	# were a DLL, and the stub data in lib/: the data goes to lib/.
	mv "$2/bin/sicudt.a" "$2/lib/libsicudt.a"
	rm -rf "${2:?}/bin"
	# The static archives are libsicuXX.a on Windows; the .pc files say -licuXX.
	local a
	for a in "$2"/lib/libsicu*.a; do
		mv "$a" "$2/lib/lib${a##*/libs}"
	done
	sed -i -e 's|^Cflags: \(.*\)|Cflags: \1 -DU_STATIC_IMPLEMENTATION|' "$2/lib/pkgconfig/icu-uc.pc"
	sed -i -e 's|^Libs.private: \(.*\)|Libs.private: \1 -lstdc++|' "$2/lib/pkgconfig/icu-uc.pc"
	grep -q '^Libs.private:' "$2/lib/pkgconfig/icu-uc.pc" ||
		echo 'Libs.private: -lstdc++' >>"$2/lib/pkgconfig/icu-uc.pc"
}

part_key() {
	local pkg=$1 f
	{
		echo "$TOOLCHAIN"
		echo "$pkg ${VERSION[$pkg]}"
		grep -F " ${DSC[$pkg]}" "$PINS"
		for f in $(dsc_files "$SRC/${DSC[$pkg]}"); do grep -F " $f" "$PINS"; done
		declare -f relocate_pc "build_$pkg"
		echo "${DEP_CFLAGS//$WORK/WORK}|$SQLITE_OPTS|$ICU_OPTS" # not the folder: it is mapped away
	} | sha256sum | cut -d' ' -f1
}

ONLY=${KIST_WIN_ONLY:-}
: >"$LOGS/times.txt"
total=0
changed=0
for pkg in "${PKGS[@]}"; do
	if [ -n "$ONLY" ] && [[ " $ONLY " != *" $pkg "* ]]; then continue; fi
	key=$(part_key "$pkg")
	part=$PARTS/$pkg
	if [ -f "$part/.key" ] && [ "$(cat "$part/.key")" = "$key" ]; then
		continue
	fi
	changed=1
	say "building $pkg ${VERSION[$pkg]} (log: $LOGS/$pkg.log)"
	rm -rf "${WORK:?}/$pkg" "$part"
	t0=$(date +%s)
	# Not in an if: bash ignores set -e inside a tested command.
	set +e
	(
		set -e
		dpkg-source -x "$SRC/${DSC[$pkg]}" "$WORK/$pkg"
		"build_$pkg" "$WORK/$pkg" "$part"
		relocate_pc "$part"
	) >"$LOGS/$pkg.log" 2>&1
	rc=$?
	set -e
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$LOGS/$pkg.log" >&2
		die "$pkg failed to build (log: $LOGS/$pkg.log)"
	fi
	t=$(($(date +%s) - t0))
	total=$((total + t))
	echo "$pkg ${VERSION[$pkg]} ${t}s" | tee -a "$LOGS/times.txt"
	echo "$key" >"$part/.key"
	rm -rf "${WORK:?}/$pkg"
done
[ "$changed" = 0 ] || echo "total ${total}s" | tee -a "$LOGS/times.txt"
[ -z "$ONLY" ] || {
	say "KIST_WIN_ONLY: stopping after the deps stage"
	exit 0
}

# The prefix: all parts, reassembled when any part changed.
pkey=$(cat "$PARTS"/*/.key | sha256sum | cut -d' ' -f1)
if [ ! -f "$PREFIX/.key" ] || [ "$(cat "$PREFIX/.key")" != "$pkey" ]; then
	rm -rf "$PREFIX"
	mkdir -p "$PREFIX"
	for pkg in "${PKGS[@]}"; do
		cp -R "$PARTS/$pkg/." "$PREFIX/"
	done
	rm -f "$PREFIX/.key"
	echo "$pkey" >"$PREFIX/.key"
else
	say "dependencies: cached in $PREFIX"
fi

# ---------------------------------------------------------------- depcheck
STAGE=depcheck
export PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig PKG_CONFIG_PATH=
unset PKG_CONFIG_SYSROOT_DIR
MODS="libsodium libzstd sqlite3 jansson libcrypto libgfshare icu-i18n icu-uc"
# With kist's hardening and the link flags of kist.exe (no time stamp,
# stripped), so that these are checked before kist itself links.
# shellcheck disable=SC2046
"$CC" -std=c11 -O2 -Wall -Wextra -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	-ffile-prefix-map="$ROOT"=. $(pkg-config --cflags $MODS) "$WIN/depcheck.c" \
	-o "$DEPS/depcheck.exe" -static -fstack-protector-strong -s -Wl,--no-insert-timestamp \
	-Wl,--build-id=none $(pkg-config --static --libs $MODS) \
	-lws2_32 -lcrypt32 -lbcrypt -luser32 -ladvapi32 -lstdc++ -pthread \
	>"$LOGS/depcheck.log" 2>&1 || {
	cat "$LOGS/depcheck.log" >&2
	die "depcheck.c does not link against the prefix"
}
no_timestamp() {
	$HOST-objdump -p "$1" | grep '^Time/Date[[:space:]]*Thu Jan  1 00:00:00 1970' >/dev/null ||
		die "$1 carries a time stamp"
}
no_timestamp "$DEPS/depcheck.exe"
sha256sum "$DEPS/depcheck.exe" >>"$LOGS/depcheck.log"
if command -v wine >/dev/null 2>&1; then
	WINEDEBUG=-all wine "$DEPS/depcheck.exe" >>"$LOGS/depcheck.log" 2>&1 || {
		cat "$LOGS/depcheck.log" >&2
		die "depcheck.exe failed under wine"
	}
	tail -n 1 "$LOGS/depcheck.log"
else
	say "wine is not installed: depcheck.exe built, not run"
fi

# ---------------------------------------------------------------- kist
STAGE=kist
B=$OUT/.build
rm -rf "$B"
FLAGS="-ffile-prefix-map=$ROOT=. -ffile-prefix-map=$B=build -ffile-prefix-map=$DEPS=deps"
cmake -S "$ROOT" -B "$B" -DCMAKE_TOOLCHAIN_FILE="$WIN/mingw64.cmake" -DKIST_WIN_PREFIX="$PREFIX" \
	-DCMAKE_BUILD_TYPE=Release -DKIST_STATIC_BINARY=ON -DKIST_BUILD_TESTS=OFF -DKIST_WERROR=ON \
	-DKIST_SANITIZE=OFF -DKIST_TSAN=OFF -DKIST_BUILD_FUZZERS=OFF -DKIST_WITH_QRENCODE=OFF \
	-DKIST_WITH_ISAL=OFF -DKIST_WITH_ZXCVBN=OFF -DCMAKE_C_FLAGS="$FLAGS" \
	-DCMAKE_EXE_LINKER_FLAGS="-Wl,--no-insert-timestamp -Wl,--build-id=none -s" \
	>"$OUT/build.log" 2>&1 || {
	tail -n 40 "$OUT/build.log" >&2
	die "cmake could not configure (log: $OUT/build.log)"
}
if ! cmake --build "$B" -j"$JOBS" --target kist -- -k >>"$OUT/build.log" 2>&1; then
	echo "build-windows: errors per file (first 3 each; all in $OUT/build.log):" >&2
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (fatal )?error:' "$OUT/build.log" | sort -u |
		awk -F: '{ n[$1]++; if (n[$1] <= 3) print } END { for (f in n) printf "%6d %s\n", n[f], f | "sort -k2"; }' >&2
	die "kist does not compile or link for Windows yet (log: $OUT/build.log)"
fi
# A new file renamed over the old: a kist.exe running meanwhile keeps its
# own (copying over it in place would pull the pages from under it).
cp "$B/src/kist.exe" "$OUT/.kist.exe.tmp"
chmod 755 "$OUT/.kist.exe.tmp"
touch -d "@$SOURCE_DATE_EPOCH" "$OUT/.kist.exe.tmp"
no_timestamp "$OUT/.kist.exe.tmp"
mv -f "$OUT/.kist.exe.tmp" "$OUT/kist.exe"
if $HOST-objdump -p "$OUT/kist.exe" | grep -E 'DLL Name: (lib|.*sodium|.*zstd|.*sqlite|.*icu|.*crypto)' >&2; then
	die "kist.exe needs the DLLs above: not static"
fi
(cd "$OUT" && sha256sum kist.exe >kist.exe.sha256)
cat "$OUT/kist.exe.sha256"
