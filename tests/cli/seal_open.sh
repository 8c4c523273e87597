#!/usr/bin/env bash
# Round trip: a folder of mixed content sealed for two recipients (-r and -R)
# and signed by a third identity; list, extract, verify, cat and info; sealing
# standard input.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
PB=$(mkid bob)
PS=$(mkid sealer)
mkid stranger >/dev/null

# ---------------------------------------------------------------- the case
mkdir -p case/photos/2024 case/docs/deep/er case/empty-dir
head -c 300000 /dev/urandom >case/photos/IMG_0001.jpg
head -c 2500000 /dev/urandom >case/photos/2024/IMG_0002.jpg # spans 3 chunks of 1 MiB
head -c $((1 << 20)) /dev/urandom >case/photos/2024/exactly-one-chunk.raw
seq 1 60000 | sed 's/$/ the quick brown fox jumps over the lazy dog/' >case/docs/log.txt
: >case/docs/empty.txt
printf 'déposition du témoin, 3 mai\n' >"case/docs/témoin 1.txt"
printf 'deep\n' >case/docs/deep/er/notes.md
ln -s ../docs/log.txt case/photos/link-to-log
chmod 750 case/photos
chmod 640 case/docs/log.txt
chmod 755 case/docs/deep/er/notes.md
chmod 444 "case/docs/témoin 1.txt"
touch -d '2001-02-03 04:05:06.123456789' case/photos/IMG_0001.jpg
touch -d '1999-12-31 23:59:59' case/docs/empty.txt
touch -h -d '2002-01-01 00:00:00' case/photos/link-to-log
touch -d '2003-03-03 03:03:03' case/docs/deep case/empty-dir

printf '# recipients of case 42\n\n%s\n' "$PB" >recipients.txt

expect_rc 0 "$K" seal -r "$PA" -R recipients.txt -s sealer.key -o v.kist case
assert_grep "$ERR" 'sealer.*not a recipient' "seal notes that the sealer (-s) is not a recipient"
assert_grep "$ERR" '\<signed\>' "seal reports the vault as signed (the word, not 'unsigned')"
assert_empty "$OUT" "stdout of seal"
assert_eq 600 "$(stat -c %a v.kist 2>&1)" "mode of a new vault"
assert_no_tmp . "after seal"

# The vault does not show names or text in clear.
for needle in IMG_0001 témoin link-to-log 'the quick brown fox' 'déposition'; do
	if grep -aqF -- "$needle" v.kist; then fail "the vault contains '$needle' in clear"; else ok; fi
done

# A manifest of the tree: type, mode, mtime (seconds), size of files, link targets.
manifest() {
	(cd "$1" && find . -mindepth 1 -print0 | sort -z | while IFS= read -r -d '' p; do
		if [ -L "$p" ]; then
			printf '%s link -> %s\n' "$p" "$(readlink "$p")" # mtime checked apart below
		else
			stat -c '%n %F %a %Y %s' "$p" | sed 's/ directory \(.*\) [0-9]*$/ directory \1/'
		fi
	done)
}
# Nanosecond mtimes of regular files and folders.
ns_manifest() {
	(cd "$1" && find . -mindepth 1 ! -type l -printf '%p %T@\n' | sort)
}
manifest case >case.manifest
ns_manifest case >case.ns

# --------------------------------------------------------------- list
expected_paths() { (find case -mindepth 0 | sort); }
expected_paths >paths.expected
for who in alice bob; do
	expect_rc 0 "$K" list -i $who.key v.kist
	sort "$OUT" >paths.$who
	if cmp -s paths.expected paths.$who; then ok; else
		fail "list -i $who.key: the listed paths differ from the sealed tree:"
		diff paths.expected paths.$who | head -n 10 | sed 's/^/      | /' >&2
	fi
done
expect_rc 0 "$K" list -i alice.key -l v.kist
assert_grep "$OUT" '^l.*case/photos/link-to-log -> \.\./docs/log\.txt$' "list -l shows the symlink and its target"
assert_grep "$OUT" "^-rw-r----- +$(stat -c %s case/docs/log.txt) .* $(sha256sum case/docs/log.txt | cut -c1-64) case/docs/log\.txt$" \
	"list -l shows mode, size and SHA-256 of log.txt"

