#!/usr/bin/env bash
# --json on info, list, manifest, people and verify: one JSON document on stdout (parsed here by
# python3's json module), with "version": 1 and the fields docs/JSON.md
# documents, nothing else on stdout; names that are not UTF-8 still give
# valid JSON, with their exact bytes in *_hex; the exit codes do not change.
. "$(dirname "$0")/lib.sh"

# pyjson FILE EXPR...: loads FILE as JSON into d, asserts each Python EXPR.

PK=$(mkid a)
mkdir case
printf 'first file\n' >case/one.txt
python3 -c 'import os; open("case/big.bin","wb").write(os.urandom(1500000))'
ln -s one.txt case/link
# The entries, files and bytes of case/ (python's): with the two files below,
# or without them on Windows, which holds neither name.
NE=5 NF=3 NB="1500000 + 11 + 4"
if [ "$ON_WINDOWS" = 0 ]; then
	printf 'bytes' >"case/$(printf 'caf\xe9-latin1')" # not UTF-8
	printf 'tab' >"case/quote\"and\\back"             # JSON escapes
	NE=7 NF=5 NB="1500000 + 11 + 5 + 3 + 4"
fi
printf 'utf8' >"case/témoignage"
SHA_ONE=$(sha256sum case/one.txt | cut -d' ' -f1)
expect_rc 0 "$K" seal -q -r "$PK" -o v.kist case

# ---------------------------------------------------------------- info
expect_rc 0 "$K" info --json v.kist
SIZE=$(stat -c %s v.kist)
pyjson "$OUT" "info --json" 'd["version"] == 1' 'd["format_version"] == 2' 'd["grants"] == 0' \
	"d['size'] == $SIZE" 'd["recipient_slots"] == 1' 'd["header_size"] > 0' 'd["vault"] == "v.kist"' \
	'set(d) == {"version","vault","format_version","size","header_size","recipient_slots","grants","custodians"}'
assert_empty "$ERR" "stderr of info --json"

# ---------------------------------------------------------------- list
expect_rc 0 "$K" list --json -i a.key v.kist
cp "$OUT" list.json
assert_empty "$ERR" "stderr of list --json"
pyjson list.json "list --json" 'd["version"] == 1' "len(d['entries']) == $NE" \
	'[e["path"] for e in d["entries"]] == sorted(e["path"] for e in d["entries"])' \
	'all(set(e) - {"path_hex"} == {"path","type","size","mode","mtime","mtime_nsec","sha256","link_target","stored_size"} for e in d["entries"])' \
	'{e["path"]: e for e in d["entries"]}["case"]["type"] == "dir"' \
	"{e['path']: e for e in d['entries']}['case/one.txt']['sha256'] == '$SHA_ONE'" \
	'{e["path"]: e for e in d["entries"]}["case/one.txt"]["size"] == 11' \
	'{e["path"]: e for e in d["entries"]}["case/big.bin"]["size"] == 1500000' \
	'{e["path"]: e for e in d["entries"]}["case/link"]["type"] == "symlink"' \
	'{e["path"]: e for e in d["entries"]}["case/link"]["link_target"] == "one.txt"' \
	'{e["path"]: e for e in d["entries"]}["case/link"]["sha256"] is None' \
	'"case/t\u00e9moignage" in {e["path"] for e in d["entries"]}' \
	'"path_hex" not in {e["path"]: e for e in d["entries"]}["case/t\u00e9moignage"]'
if [ "$ON_WINDOWS" = 0 ]; then
	pyjson list.json "list --json, a name with a quote and a backslash" \
		'"case/quote\"and\\back" in {e["path"] for e in d["entries"]}'
	# The non-UTF-8 name: lossy text plus the exact bytes.
	pyjson list.json "list --json, a name that is not UTF-8" \
		'[e for e in d["entries"] if "path_hex" in e][0]["path"] == "case/caf\ufffd-latin1"' \
		'bytes.fromhex([e for e in d["entries"] if "path_hex" in e][0]["path_hex"]) == b"case/caf\xe9-latin1"' \
		'len([e for e in d["entries"] if "path_hex" in e]) == 1'
else
	skip_part "names with a quote, a backslash or bytes that are not UTF-8: Windows holds none"
fi
# mode matches the file's
MODE=$(stat -c %a case/one.txt)
pyjson list.json "list --json mode" "{e['path']: e for e in d['entries']}['case/one.txt']['mode'] == '0$MODE'"
MT=$(stat -c %Y case/one.txt)
pyjson list.json "list --json mtime" "{e['path']: e for e in d['entries']}['case/one.txt']['mtime'] == $MT"

