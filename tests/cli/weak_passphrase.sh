#!/usr/bin/env bash
# keygen and weak passphrases (issue 15): shorter than 8 characters is refused
# (exit 2, one line, no file) unless --weak-passphrase; an easy one is warned
# about with a rough time to guess it (zxcvbn, when built in); a strong one is
# silent.
. "$(dirname "$0")/lib.sh"

pass() { printf '%s\n' "$1" >pw && chmod 600 pw; }
HAVE_ZXCVBN=0
grep -q "zxcvbn's estimate" "$K" && HAVE_ZXCVBN=1

pass "abcdefg"
expect_rc 2 "$K" keygen --passphrase-file pw -o short.id
assert_grep "$ERR" "the passphrase has 7 characters; at least 8 are needed" "7 characters refused"
assert_eq 1 "$(wc -l <"$ERR")" "the refusal is one line"
assert_empty "$OUT" "a refused keygen prints no key"
assert_missing short.id "a refused keygen writes no identity"
# Characters, not bytes: 7 accented letters are 14 bytes and still too short.
pass "ééééééé"
expect_rc 2 "$K" keygen --passphrase-file pw -o short2.id
assert_grep "$ERR" "has 7 characters" "characters are counted, not bytes"
assert_missing short2.id "a refused keygen writes no identity"

pass "abcdefg"
expect_rc 0 "$K" keygen --passphrase-file pw --weak-passphrase -o weak.id
assert_exists weak.id "--weak-passphrase accepts a short passphrase"
assert_grep "$ERR" "warning: weak passphrase" "a short passphrase accepted is still warned about"

expect_rc 2 "$K" keygen --no-passphrase --weak-passphrase -o conflict.id
assert_missing conflict.id "--weak-passphrase with --no-passphrase is refused"

pass "password12"
expect_rc 0 "$K" keygen --passphrase-file pw -o common.id
if [ "$HAVE_ZXCVBN" = 1 ]; then
	assert_grep "$ERR" "warning: weak passphrase: could be guessed in .* \(zxcvbn's estimate\)" \
		"a common 10-character password is warned about"
else
	skip_part "built without libzxcvbn: the strength estimate was not checked"
fi

pass "lantern orbit mustard fjord cello"
expect_rc 0 "$K" keygen --passphrase-file pw -o strong.id
assert_no_grep "$ERR" "warning" "a strong passphrase is not warned about"
assert_grep "$ERR" "^fingerprint: " "a strong passphrase: the usual fingerprint line"

finish
