# Every verb of kist once, on small synthetic input, and the error paths
# that free what a verb had built (no access, damage, bad usage, a refused
# register, a tampered bundle).  CMake runs this script with kist under
# valgrind memcheck (tests/cli/valgrind-kist, label "valgrind"): any invalid
# access, uninitialised read or definite leak fails it.  The full CLI
# scripts (cli/*) run without valgrind; one run per verb is enough for
# memcheck, and a small input gives the same code paths as a large one.
. "$(dirname "$0")/../lib.sh"

PA=$(mkid alice)
PS=$(mkid signer)
mkdir -p case/docs
printf 'synthetic statement\n' >case/docs/statement.txt
head -c 70000 /dev/urandom >case/docs/photo.bin
ln -s statement.txt case/docs/link
printf 'name,media\nTest Person,case/docs/statement.txt\n' >reg.csv

# ---- every verb
expect_rc 0 "$K" pubkey alice.key
expect_rc 0 "$K" contacts add "Alice (legal)" "$PA"
expect_rc 0 "$K" contacts add "Signer" "$PS"
expect_rc 0 "$K" contacts list --json
expect_rc 0 "$K" seal -q -r "$PA" -s signer.key --people reg.csv -o v.kist case
expect_rc 0 "$K" info --json v.kist
expect_rc 0 "$K" list -i alice.key -l v.kist
expect_rc 0 "$K" list -i alice.key --json v.kist
mkdir x out
expect_rc 0 "$K" extract -q -i alice.key -C x v.kist case/docs
expect_rc 0 "$K" extract -q -i alice.key -C out --person 'Test Person' v.kist
expect_rc 0 "$K" cat -i alice.key v.kist case/docs/statement.txt
expect_rc 0 "$K" verify -q -i alice.key --signer "$PS" v.kist
expect_rc 0 "$K" verify -q -i alice.key --signer "Signer" v.kist
expect_rc 7 "$K" verify -q -i alice.key --signer "Alice (legal)" v.kist
expect_rc 0 "$K" people -i alice.key v.kist --search test --json
expect_rc 0 "$K" query -i alice.key v.kist 'SELECT path, size FROM entries' --json
expect_rc 0 "$K" manifest -i alice.key v.kist --verify
expect_rc 0 "$K" log list --json
expect_rc 0 "$K" log checkpoint -s signer.key
cp "$OUT" n1.note
expect_rc 0 "$K" list -i alice.key v.kist
expect_rc 0 "$K" log checkpoint -s signer.key
cp "$OUT" n2.note
expect_rc 0 "$K" log export -q -o bundle.json
expect_rc 0 "$K" audit verify --checkpoint n1.note bundle.json
expect_rc 0 "$K" audit compare n1.note n2.note bundle.json
PT=$(mkid trustee)
expect_rc 0 "$K" witness cosign -i trustee.key --state st n2.note bundle.json
expect_rc 0 "$K" help seal

# ---- error paths
PB=$(mkid bob)
expect_rc 3 "$K" list -i bob.key v.kist
flip_byte v.kist damaged.kist 400
expect_rc 4 "$K" verify -q -i alice.key damaged.kist
head -c 1000 v.kist >short.kist
expect_nonzero "$K" list -i alice.key short.kist
expect_rc 2 "$K" seal --no-such-option
printf 'name,notes\nx,"open\n' >bad.csv
expect_nonzero "$K" seal -q -r "$PA" --people bad.csv -o bad.kist case
cp "$KIST_LEDGER" tampered.db
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM entries WHERE idx = 1"); c.commit()' tampered.db
expect_rc 11 "$K" audit verify tampered.db
printf 'A %s\nA %s\n' "$PA" "$PS" >dup.contacts
expect_rc 2 "$K" contacts list --contacts dup.contacts
expect_rc 2 "$K" seal -q -r "No such name" -o n.kist case
expect_rc 0 "$K" contacts remove "Signer"
: "$PB" "$PT"
finish
