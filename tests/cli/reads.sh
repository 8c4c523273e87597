#!/usr/bin/env bash
# Listing a vault, or extracting one small entry, reads only the header, the
# index, the trailer and that entry: counted with strace over a vault of
# ~256 MiB of incompressible video, whatever its size.
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
export KIST_LEDGER="$T/ledger.db" # opening a vault is logged: here, not in $HOME
"$K" keygen --no-passphrase -o id.key >/dev/null 2>&1
mkdir -p case/videos case/docs
head -c $((256 << 20)) /dev/urandom >case/videos/clip.mp4
echo "short statement" >case/docs/note.txt
"$K" seal -q -r "$("$K" pubkey id.key 2>/dev/null)" -o v.kist case
size=$(stat -c %s v.kist)

# Sum of bytes returned by read/pread on the vault's descriptor.
bytes_read() {
	local log=$1
	python3 - "$log" <<'PY'
import re, sys
fds, total = set(), 0
for line in open(sys.argv[1]):
    m = re.match(r'\d+\s+openat\(.*"([^"]*v\.kist)".*\)\s+=\s+(\d+)', line) or \
        re.match(r'openat\(.*"([^"]*v\.kist)".*\)\s+=\s+(\d+)', line)
    if m:
        fds.add(int(m.group(2)))
        continue
    m = re.match(r'(?:\d+\s+)?(?:pread64|read)\((\d+),.*\)\s+=\s+(\d+)', line)
    if m and int(m.group(1)) in fds:
        total += int(m.group(2))
print(total)
PY
}

strace -f -e trace=openat,read,pread64 -o list.log "$K" list -i id.key v.kist >/dev/null
listed=$(bytes_read list.log)
mkdir out
strace -f -e trace=openat,read,pread64 -o one.log "$K" extract -q -i id.key -C out v.kist case/docs/note.txt
one=$(bytes_read one.log)
cmp out/case/docs/note.txt case/docs/note.txt

echo "vault: $size bytes; list read $listed bytes; extract of one small entry read $one bytes"
# Header + index + trailer are a few KiB here; the video is 256 MiB.
if [ "$listed" -gt 65536 ] || [ "$listed" -lt 100 ]; then
	echo "FAIL: list read $listed bytes of a $size-byte vault" >&2
	exit 1
fi
if [ "$one" -gt $((listed + 65536)) ]; then
	echo "FAIL: extracting one small entry read $one bytes of a $size-byte vault" >&2
	exit 1
fi
echo "PASS"
