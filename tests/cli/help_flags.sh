#!/usr/bin/env bash
# kist help, kist help VERB, kist VERB --help, kist --version; options given
# twice where once is allowed, and conflicting options, are usage errors (2);
# usage, help, completions and kist(1) name the same options (one verb table).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

VERBS="keygen pubkey contacts seal info list extract cat verify grant report request release split join repair parity people query manifest log audit witness help"

expect_rc 0 "$K" help
for v in $VERBS; do
	assert_grep "$OUT" "kist $v" "kist help names $v"
done
expect_rc 0 "$K" --help
expect_rc 2 "$K"
assert_grep "$ERR" '^usage:' "kist without a verb prints the usage on stderr"
assert_empty "$OUT" "stdout of kist without a verb"

for v in $VERBS; do
	expect_rc 0 "$K" help "$v"
	case $v in
	contacts | parity | log | audit | witness) # one usage line per subcommand: kist log list ..., kist audit verify ...
		assert_grep "$OUT" "^kist $v [a-z]+ " "kist help $v starts with its subcommands' usage" ;;
	*) assert_grep "$OUT" "^usage: kist $v" "kist help $v starts with its usage" ;;
	esac
	cp "$OUT" "help-$v.txt"
	expect_rc 0 "$K" "$v" --help
	assert_file_eq "help-$v.txt" "$OUT" "kist $v --help equals kist help $v"
	expect_rc 0 "$K" "$v" -h
	assert_file_eq "help-$v.txt" "$OUT" "kist $v -h equals kist help $v"
	assert_empty "$ERR" "stderr of kist $v -h"
done
# Every option a verb takes is in its help (long names from the usage lines).
assert_grep help-seal.txt '--recipients-file' "seal help: -R"
assert_grep help-seal.txt '--threads' "seal help: -j"
assert_grep help-list.txt '--json' "list help: --json"
assert_grep help-info.txt '--json' "info help: --json"
assert_grep help-verify.txt '--json' "verify help: --json"
assert_grep help-pubkey.txt '--qr' "pubkey help: --qr"
assert_grep help-extract.txt '--directory' "extract help: -C"
assert_grep help-seal.txt '--people' "seal help: --people"
assert_grep help-extract.txt '--person' "extract help: --person"
assert_grep help-people.txt '--search' "people help: --search"
assert_grep help-query.txt '--csv' "query help: --csv"
assert_grep help-manifest.txt '--verify' "manifest help: --verify"
for v in seal list extract cat verify people query manifest; do
	assert_grep "help-$v.txt" '--ledger' "$v help: --ledger"
done
for sub in list checkpoint export; do assert_grep help-log.txt "^kist log $sub" "log help: $sub"; done
assert_grep help-audit.txt '^kist audit verify .*--checkpoint' "audit help: verify --checkpoint"
for o in --cosigner --quorum --origin --state; do assert_grep help-audit.txt "$o" "audit help: $o"; done
assert_grep help-audit.txt '^kist audit compare ' "audit help: compare"
assert_grep help-audit.txt '^kist audit report BUNDLE_OR_LEDGER -o OUT' "audit help: report"
assert_grep help-audit.txt '\[--pdf\] \[--paper SIZE\]' "audit help: report --pdf"
for o in --output --bundle --people --pdf --paper --force --ledger; do
	assert_grep help-report.txt "$o" "report help: $o"
done
for o in --identity --state --output --force --json --quiet; do
	assert_grep help-witness.txt "$o" "witness help: $o"
done

expect_rc 2 "$K" help nosuchverb
assert_grep "$ERR" 'no such verb: nosuchverb' "help for an unknown verb"
expect_rc 2 "$K" nosuchverb --help
expect_rc 2 "$K" help seal list
expect_rc 2 "$K" --help seal list
expect_rc 0 "$K" --help log list
assert_file_eq help-log.txt "$OUT" "kist --help log list is kist help log"
expect_rc 2 "$K" nosuchverb
assert_grep "$ERR" "unknown verb 'nosuchverb'" "unknown verb"
# After --, --help is a file name, not a request for help.
expect_rc 5 "$K" info -- --help

expect_rc 0 "$K" --version
assert_grep "$OUT" '^kist [0-9]+\.[0-9]+\.[0-9]+$' "kist --version"
expect_rc 2 "$K" --version extra

