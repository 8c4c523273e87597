#!/usr/bin/env bash
# kist keygen and kist pubkey: file modes, never replacing, passphrase files, wrong
# passphrases, identity permissions, the public key format.
. "$(dirname "$0")/lib.sh"

PUBKEY_RE='^kist1[a-z0-9]{109}$'

# ------------------------------------------------------------ keygen basics
expect_rc 0 "$K" keygen --no-passphrase -o a.key
assert_eq 600 "$(stat -c %a a.key 2>&1)" "mode of a new identity file"
assert_eq 1 "$(wc -l <"$OUT")" "keygen prints one line (the public key) on stdout"
assert_grep "$OUT" "$PUBKEY_RE" "keygen's stdout is the public key"
assert_grep "$ERR" 'fingerprint: [0-9a-z]{4}(-[0-9a-z]{4}){4}' "keygen shows the fingerprint on stderr"
assert_grep "$ERR" 'not protected by a passphrase' "keygen --no-passphrase warns"
PA=$(cat "$OUT")

# The mode is 0600 whatever the umask.
(umask 000 && "$K" keygen -q --no-passphrase -o loose-umask.key >/dev/null 2>&1) ||
	fail "keygen with umask 000 failed"
assert_eq 600 "$(stat -c %a loose-umask.key 2>&1)" "mode of an identity created under umask 000"

# Never replaces an existing identity, with or without --force (a replaced
# identity makes every vault sealed to it unopenable): the file stays
# byte-identical and the message says to move it first.
cp a.key a.key.orig
expect_rc 1 "$K" keygen --no-passphrase -o a.key
assert_grep "$ERR" 'already exists.*never replaces an identity.*move it' "refusal says to move the old identity"
assert_no_grep "$ERR" 'use --force' "refusal does not offer --force"
assert_file_eq a.key.orig a.key "identity file after a refused keygen"
assert_empty "$OUT" "stdout of a refused keygen"
chmod 644 a.key
cp -p a.key a.key.orig
expect_rc 2 "$K" keygen --no-passphrase --force -o a.key
assert_grep "$ERR" '--force: keygen never replaces an identity.*move the old file' "keygen --force is refused with the reason"
assert_file_eq a.key.orig a.key "identity file after keygen -o EXISTING --force"
assert_eq 644 "$(stat -c %a a.key 2>&1)" "mode of an identity after a refused keygen --force"
assert_empty "$OUT" "stdout of keygen --force"
# Nor a link to one, nor a dangling link (the target would be created).
ln -s a.key link.key
expect_rc 1 "$K" keygen --no-passphrase -o link.key
assert_file_eq a.key.orig a.key "identity behind a link after keygen -o LINK"
ln -s gone.key dangling.key
expect_rc 1 "$K" keygen --no-passphrase -o dangling.key
assert_missing gone.key "target of a dangling link named by keygen -o"

# An existing non-identity file is not overwritten either.
echo "precious notes" >notes.txt
cp notes.txt notes.orig
expect_nonzero "$K" keygen --no-passphrase -o notes.txt
assert_file_eq notes.orig notes.txt "unrelated file named by a refused keygen -o"
assert_no_tmp . "keygen"

# Usage errors.
expect_rc 2 "$K" keygen --no-passphrase
echo "pass phrase one" >pw
chmod 600 pw
expect_rc 2 "$K" keygen --passphrase-file pw --no-passphrase -o both.key
assert_missing both.key "identity file after --passphrase-file with --no-passphrase"
assert_grep "$ERR" 'passphrase-file.*no-passphrase|conflict' "message for --passphrase-file with --no-passphrase"
expect_rc 2 "$K" keygen --no-passphrase -o x.key extra-arg
assert_missing x.key "identity file after keygen with a stray argument"

# ------------------------------------------------------- protected identity
expect_rc 0 "$K" keygen --passphrase-file pw -o p.key
PP=$(cat "$OUT")
assert_eq 600 "$(stat -c %a p.key 2>&1)" "mode of a protected identity"
assert_grep "$OUT" "$PUBKEY_RE" "keygen --passphrase-file prints the public key"
assert_no_grep "$ERR" 'not protected' "keygen with a passphrase does not warn about protection"
if grep -aqF "pass phrase one" p.key; then fail "the passphrase appears in the identity file"; else ok; fi

# The passphrase file must be chmod 600.
echo "pass phrase two" >pw-open
chmod 644 pw-open
expect_rc 3 "$K" keygen --passphrase-file pw-open -o p2.key
assert_grep "$ERR" 'chmod 600' "refused passphrase file: message says chmod 600"
assert_missing p2.key "identity after a refused (mode 644) passphrase file"
# An empty passphrase file is refused.
: >pw-empty
chmod 600 pw-empty
expect_rc 3 "$K" keygen --passphrase-file pw-empty -o p3.key
assert_missing p3.key "identity after an empty passphrase file"

