#!/usr/bin/env bash
# age keys: age1 recipients and age-keygen identity files, with keys made by
# the real age-keygen (Debian's age package, installed by
# packaging/install-deps.sh).  Skipped, visibly, if age-keygen is missing.
. "$(dirname "$0")/lib.sh"

command -v age-keygen >/dev/null 2>&1 || skip "age-keygen is not installed (apt-get install age)"

AGE_RE='^age1[a-z0-9]{58}$'
KIST_RE='^kist1[a-z0-9]{109}$'

# Keys as a legal team using age has them: age-keygen -o writes mode 0600.
age-keygen -o legal.key 2>/dev/null || die "age-keygen -o legal.key failed"
age-keygen -o other.key 2>/dev/null || die "age-keygen -o other.key failed"
assert_eq 600 "$(stat -c %a legal.key)" "mode of an age-keygen -o file"
LEGAL=$(age-keygen -y legal.key) || die "age-keygen -y failed"
OTHER=$(age-keygen -y other.key) || die "age-keygen -y failed"
[[ $LEGAL =~ $AGE_RE ]] || die "age-keygen -y printed '$LEGAL'"
TRUSTEE=$(mkid trustee)

mkdir -p evidence/photos
printf 'statement of a synthetic witness\n' >evidence/statement.txt
head -c 300000 /dev/urandom >evidence/photos/img-001.bin
printf 'list\n' >evidence/list.csv

# ------------------------------------------------------------ kist pubkey
expect_rc 0 "$K" pubkey legal.key
assert_eq 2 "$(wc -l <"$OUT")" "pubkey of an age identity prints two lines"
assert_eq "$LEGAL" "$(sed -n 1p "$OUT")" "first line: the age1 recipient age-keygen -y prints"
assert_grep "$OUT" "$KIST_RE" "second line: the kist1 key of the same identity"
LEGAL_KIST=$(sed -n 2p "$OUT")
assert_grep "$ERR" 'fingerprint: [0-9a-f]{4}(-[0-9a-f]{4}){4}' "pubkey shows the fingerprint"
expect_rc 0 "$K" pubkey "$LEGAL"
assert_eq "$LEGAL" "$(cat "$OUT")" "pubkey of an age1 string echoes it"
# The derived signing key is stable.
expect_rc 0 "$K" pubkey legal.key
assert_eq "$LEGAL_KIST" "$(sed -n 2p "$OUT")" "the kist1 key of an age identity is deterministic"

# ----------------------------------------------------- seal to an age1 key
expect_rc 0 "$K" seal -q -r "$LEGAL" -o age-only.kist evidence
expect_rc 0 "$K" info age-only.kist
assert_grep "$OUT" 'recipient slots: 1 \(1 age\)' "info counts the age slot"
expect_rc 0 "$K" list -i legal.key age-only.kist
assert_grep "$OUT" '^evidence/photos/img-001.bin$' "list with the age-keygen identity"
expect_rc 0 "$K" verify -i legal.key age-only.kist
assert_grep "$OUT" 'Result: +ALL GOOD' "verify with the age identity"
mkdir out1
expect_rc 0 "$K" extract -i legal.key -C out1 age-only.kist
assert_file_eq evidence/photos/img-001.bin out1/evidence/photos/img-001.bin "extracted with the age identity"
assert_file_eq evidence/statement.txt out1/evidence/statement.txt "extracted statement"
expect_rc 0 "$K" cat -i legal.key age-only.kist evidence/statement.txt
assert_file_eq evidence/statement.txt "$OUT" "cat with the age identity"

# The wrong age key, and a kist identity, get "no access".
expect_rc 3 "$K" list -i other.key age-only.kist
assert_grep "$ERR" 'no recipient slot matches' "message for the wrong age key"
expect_rc 3 "$K" list -i trustee.key age-only.kist
# Several identities: the right one among them opens it.
expect_rc 0 "$K" list -i other.key -i trustee.key -i legal.key age-only.kist

# ---------------------------------------------------- mixed kist and age
expect_rc 0 "$K" seal -q -r "$TRUSTEE" -r "$LEGAL" -o mixed.kist evidence
expect_rc 0 "$K" info mixed.kist
assert_grep "$OUT" 'recipient slots: 2 \(1 age\)' "info of a mixed vault"
mkdir out2 out3
expect_rc 0 "$K" extract -i legal.key -C out2 mixed.kist
assert_file_eq evidence/photos/img-001.bin out2/evidence/photos/img-001.bin "mixed vault, age identity"
expect_rc 0 "$K" extract -i trustee.key -C out3 mixed.kist
assert_file_eq evidence/photos/img-001.bin out3/evidence/photos/img-001.bin "mixed vault, kist identity"
expect_rc 3 "$K" list -i other.key mixed.kist

# ---------------------------------------- -R file with age1 lines and comments
cat >recipients.txt <<EOF
# the legal team (age)
$LEGAL

   # the trustee (kist)
