#!/usr/bin/env bash
# Parity of an unsplit vault (issue 17): seal --parity P%, kist parity add,
# and verify and repair of VAULT with VAULT.parity beside it, all keyless.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
mkdir -p case
head -c 1500000 /dev/urandom >case/video.bin
head -c 900000 /dev/urandom >case/photo.jpg
echo "statement, synthetic" >case/statement.txt

# ---- bad arguments, before anything is written (also without ISA-L)
expect_rc 2 "$K" seal -q -r "$PA" -o x.kist --parity 0% case
assert_grep "$ERR" 'percentage from 1% to 100%' "--parity 0% is refused"
expect_rc 2 "$K" seal -q -r "$PA" -o x.kist --parity 101% case
expect_rc 2 "$K" seal -q -r "$PA" -o x.kist --parity 5 case
assert_grep "$ERR" 'give a percentage: --parity 5%' "--parity N without --split points to P%"
expect_rc 2 "$K" seal -q -r "$PA" -o x.kist --split 700K --parity 5% case
assert_grep "$ERR" 'with --split, --parity takes a number' "--split with a percentage is refused"
expect_rc 2 "$K" seal -q -r "$PA" -o - --parity 5% case
assert_missing x.kist "a refused seal writes no vault"
assert_missing x.kist.parity "a refused seal writes no parity file"

expect_rc 0 "$K" seal -q --level 1 -r "$PA" -o plain.kist case
if ! "$K" parity add -q plain.kist >/dev/null 2>"$T/probe.err"; then
	grep -q 'no parity (ISA-L)' "$T/probe.err" || die "parity add failed: $(cat "$T/probe.err")"
	skip_part "parity of a whole vault: this build has no ISA-L"
	expect_rc 1 "$K" seal -q -r "$PA" -o y.kist --parity 5% case
	assert_grep "$ERR" 'no parity \(ISA-L\)' "without ISA-L, seal --parity P% says so"
	assert_missing y.kist "and writes nothing"
	finish
fi
rm plain.kist.parity
expect_rc 4 "$K" repair plain.kist
assert_grep "$ERR" 'no parity file \(VAULT.parity\) beside it' "repair of a vault without parity says why not"

# ---- seal --parity 5%: the vault and its parity file, nothing else
expect_rc 0 "$K" seal --level 1 -r "$PA" -o v.kist --parity 5% case
assert_grep "$ERR" 'parity \(5%\) in v.kist.parity' "seal names the parity file"
assert_exists v.kist.parity
assert_no_tmp . "seal --parity leaves no temporary file"
assert_eq "" "$(find . -name '.kist-whole-*')" "no nameless vault left behind"
expect_rc 0 "$K" verify v.kist
assert_grep "$OUT" 'INTACT' "verify without a key checks the vault against its parity file"
expect_rc 0 "$K" verify v.kist.parity
assert_grep "$OUT" 'INTACT' "verify of the parity file checks the pair"
cp v.kist orig.kist
cp v.kist.parity orig.parity
C=$("$K" verify --json v.kist | python3 -c 'import json,sys; print(json.load(sys.stdin)["column_size"])')

# ---- the same vault, parity added later: the same bytes
cp v.kist later.kist
expect_rc 0 "$K" parity add later.kist
assert_file_eq orig.parity later.kist.parity "parity add writes what seal --parity 5% wrote"
expect_rc 1 "$K" parity add later.kist
assert_grep "$ERR" 'already exists' "parity add keeps an existing parity file"
expect_rc 0 "$K" parity add --force --parity 20% later.kist
expect_rc 0 "$K" verify --json later.kist
assert_grep "$OUT" '"parity_parts": 8' "20% of 40 columns is 8 parity parts"
expect_rc 2 "$K" parity add --parity 5 later.kist
expect_rc 2 "$K" parity add v.kist.parity

# overwrite FILE OFFSET LEN: LEN random bytes at OFFSET.
overwrite() {
	python3 - "$@" <<'PY'
import os, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2]))
    f.write(os.urandom(int(sys.argv[3])))
PY
}

# ---- 4 KiB overwritten at two places: named, repaired byte for byte, opens
overwrite v.kist 100000 4096
overwrite v.kist 1700000 4096
expect_rc 4 "$K" verify v.kist
assert_grep "$OUT" 'vault state:  DAMAGED' "verify finds the damage"
assert_grep "$OUT" 'bytes 98304 to 106495' "verify names the first damaged range"
assert_grep "$OUT" 'bytes 1699840 to 1708031' "verify names the second damaged range"
assert_grep "$OUT" 'kist repair can rebuild the vault' "verify says it is repairable"
expect_rc 4 "$K" verify -i alice.key v.kist
assert_grep "$OUT" 'vault state:  DAMAGED' "verify -i reports the parity check first"
expect_rc 4 "$K" verify --json v.kist
assert_grep "$OUT" '"repairable": true' "verify --json: repairable"
assert_grep "$OUT" '"offset": 98304' "verify --json: the damaged range"
expect_rc 0 "$K" repair v.kist
assert_grep "$ERR" 'rebuilt the vault v.kist' "repair names the file it rebuilt"
assert_file_eq orig.kist v.kist "the repaired vault is byte-identical"
assert_file_eq orig.parity v.kist.parity "the intact parity file is not rewritten"
assert_no_tmp . "repair leaves no temporary file"
expect_rc 0 "$K" verify -i alice.key v.kist
assert_grep "$OUT" 'Parity: +v.kist.parity intact' "verify -i names the intact parity file"
assert_grep "$OUT" 'ALL GOOD' "the repaired vault verifies with a key"
mkdir out
expect_rc 0 "$K" extract -q -i alice.key -C out v.kist
assert_file_eq case/video.bin out/case/video.bin "the repaired vault extracts"