# One layout of an entry everywhere: the member types of list, and manifest --json and
# people --json (media) give the same objects as list --json.
pyjson list.json "list --json member types" \
	'all(isinstance(e["size"], int) and isinstance(e["mtime"], int) and isinstance(e["mtime_nsec"], int) and isinstance(e["stored_size"], int) and isinstance(e["mode"], str) for e in d["entries"])' \
	'all((e["sha256"] is None) == (e["type"] != "file") for e in d["entries"])' \
	'all((e["link_target"] is None) == (e["type"] != "symlink") for e in d["entries"])'
expect_rc 0 "$K" manifest --json -i a.key v.kist
cp "$OUT" manifest.json
pyjson manifest.json "manifest --json entries in the layout of list" \
	"d['entries'] == __import__('json').load(open('list.json'))['entries']"
printf 'name,media\nPerson One,case/one.txt;case/link\n' >reg.csv
expect_rc 0 "$K" seal -q -r "$PK" --people reg.csv -o p.kist case
expect_rc 0 "$K" list --json -i a.key p.kist
cp "$OUT" plist.json
expect_rc 0 "$K" people --json -i a.key p.kist
pyjson "$OUT" "people --json media in the layout of list" \
	"sorted(d['people'][0]['media'], key=lambda e: e['path']) == [e for e in __import__('json').load(open('plist.json'))['entries'] if e['path'] in ('case/one.txt', 'case/link')]"

# ---------------------------------------------------------------- verify
expect_rc 0 "$K" keygen -q --no-passphrase -o s.key
SPK=$(cat "$OUT")
expect_rc 0 "$K" seal -q -r "$PK" -s s.key -o signed.kist case
expect_rc 0 "$K" verify --json -i a.key --signer "$SPK" signed.kist
cp "$OUT" verify.json
assert_empty "$ERR" "stderr of a good verify --json"
pyjson verify.json "verify --json (intact, signed)" 'd["version"] == 1' 'd["result"] == "ok"' \
	'd["signed"] is True' "d['signer']['key'] == '$SPK'" \
	'len(d["signer"]["fingerprint"]) == 24' \
	"d['required_signer']['key'] == '$SPK'" "d['required_signer']['matches'] is True" \
	"d['required_signer']['fingerprint'] == d['signer']['fingerprint']" \
	'len(d["sha256"]) == 64' \
	"d['entries'] == {'total': $NE, 'files': $NF, 'dirs': 1, 'links': 1, 'size': $NB}" \
	'd["checked"]["files"] == 5 and d["checked"]["failed"] == 0' \
	'd["checked"]["bytes"] == d["entries"]["size"]' 'd["damaged"] == []' \
	'len(d["vault_id"]) == 32' 'd["recipients"] == 1' 'd["tool_version"].startswith("kist ")'

# Unsigned vault with a required signer: exit 7, result wrong_signer, still one document.
expect_rc 7 "$K" verify --json -i a.key --signer "$SPK" v.kist
pyjson "$OUT" "verify --json, wrong signer" 'd["result"] == "wrong_signer"' 'd["signed"] is False' \
	'd["signer"] is None' 'd["required_signer"]["matches"] is False'
assert_grep "$ERR" 'not signed' "verify --json, wrong signer: one line on stderr"
assert_eq 1 "$(wc -l <"$ERR")" "verify --json, wrong signer: one line on stderr"

# A damaged vault: the damaged entry is named.
# Flip a byte in the middle of the vault body (inside big.bin's chunks, the largest entry).
HALF=$((SIZE / 2))
flip_byte v.kist bad.kist "$HALF"
expect_rc 4 "$K" verify --json -i a.key bad.kist
pyjson "$OUT" "verify --json, damaged" 'd["result"] == "failed"' 'd["checked"]["failed"] == 1' \
	'len(d["damaged"]) == 1' 'd["damaged"][0]["path"] == "case/big.bin"' 'len(d["damaged"][0]["reason"]) > 0'

# No access: nothing on stdout, exit 3.
mkid b >/dev/null
expect_rc 3 "$K" verify --json -i b.key v.kist
assert_empty "$OUT" "stdout of verify --json without access"
expect_rc 3 "$K" list --json -i b.key v.kist
assert_empty "$OUT" "stdout of list --json without access"
expect_rc 4 "$K" info --json case/one.txt
assert_empty "$OUT" "stdout of info --json on a non-vault"

# A vault name that is not UTF-8.
if [ "$ON_WINDOWS" = 0 ]; then
	cp v.kist "$(printf 'v\xff.kist')"
	expect_rc 0 "$K" info --json "$(printf 'v\xff.kist')"
	pyjson "$OUT" "info --json, vault name not UTF-8" 'd["vault_hex"] == "76ff2e6b697374"' 'd["vault"] == "v\ufffd.kist"'
else
	skip_part "a vault name that is not UTF-8: Windows holds none"
fi

finish
