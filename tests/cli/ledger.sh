#!/usr/bin/env bash
# The custody ledger, as a new user meets it: opening, listing and extracting
# add signed entries; kist audit verify passes on an untouched ledger and
# names each access; every kind of tampering is detected and named, each with
# its own exit code; a ledger that cannot be written makes extraction refuse
# before anything is written.  Tampering is done with python3's sqlite3.
. "$(dirname "$0")/lib.sh"

L=$T/led/ledger.db
export KIST_LEDGER=$L

PA=$(mkid alice)
PT=$(mkid trustee)
FA=$("$K" pubkey alice.key 2>&1 >/dev/null | grep -oE '[0-9a-f]{4}(-[0-9a-f]{4}){4}' | head -n 1)
[ -n "$FA" ] || die "cannot read alice's fingerprint from kist pubkey"
mkdir -p case/docs
echo "witness statement, synthetic" >case/docs/statement.txt
echo "second note" >case/docs/note.txt
expect_rc 0 "$K" seal -q -r "$PA" -o v.kist case || die "cannot seal"
assert_missing "$L" "sealing without -s logs nothing (no key to sign with)"

# sql DB STATEMENT...: runs statements on a ledger file with python3.
sql() {
	python3 - "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for s in sys.argv[2:]:
    db.execute(s)
db.commit()
PY
}
count() {
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from entries").fetchone()[0])' "$1"
}

# ---- opening, listing and extracting add signed entries
expect_rc 0 "$K" list -i alice.key v.kist
assert_exists "$L" "the ledger is created on first use"
assert_eq 600 "$(stat -c %a "$L")" "ledger file mode"
assert_eq 700 "$(stat -c %a "$T/led")" "ledger folder mode (created by kist)"
mkdir out
expect_rc 0 "$K" extract -q -i alice.key -C out v.kist case/docs/statement.txt
expect_rc 0 "$K" cat -i alice.key v.kist case/docs/note.txt
expect_rc 0 "$K" verify -i alice.key v.kist
assert_eq 4 "$(count "$L")" "entries after list, extract, cat, verify"

expect_rc 0 "$K" log list
assert_grep "$OUT" "^#0 .* $FA +list +vault [0-9a-f]{32}$" "log list names the list by alice"
assert_grep "$OUT" "^#1 .* $FA +extract +vault [0-9a-f]{32}  case/docs/statement.txt$" "log list names the extracted path"
expect_rc 0 "$K" log list --json
assert_grep "$OUT" '"signature": "[0-9a-f]{128}"' "log list --json carries signatures"

expect_rc 0 "$K" audit verify "$L"
assert_grep "$OUT" "^Result: +INTACT" "audit of an untouched ledger"
assert_grep "$OUT" "#1 .* $FA +extract .*case/docs/statement.txt" "audit names the extraction"
assert_grep "$OUT" "#2 .* $FA +cat .*case/docs/note.txt" "audit names the cat"
assert_grep "$OUT" "#0 .* $FA +list " "audit names the listing"
assert_grep "$OUT" "^[A-Za-z0-9+/]{43}=$" "audit prints a fresh checkpoint"
expect_rc 0 "$K" audit verify --json "$L"
assert_grep "$OUT" '"result": "intact"' "audit --json result"

# A signed seal is logged with the sealer's key when asked (--ledger).
expect_rc 0 "$K" seal -q -s alice.key -r "$PA" --ledger "$L" -o v2.kist case
assert_eq 5 "$(count "$L")" "a signed seal adds an entry"
expect_rc 0 "$K" log list
assert_grep "$OUT" "^#4 .* $FA +seal " "the seal event"
# A signed seal whose ledger cannot be written is refused before any work: no vault.
mkdir -p not-a-ledger
expect_rc 6 "$K" seal -q -s alice.key -r "$PA" --ledger not-a-ledger -o v3.kist case
assert_missing v3.kist "a signed seal with an unwritable ledger writes no vault"
assert_no_tmp . "the refused seal"

