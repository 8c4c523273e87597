#!/usr/bin/env bash
# Fewer ways to fail when sealing (issue 15): -o naming a folder is refused
# before any work; -o - writes the vault to standard output.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
mkdir -p case/docs
echo "statement, synthetic" >case/docs/statement.txt

# ---- -o naming an existing folder: refused before any work, usage exit code
mkdir outdir
expect_rc 2 "$K" seal -r "$PA" -o outdir case
assert_grep "$ERR" 'outdir is a folder' "-o FOLDER: the refusal says it is a folder"
assert_dir_empty outdir "-o FOLDER: nothing written into the folder"
# Before any work: a missing input is not even looked at.
expect_rc 2 "$K" seal -r "$PA" -o outdir no-such-input
assert_grep "$ERR" 'outdir is a folder' "-o FOLDER is refused before the inputs are read"

# ---- -o -: the vault on standard output, the summary on standard error
expect_rc 0 bash -c '"$0" seal -r "$1" -o - case >v.kist' "$K" "$PA"
assert_grep "$ERR" 'sealed 3 entries' "-o -: the summary goes to standard error"
assert_grep "$ERR" 'standard output' "-o -: the summary names standard output"
expect_rc 0 "$K" verify -i alice.key v.kist
assert_grep "$OUT" 'ALL GOOD' "seal -o - ... > v.kist gives a vault that verifies"
assert_eq "" "$(find . -maxdepth 1 -name '.*kist-tmp*')" "-o -: no temporary file in the current folder"
# Through a pipe too.
expect_rc 0 bash -c '"$0" seal -q -r "$1" -o - case | cat >p.kist' "$K" "$PA"
expect_rc 0 "$K" verify -i alice.key p.kist
assert_grep "$OUT" 'ALL GOOD' "seal -o - | cat > p.kist gives a vault that verifies"
# A redirect into a sealed folder is one of the inputs: refused.
expect_rc 1 bash -c '"$0" seal -q -r "$1" -o - case >case/self.kist' "$K" "$PA"
assert_grep "$ERR" 'also an input' "-o - into one of the inputs is refused"
rm -f case/self.kist
# A terminal is refused (only where script(1) gives one).
if command -v script >/dev/null 2>&1; then
	timeout -k 5 "$CMD_TIMEOUT" script -qec "$K seal -r $PA -o - case; echo rc=\$?" /dev/null >tty.out 2>&1
	assert_grep tty.out 'rc=2' "-o - with a terminal on standard output: usage exit code"
	assert_grep tty.out 'terminal' "-o - with a terminal: the refusal says so"
else
	skip_part "-o - on a terminal (no script(1))"
fi
# ---- a vault among the inputs: sealed, with a warning in the summary
mkdir nested
echo "note, synthetic" >nested/note.txt
cp v.kist nested/old.kist
expect_rc 0 "$K" seal -r "$PA" -o nested.kist nested
assert_grep "$ERR" 'old.kist.*kist vault' "a vault among the inputs is named in a warning"
assert_grep "$ERR" 'warning: 1 input is a kist vault' "the summary counts the vaults among the inputs"
expect_rc 0 "$K" seal --dry-run nested
assert_grep "$ERR" '1 input is a kist vault' "the dry run counts them too"
assert_grep "$OUT" '^nested/old.kist$' "the vault is still sealed"
# ---- all problems with the inputs in one pass, before anything is written
# Root reads any file: the unreadable ones are unreadable to "nobody", so the
# seals below run as nobody (setpriv), or the part is skipped visibly.
mkdir -p many/sub many/locked
echo "kept, synthetic" >many/kept.txt
echo "also kept, synthetic" >many/sub/b.txt
echo "locked, synthetic" >many/locked/c.txt
echo "secret, synthetic" >many/secret.txt
mkfifo many/evidence.fifo
printf 'x\n' >"many/tab$(printf '\t')name"
chmod 000 many/locked many/secret.txt
if [ "$(id -u)" -ne 0 ]; then
	AS=(env)
elif command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$T" many many/sub
	chmod 644 many/kept.txt many/sub/b.txt "many/tab$(printf '\t')name"
	chmod 777 "$T"
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	AS=()
	skip_part "running as root without setpriv: unreadable inputs are not checked"
