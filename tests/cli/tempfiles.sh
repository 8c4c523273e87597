#!/usr/bin/env bash
# No plaintext outside its destination: trace every file kist creates or opens
# for writing while sealing and extracting.  Sealing may write only a
# temporary file beside the vault (then renamed to the vault); extracting may
# write only below the target directory.  Nothing goes to /tmp or elsewhere.
set -euo pipefail
K=${KIST_BIN:?KIST_BIN must name the kist binary}
if ! command -v strace >/dev/null 2>&1; then
	echo "SKIP: strace is not installed" >&2
	exit 77
fi
# LeakSanitizer cannot work under strace (ptrace is taken): leaks are checked
# by the other tests of the sanitizer build.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
# Opening a vault appends to the custody ledger (metadata, no content): kept
# in its own folder here, the one other place extract may write.
export KIST_LEDGER="$T/ledgerdir/ledger.db"
"$K" keygen --no-passphrase -o id.key >/dev/null 2>&1
mkdir -p case/docs outdir target
seq 1 100000 >case/docs/list.txt
head -c 3000000 /dev/urandom >case/photo.jpg
printf 'a statement\n' | cat >case/docs/s.txt
KEY=$("$K" pubkey id.key 2>/dev/null)

# Prints each path kist opened for writing or created, resolved with strace -y.
writes() {
	python3 - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.search(r'(openat|open|creat|mkdirat|symlinkat|renameat2?|linkat)\((.*)\)\s+=\s+(-?\d+)', line)
    if not m or int(m.group(3)) < 0:
        continue
    call, args = m.group(1), m.group(2)
    if call in ("openat", "open") and not re.search(r'O_WRONLY|O_RDWR|O_CREAT', args):
        continue
    # dirfd<path>, "name" -> path/name; absolute names stand alone.
    for dm, name in re.findall(r'(?:(\d+<[^>]*>),\s*)?"([^"]*)"', args):
        base = re.sub(r'^\d+<|>$', '', dm) if dm else ''
        print(name if name.startswith('/') or not base else base + '/' + name)
PY
}

check_under() {
	local log=$1 allowed=$2 bad
	bad=$(writes "$log" | grep -v -E "^(${allowed})(/|$)" | grep -v -E '^/dev/(null|tty)$' || true)
	if [ -n "$bad" ]; then
		echo "FAIL: kist wrote outside $allowed:" >&2
		echo "$bad" >&2
		exit 1
	fi
}

strace -f -y -e trace=open,openat,creat,mkdirat,symlinkat,rename,renameat,renameat2,linkat \
	-o seal.log "$K" seal -q -r "$KEY" -o outdir/v.kist case
check_under seal.log "$T/outdir"
writes seal.log >seal.w # (not piped into grep -q: pipefail would see the writer's SIGPIPE)
grep -q '\.kist-tmp-' seal.w || { echo "FAIL: no temporary file seen (trace broken?)" >&2; exit 1; }

strace -f -y -e trace=open,openat,creat,mkdirat,symlinkat,rename,renameat,renameat2,linkat \
	-o extract.log "$K" extract -q -i id.key -C target outdir/v.kist
check_under extract.log "$T/target|$T/ledgerdir"
writes extract.log >extract.w
grep -q "$T/target/case/photo.jpg" extract.w || { echo "FAIL: extraction not traced" >&2; exit 1; }
cmp case/photo.jpg target/case/photo.jpg
echo PASS
