#!/usr/bin/env bash
# Many small files (issue 21): seal packs them many to a pipeline job and
# extract opens them many to a job; every file must come back with its bytes,
# mode and time, in order, whatever sizes surround it; one damaged file in a
# batch fails alone and extraction writes nothing.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)

# 3,000 files in 60 folders (synthetic notes), sizes from empty to 70 KiB
# mixed with a 2.5 MiB file (several chunks) in the middle of a folder, modes
# and times varied: batches must start and end around the large ones.
python3 - <<'PY' || die "cannot make the tree"
import os, random
rng = random.Random(21)
os.mkdir("case")
modes = [0o600, 0o640, 0o644, 0o755, 0o444]
n = 0
for d in range(60):
    dd = "case/d%02d" % d
    os.mkdir(dd)
    for i in range(50):
        p = "%s/n%04d.txt" % (dd, i)
        k = n % 97
        if k == 13:
            size = 20000 + rng.randrange(2000)   # above what the walk keeps
        elif k == 50:
            size = 70000                         # above the batch size
        elif k == 77:
            size = 0
        else:
            size = rng.randrange(1, 200)
        if d == 30 and i == 25:
            size = 2621440 + 7                   # several chunks
        with open(p, "wb") as f:
            f.write(rng.randbytes(size) if size > 1000 else
                    ("note %d of folder %d; " % (i, d)).encode()[:size].ljust(size, b"x"))
        os.chmod(p, modes[n % len(modes)])
        t = 1600000000 + n * 61
        os.utime(p, ns=(t * 10**9 + n, t * 10**9 + n))
        n += 1
PY
# What each file is: path, mode, size, time to the nanosecond, SHA-256.
describe() {
	(cd "$1" && find case -type f -printf '%p %m %s %T@\n' | sort) >"$2.meta"
	(cd "$1" && find case -type f -print0 | sort -z | xargs -0 sha256sum) >"$2.sums"
}
describe . orig

expect_rc 0 "$K" seal -q -r "$PA" -o v.kist case
expect_rc 0 "$K" verify -q -i alice.key v.kist
mkdir out
expect_rc 0 "$K" extract -q -i alice.key -C out v.kist
describe out got
assert_file_eq orig.sums got.sums "every byte of 3,000 small files comes back"
assert_file_eq orig.meta got.meta "every mode, size and time comes back"
assert_no_tmp out "extract of many small files"

# Sealed on one thread (every job inline): the same files.
expect_rc 0 "$K" seal -q -j 1 -r "$PA" -o v1.kist case
mkdir out1
expect_rc 0 "$K" extract -q -i alice.key -C out1 v1.kist
describe out1 got1
assert_file_eq orig.sums got1.sums "-j 1: every byte comes back"
assert_file_eq orig.meta got1.meta "-j 1: every mode, size and time comes back"

# The first file's chunk, the first of a batch, damaged: verify names that
# file alone; extract writes nothing.
expect_rc 0 "$K" info v.kist
HDR=$(sed -n 's/^header: *\([0-9]*\) bytes.*/\1/p' "$OUT")
[ -n "$HDR" ] || die "cannot read the header size from kist info"
flip_byte v.kist bad.kist "$((HDR + 5))"
expect_rc 4 "$K" verify -i alice.key bad.kist
cat "$OUT" "$ERR" >said
assert_grep said 'case/d00/n0000.txt' "verify names the damaged small file"
n=$(grep -c 'case/d00/n00[0-9][0-9].txt' said || true)
assert_eq 1 "$n" "verify names only the damaged file, not the rest of its batch"
mkdir out2
expect_rc 4 "$K" extract -q -i alice.key -C out2 bad.kist
assert_dir_empty out2 "extract of a vault with one damaged small file"

finish
