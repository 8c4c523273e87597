#!/usr/bin/env bash
# The compressors of one seal stay under 256 MiB together, whatever --level
# and -j: `seal --level 19 -j 64` (zstd's estimate: 17 MiB per compressor,
# 1.1 GiB for 64) keeps its peak RSS under a generous 400 MiB.  Under ASan
# (shadow memory, quarantine) the bound is not meaningful: skipped there.
. "$(dirname "$0")/lib.sh"

if grep -qs '^KIST_SANITIZE:BOOL=ON\|^KIST_TSAN:BOOL=ON' "${KIST_BUILD_DIR:-/nonexistent}/CMakeCache.txt"; then
	skip "built with sanitizers: resident memory says nothing of the bound"
fi

PK=$(mkid me)
# 80 chunks of 1 MiB that zstd can shrink (so every worker compresses at
# level 19), repetitive enough to compress quickly even at that level.
mkdir in
python3 - <<'PY'
import random
random.seed(19)
words = ["ledger", "witness", "register", "statement", "village", "archive", "report"]
line = " ".join(random.choice(words) for _ in range(4000)).encode() + b"\n"
with open("in/text.txt", "wb") as f:
    for _ in range((80 << 20) // len(line) + 1):
        f.write(line)
PY

# peak_kib cmd...: runs cmd (output discarded) and prints its peak RSS in KiB.
peak_kib() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if rc == 0 else "failed %d" % rc)
PY
}

kib=$(peak_kib "$K" seal -q --level 19 -j 64 -r "$PK" -o v.kist in)
if [[ $kib =~ ^[0-9]+$ ]]; then
	ok
	echo "$TEST_NAME: note: seal --level 19 -j 64: peak RSS $((kib / 1024)) MiB" >&2
	if [ "$kib" -lt $((400 * 1024)) ]; then
		ok
	else
		fail "seal --level 19 -j 64: peak RSS $((kib / 1024)) MiB, want under 400 MiB"
	fi
else
	fail "seal --level 19 -j 64: $kib"
fi

# The vault is whole: the bound costs threads, not bytes.
expect_rc 0 "$K" extract -q -i me.key -C out v.kist
expect_rc 0 cmp in/text.txt out/in/text.txt

finish
