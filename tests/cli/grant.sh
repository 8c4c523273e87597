#!/usr/bin/env bash
# Format version 2 at the command line: size padding (seal --pad, info,
# verify) and grants (kist grant: a recipient added later, content copied
# byte for byte, the sealer's signature kept, the grant shown and logged).
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
PB=$(mkid bob)
PC=$(mkid carol)
PS=$(mkid sealer)
PM=$(mkid mallory)
fpr() { "$K" pubkey "$1" 2>&1 >/dev/null | sed -n 's/^fingerprint: //p'; }
FA=$(fpr alice.key)
FB=$(fpr bob.key)
FC=$(fpr carol.key)

# ---- padding: contents of 1,000,000 and 1,000,100 bytes seal to one size
python3 -c "import os; open('m1','wb').write(os.urandom(1000000)); open('m2','wb').write(os.urandom(1000100))"
expect_rc 0 "$K" seal -q -r "$PA" -o p1.kist m1
expect_rc 0 "$K" seal -q -r "$PA" -o p2.kist m2
expect_rc 0 "$K" seal -q --pad none -r "$PA" -o n2.kist m2
S1=$(stat -c %s p1.kist)
S2=$(stat -c %s p2.kist)
N2=$(stat -c %s n2.kist)
assert_eq "$S1" "$S2" "padded: 1,000,000 and 1,000,100 bytes of content give one vault size"
[ "$N2" -lt "$S2" ] && [ $((S2 - N2)) -le $((N2 / 8)) ] && ok ||
	fail "--pad none: $N2 bytes, padded $S2 (overhead must be > 0 and < 12.5 %)"
echo "padding: $N2 -> $S2 bytes"
expect_rc 0 "$K" info p1.kist
assert_grep "$OUT" "version 2" "info: format version 2"
assert_no_grep "$OUT" "^pad" "info: whether a vault is padded is not visible without a key"
expect_rc 0 "$K" verify -i alice.key p1.kist
assert_grep "$OUT" "^Padding: +Padmé, [0-9]+ bytes" "verify: a padded vault says so"
expect_rc 0 "$K" verify -i alice.key n2.kist
assert_grep "$OUT" "^Padding: +none" "verify: --pad none says so"
expect_rc 2 "$K" seal -q --pad some -r "$PA" -o x.kist m1
assert_grep "$ERR" "padme or none" "--pad takes padme or none"
assert_missing x.kist "--pad some writes nothing"
# The last padding byte changed: verify says the padding is damaged, extract works.
python3 - p1.kist pd.kist <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[len(b) - 185 - 1] ^= 1
open(sys.argv[2], 'wb').write(b)
PY
expect_rc 4 "$K" verify -i alice.key pd.kist
assert_grep "$OUT" "^Padding: +DAMAGED" "verify names damaged padding"
expect_rc 4 "$K" verify --json -i alice.key pd.kist
pyjson "$OUT" "verify --json, damaged padding" 'd["checked"]["padding_damaged"] is True' \
	'd["checked"]["failed"] == 0' 'd["result"] == "failed"'
rm -rf pdx && mkdir pdx
expect_rc 0 "$K" extract -q -i alice.key -C pdx pd.kist
cmp m1 pdx/m1 >/dev/null && ok || fail "damaged padding alone: extract gives the content back"