# ------------------------------------------------ duplicate and conflicting
PK=$(mkid a)
echo data >f
echo "pass phrase" >pw
chmod 600 pw
expect_rc 0 "$K" seal -q -r "$PK" -o v.kist f

dup() { # dup WHAT cmd...: exit 2 with "given more than once", nothing written
	expect_rc 2 "${@:2}"
	assert_grep "$ERR" 'given more than once' "$1"
}
dup "seal -o twice" "$K" seal -r "$PK" -o x.kist -o y.kist f
assert_missing x.kist "seal with -o twice wrote nothing"
assert_missing y.kist "seal with -o twice wrote nothing"
dup "seal -q twice" "$K" seal -q -q -r "$PK" -o x.kist f
dup "seal -j twice" "$K" seal -j 1 -j 2 -r "$PK" -o x.kist f
dup "seal -s twice" "$K" seal -s a.key -s a.key -r "$PK" -o x.kist f
dup "keygen -o twice" "$K" keygen --no-passphrase -o k1 -o k2
assert_missing k1 "keygen with -o twice"
dup "keygen --no-passphrase twice" "$K" keygen --no-passphrase --no-passphrase -o k3
dup "extract -C twice" "$K" extract -i a.key -C . -C . v.kist
dup "list -l twice" "$K" list -i a.key -l -l v.kist
dup "list --json twice" "$K" list -i a.key --json --json v.kist
dup "verify --signer twice" "$K" verify -i a.key --signer "$PK" --signer "$PK" v.kist
dup "info --json twice" "$K" info --json --json v.kist
dup "pubkey --qr twice" "$K" pubkey --qr --qr a.key
dup "--passphrase-file twice" "$K" list -i a.key --passphrase-file pw --passphrase-file pw v.kist
dup "people --json twice" "$K" people -i a.key --json --json v.kist
dup "manifest --verify twice" "$K" manifest -i a.key --verify --verify v.kist
dup "log list --json twice" "$K" log list --json --json
# Repeatable options stay repeatable.
expect_rc 0 "$K" list -i a.key -i a.key v.kist
expect_rc 0 "$K" seal -q -r "$PK" -r "$PK" -o r2.kist f

# Conflicts.
expect_rc 2 "$K" keygen --passphrase-file pw --no-passphrase -o k4
assert_missing k4 "keygen with conflicting passphrase options"
expect_rc 2 "$K" list -i a.key -l --json v.kist
assert_grep "$ERR" 'conflict' "list -l with --json"
assert_empty "$OUT" "stdout of a refused list"
expect_rc 2 "$K" query -i a.key --csv --json v.kist 'SELECT 1'
assert_grep "$ERR" 'exclude each other' "query --csv with --json"
assert_empty "$OUT" "stdout of a refused query"
# Options a verb does not take.
expect_rc 2 "$K" people -i a.key --csv v.kist
expect_rc 2 "$K" manifest -i a.key --search x v.kist
expect_rc 2 "$K" log nosuchsub
expect_rc 2 "$K" audit nosuchsub
expect_rc 2 "$K" extract -i a.key --json v.kist
expect_rc 2 "$K" cat -i a.key --json v.kist f
expect_rc 2 "$K" seal --json -r "$PK" -o x.kist f
assert_missing x.kist "seal refused for an option it does not take"

# The same letters mean the same thing everywhere (-o output, -i identity, -q quiet).
for v in keygen seal; do assert_grep "help-$v.txt" '-o, --output' "$v: -o is --output"; done
for v in list extract cat verify people query manifest; do assert_grep "help-$v.txt" '-i, --identity' "$v: -i is --identity"; done
for v in keygen pubkey seal info list extract cat verify people query manifest; do
	assert_grep "help-$v.txt" '-q, --quiet' "$v: -q is --quiet"
done

# ------------------------------------ one verb table: everything names the same options
# The completions in packaging/ are what 'kist completion SHELL' prints (from the verb table).
for sh in bash zsh fish; do
	expect_rc 0 "$K" completion "$sh"
	case $sh in bash) f=kist.bash ;; zsh) f=_kist ;; fish) f=kist.fish ;; esac
	assert_file_eq "$SRC/packaging/completions/$f" "$OUT" "packaging/completions/$f is 'kist completion $sh'"