# ---- a trustee's checkpoint
expect_rc 0 "$K" log checkpoint -s trustee.key
cp "$OUT" cp5.note
assert_grep cp5.note "^kist-ledger/[0-9a-f]{32}$" "checkpoint origin line"
assert_grep cp5.note "^5$" "checkpoint size line"
assert_grep cp5.note "^— kist1[a-z0-9]{109} [A-Za-z0-9+/]{91}=$" "checkpoint signature line"
expect_rc 0 "$K" audit verify --checkpoint cp5.note "$L"
assert_grep "$OUT" "^Checkpoints: 2 verified" "the given and the stored checkpoint verify"
cp "$L" clean.db

# tamper NAME CODE WORD SQL...: a copy of the clean ledger, altered, must fail with CODE naming WORD.
tamper() {
	local name=$1 code=$2 word=$3
	shift 3
	cp clean.db "$name.db"
	sql "$name.db" "$@"
	expect_rc "$code" "$K" audit verify "$name.db"
	assert_grep "$OUT" "^TAMPERED \\($word\\)" "$name: named"
	assert_grep "$OUT" "^Result: +TAMPERED" "$name: result"
}
tamper edited 10 rewritten "UPDATE entries SET action='list' WHERE idx=1"
tamper edited-time 10 rewritten "UPDATE entries SET time=time-86400 WHERE idx=2"
tamper edited-paths 10 rewritten "UPDATE entries SET paths='[\"case/docs/other.txt\"]' WHERE idx=1"
tamper deleted 11 deleted "DELETE FROM entries WHERE idx=2"
tamper deleted-first 11 deleted "DELETE FROM entries WHERE idx=0"
tamper swapped 12 reordered "UPDATE entries SET idx=-1 WHERE idx=1" "UPDATE entries SET idx=1 WHERE idx=2" "UPDATE entries SET idx=2 WHERE idx=-1"
tamper resigned 13 forged-signature "UPDATE entries SET sig=(SELECT sig FROM entries WHERE idx=0) WHERE idx=3"
tamper zero-sig 13 forged-signature "UPDATE entries SET sig=zeroblob(64) WHERE idx=1"
# Truncation: the stored checkpoint catches it; so does the trustee's note.
tamper truncated 14 truncated-or-rolled-back "DELETE FROM entries WHERE idx>=3"
cp clean.db trunc2.db
sql trunc2.db "DELETE FROM entries WHERE idx=4" "DELETE FROM checkpoints"
expect_rc 0 "$K" audit verify trunc2.db
assert_grep "$OUT" "INTACT" "without any checkpoint a cut tail is not visible (docs/AUDIT.md says so)"
expect_rc 14 "$K" audit verify --checkpoint cp5.note trunc2.db
assert_grep "$OUT" "^TAMPERED \\(truncated-or-rolled-back\\): .*pins 5 entries, the log has 4" "trustee's checkpoint names the truncation"

# ---- restoring an older copy after a trustee took a checkpoint
cp "$L" backup.db # 5 entries, before the next checkpoint
expect_rc 0 "$K" list -i alice.key v.kist
expect_rc 0 "$K" list -i alice.key v.kist
expect_rc 0 "$K" log checkpoint -s trustee.key
cp "$OUT" cp7.note
cp backup.db "$L"
expect_rc 14 "$K" audit verify --checkpoint cp7.note "$L"
assert_grep "$OUT" "truncated or rolled back: checkpoint 1 pins 7 entries" "restored backup is a rollback"
# ... even once new, different entries bring it past the checkpoint's size.
for i in 1 2 3; do expect_rc 0 "$K" cat -i alice.key v.kist case/docs/statement.txt; done
expect_rc 14 "$K" audit verify --checkpoint cp7.note "$L"
assert_grep "$OUT" "not an extension of checkpoint 1" "restored backup that grew again"
expect_rc 0 "$K" audit verify --checkpoint cp5.note "$L"

# ---- a checkpoint that was altered or is for another ledger
sed 's/^7$/6/' cp7.note >bad.note
expect_rc 15 "$K" audit verify --checkpoint bad.note "$L"
assert_grep "$OUT" "bad-checkpoint.*no valid signature" "altered checkpoint"
mkdir other && KIST_LEDGER=$T/other/l.db "$K" list -q -i alice.key v.kist >/dev/null 2>&1
expect_rc 15 "$K" audit verify --checkpoint cp5.note "$T/other/l.db"
assert_grep "$OUT" "belongs to another ledger" "checkpoint of another ledger"

