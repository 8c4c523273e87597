#!/usr/bin/env bash
# Witnessed checkpoints (docs/AUDIT.md): a key holder's ledger, two and three
# trustees who never touch the holder's machine.  The holder exports and
# signs checkpoints; each trustee cosigns with `kist witness cosign` only if
# the ledger extends what that trustee cosigned before.  Covers consistent
# growth, a rollback (a restored backup), a fork (two ledgers from one
# origin), a re-signed tail under a cosigned checkpoint, a wrong cosigner, a
# quorum not met, a CRLF note, another origin, and the --json outputs.
. "$(dirname "$0")/lib.sh"

H=$T/holder.db # the key holder's ledger
export KIST_LEDGER=$H
TL=$T/trustee-ledger.db # where a trustee's opening of a sealed bundle is logged

PH=$(mkid holder)
P1=$(mkid t1)
P2=$(mkid t2)
P3=$(mkid t3)
fpr() { "$K" pubkey "$1" 2>&1 >/dev/null | grep -oE '[0-9a-f]{4}(-[0-9a-f]{4}){4}' | head -n 1; }
F1=$(fpr t1.key)
F3=$(fpr t3.key)
FH=$(fpr holder.key)
[ -n "$F1" ] && [ -n "$FH" ] || die "cannot read fingerprints"
mkdir case
echo "synthetic statement" >case/s.txt
expect_rc 0 "$K" seal -q -r "$PH" -o v.kist case || die "cannot seal"
# open LEDGER N: N openings of the vault, logged in LEDGER.
open_n() {
	local i
	for ((i = 0; i < $2; i++)); do
		KIST_LEDGER=$1 "$K" list -i holder.key v.kist >/dev/null 2>&1 || die "list into $1 failed"
	done
}
# checkpoint LEDGER OUT: the holder's signed checkpoint of LEDGER.
checkpoint() {
	KIST_LEDGER=$1 "$K" log checkpoint -s holder.key >"$2" 2>/dev/null || die "checkpoint of $1 failed"
}
export_b() {
	KIST_LEDGER=$1 "$K" log export -q -o "$2" || die "export of $1 failed"
}

# ---- consistent growth
open_n "$H" 3
cp "$H" backup3.db # the holder's backup, taken at 3 entries
checkpoint "$H" n3.note
export_b "$H" b3.json
expect_rc 0 "$K" witness cosign -i t1.key --state s1 n3.note b3.json
cp "$OUT" n3.t1
assert_grep n3.t1 "^— $P1 [A-Za-z0-9+/]{102}==$" "a cosignature line: the trustee's key and 76 bytes of base64"
assert_grep n3.t1 "^— $PH " "the holder's signature is kept"
assert_grep "$ERR" "first use: this origin and its key are now pinned" "first use pins the origin"
assert_eq 700 "$(stat -c %a s1)" "the state folder is created 0700"
state=$(ls s1)
[[ $state =~ ^[0-9a-f]{64}\.witness$ ]] && ok || fail "state file named by a hash of the origin, got '$state'"
assert_eq 600 "$(stat -c %a "s1/$state")" "state file mode"
assert_grep "s1/$state" "^size 3$" "the state holds the size cosigned"
assert_no_tmp s1 "no temporary file left in the state folder"
# The cosigned note is accepted by the audit's own checkpoint parser.
expect_rc 0 "$K" audit verify b3.json --checkpoint n3.t1
# Cosigning the same note again is allowed (same size, same root).
expect_rc 0 "$K" witness cosign -i t1.key --state s1 n3.t1 b3.json
assert_eq 1 "$(grep -c "^— $P1 " "$OUT")" "a second cosignature by the same key replaces the first"

open_n "$H" 2
checkpoint "$H" n5.note
# The export is sealed for the trustee; -i opens it (logged in the trustee's own ledger).
KIST_LEDGER=$H expect_rc 0 "$K" log export -q -r "$P1" -r "$P3" -o b5.kist
export_b "$H" b5.json
expect_rc 0 "$K" witness cosign -i t1.key --state s1 --ledger "$TL" -o n5.t1 n5.note b5.kist
assert_empty "$OUT" "stdout with -o"
assert_grep "$ERR" "at size 5 \(it extends size 3" "growth: the ledger extends the cosigned checkpoint"
assert_grep n5.t1 "^— $P1 " "-o writes the cosigned note"
assert_grep "s1/$state" "^size 5$" "the state moves to the new size"
expect_rc 1 "$K" witness cosign -i t1.key --state s1 -o n5.t1 n5.note b5.json
assert_grep "$ERR" "already exists" "-o does not replace a file without --force"