done
expect_rc 2 "$K" completion tcsh
# Per verb (and subcommand): the usage lines and option lines of kist help, the bash, zsh
# and fish completions and the SYNOPSIS of kist(1) name exactly the same options.
for v in $VERBS; do "$K" help "$v" >"help-$v.txt"; done
if msg=$(python3 - "$SRC" <<'PY' 2>&1
import re, sys, glob
src = sys.argv[1]
def longs(tokens, short):
    out = set()
    for t in tokens:
        if t in ("-h", "--help"):
            continue
        out.add(t[2:] if t.startswith("--") else short.get(t[1:], "?" + t))
    return out
OPT = r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])"
# kist help: per verb, the usage lines and the option lines.
helps = {}
for path in glob.glob("help-*.txt"):
    verb = path[5:-4]
    cur = None
    for line in open(path):
        m = re.match(r"^(?:usage: )?kist (%s(?: [a-z]+)?) (.*)" % verb, line)
        if m:
            cur = helps.setdefault(m.group(1), {"usage": "", "opts": [], "short": {}, "in_usage": True})
            cur["usage"] += m.group(2)
            continue
        if cur is None:
            continue
        if cur["in_usage"] and re.match(r"^ {4,}\S", line) and not re.match(r"^ {4,}\S.*  ", line):
            cur["usage"] += " " + line.strip()
            continue
        cur["in_usage"] = False
        m = re.match(r"^  (?:-([a-zA-Z]), )?--([a-z][a-z-]*)", line)
        if m:
            cur["opts"].append(m.group(2))
            if m.group(1):
                cur["short"][m.group(1)] = m.group(2)
helps.pop("help", None)
errors = []
def check(what, verb, got):
    want = set(helps[verb]["opts"])
    if got != want:
        errors.append("%s, %s: %s (help: %s)" % (what, verb, sorted(got ^ want), sorted(want)))
for verb, h in helps.items():
    check("usage", verb, longs(re.findall(OPT, h["usage"]), h["short"]))
# bash: _kist_opts
bash = open(src + "/packaging/completions/kist.bash").read()
for m in re.finditer(r'^\t"?([a-z]+(?: [a-z]+)?)"?\) echo "([^"]*)" ;;$', bash, re.M):
    if m.group(1) in helps:
        check("bash completion", m.group(1), longs(m.group(2).split(), helps[m.group(1)]["short"]))
# zsh: one function per verb
zsh = open(src + "/packaging/completions/_kist").read()
for m in re.finditer(r"^_kist_([a-z_]+)\(\) \{\n(.*?)^\}", zsh, re.M | re.S):
    verb = m.group(1).replace("_", " ")
    toks = re.findall(r"[{',](--?[a-zA-Z][a-z-]*)[+=,}\[]", m.group(2))
    check("zsh completion", verb, longs(toks, helps[verb]["short"]))
# fish: complete -n "__kist_verb_is VERB" / "__kist_sub_is VERB SUB" -s X -l LONG
fish = {}
for line in open(src + "/packaging/completions/kist.fish"):
    m = re.match(r'complete -c kist -n "__kist_(?:verb|sub)_is ([a-z]+(?: [a-z]+)?)"(.*)', line)
    if m and m.group(1) in helps:
        s = re.search(r" -s (\w)", m.group(2))
        l = re.search(r" -l ([a-z-]+)", m.group(2))
        if l and l.group(1) != "help":
            fish.setdefault(m.group(1), set()).add(l.group(1))
        elif s and not l:
            fish.setdefault(m.group(1), set()).add(helps[m.group(1)]["short"].get(s.group(1), "?"))
for verb in helps:
    check("fish completion", verb, fish.get(verb, set()))
# kist(1): the SYNOPSIS, one .SY block per verb
man = open(src + "/docs/man/kist.1").read().replace("\\-", "-")
syn = man[man.index(".SH SYNOPSIS"):man.index(".SH DESCRIPTION")]
seen = set()
for block in syn.split(".SY kist")[1:]:
    m = re.match(r"\s*\.B ([a-z]+(?: [a-z]+)?)\n", block)
    if not m or m.group(1) not in helps:
        continue
    verb = m.group(1)
    seen.add(verb)
    check("kist(1) SYNOPSIS", verb, longs(re.findall(OPT, block[m.end():]), helps[verb]["short"]))
for verb in set(helps) - seen:
    errors.append("kist(1) SYNOPSIS: no %s" % verb)
if len(helps) < 16:
    errors.append("only %d verbs read from kist help" % len(helps))
print("\n".join(errors))
sys.exit(1 if errors else 0)
PY
); then ok; else fail "usage, help, completions and kist(1) disagree:
$msg"; fi

finish