# pubkey works on a protected identity without any passphrase (no terminal either).
expect_rc 0 "$K" pubkey p.key </dev/null
assert_eq "$PP" "$(cat "$OUT")" "pubkey of a protected identity"

# Open a vault with it: the right passphrase works, a wrong one gives 3.
mkdir case
echo "statement" >case/s.txt
expect_rc 0 "$K" seal -q -r "$PP" -o p.kist case
echo "pass phrase WRONG" >pw-wrong
chmod 600 pw-wrong
expect_rc 0 "$K" list -i p.key --passphrase-file pw p.kist
assert_grep "$OUT" '^case/s.txt$' "list with the right passphrase"
expect_rc 3 "$K" list -i p.key --passphrase-file pw-wrong p.kist
assert_grep "$ERR" 'passphrase' "wrong passphrase: message mentions the passphrase"
assert_empty "$OUT" "stdout of list with a wrong passphrase"
mkdir out-wrong
expect_rc 3 "$K" extract -i p.key --passphrase-file pw-wrong -C out-wrong p.kist
assert_dir_empty out-wrong "extract with a wrong passphrase"
# Without a terminal and without a passphrase file: no access (3), no hang.
expect_rc 3 "$K" list -i p.key p.kist </dev/null
assert_grep "$ERR" 'passphrase-file' "no terminal: message suggests --passphrase-file"

# Signing with a protected identity: the passphrase file is used for -s too.
expect_rc 3 "$K" seal -r "$PP" -s p.key --passphrase-file pw-wrong -o signed-bad.kist case
assert_missing signed-bad.kist "vault signed with a wrong passphrase"
expect_rc 0 "$K" seal -r "$PP" -s p.key --passphrase-file pw -o signed.kist case
expect_rc 0 "$K" verify -i p.key --passphrase-file pw --signer "$PP" signed.kist
assert_grep "$OUT" 'signature valid' "vault signed by a protected identity"

# ------------------------------------------------- identity file permissions
PB=$(mkid b)
expect_rc 0 "$K" seal -q -r "$PB" -o b.kist case
chmod 640 b.key
expect_rc 3 "$K" list -i b.key b.kist
assert_grep "$ERR" 'chmod' "group-readable identity: message mentions chmod"
assert_empty "$OUT" "stdout of list with a group-readable identity"
expect_rc 3 "$K" pubkey b.key
assert_grep "$ERR" 'chmod' "pubkey of a group-readable identity mentions chmod"
chmod 604 b.key
expect_rc 3 "$K" list -i b.key b.kist
chmod 620 b.key
expect_rc 3 "$K" list -i b.key b.kist
chmod 600 b.key
expect_rc 0 "$K" list -i b.key b.kist
chmod 400 b.key
expect_rc 0 "$K" list -i b.key b.kist
chmod 600 b.key

# Not an identity file / missing identity file.
echo "not a key" >junk.key
chmod 600 junk.key
expect_rc 1 "$K" pubkey junk.key
expect_rc 5 "$K" pubkey no-such.key
expect_rc 5 "$K" list -i no-such.key b.kist

# --------------------------------------------------------------- pubkey
expect_rc 0 "$K" pubkey b.key
assert_eq 1 "$(wc -l <"$OUT")" "pubkey prints exactly one line on stdout"
assert_grep "$OUT" "$PUBKEY_RE" "pubkey output format"
assert_eq "$PB" "$(cat "$OUT")" "pubkey equals the key keygen printed"
assert_grep "$ERR" 'fingerprint' "pubkey shows the fingerprint on stderr"
FPR=$(grep -Eo '[0-9a-z]{4}(-[0-9a-z]{4}){4}' "$ERR")

# Given a public key string instead of a file, it is printed back with the same fingerprint.
expect_rc 0 "$K" pubkey "$PB"
assert_eq "$PB" "$(cat "$OUT")" "pubkey of a public key string"
assert_eq "$FPR" "$(grep -Eo '[0-9a-z]{4}(-[0-9a-z]{4}){4}' "$ERR")" "fingerprint of the key string equals that of the file"
# The same key in upper case (kist.h: "all lower or all upper case") is the same key.
expect_rc 0 "$K" pubkey "${PB^^}" &&
	assert_eq "$PB" "$(cat "$OUT")" "pubkey of the upper-case key string"

# A one-character typo is caught by the checksum.
c=${PB:60:1}
if [ "$c" = q ]; then r=p; else r=q; fi
BAD=${PB:0:60}$r${PB:61}
expect_nonzero "$K" pubkey "$BAD"
assert_grep "$ERR" 'checksum' "typo in a key string: message mentions the checksum"
assert_empty "$OUT" "stdout of pubkey of a mistyped key"

expect_rc 2 "$K" pubkey
expect_rc 2 "$K" pubkey b.key a.key
expect_rc 2 "$K" pubkey --bogus b.key

finish
