#!/usr/bin/env bash
# Usage errors, bad keys, missing inputs, existing outputs, non-vaults,
# special files, and no temporary file left behind by any failure.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
mkdir -p case/sub out
printf 'one\n' >case/one.txt
printf 'two\n' >case/sub/two.txt

# ------------------------------------------------------------- usage (2)
expect_rc 2 "$K"
assert_grep "$ERR" '^usage:' "kist without arguments prints the usage on stderr"
expect_rc 2 "$K" frobnicate
assert_grep "$ERR" "unknown verb 'frobnicate'" "message for an unknown verb"
expect_rc 2 "$K" help frobnicate
expect_rc 0 "$K" help
assert_grep "$OUT" 'exit codes' "kist help lists the exit codes"
expect_rc 0 "$K" help extract
assert_grep "$OUT" '^usage: kist extract' "kist help extract"
expect_rc 0 "$K" --version
assert_grep "$OUT" '^kist [0-9]+\.[0-9]+\.[0-9]+' "kist --version"

expect_rc 2 "$K" seal --frobnicate -r "$PA" -o out/u1.kist case
assert_grep "$ERR" 'unknown option --frobnicate' "message for an unknown long option"
expect_rc 2 "$K" list -Z -i alice.key x.kist
assert_grep "$ERR" 'unknown option -Z' "message for an unknown short option"
expect_rc 2 "$K" keygen --no-passphrase=yes -o u.key
assert_missing u.key "identity after a usage error"
expect_rc 2 "$K" list -i alice.key --signer "$PA" x.kist
assert_grep "$ERR" 'does not apply' "an option of another verb"

# A flag given twice.
expect_rc 2 "$K" seal -r "$PA" -o out/a.kist -o out/b.kist case
assert_grep "$ERR" 'more than once' "message for -o given twice"
assert_missing out/a.kist "first -o of a refused command"
assert_missing out/b.kist "second -o of a refused command"
expect_rc 2 "$K" keygen --no-passphrase -o k1.key -o k2.key
assert_missing k1.key "keygen -o given twice (first)"
assert_missing k2.key "keygen -o given twice (second)"
expect_rc 2 "$K" extract -i alice.key -C out -C out x.kist
expect_rc 2 "$K" seal -r "$PA" -o out/f.kist --force --force case
assert_missing out/f.kist "vault after --force given twice"

# Missing pieces.
expect_rc 2 "$K" seal -o out/norecip.kist case
assert_grep "$ERR" 'recipient' "seal without -r: message asks for a recipient"
assert_missing out/norecip.kist "vault sealed without recipients"
expect_rc 2 "$K" seal -r "$PA" case
expect_rc 2 "$K" seal -r "$PA" -o out/nothing.kist
assert_missing out/nothing.kist "vault with nothing to seal"
expect_rc 2 "$K" seal -r "$PA" -o
expect_rc 2 "$K" list x.kist
expect_rc 2 "$K" cat -i alice.key x.kist
expect_rc 2 "$K" info
expect_rc 2 "$K" info a b
assert_no_tmp . "usage errors"

# ------------------------------------------------------ malformed keys
c=${PA:40:1}
if [ "$c" = q ]; then r=p; else r=q; fi
BAD=${PA:0:40}$r${PA:41}
expect_rc 2 "$K" seal -r "$BAD" -o out/bad.kist case
assert_grep "$ERR" 'checksum' "one character changed in a key: message mentions the checksum"
assert_missing out/bad.kist "vault sealed to a mistyped key"
expect_rc 2 "$K" seal -r "$PA" -r "${PA:0:100}" -o out/short.kist case
assert_missing out/short.kist "vault with a truncated key among the recipients"
expect_rc 2 "$K" seal -r "not-a-key" -o out/nak.kist case
# A blank pasted before the key is dropped (keys as people paste them).
expect_rc 0 "$K" seal -q -r " $PA" -o out/space.kist case
expect_rc 2 "$K" verify -i alice.key --signer "$BAD" x.kist
assert_grep "$ERR" 'checksum' "--signer with a mistyped key"

# A recipients file with a bad line: refused, the message names the line.
printf '# good key first\n%s\n%s\n' "$PA" "$BAD" >recips-bad
expect_rc "1|2" "$K" seal -R recips-bad -o out/rbad.kist case
assert_grep "$ERR" 'line 3' "bad recipients file: message names line 3"
assert_missing out/rbad.kist "vault sealed with a bad recipients file"
expect_rc 5 "$K" seal -R no-such-recipients -o out/rmiss.kist case
assert_missing out/rmiss.kist "vault sealed with a missing recipients file"
# Only comments: no recipient at all.
printf '# nobody yet\n\n' >recips-empty
expect_rc 1 "$K" seal -R recips-empty -o out/rnone.kist case
assert_missing out/rnone.kist "vault sealed with a recipients file holding no key"
assert_no_tmp out "bad keys"

