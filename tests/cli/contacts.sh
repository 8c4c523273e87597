#!/usr/bin/env bash
# Contacts (issue 15): names beside keys.  kist contacts add|list|remove; -r NAME
# and verify --signer NAME look a name up; every fingerprint printed shows the
# name beside it (seal summary, verify, log list, audit verify, pubkey;
# "contact" in --json);
# a hostile contacts file is refused line by line, its names printed escaped;
# without a contacts file nothing changes.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
PB=$(mkid bob)
PS=$(mkid sealer)
fpr() { "$K" pubkey "$1" 2>&1 >/dev/null | sed -n 's/^fingerprint: //p'; }
FA=$(fpr alice.key)
FB=$(fpr bob.key)
FS=$(fpr sealer.key)
mkdir case
echo "statement, synthetic" >case/s.txt
BOOK=$XDG_CONFIG_HOME/kist/contacts

# ---- no contacts file: no change in any output
expect_rc 0 "$K" seal -s sealer.key -r "$PA" -o plain.kist case
cp "$ERR" plain-seal.err
expect_rc 0 "$K" verify -i alice.key plain.kist
sed '/^Vault id\|^SHA-256\|^Sealed/d' "$OUT" >plain-verify.out
assert_grep plain-seal.err "for 1 recipient: $FA$" "without contacts: the bare fingerprint"
assert_grep plain-verify.out "fingerprint $FS; signature" "without contacts: verify names the bare fingerprint"
assert_missing "$XDG_CONFIG_HOME" "no verb creates the contacts folder unasked"

# ---- add, list
expect_rc 0 "$K" contacts add "Legal team" "$PA"
assert_grep "$ERR" "Legal team added: $FA" "contacts add says what it added"
assert_exists "$BOOK" "contacts add creates the file"
assert_eq 600 "$(stat -c %a "$BOOK")" "the contacts file is mode 0600"
assert_eq 700 "$(stat -c %a "$XDG_CONFIG_HOME/kist")" "its folder is mode 0700"
# A key pasted with a line break is stored as one clean key.
expect_rc 0 "$K" contacts add "Field sealer" "${PS:0:50}
${PS:50}"
expect_rc 0 "$K" contacts list
assert_grep "$OUT" "^Legal team	$FA	$PA$" "contacts list: name, fingerprint, key"
assert_grep "$OUT" "^Field sealer	$FS	$PS$" "contacts list: a pasted key stored clean"
expect_rc 0 "$K" contacts list --json
assert_grep "$OUT" "\"name\": \"Legal team\"" "contacts list --json: name"
assert_grep "$OUT" "\"fingerprint\": \"$FA\"" "contacts list --json: fingerprint"

# ---- duplicates
expect_rc 2 "$K" contacts add "Legal team" "$PB"
assert_grep "$ERR" "already named Legal team \(line 1\)" "a duplicate name is refused"
expect_rc 2 "$K" contacts add "Other name" "$PA"
assert_grep "$ERR" "already a contact, named Legal team" "the same key under another name is refused"
expect_rc 2 "$K" contacts add "kist1abc" "$PB"
expect_rc 2 "$K" contacts add "$(printf 'bad\033[2Jname')" "$PB"
assert_grep "$ERR" "control characters" "contacts add refuses control characters"

# ---- -r NAME, --signer NAME, names beside fingerprints
expect_rc 0 "$K" seal -s sealer.key -r "Legal team" -o v.kist case
assert_grep "$ERR" "for 1 recipient: $FA \(Legal team\)$" "seal summary: recipient with its name"
assert_grep "$ERR" "signed by $FS \(Field sealer\)" "seal summary: signer with its name"
expect_rc 0 "$K" verify -i alice.key --signer "Field sealer" v.kist
assert_grep "$OUT" "fingerprint $FS \(Field sealer\); signature valid" "verify: signer with its name"
expect_rc 0 "$K" verify --json -i alice.key v.kist
assert_grep "$OUT" "\"contact\": \"Field sealer\"" "verify --json: the signer's contact"
expect_rc 7 "$K" verify -i alice.key --signer "Legal team" v.kist
assert_grep "$ERR" "signed by $FS \(Field sealer\), not by the expected $FA \(Legal team\)" \
	"verify --signer NAME of another: both named"
expect_rc 0 "$K" log list
assert_grep "$OUT" "$FA \(Legal team\)" "log list: the actor with its name"
expect_rc 0 "$K" audit verify "$KIST_LEDGER"
assert_grep "$OUT" "$FA \(Legal team\)" "audit verify: the actor with its name"
expect_rc 0 "$K" audit verify --json "$KIST_LEDGER"
assert_grep "$OUT" "\"contact\": ?\"Legal team\"" "audit verify --json: the actor's contact"
expect_rc 0 "$K" log checkpoint -s sealer.key
cp "$OUT" n1.note
expect_rc 0 "$K" audit compare n1.note n1.note "$KIST_LEDGER"
assert_grep "$OUT" "signed by $FS \(Field sealer\)" "audit compare: the note's signer with its name"
expect_rc 0 "$K" audit verify --checkpoint n1.note "$KIST_LEDGER"
assert_grep "$OUT" "checkpoint: .*signed by $FS \(Field sealer\)" "audit verify: the checkpoint's signer with its name"
# ---- a planted contact never changes what a fingerprint, key or file means
printf '%s %s\n' "$FS" "$PB" >planted.contacts
printf '%s %s\n' "mine.pub" "$PA" >>planted.contacts
expect_rc 0 "$K" seal -q -s bob.key -r "$PA" -o bybob.kist case
expect_rc 7 "$K" verify -i alice.key --contacts planted.contacts --signer "$FS" bybob.kist
assert_grep "$ERR" "not by the expected" "--signer FINGERPRINT is the fingerprint, whatever a contact is named"
echo "$PS" >mine.pub
expect_rc 2 "$K" seal --contacts planted.contacts -r mine.pub -o planted.kist case
assert_grep "$ERR" 'use -R' "-r FILE is a file, whatever a contact is named"
assert_missing planted.kist "-r FILE with a planted contact seals nothing"