fi
if [ ${#AS[@]} -gt 0 ]; then
	expect_rc 1 "${AS[@]}" "$K" seal -r "$PA" -o many.kist many no-such-input
	assert_grep "$ERR" '^kist: many/locked: Permission denied$' "an unreadable folder is named"
	assert_grep "$ERR" '^kist: many/secret.txt: Permission denied$' "an unreadable file is named"
	assert_grep "$ERR" '^kist: many/evidence.fifo: a fifo' "a fifo is named"
	assert_grep "$ERR" '^kist: many/tab\\x09name: kist cannot store this name' "a refused name is named, escaped"
	assert_grep "$ERR" '^kist: no-such-input: No such file' "a missing input is named"
	assert_grep "$ERR" '^kist: 5 inputs cannot be sealed$' "the count of the problems"
	assert_grep "$ERR" '--skip-unreadable' "the refusal says what to do"
	assert_missing many.kist "no vault when inputs cannot be sealed"
	assert_eq "" "$(find . -maxdepth 1 -name '.*kist-tmp*')" "no temporary file when inputs cannot be sealed"
	# Two unreadable files only: both named, the I/O exit code.
	expect_rc 5 "${AS[@]}" "$K" seal -r "$PA" -o two.kist many/secret.txt many/locked
	assert_grep "$ERR" 'many/secret.txt: Permission denied' "first of two unreadable inputs"
	assert_grep "$ERR" 'many/locked: Permission denied' "second of two unreadable inputs"
	assert_grep "$ERR" '^kist: 2 inputs cannot be sealed$' "two unreadable inputs counted"
	assert_missing two.kist "no vault of two unreadable inputs"
	# The dry run shows the same problems.
	expect_rc 1 "${AS[@]}" "$K" seal --dry-run many
	assert_grep "$ERR" 'many/secret.txt: Permission denied' "dry run: the unreadable file"
	assert_grep "$ERR" '^kist: 4 inputs cannot be sealed$' "dry run: the count"
	assert_grep "$ERR" 'dry run: the seal would be refused' "dry run: refused"

	# ---- --skip-unreadable: the rest is sealed, what was left out is listed
	expect_rc 0 "${AS[@]}" "$K" seal -r "$PA" -o skip.kist --skip-unreadable --exclude 'tab*' many
	assert_grep "$ERR" '^kist: left out: many/locked: Permission denied$' "left out: the folder"
	assert_grep "$ERR" '^kist: left out: many/secret.txt: Permission denied$' "left out: the file"
	assert_grep "$ERR" '^kist: left out: many/evidence.fifo: a fifo' "left out: the fifo"
	assert_grep "$ERR" '^kist: warning: 3 paths left out \(--skip-unreadable\)$' "left out: the count"
	expect_rc 0 "$K" list -i alice.key skip.kist
	assert_eq "many many/kept.txt many/sub many/sub/b.txt" "$(tr '\n' ' ' <"$OUT" | sed 's/ $//')" "--skip-unreadable seals the rest"
	# Even with -q the left-out paths are named.
	expect_rc 0 "${AS[@]}" "$K" seal -q -r "$PA" -o skipq.kist --skip-unreadable --exclude 'tab*' many
	assert_grep "$ERR" 'left out: many/secret.txt' "-q still names what was left out"
	expect_rc 0 "${AS[@]}" "$K" seal --dry-run --skip-unreadable --exclude 'tab*' many
	assert_grep "$ERR" '^kist: would be left out: many/secret.txt' "dry run: what would be left out"
	assert_no_grep "$OUT" 'secret' "dry run: the left-out file is not listed as stored"
	# A name kist cannot store is not skipped: renaming or --exclude is the answer.
	expect_rc 1 "${AS[@]}" "$K" seal -r "$PA" -o skipname.kist --skip-unreadable many
	assert_grep "$ERR" '^kist: 1 input cannot be sealed$' "--skip-unreadable does not skip a refused name"
	assert_missing skipname.kist "no vault with a refused name under --skip-unreadable"
fi
chmod 700 many/locked
chmod 600 many/secret.txt
# ---- --exclude PATTERN: as tar, against the stored path or any of its names
mkdir -p ex/photos/raw ex/notes
echo "a, synthetic" >ex/photos/a.jpg
echo "b, synthetic" >ex/photos/raw/b.cr2
echo "n, synthetic" >ex/notes/n.txt
echo "t, synthetic" >ex/notes/t.tmp
mkfifo ex/notes/pipe.fifo
expect_rc 0 "$K" seal --dry-run --exclude '*.tmp' --exclude 'ex/photos/raw' --exclude pipe.fifo ex
assert_eq "ex ex/notes ex/notes/n.txt ex/photos ex/photos/a.jpg" "$(tr '\n' ' ' <"$OUT" | sed 's/ $//')" "--exclude: by name, by stored path"
assert_grep "$ERR" '^kist: 3 paths excluded \(--exclude\)$' "--exclude: the count in the summary"
assert_no_grep "$ERR" 'fifo' "--exclude: an excluded fifo is no problem"
# '*' also matches '/', as in tar; a folder's name excludes all below it.
expect_rc 0 "$K" seal -r "$PA" -o ex.kist --exclude 'ex/*/raw*' --exclude notes ex
assert_grep "$ERR" '^kist: 2 paths excluded' "--exclude: a folder counts once"
expect_rc 0 "$K" list -i alice.key ex.kist
assert_eq "ex ex/photos ex/photos/a.jpg" "$(tr '\n' ' ' <"$OUT" | sed 's/ $//')" "--exclude: a folder and what is below it"
expect_rc 2 "$K" seal --dry-run --exclude '' ex
assert_grep "$ERR" 'empty' "--exclude '': a usage error"
# ---- plural forms: "1 entry", "1 file", "1 recipient", "1 person"
echo "one, synthetic" >one.txt
printf 'name,media\nInvented Person,one.txt\n' >one.csv
expect_rc 0 "$K" seal -r "$PA" --people one.csv -o one.kist one.txt
assert_grep "$ERR" 'sealed 1 entry \(' "seal: 1 entry"
assert_grep "$ERR" 'for 1 recipient:' "seal: 1 recipient"
expect_rc 0 "$K" verify -i alice.key one.kist
assert_grep "$OUT" 'Entries: +1 \(1 file, 0 folders, 0 links\)' "verify: 1 file"
assert_grep "$OUT" 'recomputed \(1 file\)' "verify: checked 1 file"
expect_rc 0 "$K" people -i alice.key one.kist
assert_grep "$ERR" '^kist: 1 of 1 person$' "people: 1 person"
expect_rc 0 "$K" seal --dry-run one.txt
assert_grep "$ERR" '1 path would be stored' "dry run: 1 path"
finish
