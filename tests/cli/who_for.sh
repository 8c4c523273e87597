#!/usr/bin/env bash
# Say who a vault is for, and what was checked (issue 15): the seal summary
# names every recipient and warns when the sealer can reopen the vault; seal
# and verify name the vault file's SHA-256; verify --signer on an intact vault
# from someone else (or unsigned) exits 7 and never says "damaged".
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
PB=$(mkid bob)
PS=$(mkid sealer)
fpr() { "$K" pubkey "$1" 2>&1 >/dev/null | sed -n 's/^fingerprint: //p'; }
FA=$(fpr alice.key)
FB=$(fpr bob.key)
FS=$(fpr sealer.key)
mkdir case
head -c 200000 /dev/urandom >case/photo.jpg
echo "statement, synthetic" >case/s.txt

# ---- the seal summary
expect_rc 0 "$K" seal -s sealer.key -r "$PA" -r "$PB" -o v.kist case
assert_grep "$ERR" "for 2 recipients: $FA, $FB$" "the summary lists every recipient's fingerprint"
assert_no_grep "$ERR" 'this laptop can reopen' "no self warning when the sealer is not a recipient"
SUM=$(sha256sum v.kist | cut -d' ' -f1)
assert_grep "$ERR" "SHA-256 of v.kist: $SUM" "seal prints the vault file's SHA-256"
expect_rc 0 "$K" seal -s sealer.key -r "$PA" -r "$PS" -o self.kist case
assert_grep "$ERR" "$FS \(the sealer\)" "the sealer is marked among the recipients"
assert_grep "$ERR" "warning: the sealer's own key .* is a recipient: this laptop can reopen self.kist" \
	"sealing to oneself among others warns"
expect_rc 0 "$K" seal -s sealer.key -r "$PS" -o only.kist case
assert_grep "$ERR" "WARNING: the sealer's own key .* is the ONLY recipient" \
	"sealing to oneself only warns louder"
expect_rc 0 "$K" seal -r "$PA" -o unsigned.kist case
assert_grep "$ERR" "for 1 recipient: $FA$" "one recipient, singular"

# ---- verify names the file's SHA-256
expect_rc 0 "$K" verify -i alice.key v.kist
assert_grep "$OUT" "^SHA-256: +$SUM " "verify names the vault file's SHA-256"
expect_rc 0 "$K" verify --json -i alice.key v.kist
assert_grep "$OUT" "\"sha256\": \"$SUM\"" "verify --json carries the SHA-256"

# ---- verify --signer: someone else's valid signature is not damage
expect_rc 7 "$K" verify -i alice.key --signer "$PB" v.kist
assert_grep "$ERR" "signed by $FS, not by the expected $FB; the content checked out" \
	"verify --signer OTHER says who signed and that the content checked out"
assert_no_grep "$OUT" 'DAMAGED|damaged|FAILED' "verify --signer OTHER: stdout"
assert_no_grep "$ERR" 'DAMAGED|damaged|failed' "verify --signer OTHER: stderr"
expect_rc 7 "$K" verify -i alice.key --signer "$PS" unsigned.kist
assert_grep "$ERR" "not signed, so not by the expected $FS" "verify --signer on an unsigned vault"
assert_no_grep "$OUT" 'DAMAGED|damaged' "verify --signer on an unsigned vault: stdout"
expect_rc 7 "$K" verify --json -i alice.key --signer "$PB" v.kist
assert_grep "$OUT" '"result": "wrong_signer"' "verify --json --signer OTHER: result wrong_signer"
# Damage still wins: a damaged vault is 4 whatever the signer.
SIZE=$(stat -c %s v.kist)
flip_byte v.kist bad.kist $((SIZE / 3))
expect_rc 4 "$K" verify -i alice.key --signer "$PB" bad.kist

finish