# log export -r NAME seals the bundle for that contact.
expect_rc 0 "$K" log export -q -r "Legal team" -o bundle.kist
expect_rc 0 "$K" list -i alice.key bundle.kist
assert_grep "$OUT" "ledger" "log export -r NAME: sealed for the contact, who opens it"
expect_rc 2 "$K" log export -q -r "Nobody we know" -o b2.kist
assert_missing b2.kist "log export -r with an unknown name writes nothing"
# log list --json is a ledger bundle (docs/AUDIT.md): its format takes no names.
expect_rc 0 "$K" log list --json
assert_no_grep "$OUT" "contact" "log list --json: the bundle is unchanged"
expect_rc 0 "$K" pubkey alice.key
assert_grep "$ERR" "^fingerprint: $FA \(Legal team\)$" "pubkey: the name beside the fingerprint"
# A name matching nothing says so, and lists no contact.
expect_rc 2 "$K" seal -r "Nobody here" -o n.kist case
assert_grep "$ERR" "Nobody here is not a key, and no contact is named so" "-r NAME unknown"
assert_no_grep "$ERR" "Legal|Field" "an unknown name lists no contact"
assert_missing n.kist "an unknown -r NAME writes nothing"
expect_rc 2 "$K" verify -i alice.key --signer "Nobody here" v.kist
assert_grep "$ERR" "no contact is named so" "--signer NAME unknown"
# A key still wins over a name, and --contacts FILE names another file.
expect_rc 0 "$K" seal -r "$PB" -o b.kist case
assert_grep "$ERR" "for 1 recipient: $FB$" "a key that is no contact: bare fingerprint"
printf 'Bob (other book) %s\n' "$PB" >other.contacts
expect_rc 0 "$K" seal --contacts other.contacts -r "Bob (other book)" -o b2.kist case
assert_grep "$ERR" "for 1 recipient: $FB \(Bob \(other book\)\)$" "--contacts FILE"
expect_rc 2 "$K" seal --contacts missing.contacts -r "$PB" -o b3.kist case
assert_grep "$ERR" "no such contacts file" "--contacts FILE that does not exist"
expect_rc 0 "$K" contacts add --contacts new.contacts "Bob" "$PB"
assert_grep new.contacts "^Bob $PB$" "contacts add --contacts FILE creates FILE"
assert_eq 600 "$(stat -c %a new.contacts)" "contacts add --contacts FILE: mode 0600"
# No HOME and no XDG_CONFIG_HOME: no contacts, and sealing still works.
expect_rc 0 env -u HOME -u XDG_CONFIG_HOME "$K" seal -r "$PB" -o nohome.kist case
assert_grep "$ERR" "for 1 recipient: $FB$" "without HOME: no contacts, the seal works"
expect_rc 2 env -u HOME -u XDG_CONFIG_HOME "$K" contacts list
assert_grep "$ERR" "give --contacts FILE" "without HOME: contacts list says what to do"

# ---- remove
expect_rc 0 "$K" contacts remove "Field sealer"
expect_rc 0 "$K" contacts list
assert_no_grep "$OUT" "Field sealer" "contacts remove"
assert_grep "$OUT" "^Legal team	" "contacts remove keeps the others"
expect_rc 2 "$K" contacts remove "Field sealer"

# ---- a hostile contacts file
hostile() { # hostile WHAT EXPECTED-STDERR: the file in hostile.contacts is refused
	expect_rc 2 "$K" seal --contacts hostile.contacts -r "$PA" -o h.kist case
	assert_grep "$ERR" "$2" "$1"
	assert_missing h.kist "$1: nothing written"
}
{ echo "# contacts"; echo; printf 'Alice %s\n' "$PA"; printf 'Broken kist1qqqqqqqqqqq\n'; } >hostile.contacts
hostile "a bad key names its line" "hostile.contacts: line 4: the key: "
{ printf 'Alice %s\n' "$PA"; printf 'Alice %s\n' "$PB"; } >hostile.contacts
hostile "a duplicate name" "line 2: the name Alice is already on line 1"
{ printf 'Alice %s\n' "$PA"; printf 'Other %s\n' "$PA"; } >hostile.contacts
hostile "a duplicate key" "line 2: the same key as line 1 \(Alice\)"
{ printf '%s\n' "$PA"; } >hostile.contacts
hostile "a key without a name" "line 1: a name and a key are needed"
{ printf 'Alice %s\n' "$PA"; head -c 3000 /dev/zero | tr '\0' x; printf ' %s\n' "$PB"; } >hostile.contacts
hostile "a long line" "line 2: longer than 1024 bytes"
head -c 1100000 /dev/zero | tr '\0' '#' >hostile.contacts
hostile "a huge file" "larger than 1048576 bytes"
# Control characters in a name: accepted, printed escaped, never raw.
printf 'Evil\033]0;x\007 name %s\n' "$PA" >hostile.contacts
expect_rc 0 "$K" seal --contacts hostile.contacts -r "$PA" -o e.kist case
assert_no_grep "$ERR" $'\033' "a control character of a name is not printed raw"
assert_grep "$ERR" "$FA \(Evil.*name\)" "a name with control characters is printed escaped"
expect_rc 0 "$K" contacts list --contacts hostile.contacts
assert_no_grep "$OUT" $'\033' "contacts list escapes names"

finish