# ---- export bundles
cp clean.db "$L"
expect_rc 0 "$K" log export -q -o bundle.json
expect_rc 0 "$K" audit verify --checkpoint cp5.note bundle.json
assert_grep "$OUT" "INTACT" "a plain bundle audits clean"
python3 - bundle.json <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b["entries"][1]["paths"] = ["case/docs/note.txt"]
json.dump(b, open("bundle-edited.json", "w"))
PY
expect_rc 10 "$K" audit verify bundle-edited.json
# Written by the library's atomic writer: its temporary name is short, so an
# output name of 255 bytes (NAME_MAX) works; and it never replaces a file.
LONG=$(printf 'b%.0s' $(seq 250)).json
expect_rc 0 "$K" log export -q -o "$LONG"
cmp -s bundle.json "$LONG" || die "log export to a 255-byte name differs"
expect_rc 1 "$K" log export -q -o "$LONG"
assert_grep "$ERR" "already exists \(use --force" "log export does not replace a file"
expect_rc 0 "$K" log export -q --force -o "$LONG"
expect_rc 0 "$K" log export -q -o bundle.kist -r "$PT"
expect_rc 2 "$K" audit verify bundle.kist
expect_rc 3 "$K" audit verify -i alice.key bundle.kist
expect_rc 0 "$K" audit verify --ledger trustee-ledger.db -i trustee.key --checkpoint cp5.note bundle.kist
assert_grep "$OUT" "INTACT" "a sealed bundle opened by the trustee audits clean"
assert_eq 1 "$(count trustee-ledger.db)" "opening the sealed bundle is logged in the trustee's ledger"

# ---- a ledger that cannot be written: nothing is extracted
mkdir target
(
	ulimit -f 2 # 2 KiB: the ledger's journal cannot be written
	"$K" extract -q -i alice.key -C target v.kist >"$OUT" 2>"$ERR"
)
assert_eq 6 "$?" "extract with a full ledger disk"
assert_grep "$ERR" "^kist: ledger: .*no space.*refused" "one line names the ledger"
assert_dir_empty target "nothing extracted when the ledger is full"
(
	ulimit -f 2
	"$K" list -i alice.key v.kist >"$OUT" 2>"$ERR"
)
assert_eq 6 "$?" "list with a full ledger disk"
assert_empty "$OUT" "list printed nothing"

# A read-only ledger file (as root, permissions do not bind: run kist as nobody).
mkdir ro
cp clean.db ro/ledger.db
cp v.kist ro/
cp alice.key ro/
mkdir ro/target
chmod 0444 ro/ledger.db
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		chmod 755 "$T" ro
		chown 65534:65534 ro/alice.key ro/target ro/ledger.db
		chmod 644 ro/v.kist
		RUNAS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	else
		RUNAS=()
		skip_part "running as root without setpriv (util-linux): the read-only ledger case is not checked"
	fi
else
	RUNAS=(env)
