#!/usr/bin/env bash
# Split volumes, parity and repair (issue 17): kist split, join, repair, and
# verify of a part, all without a key.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
mkdir -p case
head -c 1500000 /dev/urandom >case/video.bin
head -c 900000 /dev/urandom >case/photo.jpg
echo "statement, synthetic" >case/statement.txt
expect_rc 0 "$K" seal -q --level 1 -r "$PA" -o v.kist case
[ -s v.kist ] || die "seal failed: $(cat "$ERR")"

have_parity=1
"$K" split -q v.kist 700K --parity 1 -o probe >/dev/null 2>&1 || have_parity=0
rm -f probe.*

# ---- split: parts of at most SIZE, numbered, nothing else left
mkdir s
expect_rc 0 "$K" split -o s/v.kist v.kist 700K
n=$(find s -name 'v.kist.*' | wc -l)
assert_eq 4 "$n" "a 2.3 MiB vault at 700K is 4 parts"
big=$(find s -type f -size +700k | wc -l)
assert_eq 0 "$big" "every part is at most 700 KiB"
assert_no_tmp s "split leaves no temporary file"
expect_rc 0 "$K" verify s/v.kist.003
assert_grep "$OUT" 'INTACT' "verify of a part checks its set without a key"

# ---- shuffled and renamed: join from any one part, byte-identical
mkdir recv
i=0
for f in s/v.kist.004 s/v.kist.002 s/v.kist.001 s/v.kist.003; do
	i=$((i + 1))
	cp "$f" "recv/from-chat-$i.bin"
done
expect_rc 0 "$K" join -o joined.kist recv/from-chat-2.bin
assert_file_eq v.kist joined.kist "joined from one renamed part of a shuffled set"
expect_rc 0 "$K" verify -i alice.key joined.kist
assert_grep "$OUT" 'ALL GOOD' "the joined vault verifies"

# ---- every opening verb takes any one part's name (the rest found beside it)
expect_rc 0 "$K" list -i alice.key recv/from-chat-4.bin
assert_grep "$OUT" 'case/video.bin' "list through the parts of a shuffled, renamed set"
expect_rc 0 "$K" verify -i alice.key recv/from-chat-1.bin
assert_grep "$OUT" 'ALL GOOD' "verify -i through the parts"
assert_grep "$OUT" "$(sha256sum v.kist | cut -c1-64)" "verify through the parts names the whole vault's SHA-256"
mkdir out1
expect_rc 0 "$K" extract -i alice.key -C out1 recv/from-chat-2.bin
assert_file_eq case/video.bin out1/case/video.bin "extract through the parts"
expect_rc 0 "$K" info s/v.kist.001
assert_grep "$OUT" "$(stat -c %s v.kist) bytes" "info of a part describes the whole vault"

# ---- an existing output is kept unless --force
echo keep >other.kist
expect_rc 1 "$K" join -o other.kist recv/from-chat-1.bin
assert_eq keep "$(cat other.kist)" "join does not replace an existing file"
expect_rc 0 "$K" join --force -o other.kist recv/from-chat-1.bin
assert_file_eq v.kist other.kist "join --force replaces it"

# ---- a missing part without parity is named by number
rm recv/from-chat-3.bin # part 1
expect_rc 4 "$K" join -o miss.kist recv/from-chat-2.bin
assert_grep "$ERR" 'part 1 of 4 is missing' "join names the missing part"
assert_missing miss.kist "no output when a part is missing"
assert_no_tmp . "no temporary file after a failed join"
expect_rc 4 "$K" verify recv/from-chat-2.bin
assert_grep "$OUT" 'part   1  MISSING' "verify lists the missing part by number"
assert_grep "$OUT" 'too much is lost' "without parity, verify says it cannot be rebuilt"
expect_rc 4 "$K" list -i alice.key recv/from-chat-2.bin
assert_grep "$ERR" 'part 1 of 4 of this split vault is missing' "opening with a part missing names it"