$TRUSTEE
EOF
expect_rc 0 "$K" seal -q -R recipients.txt -o from-file.kist evidence/statement.txt
expect_rc 0 "$K" info from-file.kist
assert_grep "$OUT" 'recipient slots: 2 \(1 age\)' "-R file with an age1 and a kist1 line"
expect_rc 0 "$K" list -i legal.key from-file.kist
expect_rc 0 "$K" list -i trustee.key from-file.kist
printf '%s\nage1notakey\n' "$LEGAL" >bad-recipients.txt
expect_rc 1 "$K" seal -q -R bad-recipients.txt -o bad.kist evidence/statement.txt
assert_grep "$ERR" 'line 2' "a bad age1 line is named"
assert_missing bad.kist "no vault after a bad recipients file"

# A bad age1 key on the command line: a usage error, no vault.
BAD=${LEGAL%?}q
[ "$BAD" = "$LEGAL" ] && BAD=${LEGAL%?}p
expect_rc 2 "$K" seal -q -r "$BAD" -o bad.kist evidence/statement.txt
assert_grep "$ERR" 'checksum' "a mistyped age1 key is caught by its checksum"
assert_missing bad.kist "no vault after a bad age1 key"
expect_rc 2 "$K" seal -q -r "${LEGAL^^}" -o bad.kist evidence/statement.txt
assert_missing bad.kist "no vault after an upper-case age1 key (age refuses those too)"

# -------------------------------------------- identity file permissions
cp legal.key loose.key
chmod 640 loose.key
expect_rc 3 "$K" list -i loose.key age-only.kist
assert_grep "$ERR" 'mode 640.*chmod 600' "a group-readable age key is refused"
chmod 604 loose.key
expect_rc 3 "$K" list -i loose.key age-only.kist
expect_rc 3 "$K" pubkey loose.key
# age-keygen writing to a redirect leaves the umask's mode: refused until chmod 600.
(umask 022 && age-keygen >redirected.key 2>/dev/null)
expect_rc 3 "$K" pubkey redirected.key
chmod 600 redirected.key
expect_rc 0 "$K" pubkey redirected.key

# A file with several age keys: -i uses them all; -s refuses to choose.
cat legal.key other.key >both.key
chmod 600 both.key
expect_rc 0 "$K" list -i both.key age-only.kist
expect_rc 0 "$K" pubkey both.key
assert_eq 4 "$(wc -l <"$OUT")" "pubkey of a file with two age keys: two lines each"
expect_rc 1 "$K" seal -q -s both.key -r "$LEGAL" -o two-signers.kist evidence/statement.txt
assert_grep "$ERR" 'only one' "-s with two age keys is refused"
assert_missing two-signers.kist "no vault when -s is ambiguous"

# ------------------------------------------------- signing with an age key
expect_rc 0 "$K" seal -s legal.key -r "$TRUSTEE" -o signed.kist evidence
assert_grep "$ERR" '\<signed\>' "seal -s with an age identity signs (the word, not 'unsigned')"
assert_grep "$ERR" 'sealer \(-s\) is not a recipient' "the age signer is not a recipient"
expect_rc 0 "$K" verify -i trustee.key --signer "$LEGAL_KIST" signed.kist
assert_grep "$OUT" "Signed by: +$LEGAL_KIST" "verify names the age identity's kist1 key"
assert_grep "$OUT" 'Result: +ALL GOOD' "verify --signer accepts the derived key"
# Another signer's key fails; an age1 key cannot name a signer.
OTHER_KIST=$("$K" pubkey -q other.key | sed -n 2p)
expect_rc 7 "$K" verify -i trustee.key --signer "$OTHER_KIST" signed.kist
assert_grep "$OUT" 'NOT by the expected' "verify --signer with another age identity's key"
expect_rc 2 "$K" verify -i trustee.key --signer "$LEGAL" signed.kist
assert_grep "$ERR" 'age1 key cannot sign' "verify --signer refuses an age1 key"
# Signed by the age identity and sealed to it: the note says it can reopen.
expect_rc 0 "$K" seal -s legal.key -r "$LEGAL" -o self.kist evidence/statement.txt
assert_no_grep "$ERR" 'not a recipient' "an age signer sealing to its own age1 key is a recipient"
expect_rc 0 "$K" verify -i legal.key --signer "$LEGAL_KIST" self.kist

# ---------------------------------- age itself agrees on the keys it wrote
# The age1 recipient kist computes from the secret is what age-keygen -y says
# for every key (checked above for one; here for a few more).
for i in 1 2 3; do
	age-keygen -o k$i.key 2>/dev/null
	expect_rc 0 "$K" pubkey -q k$i.key
	assert_eq "$(age-keygen -y k$i.key)" "$(sed -n 1p "$OUT")" "age1 recipient of key $i"
done

assert_no_tmp . "age"
finish
