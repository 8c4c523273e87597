#!/usr/bin/env bash
# kist extract onto real small or case-insensitive file systems: a vault that
# expands past the free space is refused before anything is written (exit 5);
# entries that would collide on a case-insensitive target (FAT: the kernel's
# vfat on a loop device, or fusefat where the kernel has no vfat) are refused
# before anything is written (exit 4).  Needs root to mount; skipped (exit
# 77) otherwise, and a part that cannot run says SKIP on stderr.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "not root: cannot mount a small tmpfs or a vfat loop device"
MOUNTS=()
umount_all() {
	local m
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
}
trap 'umount_all; _cleanup' EXIT
mkdir small
mount -t tmpfs -o size=2m,nr_inodes=64 tmpfs small 2>/dev/null ||
	skip "mount -t tmpfs failed (no privilege to mount here)"
MOUNTS+=("$T/small")

PA=$(mkid alice)

# ------------------------------------------------------------ room before writing
# 64 MiB of zeros (all holes once extracted) and 8 MiB of text (1000:1 in the vault):
# small vaults, each far larger than the 2 MiB target once written.
mkdir zeros text
head -c $((64 << 20)) /dev/zero >zeros/disk.img
yes 'the same line of a long statement' | head -c $((8 << 20)) >text/log.txt
expect_rc 0 "$K" seal -q -r "$PA" -o zeros.kist zeros || die "cannot seal zeros"
expect_rc 0 "$K" seal -q -r "$PA" -o text.kist text || die "cannot seal text"
[ "$(stat -c %s text.kist)" -lt $((1 << 20)) ] && ok || fail "the text vault is not small"

expect_rc 5 "$K" extract -q -i alice.key -C small zeros.kist
assert_grep "$ERR" 'needs 64.0 MiB.*free' "the refusal says how much is needed and how much is free"
assert_dir_empty small "a refused extraction of zeros"
expect_rc 5 "$K" extract -q -i alice.key -C small text.kist
assert_grep "$ERR" 'needs 8.0 MiB.*free' "the refusal of the text vault says both figures"
assert_dir_empty small "a refused extraction of text"

# Too many entries for the inodes left: refused the same way.
mkdir many
for i in $(seq 1 100); do : >"many/f$i"; done
expect_rc 0 "$K" seal -q -r "$PA" -o many.kist many || die "cannot seal many"
expect_rc 5 "$K" extract -q -i alice.key -C small many.kist
assert_grep "$ERR" 'needs 101 inodes' "the refusal for inodes names the count"
assert_dir_empty small "a refused extraction of too many entries"

# What fits is extracted.
mkdir fits
printf 'a short statement\n' >fits/a.txt
expect_rc 0 "$K" seal -q -r "$PA" -o fits.kist fits || die "cannot seal fits"
expect_rc 0 "$K" extract -q -i alice.key -C small fits.kist
assert_file_eq fits/a.txt small/fits/a.txt "a small extraction onto the small file system"

# --------------------------------------------- a case-insensitive target (FAT)
# mount_fat IMAGE DIR: a fresh FAT file system, by the kernel or else by fusefat.
mount_fat() {
	command -v mkfs.vfat >/dev/null 2>&1 || return 1
	truncate -s 16M "$1" && mkfs.vfat "$1" >/dev/null 2>&1 || return 1
	mkdir -p "$2"
	if mount -o loop "$1" "$2" 2>/dev/null; then
		MOUNTS+=("$T/$2")
		return 0
	fi
	command -v fusefat >/dev/null 2>&1 && [ -c /dev/fuse ] || return 1
	fusefat -o rw+ "$1" "$2" >/dev/null 2>&1 || return 1
	MOUNTS+=("$T/$2")
}
mkdir -p twins/case nf/case
printf 'first\n' >twins/case/Report.txt
printf 'second\n' >twins/case/report.txt
printf 'composed\n' >"nf/case/$(printf 'caf\303\251')"       # U+00E9 (NFC)
printf 'decomposed\n' >"nf/case/$(printf 'cafe\314\201')"    # e + U+0301 (NFD)
# NFC/NFD twins beyond Latin: Cyrillic U+0439 against U+0438 U+0306, and a
# Hangul syllable (U+D55C) against its jamo (U+1112 U+1161 U+11AB).
mkdir -p nfx/cyr nfx/kor
printf 'composed\n' >"nfx/cyr/$(printf '\320\271.txt')"
printf 'decomposed\n' >"nfx/cyr/$(printf '\320\270\314\206.txt')"
printf 'composed\n' >"nfx/kor/$(printf '\355\225\234.txt')"
printf 'decomposed\n' >"nfx/kor/$(printf '\341\204\222\341\205\241\341\206\253.txt')"
expect_rc 0 "$K" seal -q -r "$PA" -o twins.kist twins || die "cannot seal twins"
expect_rc 0 "$K" seal -q -r "$PA" -o nf.kist nf || die "cannot seal nf"
for d in nfx/cyr nfx/kor; do
	expect_rc 0 "$K" seal -q -r "$PA" -o "${d#nfx/}.kist" "$d" || die "cannot seal $d"
done
if mount_fat fat.img fat; then
	expect_rc 4 "$K" extract -q -i alice.key -C fat twins.kist
	assert_grep "$ERR" 'twins/case/Report.txt and twins/case/report.txt would be one name' \
		"the refusal names both case twins"
	assert_dir_empty fat "a refused extraction of case twins"
	expect_rc 4 "$K" extract -q -i alice.key -C fat --force twins.kist
	assert_dir_empty fat "a refused extraction of case twins with --force"
	expect_rc 4 "$K" extract -q -i alice.key -C fat nf.kist
	assert_grep "$ERR" 'nf/case/caf.* and nf/case/caf.* would be one name' \
		"the refusal names both NFC/NFD twins"
	assert_dir_empty fat "a refused extraction of NFC/NFD twins"
	for v in cyr kor; do
		expect_rc 4 "$K" extract -q -i alice.key -C fat "$v.kist"
		assert_grep "$ERR" "$v/.* and $v/.* would be one name" \
			"the refusal names both $v NFC/NFD twins"
		assert_dir_empty fat "a refused extraction of $v NFC/NFD twins"
	done
	# A FAT file system keeps no modes or times (fusefat answers ENOSYS):
	# the authenticated bytes are extracted all the same, with one warning.
	expect_rc 0 "$K" extract -q -i alice.key -C fat fits.kist
	assert_file_eq fits/a.txt fat/fits/a.txt "a file extracted onto FAT"
	if grep -q 'cannot keep file modes or times' "$ERR"; then ok; else
		echo "$TEST_NAME: note: this FAT kept modes and times (no warning to check)" >&2
	fi
	rm -rf fat/fits
	# Only one of the twins asked for: no collision.
	run "$K" extract -q -i alice.key -C fat twins.kist twins/case/report.txt
	assert_no_grep "$ERR" 'would be one name' "one twin alone is not refused as a collision"
else
	echo "$TEST_NAME: SKIP: no FAT file system could be mounted (mkfs.vfat, vfat or fusefat): case twins not tested" >&2
fi
# The same twins on a case-sensitive target are two files.
mkdir sens
expect_rc 0 "$K" extract -q -i alice.key -C sens twins.kist
assert_file_eq twins/case/Report.txt sens/twins/case/Report.txt "case twin Report.txt on a case-sensitive target"
assert_file_eq twins/case/report.txt sens/twins/case/report.txt "case twin report.txt on a case-sensitive target"

finish