# ---- repair -o DIR: the damaged vault is left as it is
overwrite v.kist 300000 4096
cp v.kist damaged.kist
mkdir fixed
expect_rc 0 "$K" repair -o fixed v.kist
assert_file_eq orig.kist fixed/v.kist "repair -o DIR writes the rebuilt vault there"
assert_file_eq damaged.kist v.kist "repair -o DIR does not touch the damaged vault"
assert_missing fixed/v.kist.parity "the intact parity file is not copied"
expect_rc 1 "$K" repair -o fixed v.kist
assert_grep "$ERR" 'exists' "repair -o DIR keeps an existing file"
expect_rc 1 "$K" repair -o . v.kist.parity
assert_file_eq damaged.kist v.kist "nor does it replace the damaged vault in its own folder without --force"
cp orig.kist v.kist

# ---- damage beyond parity: the same stripe in 3 columns (5% of 40 is 2)
for c in 0 1 2; do overwrite v.kist $((c * C + 8192)) 4096; done
cp v.kist beyond.kist
expect_rc 4 "$K" verify v.kist
assert_grep "$OUT" 'NOT REPAIRABLE: a stripe lost 3 blocks; the parity rebuilds 2' "verify: not repairable"
expect_rc 4 "$K" verify --json v.kist
assert_grep "$OUT" '"repairable": false' "verify --json: not repairable"
expect_rc 4 "$K" repair v.kist
assert_grep "$ERR" 'too much is lost' "repair refuses"
assert_file_eq beyond.kist v.kist "an impossible repair does not touch the vault"
assert_no_tmp . "an impossible repair leaves no temporary file"
cp orig.kist v.kist

# ---- a damaged parity file: blocks, then its header, rebuilt from the vault
overwrite v.kist.parity 50000 4096
expect_rc 4 "$K" verify v.kist
assert_grep "$OUT" 'parity state: DAMAGED \(' "verify finds damaged parity blocks"
assert_grep "$OUT" 'vault state:  ok' "and the vault intact"
expect_rc 0 "$K" repair v.kist
assert_file_eq orig.parity v.kist.parity "the parity file is rebuilt byte for byte"
assert_file_eq orig.kist v.kist "the intact vault is not rewritten"
flip_byte orig.parity v.kist.parity 40
expect_rc 4 "$K" verify v.kist
assert_grep "$OUT" 'parity state: DAMAGED \(a header' "a damaged header is found (read from its copy at the end)"
expect_rc 0 "$K" repair v.kist.parity
assert_file_eq orig.parity v.kist.parity "a parity file with a damaged header is rebuilt"

# ---- another vault's parity file is refused
expect_rc 0 "$K" seal -q --level 1 -r "$PA" -o w.kist --parity 5% case/photo.jpg
cp w.kist.parity v.kist.parity
expect_rc 4 "$K" verify v.kist
assert_grep "$ERR" 'is not the parity file of v.kist' "another vault's parity file (other size) is refused"
expect_rc 4 "$K" repair v.kist
assert_file_eq orig.kist v.kist "and repair writes nothing"
head -c "$(stat -c %s orig.kist)" /dev/urandom >same-size.kist
cp orig.parity same-size.kist.parity
expect_rc 4 "$K" verify same-size.kist
assert_grep "$ERR" 'no block of the vault matches' "another vault's parity file (same size) is refused"
cp orig.parity v.kist.parity

# ---- both or neither: a parity file that cannot be written leaves no vault
mkdir blocked.kist.parity
expect_rc 1 "$K" seal -q --force -r "$PA" -o blocked.kist --parity 5% case
assert_grep "$ERR" 'not a file' "seal --parity names what blocks the parity file"
assert_missing blocked.kist "no vault without its parity file"
assert_no_tmp . "and no temporary file"
expect_rc 1 "$K" seal -q -r "$PA" -o blocked.kist --parity 5% case
assert_grep "$ERR" 'blocked.kist.parity: exists' "without --force, refused before any work"

# ---- every verb opens the vault without its parity file
rm v.kist.parity
expect_rc 0 "$K" list -i alice.key v.kist
assert_grep "$OUT" 'case/video.bin' "the vault opens without its parity file"

finish
