#!/usr/bin/env bash
# The field laptop keeps no trace (issue 15): a seal writes no ledger unless
# --ledger PATH is given; stored paths never name the folders above an input;
# a seal killed with SIGKILL leaves only a temporary file named after its
# output, which the next seal to that output removes.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
PS=$(mkid sealer)
mkdir -p case/docs
echo "statement, synthetic" >case/docs/statement.txt

# ---- no ledger unless asked
# Everywhere a ledger could go: $HOME, $XDG_DATA_HOME and $KIST_LEDGER, all here.
ORIG_HOME=$HOME
export HOME=$T/home XDG_DATA_HOME=$T/xdg KIST_LEDGER=$T/env/ledger.db
mkdir -p "$HOME" "$XDG_DATA_HOME" "$T/env"
expect_rc 0 "$K" seal -s sealer.key -r "$PA" -o signed.kist case
assert_grep "$ERR" 'signed' "the seal was signed"
assert_eq "" "$(find "$HOME" "$XDG_DATA_HOME" "$T/env" -mindepth 1 | head -n 3)" \
	"a signed seal leaves no ledger (not in HOME, XDG_DATA_HOME nor KIST_LEDGER)"
unset KIST_LEDGER
expect_rc 0 "$K" seal -q -s sealer.key -r "$PA" -o signed2.kist case
assert_eq "" "$(find "$HOME" "$XDG_DATA_HOME" -mindepth 1 | head -n 3)" \
	"without KIST_LEDGER too, a signed seal leaves no ledger in HOME or XDG_DATA_HOME"
# Asked for: logged, with the sealer's key.
expect_rc 0 "$K" seal -q -s sealer.key -r "$PA" --ledger asked.db -o logged.kist case
assert_exists asked.db "--ledger PATH given: the seal is logged there"
expect_rc 0 "$K" log list --ledger asked.db
assert_grep "$OUT" ' seal ' "the asked-for ledger holds the seal event"
# --ledger without -s has no key to sign the entry with: a usage error, no vault.
expect_rc 2 "$K" seal -q -r "$PA" --ledger asked2.db -o nolog.kist case
assert_grep "$ERR" 'give -s' "--ledger without -s says to give -s"
assert_missing nolog.kist "no vault after the usage error"
export HOME=$ORIG_HOME
unset XDG_DATA_HOME
export KIST_LEDGER=$T/.ledger.db

finish
