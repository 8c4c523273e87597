#!/usr/bin/env bash
# Trustee-gated opening (docs/GATE.md): seal --custodian/--quorum, kist
# request, kist release (logged first), --release on the opening verbs, and
# every refusal: too few releases, the same custodian twice, releases for
# another request, vault or requester, altered requests and releases,
# refusals, replays, a ledger that cannot be written.
. "$(dirname "$0")/lib.sh"

export XDG_DATA_HOME=$T/.data
PL=$(mkid lawyer)
PL2=$(mkid lawyer2)
P1=$(mkid trustee1)
P2=$(mkid trustee2)
P3=$(mkid trustee3)
PA=$(mkid agekey) # a kist key used only to check the age refusal below
fpr() { "$K" pubkey "$1" 2>&1 >/dev/null | sed -n 's/^fingerprint: //p'; }
F1=$(fpr trustee1.key)
F2=$(fpr trustee2.key)
F3=$(fpr trustee3.key)

mkdir ev ev/photos
echo "statement of a witness, synthetic" >ev/statement.txt
head -c 200000 /dev/urandom >ev/photos/p1.jpg
echo "names list, synthetic" >ev/list.csv
STORE=$XDG_DATA_HOME/kist/requests
nkeys() { find "$STORE" -name '*.key' 2>/dev/null | wc -l; }

# release ID REQUEST OUT [more options]: a custodian releases, with its own ledger.
release() {
	local id=$1 req=$2 out=$3
	shift 3
	expect_rc 0 "$K" release -q --yes -i "$id.key" --ledger "$id.db" -o "$out" "$@" "$req"
}

# ---- 1 of 1
expect_rc 0 "$K" seal -r "$PL" --custodian "$P1" -o one.kist ev
assert_grep "$ERR" "trustee-gated: opening needs releases from 1 of 1 custodians: $F1" \
	"seal names the custodians and the quorum"
expect_rc 0 "$K" info one.kist
assert_grep "$OUT" "^custodians: +1 " "info: the number of custodians is public"
expect_rc 3 "$K" list -i lawyer.key one.kist
assert_grep "$ERR" "trustee-gated: it opens with releases from 1 of its 1 custodians" \
	"the lawyer alone: refused, a release is needed"
assert_grep "$ERR" "$F1" "the lawyer alone: the custodian who can release is named"
assert_empty "$OUT" "the lawyer alone: nothing listed"
expect_rc 0 "$K" request -i lawyer.key --reason "case 17, hearing on the 3rd" --all \
	-o one.req one.kist
assert_grep "$ERR" "1 of these 1 custodians" "request says how many releases are needed"
assert_grep "$ERR" "$F1" "request names the custodians"
assert_eq "$(nkeys)" 1 "request: the one-time key is kept in the request store"
assert_eq "$(stat -c %a "$STORE"/*.key)" 600 "request key: mode 0600"
assert_eq "$(stat -c %a "$STORE")" 700 "request store: mode 0700"
expect_rc 0 "$K" release -i trustee1.key --show one.req
assert_grep "$OUT" "^reason: +case 17, hearing on the 3rd" "release --show: the reason"
assert_grep "$OUT" "^asks for: +everything" "release --show: the scope"
assert_missing trustee1.db "release --show records nothing"
expect_rc 3 "$K" release -i trustee2.key --show one.req
assert_grep "$ERR" "not a custodian" "a non-custodian cannot release"
expect_rc 2 "$K" release -i trustee1.key -o r.rel one.req </dev/null
assert_missing r.rel "no terminal and no --yes: nothing written"
# An answer longer than the prompt reads is read to its end: none of it is
# left on the terminal for the next reader (the shell, which would run it).
if python3 - "$K" <<'PY'; then ok; else fail "a long answer left input for the shell"; fi
import os, pty, select, sys, time
kist = sys.argv[1]
cmd = ('"%s" release -q -i trustee1.key --ledger pty.db -o pty.rel one.req; '
       'read rest; echo "LEFT:$rest:"' % kist)
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", cmd])
out, sent_answer, sent_probe, t0 = b"", False, False, time.time()
while time.time() - t0 < 60:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent_answer and b"[y/N]" in out:
        os.write(fd, b"yes release share\n")
        sent_answer, t_ans = True, time.time()
    if sent_answer and not sent_probe and time.time() - t_ans > 3:
        os.write(fd, b"probe\n")
        sent_probe = True
    if b"LEFT:" in out and out.rstrip().endswith(b":"):
        break
