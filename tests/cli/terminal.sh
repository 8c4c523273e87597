#!/usr/bin/env bash
# What reaches a terminal (issue 12): a name that reorders text
# (invoice_<U+202E>fdp.exe, shown by a terminal as "invoice_exe.pdf") and a
# person's name with an invisible character (U+200B) are shown escaped, as
# \u{202e} and \u{200b}, by list, people, query (CSV), verify, manifest,
# log list and error messages; --json keeps the exact text.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the JSON"

PA=$(mkid alice)
RLO=$'\xe2\x80\xae'
ZWSP=$'\xe2\x80\x8b'
NAME="invoice_${RLO}fdp.exe"
PERSON="Ana${ZWSP}Maria"
mkdir ev
printf 'not a pdf\n' >"ev/$NAME"
printf 'name,media\n%s,ev/%s\n' "$PERSON" "$NAME" >reg.csv
expect_rc 0 "$K" seal -q -r "$PA" --people reg.csv -o v.kist ev || die "seal failed"

SHOWN='invoice_\\u\{202e\}fdp\.exe'
PSHOWN='Ana\\u\{200b\}Maria'
# no raw U+202E or U+200B anywhere in a file
no_raw() {
	assert_no_grep "$1" "$RLO|$ZWSP" "$2: no raw U+202E or U+200B"
}

expect_rc 0 "$K" list -i alice.key v.kist
assert_grep "$OUT" "^ev/$SHOWN\$" "list: U+202E shown as \\u{202e}"
no_raw "$OUT" list
expect_rc 0 "$K" list -l -i alice.key v.kist
assert_grep "$OUT" "ev/$SHOWN\$" "list -l: escaped"
no_raw "$OUT" "list -l"

expect_rc 0 "$K" people -i alice.key v.kist
assert_grep "$OUT" "^#1  $PSHOWN\$" "people: U+200B shown as \\u{200b}"
assert_grep "$OUT" "ev/$SHOWN\$" "people: the media path escaped"
no_raw "$OUT" people

expect_rc 0 "$K" query -i alice.key v.kist "SELECT p.name, e.path FROM people p, entries e WHERE e.type = 'file'"
assert_grep "$OUT" "^$PSHOWN,ev/$SHOWN" "query CSV: both escaped"
no_raw "$OUT" "query CSV"

expect_rc 0 "$K" manifest -i alice.key v.kist
assert_grep "$OUT" "^[0-9a-f]{64}  ev/$SHOWN\$" "manifest: escaped"
no_raw "$OUT" manifest

# verify names a damaged entry: flip a byte of its only chunk (right after the header)
expect_rc 0 "$K" info v.kist
H=$(sed -n 's/^header: *\([0-9]*\) bytes$/\1/p' "$OUT")
[ -n "$H" ] || die "kist info shows no header size"
flip_byte v.kist bad.kist $((H + 3))
expect_rc 4 "$K" verify -i alice.key bad.kist
assert_grep "$OUT" "ev/$SHOWN" "verify: the damaged entry escaped"
no_raw "$OUT" "verify stdout"
no_raw "$ERR" "verify stderr"

# the ledger records what cat released; log list shows it escaped
expect_rc 0 "$K" cat -i alice.key v.kist "ev/$NAME"
expect_rc 0 "$K" log list
assert_grep "$OUT" "ev/$SHOWN" "log list: escaped"
no_raw "$OUT" "log list"

# an error that names the entry (extracting over an existing file)
mkdir out
expect_rc 0 "$K" extract -q -i alice.key -C out v.kist
expect_nonzero "$K" extract -q -i alice.key -C out v.kist
assert_grep "$ERR" "ev/$SHOWN" "an error naming the entry: escaped"
no_raw "$ERR" "error message"

# --json keeps the exact text
expect_rc 0 "$K" list --json -i alice.key v.kist
cp "$OUT" list.json
expect_rc 0 "$K" people --json -i alice.key v.kist
cp "$OUT" people.json
expect_rc 0 "$K" query --json -i alice.key v.kist "SELECT name FROM people"
cp "$OUT" query.json
expect_rc 0 "$K" manifest --json -i alice.key v.kist
cp "$OUT" manifest.json
expect_rc 0 "$K" log list --json
cp "$OUT" log.json
python3 - "ev/$NAME" "$PERSON" <<'PY' && ok || fail "--json does not keep the exact names"
import json, sys
name, person = sys.argv[1], sys.argv[2]
def texts(x):
    if isinstance(x, dict):
        for v in x.values(): yield from texts(v)
    elif isinstance(x, list):
        for v in x: yield from texts(v)
    elif isinstance(x, str):
        yield x
for f, want in [("list.json", name), ("people.json", person), ("people.json", name),
                ("query.json", person), ("manifest.json", name), ("log.json", name)]:
    found = list(texts(json.load(open(f))))
    if want not in found:
        sys.exit(f"{f}: {want!r} not found exactly")
PY

finish
