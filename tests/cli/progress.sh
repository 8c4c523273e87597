#!/usr/bin/env bash
# The progress line of seal, extract and verify: drawn on stderr when stderr
# is a terminal (run under a pseudo-terminal here), never when stderr is a
# pipe or a file, never with -q; erased at the end; stdout never has it.
. "$(dirname "$0")/lib.sh"

# on_pty OUTFILE cmd...  runs cmd with stderr on a fresh pseudo-terminal
# (stdout to OUTFILE.stdout, stdin from /dev/null) and writes everything the
# terminal received to OUTFILE.  Exit status: the command's.
on_pty() {
	python3 - "$@" <<'PY'
import os, pty, subprocess, sys
out = sys.argv[1]
cmd = sys.argv[2:]
master, slave = pty.openpty()
with open(out + ".stdout", "wb") as so:
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=so, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the last writer closed the terminal
        break
    if not chunk:
        break
    data += chunk
rc = p.wait()
open(out, "wb").write(data)
sys.exit(rc)
PY
}

PK=$(mkid a)
mkdir case
python3 -c 'import os; open("case/big.bin","wb").write(os.urandom(5 << 20))'
echo "a short note" >case/note.txt

# --------------------------------------------------------------- on a terminal
RC=0
on_pty tty-seal.txt "$K" seal -r "$PK" -o v.kist case || RC=$?
assert_eq 0 "$RC" "seal under a terminal"
assert_grep tty-seal.txt 'kist: sealing [0-9.]+ (bytes|KiB|MiB) of 5\.0 MiB \([0-9]+%\), [0-9.]+ (bytes|KiB|MiB|GiB)/s, [0-9:]+ left' \
	"seal draws a progress line on a terminal"
if grep -q $'\r\033\\[K' tty-seal.txt; then ok; else fail "seal's progress line is not erased (no CR + erase-line)"; fi
# The line is erased before the summary, which starts a line of its own.
assert_grep tty-seal.txt $'\033\\[Kkist: sealed 3 entries' "summary after the erased progress line"
assert_empty tty-seal.txt.stdout "seal's stdout under a terminal"

mkdir out
RC=0
on_pty tty-extract.txt "$K" extract -i a.key -C out v.kist || RC=$?
assert_eq 0 "$RC" "extract under a terminal"
assert_grep tty-extract.txt 'kist: extracting [0-9.]+ (bytes|KiB|MiB) of 5\.0 MiB' "extract draws a progress line"
assert_file_eq case/big.bin out/case/big.bin "extracted file"

RC=0
on_pty tty-verify.txt "$K" verify -i a.key v.kist || RC=$?
assert_eq 0 "$RC" "verify under a terminal"
assert_grep tty-verify.txt 'kist: verifying [0-9.]+ (bytes|KiB|MiB) of 5\.0 MiB' "verify draws a progress line"
assert_no_grep tty-verify.txt.stdout 'verifying|'$'\r' "verify's stdout has no progress"
assert_grep tty-verify.txt.stdout 'ALL GOOD' "verify's report on stdout"

# -q silences it, even on a terminal.
for verb in seal extract verify; do
	case $verb in
	seal) args=(seal -q -r "$PK" -o q.kist case) ;;
	extract) mkdir -p outq && args=(extract -q -i a.key -C outq v.kist) ;;
	verify) args=(verify -q -i a.key v.kist) ;;
	esac
	RC=0
	on_pty "tty-q-$verb.txt" "$K" "${args[@]}" || RC=$?
	assert_eq 0 "$RC" "$verb -q under a terminal"
	assert_no_grep "tty-q-$verb.txt" 'sealing|extracting|verifying|'$'\r' "$verb -q draws no progress line"
done

# ------------------------------------------------------- pipes and files
expect_rc 0 "$K" seal -r "$PK" -o p.kist case
assert_no_grep "$ERR" 'kist: sealing |'$'\r' "seal with stderr to a file: no progress"
mkdir outp
"$K" extract -i a.key -C outp v.kist 2>&1 | cat >extract-pipe.txt
assert_no_grep extract-pipe.txt 'extracting [0-9]|'$'\r' "extract with stderr to a pipe: no progress"
assert_grep extract-pipe.txt 'extracted all entries' "extract's summary through a pipe"
"$K" verify -i a.key v.kist 2>&1 | cat >verify-pipe.txt
assert_no_grep verify-pipe.txt 'verifying|'$'\r' "verify with stderr to a pipe: no progress"
assert_grep verify-pipe.txt 'ALL GOOD' "verify's report through a pipe"

finish