if os.waitpid(pid, os.WNOHANG) == (0, 0):  # still waiting after 60 s: a hang
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    out += b"\n(killed after 60 s)"
text = out.decode(errors="replace")
ok = "LEFT:probe:" in text and os.path.exists("pty.rel")
if not ok:
    sys.stderr.write("terminal said: %r\n" % text[-300:])
sys.exit(0 if ok else 1)
PY
release trustee1 one.req one.rel
rm -rf x && mkdir x
expect_rc 0 "$K" extract -q -i lawyer.key --release one.rel -C x one.kist
cmp ev/photos/p1.jpg x/ev/photos/p1.jpg && ok || fail "1 of 1: extracted content differs"
assert_eq "$(nkeys)" 0 "after opening, the one-time request key is gone"
expect_rc 3 "$K" list -i lawyer.key --release one.rel one.kist
assert_grep "$ERR" "no pending request for this release: already used" "a release opens once"

# ---- 2 of 3, and every way to get it wrong
expect_rc 0 "$K" seal -q -r "$PL" -r "$PL2" --custodian "$P1" --custodian "$P2" \
	--custodian "$P3" --quorum 2 -o v.kist ev
expect_rc 0 "$K" request -q -i lawyer.key --reason "case 17" --all -o a.req v.kist
release trustee1 a.req a1.rel
release trustee2 a.req a2.rel
release trustee3 a.req a3.rel --refuse --note "not before the hearing"
expect_rc 3 "$K" list -i lawyer.key --release a1.rel v.kist
assert_grep "$ERR" "1 of 2 needed releases given: 1 more from custodians $F2, $F3" \
	"one release of two: refused, naming who can still release"
release trustee1 a.req a1b.rel
expect_rc 3 "$K" list -i lawyer.key --release a1.rel --release a1b.rel v.kist
assert_grep "$ERR" "releases 1 and 2 come from the same custodian" "the same custodian twice"
expect_rc 3 "$K" list -i lawyer.key --release a1.rel --release a3.rel v.kist
assert_grep "$ERR" "refused the request: not before the hearing" "a refusal is named, with its note"
# Another request of the same lawyer for the same vault.
expect_rc 0 "$K" request -q -i lawyer.key --reason "case 18" --all -o b.req v.kist
release trustee2 b.req b2.rel
expect_rc 3 "$K" list -i lawyer.key --release a1.rel --release b2.rel v.kist
assert_grep "$ERR" "release 2 answers another request" "a release for another request"
# Another vault, same custodians: its releases do not open this one.
expect_rc 0 "$K" seal -q -r "$PL" --custodian "$P1" --custodian "$P2" --quorum 2 -o w.kist ev
expect_rc 0 "$K" request -q -i lawyer.key --reason "other case" --all -o w.req w.kist
release trustee1 w.req w1.rel
release trustee2 w.req w2.rel
expect_rc 3 "$K" list -i lawyer.key --release w1.rel --release w2.rel v.kist
assert_grep "$ERR" "the pending request is for another vault" "releases for another vault"
# Another requester: lawyer2 asked; lawyer cannot use the releases.
expect_rc 0 "$K" request -q -i lawyer2.key --reason "case 17" --all -o c.req \
	--request-store store2 v.kist
release trustee1 c.req c1.rel
release trustee3 c.req c3.rel
expect_rc 3 "$K" list -i lawyer.key --release c1.rel --release c3.rel v.kist
assert_grep "$ERR" "no pending request for this release" "another requester's releases"
expect_rc 3 "$K" list -i lawyer.key --request-store store2 --release c1.rel --release c3.rel \
	v.kist
assert_grep "$ERR" "made by another requester" "another requester's request key"
expect_rc 0 "$K" list -i lawyer2.key --request-store store2 --release c1.rel --release c3.rel \
	v.kist
