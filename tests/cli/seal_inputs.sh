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
	script -qec "$K seal -r $PA -o - case; echo rc=\$?" /dev/null >tty.out 2>&1
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
finish
