#!/usr/bin/env bash
# Keys as people paste them (issue 15): line breaks, blanks, quotes, angle
# brackets, zero-width characters and a trailing fingerprint line are
# dropped; a key still wrong is explained by position and character; -r FILE
# says to use -R; kist pubkey takes a file holding a public key; --signer
# takes a key, a file holding one, or a fingerprint.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
PS=$(mkid sealer)
mkdir case
echo "statement, synthetic" >case/s.txt
FA=$("$K" pubkey alice.key 2>&1 >/dev/null | sed -n 's/^fingerprint: //p')
FS=$("$K" pubkey sealer.key 2>&1 >/dev/null | sed -n 's/^fingerprint: //p')
[ ${#FA} -eq 24 ] && [ ${#FS} -eq 24 ] || die "cannot read the fingerprints"

ZW=$'\u200b'   # zero-width space
WJ=$'\u2060'   # word joiner
BOM=$'\ufeff'  # byte order mark
ZWNJ=$'\u200c' # zero-width non-joiner

# A key broken over two lines with a zero-width space inside: seals.
P1="${PA:0:60}"$'\n'"${PA:60:20}${ZW}${PA:80}"
expect_rc 0 "$K" seal -q -r "$P1" -o v1.kist case
expect_rc 0 "$K" list -i alice.key v1.kist
assert_grep "$OUT" '^case/s.txt$' "a key pasted with a line break and a zero-width space seals for alice"
# Quotes, angle brackets, tabs, spaces, BOM, word joiner, ZWNJ, CRLF, and the
# fingerprint line kist pubkey prints after a key.
P2="${BOM}\"<${PA:0:30}	${PA:30:30} ${WJ}${PA:60:30}${ZWNJ}${PA:90}>\""$'\r\n'"fingerprint: $FA"
expect_rc 0 "$K" pubkey "$P2"
assert_eq "$PA" "$(cat "$OUT")" "a pasted key with noise and a fingerprint line is read as the key"
assert_grep "$ERR" "fingerprint: $FA" "its fingerprint"
expect_rc 0 "$K" seal -q -r "'$PA'" -o v2.kist case
# The checksum still guards: one character changed is refused.
c=${PA:40:1}
if [ "$c" = q ]; then r=p; else r=q; fi
expect_rc 2 "$K" seal -q -r "${PA:0:40}${ZW}$r${PA:41}" -o bad.kist case
assert_grep "$ERR" 'checksum' "a mistyped pasted key is refused by its checksum"
assert_missing bad.kist "no vault for a mistyped key"

# Still wrong: say where and what.
expect_rc 2 "$K" seal -q -r "${PA:0:57}O${PA:58}" -o bad.kist case
assert_grep "$ERR" "character 58 is 'O' \(capital letter O\); kist keys never contain it" \
	"a letter O in a key is named with its position"
expect_rc 2 "$K" seal -q -r "${PA:0:20}1${PA:21}" -o bad.kist case
assert_grep "$ERR" "character 21 is '1' \(digit one\)" "a digit one after the prefix is named"
expect_rc 2 "$K" seal -q -r "${PA:0:30}é${PA:31}" -o bad.kist case
assert_grep "$ERR" "character 31 is U\+00E9" "a non-ASCII character is named by code point"
expect_rc 2 "$K" seal -q -r "${PA:0:90}" -o bad.kist case
assert_grep "$ERR" "114 characters .* this is 90" "a key cut short says how long it is"

# -r naming a file: use -R.
"$K" pubkey alice.key >alice.pub 2>/dev/null
expect_rc 2 "$K" seal -q -r alice.pub -o bad.kist case
assert_grep "$ERR" 'use -R alice.pub' "-r with a file says to use -R"
assert_missing bad.kist "no vault after -r FILE"
# -R takes a saved kist pubkey output, fingerprint line included.
"$K" pubkey alice.key >alice.both 2>&1
expect_rc 0 "$K" seal -q -R alice.both -o v3.kist case

# kist pubkey FILE holding a public key: no permission check, key and fingerprint.
chmod 644 alice.pub
expect_rc 0 "$K" pubkey alice.pub
assert_eq "$PA" "$(cat "$OUT")" "kist pubkey of a public key file prints the key"
assert_grep "$ERR" "^fingerprint: $FA$" "kist pubkey of a public key file prints the fingerprint"
expect_rc 0 "$K" pubkey alice.both
assert_eq "$PA" "$(cat "$OUT")" "kist pubkey of a file with a key and its fingerprint line"
printf '%s\n' "${PA:0:57}O${PA:58}" >broken.pub
expect_rc 2 "$K" pubkey broken.pub
assert_grep "$ERR" "broken.pub: .*character 58" "a broken public key file is explained"

# --signer: a key, a file holding one, a fingerprint with or without dashes.
expect_rc 0 "$K" seal -q -s sealer.key -r "$PA" -o signed.kist case
"$K" pubkey sealer.key >sealer.pub 2>/dev/null
for s in "$PS" sealer.pub "$FS" "${FS//-/}" "${FS^^}"; do
	expect_rc 0 "$K" verify -q -i alice.key --signer "$s" signed.kist
	assert_grep "$OUT" 'ALL GOOD' "verify --signer $s"
done
expect_rc 7 "$K" verify -q -i alice.key --signer "${FA//-/}" signed.kist
assert_grep "$ERR" "signed by $FS, not by the expected $FA; the content checked out" \
	"--signer with another fingerprint"
expect_rc 2 "$K" verify -q -i alice.key --signer "${FS:0:20}" signed.kist
assert_grep "$ERR" 'fingerprint' "--signer with a short fingerprint says what it takes"

finish