assert_grep "$OUT" "ev/statement.txt" "lawyer2 opens with the releases of its request"
# The good pair opens, once.
expect_rc 0 "$K" list -i lawyer.key --release a1.rel --release a2.rel v.kist
assert_grep "$OUT" "ev/photos/p1.jpg" "2 of 3: opens"
expect_rc 3 "$K" list -i lawyer.key --release a1.rel --release a2.rel v.kist
assert_grep "$ERR" "already used" "2 of 3: the same releases do not open again"

# ---- the trustee's ledger: every release and refusal, who asked, what, why
expect_rc 0 "$K" audit verify trustee3.db
FL=$(fpr lawyer.key)
assert_grep "$OUT" "refuse .*requester=$FL.*reason=case 17.*scope=all" \
	"the trustee's audit lists the refusal: who asked, why, what"
expect_rc 0 "$K" audit verify trustee1.db
[ "$(grep -c ' release ' "$OUT")" -ge 4 ] && ok || fail "trustee1's audit lists its releases"

# ---- scope: a request for some paths opens only those
expect_rc 0 "$K" request -q -i lawyer.key --reason "one statement" -o p.req v.kist \
	ev/statement.txt
release trustee1 p.req p1.rel
release trustee2 p.req p2.rel
expect_rc 3 "$K" list -i lawyer.key --release p1.rel --release p2.rel v.kist
assert_grep "$ERR" "a request for 1 path" "a request for paths does not list the vault"
rm -rf y && mkdir y
expect_rc 3 "$K" extract -q -i lawyer.key --release p1.rel --release p2.rel -C y v.kist \
	ev/list.csv
assert_dir_empty y "a path outside the request: nothing extracted"
expect_rc 0 "$K" extract -q -i lawyer.key --release p1.rel --release p2.rel -C y v.kist \
	ev/statement.txt
cmp ev/statement.txt y/ev/statement.txt && ok || fail "the requested path is extracted"

# ---- JSON
expect_rc 0 "$K" request -i lawyer.key --reason "json" --all -o j.req --json v.kist
pyjson "$OUT" "request --json" 'd["quorum"] == 2' 'len(d["custodians"]) == 3' \
	'd["scope"] == "all"' 'd["reason"] == "json"' 'len(d["digest"]) == 64'
expect_rc 0 "$K" release -i trustee3.key --show --json j.req
pyjson "$OUT" "release --show --json" 'd["share"] == 3' 'd["scope"] == "all"'
expect_rc 0 "$K" release -i trustee3.key --yes --ledger trustee3.db -o j3.rel --json j.req
pyjson "$OUT" "release --json" 'd["decision"] == "release"' 'd["ledger_index"] == 2'

# ---- logged first: the ledger is synced before the release file exists
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
	# LeakSanitizer cannot run under strace (ptrace is taken).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -y -e trace=openat,fdatasync,fsync,renameat2,rename,linkat -o rel.log \
		"$K" release -q --yes -i trustee2.key --ledger trustee2.db -o t2.rel j.req \
		>/dev/null 2>&1 && ok || fail "release under strace"
	SYNC=$(grep -n 'f\(data\)\?sync([0-9]*</[^>]*trustee2.db>' rel.log | tail -1 | cut -d: -f1)
	MADE=$(grep -n 'O_CREAT|O_EXCL' rel.log | grep -v trustee2.db | head -1 | cut -d: -f1)
	if [ -n "$SYNC" ] && [ -n "$MADE" ] && [ "$SYNC" -lt "$MADE" ]; then ok; else
		fail "the ledger must be synced (line ${SYNC:-none}) before the release is created (line ${MADE:-none})"
	fi
else
	skip_part "strace cannot trace here: no check of the order of ledger and release"
fi
# A ledger that cannot be written: exit 6, no release.
mkdir notafile.db
expect_rc 6 "$K" release -q --yes -i trustee2.key --ledger notafile.db -o t6.rel j.req
assert_grep "$ERR" "the release is refused" "ledger failure: says the release is refused"
assert_missing t6.rel "ledger failure: no release written"