# ---- grant: sealed by the sealer for alice, alice grants bob
mkdir case
echo "statement, synthetic" >case/s.txt
head -c 3000000 /dev/urandom >case/video.bin
expect_rc 0 "$K" seal -q -s sealer.key -r "$PA" -o v.kist case
expect_rc 3 "$K" list -i bob.key v.kist
expect_rc 0 "$K" grant -i alice.key -r "$PB" -o g.kist v.kist
assert_grep "$ERR" "opens for 1 more recipient" "grant: the summary counts the new recipient"
assert_grep "$ERR" "added: +$FB" "grant: names the new recipient's fingerprint"
assert_grep "$ERR" "granted by: +$FA" "grant: names the granter"
expect_rc 0 "$K" verify -i bob.key --signer sealer.key g.kist
assert_grep "$OUT" "ALL GOOD" "the new recipient opens and verifies the granted vault"
assert_grep "$OUT" "^Granted: .* by $FA; signature valid" "verify shows the grant and who made it"
assert_grep "$OUT" "^ +to $FB" "verify shows to whom"
assert_grep "$OUT" "^Recipients: +2" "verify counts both recipients"
assert_grep "$OUT" "^Padding: +Padmé" "a granted vault is still Padmé-padded (grants' header bytes aside)"
expect_rc 0 "$K" verify -i alice.key --signer sealer.key g.kist
assert_grep "$OUT" "ALL GOOD" "the old recipient still opens the granted vault"
expect_rc 0 "$K" verify -i alice.key --signer sealer.key v.kist
# Content untouched: every byte after the header is the original's.
expect_rc 0 "$K" info v.kist
H1=$(sed -n 's/^header: *\([0-9]*\) bytes.*/\1/p' "$OUT")
expect_rc 0 "$K" info g.kist
H2=$(sed -n 's/^header: *\([0-9]*\) bytes.*/\1/p' "$OUT")
assert_grep "$OUT" "^grants: +1" "info counts grant records (public)"
cmp <(tail -c +$((H1 + 1)) v.kist) <(tail -c +$((H2 + 1)) g.kist) >/dev/null && ok ||
	fail "grant changed bytes after the header"
assert_eq "$(($(stat -c %s g.kist) - $(stat -c %s v.kist)))" "$((H2 - H1))" \
	"grant: only the header grew"
rm -rf out && mkdir out
expect_rc 0 "$K" extract -q -i bob.key -C out g.kist
diff -r case out/case >/dev/null && ok || fail "bob extracts what was sealed"
expect_rc 0 "$K" log list
assert_grep "$OUT" " $FA +grant +vault [0-9a-f]{32}" "the grant is logged as an access by the granter"

# ---- a second grant, by bob, chained; JSON
expect_rc 0 "$K" grant -q -i bob.key -r "$PC" -o g2.kist g.kist
assert_empty "$ERR" "grant -q prints nothing"
expect_rc 0 "$K" verify --json -i carol.key --signer sealer.key g2.kist
pyjson "$OUT" "verify --json of a twice-granted vault" 'd["result"] == "ok"' \
	'len(d["grants"]) == 2' 'd["recipients"] == 3' 'd["format_version"] == 2' \
	"d['grants'][0]['granter']['fingerprint'] == '$FA'" \
	"d['grants'][1]['granter']['fingerprint'] == '$FB'" \
	"d['grants'][1]['added'][0]['fingerprint'] == '$FC'" 'd["padding"] == "padme"'

# ---- refusals
expect_rc 3 "$K" grant -i mallory.key -r "$PM" -o m.kist v.kist
assert_missing m.kist "a non-recipient cannot grant"
expect_rc 1 "$K" grant -i alice.key -r "$PB" -o g.kist v.kist
assert_grep "$ERR" "exists.*use --force" "grant does not replace an existing output"
expect_rc 0 "$K" grant -q -i alice.key -r "$PB" -o g.kist --force v.kist
expect_rc 2 "$K" grant -i alice.key -o z.kist v.kist
assert_grep "$ERR" "no recipient to add" "grant without -r or -R"
expect_rc 2 "$K" grant -i alice.key -r "$PB" v.kist
assert_missing z.kist "nothing written on a usage error"
# A byte of the grant record changed by someone without the key: the header MAC.
flip_byte g.kist gx.kist $((H2 - 64 - 10))
expect_rc 4 "$K" verify -i alice.key gx.kist
assert_grep "$ERR" "header authentication failed" "a changed grant record fails the header MAC"
# A version 1 vault cannot take a grant.
V1=$(dirname "$0")/../vectors/v1
if [ -f "$V1/valid/one-file.kist" ]; then
	install -m 600 "$V1/keys/alice.key" v1alice.key
	expect_rc 4 "$K" grant -i v1alice.key -r "$PB" -o v1g.kist "$V1/valid/one-file.kist"
	assert_grep "$ERR" "version 1 vault cannot take a grant" "grant of a version 1 vault is refused"
	assert_missing v1g.kist "nothing written for a version 1 vault"
	expect_rc 0 "$K" verify -i v1alice.key "$V1/valid/one-file.kist"
	assert_no_grep "$OUT" "^Padding" "a version 1 vault has no padding line"
fi
assert_no_tmp .
finish