# ------------------------------------------------------------ extract
for who in alice bob; do
	mkdir out-$who
	expect_rc 0 "$K" extract -i $who.key -C out-$who v.kist
	if diff -r case out-$who/case >diff.$who 2>&1; then ok; else
		fail "extract -i $who.key: the tree differs from the original (diff -r):"
		head -n 10 diff.$who | sed 's/^/      | /' >&2
	fi
	manifest out-$who/case >out-$who.manifest
	if cmp -s case.manifest out-$who.manifest; then ok; else
		fail "extract -i $who.key: types, modes (stat %a), mtimes (stat %Y) or link targets differ (expected < > got):"
		diff case.manifest out-$who.manifest | head -n 12 | sed 's/^/      | /' >&2
	fi
	ns_manifest out-$who/case >out-$who.ns
	if cmp -s case.ns out-$who.ns; then ok; else
		fail "extract -i $who.key: nanosecond mtimes differ (expected < > got):"
		diff case.ns out-$who.ns | head -n 6 | sed 's/^/      | /' >&2
	fi
	assert_no_tmp out-$who "extract -i $who.key"
done
# The symlink is recreated as a symlink, not followed.
if [ -L out-alice/case/photos/link-to-log ]; then ok; else
	fail "case/photos/link-to-log was extracted as $(stat -c %F out-alice/case/photos/link-to-log 2>&1), not as a symbolic link"
fi
assert_eq "../docs/log.txt" "$(readlink out-alice/case/photos/link-to-log 2>&1)" "target of the extracted symlink"
# Its own mtime is recorded (list -l shows it) and, like every entry's, restored.
assert_eq "$(stat -c %Y case/photos/link-to-log)" "$(stat -c %Y out-alice/case/photos/link-to-log 2>&1)" \
	"mtime (stat -c %Y, not followed) of the extracted symlink"
assert_eq 3 "$(find out-alice/case/photos -mindepth 1 -maxdepth 1 | wc -l)" "entries in out-alice/case/photos"
assert_eq 0 "$(find out-alice/case/empty-dir -mindepth 1 | wc -l)" "entries in the extracted empty folder"

# The sealer (given with -s, not -r) cannot open it; nor can a stranger.
for who in sealer stranger; do
	mkdir out-$who
	expect_rc 3 "$K" list -i $who.key v.kist
	assert_empty "$OUT" "stdout of list -i $who.key"
	expect_rc 3 "$K" extract -i $who.key -C out-$who v.kist
	assert_dir_empty out-$who "extract -i $who.key"
	expect_rc 3 "$K" verify -i $who.key v.kist
done
# Several -i: the one that fits is used.
expect_rc 0 "$K" list -i stranger.key -i bob.key v.kist

# ------------------------------------------------------------- verify
expect_rc 0 "$K" verify -i alice.key v.kist
assert_grep "$OUT" 'ALL GOOD' "verify prints ALL GOOD"
assert_grep "$OUT" 'signature valid' "verify of a signed vault says signature valid"
assert_grep "$OUT" "$PS" "verify names the sealer's public key"
assert_grep "$OUT" 'Recipients: +2$' "verify shows two recipients"
assert_grep "$OUT" 'Entries: +15 \(7 files, 7 folders, 1 link\)' "verify counts the entries"
expect_rc 0 "$K" verify -i bob.key --signer "$PS" v.kist
assert_grep "$OUT" 'ALL GOOD' "verify --signer with the sealer's key"
# Intact but signed by someone else: its own exit code (7), never "damaged".
expect_rc 7 "$K" verify -i bob.key --signer "$PA" v.kist
assert_grep "$OUT" 'WRONG SIGNER' "verify --signer with another key says WRONG SIGNER"
assert_no_grep "$OUT" 'DAMAGED|damaged' "verify --signer with another key: stdout"
assert_no_grep "$ERR" 'DAMAGED|damaged' "verify --signer with another key: stderr"
assert_no_grep "$OUT" 'ALL GOOD' "verify --signer with another key"

# An unsigned vault.
expect_rc 0 "$K" seal -r "$PA" -o unsigned.kist case/docs
assert_grep "$ERR" 'unsigned' "seal without -s reports the vault as unsigned"
expect_rc 0 "$K" verify -i alice.key unsigned.kist
assert_grep "$OUT" 'NOT signed' "verify of an unsigned vault says NOT signed"
assert_no_grep "$OUT" 'signature valid' "verify of an unsigned vault"
expect_rc 7 "$K" verify -i alice.key --signer "$PS" unsigned.kist
assert_grep "$ERR" 'not signed' "verify --signer of an unsigned vault says it is not signed"
assert_no_grep "$OUT" 'ALL GOOD' "verify --signer of an unsigned vault"

# ---------------------------------------------------------------- cat
for p in case/photos/2024/IMG_0002.jpg "case/docs/témoin 1.txt" case/docs/empty.txt case/docs/log.txt; do
	expect_rc 0 "$K" cat -i bob.key v.kist "$p"
	assert_file_eq "$p" "$OUT" "kist cat of $p"