# ---- bad arguments
expect_rc 2 "$K" split v.kist 12Q
assert_grep "$ERR" 'SIZE must be' "a bad SIZE is a usage error"
expect_rc 2 "$K" split v.kist 1K
assert_grep "$ERR" 'out of range' "a SIZE too small is refused"
expect_rc 4 "$K" join -o x.kist v.kist
assert_grep "$ERR" 'not a kist part' "join of a vault that is not a part"

# ---- seal --split: the parts straight from the seal, nothing else left
mkdir sealed
expect_rc 0 "$K" seal --split 700K -r "$PA" -o sealed/w.kist case
assert_grep "$ERR" 'written as 4 parts' "seal --split names the parts"
assert_eq 4 "$(find sealed -type f | wc -l)" "seal --split leaves the parts and nothing else"
expect_rc 0 "$K" verify -i alice.key sealed/w.kist.002
assert_grep "$OUT" 'ALL GOOD' "a vault sealed in parts verifies through them"
expect_rc 1 "$K" seal --split 700K -r "$PA" -o sealed/w.kist case
assert_grep "$ERR" 'exists' "seal --split keeps existing parts unless --force"
expect_rc 2 "$K" seal --parity 1 -r "$PA" -o x.kist case
assert_grep "$ERR" 'needs --split' "--parity without --split is a usage error"
assert_missing x.kist "--parity without --split writes nothing"
expect_rc 2 "$K" seal --split 700K -r "$PA" -o - case
expect_rc 5 "$K" seal --split 700K -r "$PA" -o nodir/w.kist case
assert_no_tmp . "a failed seal --split leaves no temporary file"
assert_eq "" "$(find . -name '.kist-whole-*')" "no whole-vault file left beside the parts"

# ---- a named part whose header is damaged: never another set from the folder
mkdir two
head -c 40000 /dev/urandom >two/a.bin
head -c 40000 /dev/urandom >two/b.bin
expect_rc 0 "$K" split -q -o two/a two/a.bin 16K
expect_rc 0 "$K" split -q -o two/b two/b.bin 16K
flip_byte two/a.001 two/a.tmp 40 && mv two/a.tmp two/a.001
expect_rc 4 "$K" join -o two/x two/a.001
assert_missing two/x "a damaged named part does not join another set"
assert_grep "$ERR" 'a.001: part header damaged' "the named part's own refusal is said"

# ---- a set without parity: hundreds of parts, one with a damaged tail, repaired
mkdir many
head -c 3500000 /dev/urandom >many/v.bin
expect_rc 0 "$K" split -q -o many/v many/v.bin 16K
n=$(find many -name 'v.[0-9]*' | wc -l)
[ "$n" -gt 255 ] || fail "expected more than 255 parts, got $n"
cp many/v.100 many.keep
printf 'x' >>many/v.100
expect_rc 4 "$K" verify many/v.001
assert_grep "$OUT" 'part 100  DAMAGED \(header or manifest\)' "a damaged tail is found"
expect_rc 0 "$K" repair many/v.001
assert_file_eq many.keep many/v.100 "a damaged tail in a set of hundreds of parts without parity is repaired"
expect_rc 0 "$K" join -o many/joined many/v.050
assert_file_eq many/v.bin many/joined "and the set joins"

if [ "$have_parity" = 0 ]; then
	skip_part "parity and repair: this build has no ISA-L"
	# ---- repair never replaces an intact part that sits under the name it wants
rm -rf p5 && cp -r orig p5
rm p5/v.kist.004
mv p5/v.kist.005 p5/v.kist.004
expect_rc 1 "$K" repair p5/v.kist.001
assert_grep "$ERR" 'holds part 5' "repair refuses to replace part 5 stored as v.kist.004"
assert_no_tmp p5 "a refused repair leaves no temporary file"
assert_file_eq orig/v.kist.005 p5/v.kist.004 "part 5 is kept"

# ---- seal --split --parity: one part lost, rebuilt, the vault opens
mkdir sp
expect_rc 0 "$K" seal --split 600K --parity 1 -r "$PA" -o sp/v.kist case
rm sp/v.kist.002
expect_rc 4 "$K" list -i alice.key sp/v.kist.001
expect_rc 0 "$K" repair sp/v.kist.001
expect_rc 0 "$K" verify -i alice.key sp/v.kist.001
assert_grep "$OUT" 'ALL GOOD' "seal --split --parity: repaired and verified"

