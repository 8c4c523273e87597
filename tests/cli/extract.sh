#!/usr/bin/env bash
# kist extract: overwriting and --force, named paths, missing names, -C,
# links that point outside, symlinks planted in the target.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)

mkdir -p case/docs/sub case/media
printf 'first statement\n' >case/docs/a.txt
printf 'second statement\n' >case/docs/b.txt
printf 'below\n' >case/docs/sub/c.txt
head -c 200000 /dev/urandom >case/media/clip.bin
printf 'top\n' >case/top.txt
expect_rc 0 "$K" seal -q -r "$PA" -o v.kist case || die "cannot seal the test case"

# Files (not folders) below DIR, sorted, relative to DIR.
files_under() { (cd "$1" && find . -mindepth 1 ! -type d | sed 's|^\./||' | sort); }

# ------------------------------------------------- existing files, --force
mkdir out
expect_rc 0 "$K" extract -i alice.key -C out v.kist
assert_grep "$ERR" 'extracted all entries' "extract reports what it did"
diff -r case out/case >/dev/null 2>&1 && ok || fail "first extraction differs from the original"

printf 'edited by the examiner\n' >out/case/docs/a.txt
cp out/case/docs/a.txt a.edited
expect_rc 1 "$K" extract -i alice.key -C out v.kist
assert_grep "$ERR" 'exists.*--force' "refusal to overwrite mentions --force"
assert_file_eq a.edited out/case/docs/a.txt "existing file after extract without --force"
assert_no_tmp out "refused extract"

# Only one entry is in the way and it is named alone: still refused.
expect_rc 1 "$K" extract -i alice.key -C out v.kist case/docs/a.txt
assert_file_eq a.edited out/case/docs/a.txt "existing file after a named extract without --force"

expect_rc 0 "$K" extract -i alice.key -C out --force v.kist
assert_file_eq case/docs/a.txt out/case/docs/a.txt "existing file after extract --force"
diff -r case out/case >/dev/null 2>&1 && ok || fail "tree after extract --force differs from the original"
assert_no_tmp out "extract --force"

# ------------------------------------------------------- named paths
mkdir one
expect_rc 0 "$K" extract -i alice.key -C one v.kist case/docs/b.txt
assert_grep "$ERR" 'selected entries' "extract of named paths reports the selection"
assert_eq "case/docs/b.txt" "$(files_under one | tr '\n' ' ' | sed 's/ $//')" "files written by extract of one named file"
assert_file_eq case/docs/b.txt one/case/docs/b.txt "the one extracted file"
assert_missing one/case/docs/sub "a sibling folder of the named file"

mkdir folder
expect_rc 0 "$K" extract -i alice.key -C folder v.kist case/docs
assert_eq "case/docs/a.txt case/docs/b.txt case/docs/sub/c.txt" \
	"$(files_under folder | tr '\n' ' ' | sed 's/ $//')" "files written by extract of the folder case/docs"
diff -r case/docs folder/case/docs >/dev/null 2>&1 && ok || fail "extracted folder case/docs differs from the original"
assert_missing folder/case/media "folder outside the named one"
assert_missing folder/case/top.txt "file outside the named folder"

mkdir two
expect_rc 0 "$K" extract -i alice.key -C two v.kist case/top.txt case/media
assert_eq "case/media/clip.bin case/top.txt" "$(files_under two | tr '\n' ' ' | sed 's/ $//')" \
	"files written by extract of a file and a folder"
assert_file_eq case/media/clip.bin two/case/media/clip.bin "extracted clip.bin"

# ---------------------------------------------- a name not in the vault
mkdir none
expect_rc 1 "$K" extract -i alice.key -C none v.kist case/no-such-file
assert_grep "$ERR" 'no-such-file.*not in the vault' "message for a name not in the vault"
assert_dir_empty none "extract of a name not in the vault"
expect_rc 1 "$K" extract -i alice.key -C none v.kist case/docs/a.txt case/no-such-file
assert_dir_empty none "extract of a valid name plus a name not in the vault"
# A prefix of a name is not the name.
expect_rc 1 "$K" extract -i alice.key -C none v.kist case/do
assert_dir_empty none "extract of a mere prefix of a folder name"

# -------------------------------------------------------------- -C
# A missing DIR is created, mode 0700, one level only (its parent must exist).
expect_rc 0 "$K" extract -i alice.key -C new-dir v.kist
assert_eq 700 "$(stat -c %a new-dir 2>&1)" "mode of the -C directory extract created"
diff -r case new-dir/case >/dev/null 2>&1 && ok || fail "extraction into a created -C directory differs"
expect_rc 5 "$K" extract -i alice.key -C no-such-parent/dir v.kist
assert_grep "$ERR" 'no-such-parent/dir.*parent folder must exist' "message for a -C whose parent is missing"
assert_missing no-such-parent "the missing parent of -C"
# A failed extraction leaves no created directory behind.
expect_rc 1 "$K" extract -i alice.key -C failed-dir v.kist case/no-such-file
assert_missing failed-dir "the -C directory of a failed extraction"
: >plain-file
expect_rc 5 "$K" extract -i alice.key -C plain-file v.kist
assert_eq 0 "$(wc -c <plain-file)" "size of the file given as -C"

# Without -C: the current directory.
mkdir here
(cd here && "$K" extract -q -i ../alice.key ../v.kist) || fail "extract without -C (into the current directory) failed"
diff -r case here/case >/dev/null 2>&1 && ok || fail "extract without -C: tree differs"

