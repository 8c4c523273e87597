# Helpers for the CLI tests of kist.  Sourced by each tests/cli/<topic>.sh:
#
#   . "$(dirname "$0")/lib.sh"
#
# Each test script runs in its own temporary directory (removed on exit),
# drives the real binary named by $KIST_BIN, and ends with `finish`.
# Exit status: 0 all assertions passed, 1 some failed, 77 skipped.
#
# Assertions do not stop the script: every failure is reported (what was
# expected, what happened) and counted, and `finish` exits 1 if any failed.
# `die` stops at once, for a broken precondition that makes the rest moot.

set -u
set -o pipefail

TEST_NAME=$(basename "$0" .sh)
FAILS=0
CHECKS=0

K=${KIST_BIN:-}
if [ -z "$K" ]; then
	echo "$TEST_NAME: FAIL: KIST_BIN is not set (it must name the kist binary)" >&2
	exit 1
fi
case $K in
/*) ;;
*) K=$(cd "$(dirname "$K")" && pwd)/$(basename "$K") ;;
esac
if [ ! -x "$K" ]; then
	echo "$TEST_NAME: FAIL: KIST_BIN=$K is not an executable file" >&2
	exit 1
fi

# 1 when $KIST_BIN is kist.exe under wine (tests/windows/cli.sh): a test
# then makes no file whose name Windows cannot hold, and skips (skip_part)
# the checks of such names.
ON_WINDOWS=${KIST_TEST_WINDOWS:-0}

# Longest any single kist command may run before it counts as hung.
CMD_TIMEOUT=${CMD_TIMEOUT:-120}

T=$(mktemp -d "${TMPDIR:-/tmp}/kist-cli-$TEST_NAME.XXXXXX") || exit 1
_cleanup() {
	# Extracted folders may have had their write bit removed (restored modes).
	chmod -R u+rwX "$T" 2>/dev/null
	rm -rf "$T"
}
trap _cleanup EXIT
cd "$T" || exit 1
export LC_ALL=C.UTF-8
export TZ=UTC
# Every opening of a vault is logged: to a ledger of this test, never in $HOME.
export KIST_LEDGER=$T/.ledger.db
# Contacts (names beside fingerprints) of this test only, never the user's.
export XDG_CONFIG_HOME=$T/.config
# Request keys (kist request) of this test only.
export XDG_DATA_HOME=$T/.data

# Results of the last run/expect_rc.
RC=0
OUT=$T/.last.out
ERR=$T/.last.err
: >"$OUT"
: >"$ERR"

_show() {
	# Quote a command line for messages.
	local s="" a
	for a in "$@"; do
		case $a in
		"$K") a=kist ;;
		esac
		if [ ${#a} -gt 60 ]; then a="${a:0:57}..."; fi
		s+=" $(printf '%q' "$a")"
	done
	printf '%s' "${s# }"
}

_excerpt() {
	# The first lines of a file, indented, for failure messages.
	local f=$1 label=$2
	if [ -s "$f" ]; then
		echo "    $label:"
		head -c 2000 "$f" | head -n 8 | sed 's/^/      | /'
	fi
}

fail() {
	FAILS=$((FAILS + 1))
	echo "$TEST_NAME: FAIL: $*" >&2
}

ok() {
	CHECKS=$((CHECKS + 1))
}

die() {
	echo "$TEST_NAME: FAIL (fatal): $*" >&2
	exit 1
}

# skip REASON: the whole script is skipped (exit 77, which ctest reports as
# skipped).  skip_part REASON: one part is skipped, the rest runs.  Both say so
# on stderr and add a line to $KIST_SKIP_LOG if it is set: tests/run-all.sh
# counts and names them (and fails on any under CI=true).
skip_part() {
	echo "$TEST_NAME: SKIP: $*" >&2
	if [ -n "${KIST_SKIP_LOG:-}" ]; then
		echo "$TEST_NAME: $*" >>"$KIST_SKIP_LOG"
	fi
}

skip() {
	skip_part "$@"
	exit 77
}

# Under tests/cli/valgrind-kist (KIST_REAL_BIN set), exit 99 means valgrind
# found a memory error: never an expected status, on success or error paths.
VALGRIND_RC=99

# Runs a command with stdout to $OUT, stderr to $ERR, exit status in $RC.
# The caller's standard input is passed on.
run() {
	RC=0
	timeout -k 5 "$CMD_TIMEOUT" "$@" >"$OUT" 2>"$ERR" || RC=$?
	if [ "$RC" -eq 124 ]; then
		echo "$TEST_NAME: note: $(_show "$@") timed out after ${CMD_TIMEOUT}s" >&2
	fi
	if [ -n "${KIST_REAL_BIN:-}" ] && [ "$RC" -eq "$VALGRIND_RC" ]; then
		fail "$(_show "$@"): valgrind found memory errors (exit $VALGRIND_RC)"
		_excerpt "$ERR" stderr >&2
	fi
	return 0
}

# expect_rc CODE cmd...  runs cmd (see run) and checks its exit status.
# CODE may list alternatives: "3|4".  A status above 128 (a signal, e.g. a
# crash) is always called out.
expect_rc() {
	local want=$1
	shift
	run "$@"
	case "|$want|" in
	*"|$RC|"*)
		ok
		return 0
		;;
	esac
	local why=""
	if [ "$RC" -eq 124 ]; then
		why=" (timed out)"
	elif [ "$RC" -gt 128 ]; then
		why=" (killed by signal $((RC - 128)): crash?)"
	fi
	fail "$(_show "$@"): expected exit $want, got $RC$why"
	{
		_excerpt "$OUT" stdout
		_excerpt "$ERR" stderr
	} >&2
	return 1
}

# expect_nonzero cmd...  the command must fail (exit 1..127, not a signal, and
# not valgrind's 99).  Prefer expect_rc with the documented status.
expect_nonzero() {
	run "$@"
	if [ "$RC" -ne 0 ] && [ "$RC" -le 128 ] && [ "$RC" -ne 124 ] &&
		{ [ -z "${KIST_REAL_BIN:-}" ] || [ "$RC" -ne "$VALGRIND_RC" ]; }; then
		ok
		return 0
	fi
	fail "$(_show "$@"): expected a failure exit status (1..127), got $RC"
	{
		_excerpt "$OUT" stdout
		_excerpt "$ERR" stderr
	} >&2
	return 1
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	if [ "$1" == "$2" ]; then
		ok
		return 0
	fi
	fail "$3: expected '$1', got '$2'"
	return 1
}

# assert_grep FILE ERE WHAT  (FILE usually "$OUT" or "$ERR")
assert_grep() {
	if grep -Eq -- "$2" "$1"; then
		ok
		return 0
	fi
	fail "$3: expected a line matching /$2/ in $(basename "$1"), got:"
	_excerpt "$1" "$(basename "$1")" >&2
	[ -s "$1" ] || echo "    ($(basename "$1") is empty)" >&2
	return 1
}

# assert_no_grep FILE ERE WHAT
assert_no_grep() {
	if ! grep -Eq -- "$2" "$1"; then
		ok
		return 0
	fi
	fail "$3: expected no line matching /$2/ in $(basename "$1"), got:"
	grep -E -- "$2" "$1" | head -n 5 | sed 's/^/      | /' >&2
	return 1
}

# assert_empty FILE WHAT
assert_empty() {
	if [ ! -s "$1" ]; then
		ok
		return 0
	fi
	fail "$2: expected $(basename "$1") to be empty, it has $(wc -c <"$1") bytes:"
	_excerpt "$1" "$(basename "$1")" >&2
	return 1
}

# assert_file_eq EXPECTED_FILE ACTUAL_FILE [WHAT]  byte-identical contents.
assert_file_eq() {
	local what=${3:-"$2 equals $1"}
	if [ ! -e "$2" ] && [ ! -L "$2" ]; then
		fail "$what: $2 does not exist"
		return 1
	fi
	if cmp -s -- "$1" "$2"; then
		ok
		return 0
	fi
	fail "$what: contents differ ($(wc -c <"$1") bytes expected, $(wc -c <"$2") bytes found; $(cmp -- "$1" "$2" 2>&1 | head -n 1))"
	return 1
}

# assert_exists PATH / assert_missing PATH
assert_exists() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		ok
		return 0
	fi
	fail "${2:-$1}: expected $1 to exist, it does not"
	return 1
}
assert_missing() {
	if [ ! -e "$1" ] && [ ! -L "$1" ]; then
		ok
		return 0
	fi
	fail "${2:-$1}: expected $1 not to exist, it does"
	return 1
}

# assert_dir_empty DIR WHAT: DIR exists and holds nothing at all.
assert_dir_empty() {
	local n
	if [ ! -d "$1" ]; then
		fail "$2: expected the empty directory $1, it is gone"
		return 1
	fi
	n=$(find "$1" -mindepth 1 | wc -l)
	if [ "$n" -eq 0 ]; then
		ok
		return 0
	fi
	fail "$2: expected $1 to stay empty, it holds $n entries:"
	find "$1" -mindepth 1 | head -n 5 | sed 's/^/      | /' >&2
	return 1
}

# assert_no_tmp DIR WHAT: no *.kist-tmp-* file left anywhere under DIR.
assert_no_tmp() {
	local left
	left=$(find "$1" -name '*.kist-tmp-*' 2>/dev/null | head -n 5)
	if [ -z "$left" ]; then
		ok
		return 0
	fi
	fail "$2: temporary files left behind under $1:"
	echo "$left" | sed 's/^/      | /' >&2
	return 1
}

# mkid NAME  creates NAME.key, an unprotected identity, and prints its public key.
mkid() {
	local pk
	pk=$("$K" keygen -q --no-passphrase -o "$1.key" 2>"$T/.mkid.err") ||
		die "kist keygen --no-passphrase -o $1.key failed: $(cat "$T/.mkid.err")"
	[[ $pk =~ ^kist1[a-z0-9]{109}$ ]] || die "kist keygen printed '$pk', not a public key"
	printf '%s\n' "$pk"
}

# flip_byte SRC DST OFFSET  copies SRC to DST with the byte at OFFSET inverted.
flip_byte() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
src, dst, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = bytearray(open(src, 'rb').read())
b[off] ^= 0xFF
open(dst, 'wb').write(b)
PY
}

# pyjson FILE WHAT EXPR...  FILE must be strict JSON (UTF-8) and every Python
# expression EXPR over it (as d) true.
pyjson() {
	local f=$1 what=$2
	shift 2
	local msg
	if msg=$(python3 - "$f" "$@" 2>&1 <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw.decode("utf-8"))   # strict: invalid UTF-8 or JSON fails
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("false: " + expr + "\n  document: " + json.dumps(d)[:600])
PY
	); then ok; else fail "$what: $msg"; fi
}

# finish: the script's verdict.
finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$TEST_NAME: $FAILS of $((CHECKS + FAILS)) checks FAILED" >&2
		exit 1
	fi
	echo "$TEST_NAME: all $CHECKS checks passed"
	exit 0
}