# -------------------------------------------------------- missing inputs
expect_rc 5 "$K" seal -r "$PA" -o out/miss.kist case no-such-input
assert_grep "$ERR" 'no-such-input' "message for a missing input names it"
assert_missing out/miss.kist "vault when an input is missing"
expect_rc 5 "$K" seal -r "$PA" -s no-such.key -o out/miss2.kist case
assert_missing out/miss2.kist "vault when the -s identity is missing"
expect_rc 5 "$K" seal -r "$PA" -o no-such-dir/v.kist case
assert_missing no-such-dir "output folder of a vault whose folder is missing"
assert_no_tmp . "missing inputs"

# Failures while writing (after the temporary file exists): none is left.
mkdir dirin
expect_rc 5 "$K" seal -r "$PA" -o out/w1.kist case - <dirin
assert_missing out/w1.kist "vault when reading standard input fails"
assert_no_tmp out "a failure reading standard input"
head -c 600000 /dev/urandom >case/big.bin
(
	ulimit -f 100 # 100 blocks of 1 KiB: the vault cannot be written
	expect_rc 5 "$K" seal -r "$PA" -o out/w2.kist case
	assert_grep "$ERR" 'too large|space' "message when the file size limit is hit"
	finish >/dev/null
) || fail "sealing past the file size limit (see above)"
assert_missing out/w2.kist "vault when the file size limit is hit"
assert_no_tmp out "a failure at the file size limit"
rm case/big.bin

# ------------------------------------------------------ existing output
printf 'an older report\n' >out/exists.kist
cp out/exists.kist exists.orig
expect_rc 1 "$K" seal -r "$PA" -o out/exists.kist case
assert_grep "$ERR" 'exists.*--force' "refusal to replace a vault mentions --force"
assert_file_eq exists.orig out/exists.kist "existing output after seal without --force"
# --force with a failing seal keeps the old file too.
expect_rc 5 "$K" seal -r "$PA" -o out/exists.kist --force case no-such-input
assert_file_eq exists.orig out/exists.kist "existing output after a failed seal --force"
expect_rc 5 "$K" seal -r "$PA" -o out/exists.kist --force - <dirin
assert_file_eq exists.orig out/exists.kist "existing output after seal --force failed while writing"
assert_no_tmp out "failed seals over an existing output"
# --force replaces it.
expect_rc 0 "$K" seal -r "$PA" -o out/exists.kist --force case
expect_rc 0 "$K" list -i alice.key out/exists.kist
assert_grep "$OUT" '^case/sub/two.txt$' "vault replaced with --force"
# An input is never replaced by its own vault.
cp case/one.txt one.orig
expect_rc 1 "$K" seal -r "$PA" -o case/one.txt --force case
assert_file_eq one.orig case/one.txt "an input named as the output of seal --force"
assert_no_tmp case "seal refused over its input"

# ------------------------------------------------------------ non-vaults
printf 'this is not a vault\n' >plain.txt
expect_rc 4 "$K" info plain.txt
assert_grep "$ERR" 'not a kist vault' "info of a text file"
head -c 20000 /dev/urandom >random.kist
expect_rc 4 "$K" info random.kist
expect_rc 4 "$K" list -i alice.key random.kist
expect_rc 4 "$K" verify -i alice.key random.kist
mkdir nv
expect_rc 4 "$K" extract -i alice.key -C nv random.kist
assert_dir_empty nv "extract of a random file"
: >empty.kist
expect_rc 4 "$K" info empty.kist
expect_rc 5 "$K" info no-such.kist
expect_rc 5 "$K" list -i alice.key no-such.kist
# An identity file given as the vault, and a vault given as the identity.
expect_rc 4 "$K" info alice.key
expect_rc 0 "$K" seal -q -r "$PA" -o v.kist case
chmod 600 v.kist
expect_rc 1 "$K" list -i v.kist v.kist
assert_grep "$ERR" 'not a kist (or age )?identity' "a vault given as the identity"

# --------------------------------------------------------- special files
mkdir -p sp/inner
printf 'kept\n' >sp/inner/kept.txt
mkfifo sp/inner/evidence.fifo
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sp/inner/agent.sock ||
	die "cannot create a unix socket with python3"