done
expect_rc 1 "$K" cat -i bob.key v.kist case/photos
assert_grep "$ERR" 'not a file' "cat of a folder"
expect_rc 1 "$K" cat -i bob.key v.kist case/nothing-here
assert_grep "$ERR" 'no such entry' "cat of a missing entry"
assert_empty "$OUT" "stdout of cat of a missing entry"

# ---------------------------------------------------------------- info
expect_rc 0 "$K" info v.kist
assert_grep "$OUT" 'recipient slots: +2$' "info shows 2 recipient slots"
assert_grep "$OUT" 'version 2' "info shows the format version"
assert_grep "$OUT" "size: +$(stat -c %s v.kist) bytes" "info shows the vault size"
for needle in case photos IMG docs témoin log.txt link; do
	if grep -qF -- "$needle" "$OUT" "$ERR"; then fail "info reveals '$needle'"; else ok; fi
done
if grep -qF -- "$PS" "$OUT" "$ERR"; then fail "info reveals the signer's key"; else ok; fi

# Duplicate recipients are sealed once.
expect_rc 0 "$K" seal -q -r "$PA" -r "$PA" -R recipients.txt -R recipients.txt -o dup.kist case/docs/empty.txt
expect_rc 0 "$K" info dup.kist
assert_grep "$OUT" 'recipient slots: +2$' "slots of a vault sealed for A, A, B, B"

# ------------------------------------------------------ standard input
# (the pipe: from a process substitution, so that expect_rc runs in this shell)
expect_rc 0 "$K" seal -r "$PA" -o stdin.kist --stdin-name note.txt - < <(echo data)
expect_rc 0 "$K" list -i alice.key stdin.kist
assert_eq "note.txt" "$(cat "$OUT")" "list of a vault sealed from standard input"
expect_rc 0 "$K" cat -i alice.key stdin.kist note.txt
assert_eq "data" "$(cat "$OUT")" "cat of the entry sealed from standard input"
assert_eq 5 "$(wc -c <"$OUT")" "bytes of the entry sealed from standard input"

# Default name, and standard input together with files, and a binary pipe.
head -c 3000000 /dev/urandom >big.bin
expect_rc 0 "$K" seal -q -r "$PA" -o stdin2.kist case/docs/deep - <big.bin
expect_rc 0 "$K" list -i alice.key stdin2.kist
assert_grep "$OUT" '^stdin$' "default name of standard input"
expect_rc 0 "$K" cat -i alice.key stdin2.kist stdin
assert_file_eq big.bin "$OUT" "3 MB sealed from standard input"
# Empty standard input is an empty file.
expect_rc 0 "$K" seal -q -r "$PA" -o stdin3.kist --stdin-name empty - </dev/null
expect_rc 0 "$K" cat -i alice.key stdin3.kist empty
assert_empty "$OUT" "entry sealed from an empty standard input"
# '-' twice is a usage error.
expect_rc 2 "$K" seal -r "$PA" -o stdin4.kist - - </dev/null
assert_missing stdin4.kist "vault after '-' given twice"

# ------------------------------------------------------ compression level
# Every level opens the same; a higher level gives a smaller vault of text.
mkdir lvl
# words drawn from a small vocabulary (numbered lines alone compress worse at 19)
awk 'BEGIN { srand(7); n = split("witness statement camp river north family road report date name", w, " ")
	for (i = 0; i < 6000; i++) { l = ""; for (j = 0; j < 10; j++) l = l " " w[int(rand() * n) + 1]; print l } }' >lvl/log.txt
for lv in 1 19; do
	expect_rc 0 "$K" seal -q --level $lv -r "$PA" -o level$lv.kist lvl
	fresh_dir=level$lv.out
	mkdir "$fresh_dir"
	expect_rc 0 "$K" extract -q -i alice.key -C "$fresh_dir" level$lv.kist
	assert_file_eq lvl/log.txt "$fresh_dir/lvl/log.txt" "log.txt sealed at level $lv"
done
s1=$(stat -c %s level1.kist) s19=$(stat -c %s level19.kist)
if [ "$s19" -lt "$s1" ]; then ok; else fail "level 19 vault ($s19 bytes) not smaller than level 1 ($s1)"; fi
for bad in 0 20 -3 x ''; do
	expect_rc 2 "$K" seal --level "$bad" -r "$PA" -o badlevel.kist lvl
	assert_grep "$ERR" 'level takes a number from 1 to 19' "message for --level '$bad'"
	assert_missing badlevel.kist "vault after --level '$bad'"
done
expect_rc 2 "$K" seal --level 1 --level 2 -r "$PA" -o badlevel.kist lvl
assert_missing badlevel.kist "vault after --level given twice"

finish