# A trustee whose identity has a passphrase, typed at a terminal (script(1)
# gives the command one): the bundle sealed for it and the cosignature use
# one unlocking, so the passphrase is asked once.
printf 'synthetic pass phrase\n' >pw4
chmod 600 pw4
"$K" keygen -q --passphrase-file pw4 -o t4.key >t4.pub 2>/dev/null || die "keygen t4"
KIST_LEDGER=$H expect_rc 0 "$K" log export -q -r "$(cat t4.pub)" -o b5t4.kist
printf 'synthetic pass phrase\nsynthetic pass phrase\n' |
	timeout -k 5 "$CMD_TIMEOUT" script -qec "'$K' witness cosign -i t4.key --state s4 --ledger '$TL' -o n5.t4 n5.note b5t4.kist" \
		/dev/null >tty.out 2>&1
assert_grep n5.t4 "^— $(cat t4.pub) " "cosigned through a terminal"
assert_eq 1 "$(grep -c 'Passphrase for t4.key' tty.out)" "the passphrase is asked once (sealed bundle and cosignature)"

# An incremental audit: with the trustee's own state, the entries its last
# cosigned checkpoint covers (5, audited when it cosigned) are not verified
# again, while they still hash to its root.
expect_rc 0 "$K" audit verify --state s1 b5.json
assert_grep "$OUT" "^Signatures:  entries 0\.\.4 covered by your audited checkpoint of [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC: signatures not re-checked" "incremental audit named"
expect_rc 0 "$K" audit verify --json --state s1 b5.json
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT" && ok || fail "audit verify --json --state: not JSON"
assert_grep "$OUT" '"signatures_not_rechecked": 5' "JSON: entries not re-checked"
# A signature replaced under the held checkpoint: the first 5 entries no
# longer hash to the root held, every signature is verified, and the forgery
# is found (exit 13).
python3 - b5.json b5sig.json <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
e = b["entries"][2]
e["signature"] = "00" * 64
json.dump(b, open(sys.argv[2], "w"))
PY
expect_rc 13 "$K" audit verify --state s1 b5sig.json
assert_grep "$OUT" "TAMPERED" "a signature replaced under the held checkpoint is found"
expect_rc 0 "$K" witness cosign -i t1.key --state s1 -o n5.t1 --force n5.note b5.json

# ---- rollback: the holder restores the backup taken at 3 entries
checkpoint backup3.db r3.note
export_b backup3.db r3.json
expect_rc 14 "$K" witness cosign -i t1.key --state s1 r3.note r3.json
assert_grep "$ERR" "REFUSED: rollback: the note pins 3 entries; you already cosigned 5" "rollback named"
assert_empty "$OUT" "nothing cosigned on a rollback"
assert_grep "s1/$state" "^size 5$" "a refused note leaves the state as it was"
expect_rc 14 "$K" audit verify r3.json --state s1
assert_grep "$OUT" "^Result: +REFUSED" "audit --state: a rolled-back ledger is refused"
assert_grep "$ERR" "rollback: .*pins 5 entries, the ledger has 3" "audit --state names the rollback"
# A note of 5 with a ledger of 3 is refused too.
expect_rc 14 "$K" witness cosign -i t1.key --state s1 n5.note r3.json
assert_grep "$ERR" "rollback: the note pins 5 entries, the ledger given has only 3" "note larger than the ledger"

# ---- fork: two ledgers from one origin, shown to two trustees
cp backup3.db fork.db
KIST_LEDGER=fork.db "$K" cat -i holder.key v.kist case/s.txt >/dev/null 2>&1 || die "cat into fork.db"
KIST_LEDGER=fork.db "$K" cat -i holder.key v.kist case/s.txt >/dev/null 2>&1 || die "cat into fork.db"
checkpoint fork.db f5.note
export_b fork.db f5.json
expect_rc 0 "$K" witness cosign -i t2.key --state s2 f5.note f5.json
cp "$OUT" f5.t2
expect_rc 14 "$K" audit compare n5.t1 f5.t2
assert_grep "$OUT" "size 5, root [A-Za-z0-9+/]{43}=" "compare prints sizes and roots"
assert_eq 2 "$(grep -cE "size 5, root" "$OUT")" "both notes printed"
assert_grep "$OUT" "^Result: +FORK" "compare: a fork"
expect_rc 14 "$K" audit compare --json n5.t1 f5.t2
assert_grep "$OUT" '"result": "fork"' "compare --json: fork"
# The trustee who saw the other history refuses this one.
expect_rc 14 "$K" witness cosign -i t1.key --state s1 f5.note f5.json
assert_grep "$ERR" "REFUSED: fork: the ledger does not extend the checkpoint you cosigned \(size 5" "fork named"
# Consistent notes compare as consistent, proven against the ledger.
expect_rc 0 "$K" audit compare n3.t1 n5.t1 b5.json
assert_grep "$OUT" "^Result: +CONSISTENT" "compare: growth is consistent"
expect_rc 1 "$K" audit compare n3.t1 n5.t1
assert_grep "$OUT" "^Result: +UNCHECKED" "compare without the ledger cannot prove different sizes"
expect_rc 0 "$K" audit compare n3.t1 f5.t2 f5.json
assert_grep "$OUT" "^Result: +CONSISTENT" "the fork shares the first 3 entries"
expect_rc 14 "$K" audit compare n3.t1 n5.t1 f5.json
assert_grep "$OUT" "^Result: +FORK - fork: the note of size 5 is not of this ledger's history" "compare against the forked ledger: the other note is not of it"