# Refused, both named, nothing written; --skip-unreadable leaves them out.
expect_rc 1 "$K" seal -r "$PA" -o out/sp.kist sp
assert_grep "$ERR" '^kist: sp/inner/evidence.fifo: a fifo' "a fifo in a sealed folder is named"
assert_grep "$ERR" '^kist: sp/inner/agent.sock: a socket' "a socket in a sealed folder is named"
assert_missing out/sp.kist "no vault of a folder holding a fifo and a socket"
expect_rc 0 "$K" seal -r "$PA" -o out/sp.kist --skip-unreadable sp
assert_grep "$ERR" 'left out: sp/inner/evidence.fifo: a fifo' "--skip-unreadable: the fifo left out"
assert_grep "$ERR" 'left out: sp/inner/agent.sock: a socket' "--skip-unreadable: the socket left out"
expect_rc 0 "$K" list -i alice.key out/sp.kist
assert_eq "sp sp/inner sp/inner/kept.txt" "$(sort "$OUT" | tr '\n' ' ' | sed 's/ $//')" "entries of a folder holding a fifo and a socket"
# A fifo named directly: skipped as well (no hang: nobody writes to it).
expect_rc 1 "$K" seal -r "$PA" -o out/onlyfifo.kist sp/inner/evidence.fifo
assert_grep "$ERR" 'evidence.fifo' "a fifo named alone"
assert_missing out/onlyfifo.kist "vault of nothing but a fifo"

# A name kist refuses (a control character): refused, nothing written.
mkdir ctl
printf 'x\n' >"ctl/tab$(printf '\t')name"
expect_rc 1 "$K" seal -r "$PA" -o out/ctl.kist ctl
assert_grep "$ERR" 'control character' "message for a control character in a name"
assert_missing out/ctl.kist "vault with a refused name"
# Standard input without a usable name.
expect_rc 1 "$K" seal -r "$PA" -o out/noname.kist --stdin-name "" - </dev/null
assert_missing out/noname.kist "vault of standard input with an empty name"

# Duplicate stored paths.
expect_rc 1 "$K" seal -r "$PA" -o out/dup.kist case case
assert_grep "$ERR" 'case and case would both be stored as case' "message for a path given twice"
assert_grep "$ERR" 'holds both \(--base DIR\)' "the CLI names the option that resolves a name clash"
assert_missing out/dup.kist "vault with duplicate paths"

# ------------------------------------------- standard output that fails
# Output that cannot be written is an I/O error (5), never a silent success.
# expect_rc_full CODE cmd...: like expect_rc, with standard output on /dev/full.
expect_rc_full() {
	local want=$1
	shift
	RC=0
	timeout -k 5 "$CMD_TIMEOUT" "$@" >/dev/full 2>"$ERR" || RC=$?
	if [ "$RC" = "$want" ]; then ok; else
		fail "$(_show "$@") >/dev/full: expected exit $want, got $RC"
		_excerpt "$ERR" stderr >&2
	fi
}
if [ -w /dev/full ]; then
	expect_rc_full 5 "$K" list -i alice.key v.kist
	expect_rc_full 5 "$K" info v.kist
	expect_rc_full 5 "$K" verify -i alice.key v.kist
	expect_rc_full 5 "$K" cat -i alice.key v.kist case/one.txt
	expect_rc_full 5 "$K" help
	expect_rc_full 5 "$K" pubkey alice.key
	expect_rc_full 5 "$K" pubkey "$PA"
	expect_rc_full 5 "$K" keygen --no-passphrase -o full.key
	expect_rc_full 5 "$K" --version
else
	echo "note: /dev/full is not writable here: standard output errors not tested" >&2
fi

# ------------------------------------------ libcrypto's configuration
# kist starts libcrypto without reading a configuration file: one that names
# a provider module that cannot load (or could load anything) changes nothing.
cat >bad-openssl.cnf <<'CNF'
config_diagnostics = 1
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
bogus = bogus_sect
[bogus_sect]
module = /nonexistent/kist-test-provider.so
activate = 1
CNF
OPENSSL_CONF=$PWD/bad-openssl.cnf expect_rc 0 "$K" seal -q -r "$PA" -o out/conf.kist case
OPENSSL_CONF=$PWD/bad-openssl.cnf expect_rc 0 "$K" verify -q -i alice.key out/conf.kist

assert_no_tmp . "all the failures above"
finish
