#!/usr/bin/env bash
# kist pubkey --qr: draws the key as a QR code with half-block characters.
# Checked here: the drawing is a square of the expected module count (a
# 114-character key in upper case is alphanumeric data that fits QR version
# 5, 37 modules, at level M, plus a 4-module quiet zone on each side), made
# only of the four half-block characters; the finder patterns sit in three
# corners; the same key always gives the same drawing and another key another
# one; the key line still follows on stdout.  If zbarimg (zbar-tools) is
# installed, the drawing is turned into an image and decoded back to the
# key; without it that check is reported as skipped, and this test then does
# not prove that a scanner reads the code.
. "$(dirname "$0")/lib.sh"

PK=$(mkid a)
if ! "$K" pubkey --qr a.key >/dev/null 2>qr-probe.err; then
	assert_grep qr-probe.err 'without QR code support' "--qr without libqrencode says so"
	expect_rc 1 "$K" pubkey --qr a.key
	skip "this kist was built without libqrencode: only the refusal was checked"
fi

expect_rc 0 "$K" pubkey --qr a.key
cp "$OUT" qr1.txt
assert_grep "$ERR" '^fingerprint: ' "fingerprint still on stderr"
assert_eq "$PK" "$(tail -n 1 qr1.txt)" "the key follows the drawing on stdout"

# Shape: (37 + 8) columns, ceil(45 / 2) = 23 lines, only half blocks and spaces.
RC=0
MSG=$(python3 - qr1.txt <<'PY' 2>&1
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-2]
W = 37 + 2 * 4
assert len(lines) == (W + 1) // 2, "%d lines, expected %d" % (len(lines), (W + 1) // 2)
for l in lines:
    assert len(l) == W, "a line of %d characters, expected %d" % (len(l), W)
    assert set(l) <= set("\u2588\u2580\u2584 "), "unexpected characters %r" % (set(l) - set("\u2588\u2580\u2584 "))
# Back to modules (True = dark): a block is light, a space dark.
rows = []
for l in lines:
    top = [c in " \u2584" for c in l]
    bot = [c in " \u2580" for c in l]
    rows += [top, bot]
rows = rows[:W]
# Quiet zone: the 4 outer rings are light.
for y in range(W):
    for x in range(W):
        if min(x, y, W - 1 - x, W - 1 - y) < 4:
            assert not rows[y][x], "dark module in the quiet zone at %d,%d" % (x, y)
# Finder patterns (7x7: dark ring, light ring, dark 3x3 core) at three corners.
def finder(x0, y0):
    for y in range(7):
        for x in range(7):
            ring = max(abs(x - 3), abs(y - 3))
            want = ring != 2
            assert rows[y0 + y][x0 + x] == want, "finder pattern at %d,%d broken" % (x0, y0)
finder(4, 4); finder(4 + 37 - 7, 4); finder(4, 4 + 37 - 7)
# Timing pattern along row 6 between the finders alternates.
assert all(rows[4 + 6][4 + x] == (x % 2 == 0) for x in range(8, 29)), "timing pattern"
# Write a PGM (8 pixels a module) for the optional decode.
S = 8
with open("qr1.pgm", "wb") as f:
    f.write(b"P5 %d %d 255\n" % (W * S, W * S))
    for y in range(W):
        row = bytes(0 if rows[y][x] else 255 for x in range(W) for _ in range(S))
        f.write(row * S)
PY
) || RC=$?
if [ "$RC" -eq 0 ]; then ok; else fail "QR drawing: $MSG"; fi

# Same key, same drawing (from the file and from the key string); another key differs.
expect_rc 0 "$K" pubkey --qr a.key
assert_file_eq qr1.txt "$OUT" "two drawings of the same identity"
expect_rc 0 "$K" pubkey --qr "$PK"
assert_file_eq qr1.txt "$OUT" "drawing of the key string equals that of the identity file"
PB=$(mkid b)
expect_rc 0 "$K" pubkey --qr b.key
if cmp -s qr1.txt "$OUT"; then fail "two different keys gave the same drawing"; else ok; fi

# Without --qr: no drawing.
expect_rc 0 "$K" pubkey a.key
assert_eq 1 "$(wc -l <"$OUT")" "pubkey without --qr prints one line"

# An age identity file: the age1 recipient is drawn, the same as drawing that key.
if command -v age-keygen >/dev/null 2>&1; then
	age-keygen -o age.key 2>/dev/null
	AGEPK=$(age-keygen -y age.key)
	expect_rc 0 "$K" pubkey --qr age.key
	grep -qF "$AGEPK" "$OUT" && ok || fail "the age1 key is printed with --qr"
	head -n "$(($(grep -nF "$AGEPK" "$OUT" | cut -d: -f1) - 1))" "$OUT" >qr-age.txt
	expect_rc 0 "$K" pubkey --qr "$AGEPK"
	head -n -1 "$OUT" >qr-age-key.txt
	assert_file_eq qr-age-key.txt qr-age.txt "drawing for an age identity file equals that of its age1 key"
	[ -s qr-age.txt ] && ok || fail "an age identity file with --qr draws a code"
else
	skip_part "age-keygen is not installed: the age identity case is not checked"
fi

# Optional: decode the drawing back.
if command -v zbarimg >/dev/null 2>&1; then
	RC=0
	GOT=$(zbarimg --raw -q qr1.pgm 2>zbar.err) || RC=$?
	assert_eq 0 "$RC" "zbarimg decodes the drawing"
	assert_eq "${PK^^}" "$GOT" "the decoded QR code is the key (upper case, as encoded)"
	expect_rc 0 "$K" pubkey "$GOT"
	assert_eq "$PK" "$(cat "$OUT")" "the decoded (upper-case) key is accepted by kist"
else
	skip_part "zbarimg is not installed: the drawing is not decoded"
fi

finish