# ---- a re-signed tail under a cosigned checkpoint: entries 3 and 4 rewritten
# (validly signed, hash chain intact) and one more appended
cp backup3.db tail.db
KIST_LEDGER=tail.db "$K" verify -i holder.key v.kist >/dev/null 2>&1 || die "verify into tail.db"
open_n tail.db 2
checkpoint tail.db t6.note
export_b tail.db t6.json
expect_rc 0 "$K" audit verify t6.json
assert_grep "$OUT" "^Result: +INTACT" "the re-signed tail passes the chain and signatures"
expect_rc 14 "$K" witness cosign -i t1.key --state s1 t6.note t6.json
assert_grep "$ERR" "fork: the ledger does not extend the checkpoint you cosigned" "the witness refuses the re-signed tail"
expect_rc 14 "$K" audit verify t6.json --checkpoint n5.t1
expect_rc 14 "$K" audit verify t6.json --state s1
assert_grep "$ERR" "fork" "audit --state names the fork"

# ---- the audit with a cosigner policy
expect_rc 0 "$K" audit verify b5.json --checkpoint n5.t1 --cosigner "$P1"
assert_grep "$OUT" "given  checkpoint: size 5 \(entries 0-4\), signed by $FH; cosigned by $F1 \[witnessed\]" "each checkpoint: size, signer, cosigner, entries"
assert_grep "$OUT" "^Pinned: +entries 0-4 by a trustee" "the entries a witnessed checkpoint covers"
# Wrong cosigner: t2 did not cosign this checkpoint.
expect_rc 15 "$K" audit verify b5.json --checkpoint n5.t1 --cosigner "$P2"
assert_grep "$OUT" "not witnessed: no checkpoint is cosigned by 1 of the 1 --cosigner keys" "wrong cosigner"
assert_grep "$OUT" "^Result: +REFUSED" "not witnessed is refused, not called tampering"
# t1's cosignature line under t2's name does not count.
sed "s|^— $P1 |— $P2 |" n5.t1 >swapped.note
expect_rc 15 "$K" audit verify b5.json --checkpoint swapped.note --cosigner "$P2"
# A cosignature with one byte changed does not count.
python3 - n5.t1 bad.note "$P1" <<'PY'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("— " + sys.argv[3] + " "):
        raw = bytearray(base64.b64decode(l.split(" ")[2]))
        raw[20] ^= 1
        lines[i] = "— " + sys.argv[3] + " " + base64.b64encode(bytes(raw)).decode()
open(sys.argv[2], "w").write("\n".join(lines))
PY
expect_rc 15 "$K" audit verify b5.json --checkpoint bad.note --cosigner "$P1"
# Quorum: two of t1 and t3.
expect_rc 15 "$K" audit verify b5.json --checkpoint n5.t1 --cosigner "$P1" --cosigner "$P3"
assert_grep "$OUT" "cosigned by 2 of the 2 --cosigner keys" "quorum not met (default: all named)"
expect_rc 0 "$K" audit verify b5.json --checkpoint n5.t1 --cosigner "$P1" --cosigner "$P3" --quorum 1
expect_rc 0 "$K" witness cosign -i t3.key --state s3 --ledger "$TL" -o n5.both n5.t1 b5.kist
assert_grep n5.both "^— $P1 " "t1's cosignature kept"
assert_grep n5.both "^— $P3 " "t3's cosignature added"
expect_rc 0 "$K" audit verify b5.json --checkpoint n5.both --cosigner "$P1" --cosigner "$P3" --quorum 2
assert_grep "$OUT" "cosigned by $F1, $F3 \[witnessed\]|cosigned by $F3, $F1 \[witnessed\]" "both cosigners listed"
expect_rc 0 "$K" audit verify --json b5.json --checkpoint n5.both --cosigner "$P1" --cosigner "$P3"
assert_grep "$OUT" '"witnessed": true' "--json: each checkpoint says if it is witnessed"
assert_grep "$OUT" '"quorum": 2' "--json: the quorum"
assert_grep "$OUT" '"pinned_size": 5' "--json: the entries pinned"
expect_rc 2 "$K" audit verify b5.json --cosigner "$P1" --quorum 2
expect_rc 2 "$K" audit verify b5.json --quorum 1
expect_rc 2 "$K" audit verify b5.json --cosigner notakey

