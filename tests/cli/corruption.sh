#!/usr/bin/env bash
# A sample of single-byte corruptions, truncations and an appended byte of a
# small signed vault: verify and extract must refuse each one (exit 4 or 3,
# never 0, never a crash) and extract must write nothing.  The exhaustive
# campaign over every byte is in the C unit tests.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)
PB=$(mkid bob)
PS=$(mkid sealer)

mkdir -p case/sub
printf 'statement of the first witness\n' >case/w1.txt
seq 1 300 >case/sub/numbers.txt
head -c 3000 /dev/urandom >case/sub/photo.jpg
ln -s w1.txt case/link
expect_rc 0 "$K" seal -q -r "$PA" -r "$PB" -s sealer.key -o v.kist case || die "cannot seal the test vault"
expect_rc 0 "$K" verify -i alice.key v.kist || die "the intact vault does not verify"
mkdir good
expect_rc 0 "$K" extract -q -i alice.key -C good v.kist || die "the intact vault does not extract"

SIZE=$(stat -c %s v.kist)
expect_rc 0 "$K" info v.kist
HDR=$(sed -n 's/^header: *\([0-9]*\) bytes.*/\1/p' "$OUT")
[ -n "$HDR" ] && [ "$HDR" -gt 16 ] && [ "$HDR" -lt "$SIZE" ] ||
	die "cannot read the header size from kist info (got '$HDR', vault of $SIZE bytes)"
echo "vault: $SIZE bytes, header $HDR bytes"

# Offsets to flip: the first 8 bytes, 10 spread over the rest of the header,
# 10 over the body, and 12 within the last 200 bytes (the last byte included).
mapfile -t FLIPS < <(python3 - "$SIZE" "$HDR" <<'PY'
import sys
size, hdr = int(sys.argv[1]), int(sys.argv[2])
offs = list(range(8))
offs += [8 + (hdr - 9) * i // 9 for i in range(10)]
tail = size - 200
offs += [hdr + (tail - hdr) * i // 10 for i in range(10)]
offs += [tail + 199 * i // 11 for i in range(12)]
for o in sorted(set(o for o in offs if 0 <= o < size)):
    print(o)
PY
)
# Lengths to truncate to.
mapfile -t CUTS < <(python3 - "$SIZE" "$HDR" <<'PY'
import sys
size, hdr = int(sys.argv[1]), int(sys.argv[2])
cuts = [0, 1, 7, 8, hdr // 2, hdr - 1, hdr, hdr + 1, (hdr + size) // 2,
        size - 200, size - 100, size - 64, size - 32, size - 2, size - 1]
for c in sorted(set(c for c in cuts if 0 <= c < size)):
    print(c)
PY
)
[ "${#FLIPS[@]}" -ge 38 ] || die "only ${#FLIPS[@]} flip offsets"
[ "${#CUTS[@]}" -ge 13 ] || die "only ${#CUTS[@]} truncation lengths"

# check_damaged FILE WHAT: verify and extract must both refuse FILE (damage in
# the padding alone: verify refuses, extract gives the intact content).
PADDING_ONLY=0
check_damaged() {
	local f=$1 what=$2
	expect_rc "4|3" "$K" verify -i alice.key "$f"
	if grep -q 'ALL GOOD' "$OUT"; then fail "verify of $what printed ALL GOOD"; fi
	rm -rf x && mkdir x
	if grep -q '^Padding: *DAMAGED' "$OUT" && grep -q ', 0 DAMAGED' "$OUT"; then
		# Only the padding (keystream after the index): verify says so; no entry
		# is damaged, so extraction gives every file back intact.
		expect_rc 0 "$K" extract -q -i alice.key -C x "$f"
		diff -r good x >/dev/null && ok || fail "extract of $what (padding only) differs"
		PADDING_ONLY=$((PADDING_ONLY + 1))
	else
		expect_rc "4|3" "$K" extract -i alice.key -C x "$f"
		assert_dir_empty x "extract of $what"
	fi
	# list and info may succeed (they do not read the content), but never crash.
	run "$K" list -i alice.key "$f"
	[ "$RC" -lt 124 ] && ok || fail "list of $what: exit $RC (crash or hang)"
	run "$K" info "$f"
	[ "$RC" -lt 124 ] && ok || fail "info of $what: exit $RC (crash or hang)"
}

# All the damaged copies at once (one python3 start instead of forty).
mkdir damaged
python3 - v.kist damaged "${FLIPS[@]}" <<'PY' || die "cannot write the damaged copies"
import sys
src, out, offs = sys.argv[1], sys.argv[2], [int(o) for o in sys.argv[3:]]
orig = open(src, 'rb').read()
for o in offs:
    b = bytearray(orig)
    b[o] ^= 0xFF
    open('%s/flip-%d.kist' % (out, o), 'wb').write(b)
PY
for off in "${FLIPS[@]}"; do
	if cmp -s v.kist "damaged/flip-$off.kist"; then die "byte $off was not changed"; fi
	check_damaged "damaged/flip-$off.kist" "the vault with byte $off flipped"
done
echo "flipped ${#FLIPS[@]} offsets: ${FLIPS[*]} ($PADDING_ONLY in the padding alone)"

for len in "${CUTS[@]}"; do
	head -c "$len" v.kist >c.kist
	check_damaged c.kist "the vault truncated to $len bytes"
done
echo "truncated at ${#CUTS[@]} lengths: ${CUTS[*]}"

cp v.kist c.kist
printf '\0' >>c.kist
check_damaged c.kist "the vault with one byte appended"
cp v.kist c.kist
printf 'X' >>c.kist
check_damaged c.kist "the vault with 'X' appended"
# Two vaults back to back.
cat v.kist v.kist >c.kist
check_damaged c.kist "the vault followed by a copy of itself"

# A byte of content flipped: cat must not pass the damaged chunk on with exit 0.
# (The file is small, one chunk: cat writes nothing of it.)
BODY_MID=$(((HDR + SIZE - 200) / 2))
flip_byte v.kist c.kist "$BODY_MID"
run "$K" list -i alice.key c.kist
if [ "$RC" -ne 0 ]; then
	# The index is intact: list must work, or the cat checks below never run.
	fail "list of the vault with content byte $BODY_MID flipped: expected exit 0, got $RC"
else
	cp "$OUT" damaged.list
	tried=0 refused=0
	while IFS= read -r p; do
		[ -f "good/$p" ] && [ ! -L "good/$p" ] || continue
		tried=$((tried + 1))
		run "$K" cat -i alice.key c.kist "$p"
		if [ "$RC" -eq 0 ]; then
			cmp -s "good/$p" "$OUT" && ok ||
				fail "cat of $p from a damaged vault exited 0 with different content"
		elif [ "$RC" -eq 4 ]; then
			refused=$((refused + 1))
			# Nothing of an entry that fails authentication reaches stdout.
			assert_empty "$OUT" "stdout of cat of the damaged entry $p"
		else
			fail "cat of $p from a damaged vault: expected exit 0 (intact entry) or 4, got $RC"
		fi
	done <damaged.list
	[ "$tried" -gt 0 ] && ok || fail "cat of a damaged vault: list named no regular file to try"
	[ "$refused" -eq 1 ] && ok ||
		fail "cat of a damaged vault: $refused entries refused, expected exactly the damaged one"
fi

assert_no_tmp . "the corruption campaign"
# The original is untouched by all this.
expect_rc 0 "$K" verify -i alice.key --signer "$PS" v.kist
finish