# ------------------------------------------- links, planted symlinks
mkdir -p links/in
ln -s /etc/passwd links/in/absolute
ln -s ../../../outside links/in/escape
ln -s ../top.txt links/in/fine
echo top >links/top.txt
expect_rc 0 "$K" seal -q -r "$PA" -o links.kist links
mkdir lout
expect_rc 0 "$K" extract -i alice.key -C lout links.kist
assert_grep "$ERR" 'absolute.*outside' "warning for a link to an absolute path"
assert_grep "$ERR" 'escape.*outside' "warning for a link that climbs out of the target"
assert_missing lout/links/in/absolute "link to an absolute path"
assert_missing lout/links/in/escape "link that climbs out of the target"
assert_eq "../top.txt" "$(readlink lout/links/in/fine 2>&1)" "link that stays inside the target"

# Links across extractions: the first vault's chain/d/l2 -> ../.. names the target
# itself (inside); the second vault's chain/l1 -> d/l2/../outside looks inside
# (chain/d/outside) but leads, through the link on disk, to the target's parent.
mkdir -p x1/chain/d x2/chain cout
ln -s ../.. x1/chain/d/l2
ln -s d/l2/../outside x2/chain/l1
ln -s d/l2/chain x2/chain/loop-inside
(cd x1 && "$K" seal -q -r "$PA" -o ../c1.kist chain) || die "cannot seal c1"
(cd x2 && "$K" seal -q -r "$PA" -o ../c2.kist chain) || die "cannot seal c2"
expect_rc 0 "$K" extract -i alice.key -C cout c1.kist
assert_eq "../.." "$(readlink cout/chain/d/l2 2>&1)" "a link naming the target itself"
expect_rc 0 "$K" extract -i alice.key -C cout c2.kist
assert_grep "$ERR" 'chain/l1.*outside the target' "warning for a link leading out through a link on disk"
assert_missing cout/chain/l1 "link leading out through a link of an earlier extraction"
assert_eq "d/l2/chain" "$(readlink cout/chain/loop-inside 2>&1)" "a link through a link on disk that stays inside"

# A folder of the vault planted as a symlink to elsewhere: nothing goes there.
mkdir elsewhere planted
ln -s ../elsewhere planted/case
expect_rc 1 "$K" extract -i alice.key -C planted v.kist
expect_rc 1 "$K" extract -i alice.key -C planted --force v.kist
assert_dir_empty elsewhere "target of a symlink planted in place of a folder"
assert_eq "../elsewhere" "$(readlink planted/case 2>&1)" "the planted symlink itself"

# A file of the vault planted as a symlink: --force replaces the link, never writes through it.
mkdir -p planted2/case/docs
printf 'victim\n' >victim
ln -s ../../../victim planted2/case/docs/a.txt
expect_rc 1 "$K" extract -i alice.key -C planted2 v.kist case/docs/a.txt
assert_eq "victim" "$(cat victim)" "file behind a planted symlink, without --force"
expect_rc 0 "$K" extract -i alice.key -C planted2 --force v.kist case/docs/a.txt
assert_eq "victim" "$(cat victim)" "file behind a planted symlink, with --force"
if [ -L planted2/case/docs/a.txt ]; then fail "extract --force left the planted symlink in place"; else ok; fi
assert_file_eq case/docs/a.txt planted2/case/docs/a.txt "file extracted over a planted symlink"

# ---------------------------------------------------------- usage
expect_rc 2 "$K" extract -i alice.key
expect_rc 2 "$K" extract v.kist
expect_rc 2 "$K" extract -i alice.key -l v.kist
expect_rc 2 "$K" extract -i alice.key -C a -C b v.kist

# ------------------------------------------------- --person with a fragment
# Invented people; "hadd" finds two, "layla" one, "Samir" is one's full name.
cat >reg.csv <<'CSV'
name,media
Samira Haddad,case/docs/a.txt
Samir Khoury,case/docs/b.txt
Layla Haddad,case/top.txt
Samir,case/docs/sub/c.txt
CSV
expect_rc 0 "$K" seal -q -r "$PA" --people reg.csv -o ppl.kist case
mkdir frag
expect_rc 0 "$K" extract -i alice.key -C frag --person layla ppl.kist
assert_eq "case/top.txt" "$(files_under frag | tr '\n' ' ' | sed 's/ $//')" "--person with a unique fragment"
assert_grep "$ERR" '--person: person #3 \(Layla Haddad\), 1 linked entry' "--person says whose media it took"
rm -rf frag && mkdir frag
expect_rc 0 "$K" extract -q -i alice.key -C frag --person layla ppl.kist
assert_grep "$ERR" 'person #3 \(Layla Haddad\)' "--person says whose media it took, even with -q"
mkdir amb
expect_rc 2 "$K" extract -i alice.key -C amb --person hadd ppl.kist
assert_grep "$ERR" '"hadd" matches 2 people' "an ambiguous fragment says how many"
assert_grep "$ERR" '#1 Samira Haddad; #3 Layla Haddad' "an ambiguous fragment lists the candidates"
assert_dir_empty amb "nothing extracted for an ambiguous fragment"
mkdir exact
expect_rc 0 "$K" extract -i alice.key -C exact --person Samir ppl.kist
assert_eq "case/docs/sub/c.txt" "$(files_under exact | tr '\n' ' ' | sed 's/ $//')" "an exact name wins over fragments"
expect_rc 1 "$K" extract -i alice.key -C amb --person zzzq ppl.kist
assert_grep "$ERR" 'nobody in the register matches "zzzq"' "a fragment nobody matches"
finish