# ---- a note that went through mail: CRLF line ends and trailing blanks
sed 's/$/\r/' n5.note >crlf.note
sed -i '1s/\r$/  \r/' crlf.note
expect_rc 0 "$K" witness cosign -i t1.key --state s1 crlf.note b5.json
assert_grep "$ERR" "CRLF line ends or trailing blanks removed" "the CRLF note is read, and said so"
cp "$OUT" crlf.t1
assert_no_grep crlf.t1 $'\r' "the cosigned note has LF line ends"
expect_rc 0 "$K" audit compare crlf.note n5.t1
assert_grep "$OUT" "^Result: +CONSISTENT" "compare reads a CRLF note"

# ---- other origins, other keys
KIST_LEDGER=other.db "$K" list -i holder.key v.kist >/dev/null 2>&1 || die "list into other.db"
checkpoint other.db o1.note
export_b other.db o1.json
expect_rc 15 "$K" witness cosign -i t1.key --state s1 n5.note o1.json
assert_grep "$ERR" "another ledger: the note is of kist-ledger/" "a note of another ledger"
expect_rc 15 "$K" audit verify o1.json --state s1
assert_grep "$OUT" "a different ledger: s1 holds no checkpoint cosigned for origin" "--state: a different ledger"
assert_grep "$OUT" "^Result: +REFUSED" "a different ledger is not INTACT"
ORIGIN=$(head -n 1 n5.note)
expect_rc 0 "$K" audit verify b5.json --origin "$ORIGIN"
expect_rc 15 "$K" audit verify o1.json --origin "$ORIGIN"
assert_grep "$OUT" "a different ledger: its origin is kist-ledger/[0-9a-f]{32}, not $ORIGIN" "--origin: a different ledger"
expect_rc 15 "$K" audit verify --json o1.json --origin "$ORIGIN"
assert_grep "$OUT" '"result": "refused"' "--json: refused, not intact"
expect_rc 15 "$K" audit compare n5.note o1.note
assert_grep "$OUT" "DIFFERENT LEDGERS" "compare: two origins"
# A checkpoint of the holder's ledger signed by another key than the one pinned.
KIST_LEDGER=$H "$K" log checkpoint -s t2.key >k5.note 2>/dev/null || die "checkpoint -s t2"
expect_rc 15 "$K" witness cosign -i t1.key --state s1 k5.note b5.json
assert_grep "$ERR" "not by $FH, the key pinned for this ledger" "another key than the pinned one"
# An unsigned note is not cosigned.
head -n 3 n5.note >u5.note
expect_rc 15 "$K" witness cosign -i t1.key --state s1 u5.note b5.json
assert_grep "$ERR" "not signed" "an unsigned note"
# A damaged state file is reported, never overwritten.
cp -r s1 s1bad
echo "garbage" >"s1bad/$state"
expect_rc 4 "$K" witness cosign -i t1.key --state s1bad n5.note b5.json
assert_grep "$ERR" "witness state" "a damaged state file is named"
assert_eq garbage "$(cat "s1bad/$state")" "the damaged state is left for the trustee to look at"

# ---- --json of witness cosign
expect_rc 0 "$K" witness cosign --json -i t1.key --state s1 n5.note b5.json
assert_grep "$OUT" '"result": "cosigned"' "cosign --json result"
assert_grep "$OUT" '"previous": \{' "cosign --json: the state held before"
assert_grep "$OUT" '"cosigned_note": "' "cosign --json: the note"
expect_rc 14 "$K" witness cosign --json -i t1.key --state s1 r3.note r3.json
assert_grep "$OUT" '"result": "rollback"' "cosign --json: rollback"
# Each --json output is one JSON document with the members docs/JSON.md names.
jsonok() {
	python3 - "$OUT" "$@" <<'PY' && ok || fail "--json of $1: not the documented document"
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
assert d["version"] == 1, d
for k in sys.argv[3:]:
    assert k in d, k
PY
}
expect_rc 0 "$K" witness cosign --json -i t1.key --state s1 n5.note b5.json
jsonok "witness cosign" result exit_code note previous cosigner cosigned_note output
expect_rc 14 "$K" audit compare --json n5.t1 f5.t2
jsonok "audit compare" result exit_code checked_against_ledger message notes
expect_rc 0 "$K" audit verify --json b5.json --checkpoint n5.both --cosigner "$P1"
jsonok "audit verify" result exit_code witness checkpoint_list

finish