finish
fi

# ---- parity: one part lost and 4 KiB of another overwritten, rebuilt exactly
mkdir p
expect_rc 0 "$K" split -o p/v.kist --parity 2 v.kist 600K
cp -r p orig
rm p/v.kist.002
python3 - p/v.kist.004 <<'PY'
import os, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(200000)
    f.write(os.urandom(4096))
PY
expect_rc 4 "$K" verify p/v.kist.001
assert_grep "$OUT" 'part   2  MISSING' "verify: the deleted part"
assert_grep "$OUT" 'part   4  DAMAGED' "verify: the overwritten part"
assert_grep "$OUT" 'kist repair can rebuild' "verify: repairable with 2 parity parts"
expect_rc 4 "$K" join -o no.kist p/v.kist.001
assert_missing no.kist "join refuses a set with a part missing"
expect_rc 0 "$K" repair p/v.kist.001
for f in orig/v.kist.*; do
	assert_file_eq "$f" "p/$(basename "$f")" "repair rebuilt $(basename "$f") byte for byte"
done
expect_rc 0 "$K" join -o repaired.kist p/v.kist.003
assert_file_eq v.kist repaired.kist "the repaired set joins to the original vault"

# ---- repair into another folder leaves the damaged set as it was
rm -rf p2 fixed && cp -r orig p2 && mkdir fixed
rm p2/v.kist.006
expect_rc 0 "$K" repair -o fixed p2/v.kist.001
assert_file_eq orig/v.kist.006 fixed/v.kist.006 "repair -o DIR writes the rebuilt part there"
assert_missing p2/v.kist.006 "repair -o DIR does not touch the set's folder"

# ---- more lost than parity: refused, nothing written
rm -rf p3 && cp -r orig p3
rm p3/v.kist.001 p3/v.kist.002 p3/v.kist.003
expect_rc 4 "$K" verify p3/v.kist.004
assert_grep "$OUT" 'too much is lost' "3 lost with 2 parity: not repairable"
expect_rc 4 "$K" repair p3/v.kist.004
assert_missing p3/v.kist.001 "an impossible repair writes nothing"
assert_no_tmp p3 "an impossible repair leaves no temporary file"

# ---- a part with a damaged header is ignored and rebuilt; a foreign part is refused
rm -rf p4 && cp -r orig p4
flip_byte orig/v.kist.005 p4/v.kist.005 40
expect_rc 4 "$K" verify p4/v.kist.001
assert_grep "$ERR" 'v.kist.005: part header damaged' "a damaged header is named"
expect_rc 0 "$K" repair -o fixed --force p4/v.kist.001
assert_file_eq orig/v.kist.005 fixed/v.kist.005 "a part with a damaged header is rebuilt"
expect_rc 2 "$K" join -o y.kist p4/v.kist.001 s/v.kist.001
assert_grep "$ERR" 'another part set' "parts of two sets given together are refused"

# ---- repair never replaces an intact part that sits under the name it wants
rm -rf p5 && cp -r orig p5
rm p5/v.kist.004
mv p5/v.kist.005 p5/v.kist.004
expect_rc 1 "$K" repair p5/v.kist.001
assert_grep "$ERR" 'holds part 5' "repair refuses to replace part 5 stored as v.kist.004"
assert_no_tmp p5 "a refused repair leaves no temporary file"
assert_file_eq orig/v.kist.005 p5/v.kist.004 "part 5 is kept"

# ---- seal --split --parity: one part lost, rebuilt, the vault opens
mkdir sp
expect_rc 0 "$K" seal --split 600K --parity 1 -r "$PA" -o sp/v.kist case
rm sp/v.kist.002
expect_rc 4 "$K" list -i alice.key sp/v.kist.001
expect_rc 0 "$K" repair sp/v.kist.001
expect_rc 0 "$K" verify -i alice.key sp/v.kist.001
assert_grep "$OUT" 'ALL GOOD' "seal --split --parity: repaired and verified"

finish