fi
if [ ${#RUNAS[@]} -gt 0 ]; then
	expect_rc 6 "${RUNAS[@]}" "$K" extract -q --ledger ro/ledger.db -i ro/alice.key -C ro/target ro/v.kist
	assert_grep "$ERR" "^kist: ledger: .*read-only.*refused" "read-only ledger named"
	assert_dir_empty ro/target "nothing extracted when the ledger is read-only"
	expect_rc 6 "${RUNAS[@]}" "$K" cat --ledger ro/ledger.db -i ro/alice.key ro/v.kist case/docs/note.txt
	assert_empty "$OUT" "cat printed nothing"
fi
# A ledger path that is not a file.
mkdir notafile.db
expect_rc 6 "$K" extract -q --ledger notafile.db -i alice.key -C target v.kist
assert_dir_empty target "nothing extracted with a ledger path that is a folder"

# ---- default location: $XDG_DATA_HOME/kist/ledger.db
(
	unset KIST_LEDGER
	export XDG_DATA_HOME=$T/xdg
	"$K" list -i alice.key v.kist >/dev/null 2>&1
)
assert_exists "$T/xdg/kist/ledger.db" "default ledger under XDG_DATA_HOME"
assert_eq 700 "$(stat -c %a "$T/xdg/kist")" "default ledger folder mode"

# ---- garbage in, one clear line out
printf 'not a ledger at all\n' >junk.db
expect_rc 1 "$K" audit verify junk.db
assert_grep "$ERR" "^kist: junk.db: not a kist ledger" "junk named"
printf 'SQLite format 3\0garbage' >junk2.db
expect_nonzero "$K" audit verify junk2.db
printf '{"format":"kist ledger bundle v1"}' >junk.json
expect_rc 4 "$K" audit verify junk.json

# A crafted ledger whose tables are not kist's (here an FTS5 virtual table, whose
# own parser would read the file's bytes) is refused before anything is read.
python3 - crafted.db <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
db.execute("INSERT INTO meta VALUES ('origin', 'kist-ledger/00000000000000000000000000000000')")
db.execute("CREATE VIRTUAL TABLE entries USING fts5(idx, vault_id, actor, action, paths, time,"
           " tool, prev, body_hash, sig, leaf)")
db.execute("CREATE TABLE checkpoints(seq INTEGER PRIMARY KEY, note TEXT NOT NULL)")
db.commit()
PY
expect_nonzero "$K" audit verify crafted.db
assert_grep "$ERR" "unexpected schema" "a ledger with a virtual table is refused"

# ---- extract --person: even a failed lookup is logged before its reason is printed
printf 'name,media\nAna,case/docs/note.txt\nBea,\n' >reg.csv
expect_rc 0 "$K" seal -q -r "$PA" --people reg.csv -o people.kist case
n0=$(count "$L")
mkdir -p ptarget
expect_rc 1 "$K" extract -q -i alice.key --person Nobody -C ptarget people.kist
assert_grep "$ERR" 'nobody in the register matches "Nobody"' "the unknown person named"
assert_grep "$ERR" "see 'kist people'" "the CLI adds how to search"
assert_eq $((n0 + 1)) "$(count "$L")" "a failed person lookup is logged"
expect_rc 1 "$K" extract -q -i alice.key --person Bea -C ptarget people.kist
assert_grep "$ERR" "has no linked media" "a person without media named"
assert_eq $((n0 + 2)) "$(count "$L")" "a person without media: logged"
expect_rc 0 "$K" extract -q -i alice.key --person ana -C ptarget people.kist
assert_exists ptarget/case/docs/note.txt "the person's media extracted"
expect_rc 0 "$K" log list
assert_grep "$OUT" "extract .*case/docs/note.txt" "the media paths are the entries logged"
# With an unwritable ledger nothing about the register is printed.
mkdir -p not-a-ledger
expect_rc 6 "$K" extract -q -i alice.key --person Nobody --ledger not-a-ledger -C ptarget \
	people.kist
assert_no_grep "$ERR" "nobody in the register" "nothing about the register before the log"
# A stored name that is not UTF-8 is logged with its bad bytes as \xNN, and opens.
mkdir -p nonutf && printf 'x\n' >nonutf/$'caf\xe9.txt'
expect_rc 0 "$K" seal -q -r "$PA" -o nonutf.kist nonutf
# The name is stored as its bytes: shown escaped, kept exact in path_hex.
expect_rc 0 "$K" list -i alice.key nonutf.kist
assert_grep "$OUT" '^nonutf/caf\\xe9\.txt$' "list shows the stored name with the bad byte as \\xe9"
expect_rc 0 "$K" list --json -i alice.key nonutf.kist
assert_grep "$OUT" '"path_hex": "6e6f6e7574662f636166e92e747874"' "the stored name's bytes, exactly"
n1=$(count "$L")
expect_rc 0 "$K" cat -i alice.key nonutf.kist $'nonutf/caf\xe9.txt'
assert_eq "x" "$(cat "$OUT")" "an entry with a non-UTF-8 name is released"
assert_eq $((n1 + 1)) "$(count "$L")" "its access is logged"
expect_rc 0 "$K" log list --json
assert_grep "$OUT" 'caf\\\\xe9' "the logged path escapes the bad byte"
expect_rc 0 "$K" audit verify "$L"
finish