# ---- single-byte changes of a request and of a release are refused: here
# every byte of the fixed fields and every 9th byte after them, through the
# binary; unit/test_gate changes every byte of both, in process.
flips() {
	python3 - "$1" "$2" <<'PY'
import sys, os
b = open(sys.argv[1], 'rb').read()
os.makedirs(sys.argv[2], exist_ok=True)
for i in list(range(min(len(b), 200))) + list(range(200, len(b), 9)) + [len(b) - 1]:
    c = bytearray(b); c[i] ^= 0x01
    open(f"{sys.argv[2]}/{i}", 'wb').write(c)
PY
}
flips a.req req.flips
bad=0
for f in req.flips/*; do
	"$K" release -q --yes -i trustee1.key --ledger flip.db -o flip.rel "$f" >/dev/null 2>&1 &&
		{ bad=$((bad + 1)); echo "accepted: request with byte $(basename "$f") changed" >&2; }
	rm -f flip.rel
done
assert_eq "$bad" 0 "single-byte changes of a request are refused ($(ls req.flips | wc -l) bytes)"
assert_missing flip.db "no altered request reached the ledger"
expect_rc 0 "$K" request -q -i lawyer.key --reason "flips" --all -o f.req v.kist
release trustee1 f.req f1.rel
release trustee2 f.req f2.rel
flips f1.rel rel.flips
bad=0
for f in rel.flips/*; do
	"$K" list -q -i lawyer.key --release "$f" --release f2.rel v.kist >/dev/null 2>&1 &&
		{ bad=$((bad + 1)); echo "accepted: release with byte $(basename "$f") changed" >&2; }
done
assert_eq "$bad" 0 "single-byte changes of a release are refused ($(ls rel.flips | wc -l) bytes)"
expect_rc 0 "$K" list -i lawyer.key --release f1.rel --release f2.rel v.kist
assert_grep "$OUT" "ev/list.csv" "the unaltered releases still open (nothing was used up)"

# ---- what must not use up releases or record a decision
expect_rc 0 "$K" request -q -i lawyer.key --reason "typo" --all -o t.req v.kist
release trustee1 t.req tt1.rel
release trustee2 t.req tt2.rel
rm -rf z && mkdir z
expect_rc 1 "$K" extract -q -i lawyer.key --release tt1.rel --release tt2.rel -C z v.kist ev/nothere
assert_grep "$ERR" "not in the vault; the releases are not used" "a path typo is refused first"
expect_rc 0 "$K" extract -q -i lawyer.key --release tt1.rel --release tt2.rel -C z v.kist \
	ev/list.csv
cmp ev/list.csv z/ev/list.csv && ok || fail "after a path typo the releases still open"
N3=$("$K" log list --ledger trustee3.db | grep -c ' re\(lease\|fuse\) ')
: >exists.rel
expect_rc 1 "$K" release -q --yes -i trustee3.key --ledger trustee3.db -o exists.rel t.req
assert_grep "$ERR" "nothing recorded" "an existing output: refused before recording"
assert_eq "$("$K" log list --ledger trustee3.db | grep -c ' re\(lease\|fuse\) ')" "$N3" \
	"an existing output: no ledger entry"
expect_rc 2 "$K" request -q -i lawyer.key --reason "x" --all --request-store "" -o e.req v.kist
assert_missing e.req "--request-store '': refused"

# ---- refusals at seal time
expect_rc 1 "$K" seal -q -r "$PL" --custodian "$P1" --custodian "$P1" -o twice.kist ev
assert_grep "$ERR" "named twice" "a custodian named twice is refused"
assert_missing twice.kist "a custodian named twice: nothing written"
expect_rc 0 "$K" seal -r "$PL" --custodian "$PL" -o self.kist ev
assert_grep "$ERR" "custodian 1 is also a recipient" "a custodian who is a recipient: warned"
expect_rc 2 "$K" seal -q -r "$PL" --custodian "$P1" --quorum 2 -o q.kist ev
assert_missing q.kist "a quorum above the number of custodians: nothing written"
expect_rc 2 "$K" seal -q -r "$PL" --quorum 1 -o q.kist ev
assert_missing q.kist "a quorum without custodians: nothing written"
AGE=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
expect_nonzero "$K" seal -q -r "$PL" --custodian "$AGE" -o q.kist ev
assert_grep "$ERR" "cannot sign a release" "an age key cannot be a custodian"
: "$PA"
finish
