#!/usr/bin/env bash
# kist report and kist audit report: the printable exhibit and the trustee's
# audit, read as a reader would.  Structure: hostile names shown as text
# (HTML and bidi escaped), nothing fetched, no script, the people register
# only with --people, nothing of the reporter's machine; a damaged vault is
# reported with its failed entries (exit 4), a vault that does not open gives
# verify's error and no report; the opening is logged before anything is
# written.  In a real browser (Debian's chromium, headless; skipped visibly
# if absent): the page loads with no console error and no network request, a
# screenshot of the first page is not blank, and a 10,000-entry vault prints
# to the number of pages its row height allows.
CHECK="python3 $(cd "$(dirname "$0")" && pwd)/report_check.py" # before lib.sh's cd
. "$(dirname "$0")/lib.sh"

mkid rcpt >rcpt.pub
mkid signer >signer.pub
RCPT=$(cat rcpt.pub)

# ---- a vault with hostile names: <script>, a bidi override, a ~4,000-byte path
mkdir -p "ev/<script>alert(1)<" ev/docs
echo x >"ev/<script>alert(1)</script>"
echo y >"ev/$(printf 'invoice\u202egpj.exe')"
echo z >ev/docs/statement.txt
LONG=$(python3 - <<'PY'
import os
p = 'ev'
for i in range(15):
    p += '/' + ('d%02d' % i) + 'N' * 250
os.makedirs(p)
f = p + '/' + 'F' * 200
open(f, 'w').write('deep\n')
print(f)
PY
)
[ ${#LONG} -gt 3900 ] || die "the long path is only ${#LONG} bytes"
printf '%s\n' "$LONG" >long.txt
# A people register (synthetic): a 5,000-character name, and one with U+202E.
python3 - <<'PY'
import csv
big = 'P' * 4990 + '<b>x</b>'
with open('people.csv', 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['name', 'status', 'media'])
    w.writerow([big, 'status-zz9', 'ev/docs/statement.txt'])
    w.writerow(['Synthetic \u202eTester', 'status-zz8', ''])
open('bigname.txt', 'w').write(big + '\n')
PY
# kist.exe cannot seal these names (Windows holds none): there the Linux kist
# seals them, and kist.exe reports on the vault.
SEALER=$K
if [ "$ON_WINDOWS" = 1 ]; then
	SEALER=${KIST_LINUX_BIN:?"KIST_LINUX_BIN: the Linux kist, to seal names Windows cannot hold"}
	chmod 600 signer.key # made by kist.exe: no mode bits (wine shows 0750)
fi
expect_rc 0 "$SEALER" seal -q -r "$RCPT" -s signer.key --ledger "$KIST_LEDGER" --people people.csv \
	-o case.kist ev

# ---- the report, by default: structure
expect_rc 0 "$K" report -q -i rcpt.key -o exhibit.html "$T/case.kist"
assert_exists exhibit.html "report -o writes the report"
run $CHECK html exhibit.html \
	--text 'ev/<script>alert(1)</script>' \
	--text 'ev/invoice\u{202e}gpj.exe' \
	--text "@long.txt" \
	--text 'Left out of this report' \
	--text "$(sha256sum case.kist | cut -d' ' -f1)" \
	--text "$(sha256sum ev/docs/statement.txt | cut -d' ' -f1)" \
	--text 'Intact.' \
	--text 'sha256sum -c' --text 'kist verify -i IDENTITY --signer' \
	--no-text "$T" --no-text rcpt.key --no-text 'status-zz9' --no-text '@bigname.txt' \
	--no-text 'Tester'
assert_eq 0 "$RC" "the default report is one safe page: $(head -c 600 "$OUT")"
# The checker itself fails on what it must catch.
sed 's|<body>|<body><script>alert(1)</script>|' exhibit.html >bad.html
run $CHECK html bad.html
assert_eq 1 "$RC" "the checker refuses a page with a script"
printf '\xe2\x80\xae' >>bad2.html
cat exhibit.html >>bad2.html
run $CHECK html bad2.html
assert_eq 1 "$RC" "the checker refuses a page with U+202E"

# The opening is logged (as "report") before the report is written.
expect_rc 0 "$K" log list
assert_grep "$OUT" ' report +vault ' "report logs the opening in the ledger"

# ---- --contacts: the signer's name shown (escaped), the contacts file never named
mkdir -p "$T/private folder"
printf 'Counsel <i>Zed</i> %s\n' "$(cat signer.pub)" >"$T/private folder/contacts"
expect_rc 0 "$K" report -q -i rcpt.key --contacts "$T/private folder/contacts" --paper letter \
	-o named.html case.kist
run $CHECK html named.html --text 'Counsel <i>Zed</i>' --no-text 'private folder'
assert_eq 0 "$RC" "the contact's name as text, not the contacts file: $(head -c 600 "$OUT")"
assert_grep named.html '@page\{size:letter\}' "--paper letter prints on Letter"
assert_grep exhibit.html '@page\{size:A4\}' "A4 by default"

# ---- --people: the register, escaped
expect_rc 0 "$K" report -q -i rcpt.key --people -o people.html case.kist
run $CHECK html people.html --text '@bigname.txt' --text 'Synthetic \u{202e}Tester' \
	--text status-zz9 --no-text 'Left out of this report'
assert_eq 0 "$RC" "--people shows the register as text: $(head -c 600 "$OUT")"

# ---- -o -, an existing output, conflicting options, a report to nowhere
expect_rc 0 "$K" report -q -i rcpt.key -o - case.kist
assert_grep "$OUT" '^<!DOCTYPE html>' "-o - writes the report to stdout"
expect_rc 0 "$K" log list
n_log=$(grep -c ' vault ' "$OUT")
expect_rc 1 "$K" report -q -i rcpt.key -o exhibit.html case.kist
assert_grep "$ERR" 'already exists \(use --force' "an existing report is not replaced"
expect_rc 0 "$K" log list
assert_eq "$n_log" "$(grep -c ' vault ' "$OUT")" "an existing output is refused before the vault is opened"
expect_rc 0 "$K" report -q -i rcpt.key --force -o exhibit.html case.kist
expect_rc 2 "$K" report -i rcpt.key --ledger "$KIST_LEDGER" --bundle x.json -o y.html case.kist
expect_rc 2 "$K" report -i rcpt.key case.kist
expect_rc 2 "$K" report -i rcpt.key --paper legal -o y.html case.kist
assert_missing y.html

# ---- an unwritable ledger: nothing is released (exit 6, no report)
mkdir notafile.db
expect_rc 6 "$K" report -i rcpt.key --ledger notafile.db -o no.html case.kist
assert_missing no.html "no report when the opening cannot be logged"

# ---- a damaged entry: the report is written, names it in plain words, exit 4
head -c 400000 /dev/urandom >ev/docs/big.bin
expect_rc 0 "$K" seal -q -r "$RCPT" -o dmg.kist ev/docs
python3 - <<'PY'
b = bytearray(open('dmg.kist', 'rb').read())
b[len(b) // 2] ^= 1
open('dmg.kist', 'wb').write(b)
PY
expect_rc 4 "$K" verify -q -i rcpt.key dmg.kist
expect_rc 4 "$K" report -q -i rcpt.key -o dmg.html dmg.kist
assert_grep "$ERR" 'verification failed: 1 damaged entry' "report says the vault failed"
assert_exists dmg.html "a damaged vault is still reported"
run $CHECK html dmg.html --text "This file's contents do not match the fingerprint recorded when it was sealed: it was changed or damaged after sealing." \
	--text 'DAMAGED.' --text 'FAILED'
assert_eq 0 "$RC" "the damaged report: $(head -c 600 "$OUT")"
n_failed=$(grep -o '>FAILED<' dmg.html | wc -l)
assert_eq 1 "$n_failed" "one row marked FAILED (the damaged file only)"
assert_grep dmg.html 'docs/big.bin</td><td>[0-9]+</td><td>[^<]*</td><td class="hash">[0-9a-f]{64}</td><td><span class="bad">FAILED' \
	"the damaged file's row says FAILED"

# ---- a vault whose header does not authenticate: verify's error, no report
python3 - <<'PY'
b = bytearray(open('case.kist', 'rb').read())
b[len(b) - 40] ^= 1
open('hdr.kist', 'wb').write(b)
PY
expect_nonzero "$K" verify -q -i rcpt.key hdr.kist
vrc=$RC
cp "$ERR" verify.err
expect_rc "$vrc" "$K" report -q -i rcpt.key -o hdr.html hdr.kist
assert_file_eq verify.err "$ERR" "report gives verify's error for a vault that does not open"
assert_missing hdr.html "no report of a vault that does not open"

# ---- --pdf without chromium: one line, exit 1, nothing opened or logged
expect_rc 0 "$K" log list
n_before=$(grep -c ' vault ' "$OUT")
mkdir nobin
for tool in python3 sha256sum; do ln -s "$(command -v $tool)" nobin/; done
run env PATH="$T/nobin" "$K" report --pdf -i rcpt.key -o r.pdf case.kist
assert_eq 1 "$RC" "--pdf without chromium exits 1"
assert_grep "$ERR" 'print it to PDF from any browser' "--pdf without chromium says what to do"
assert_eq 1 "$(wc -l <"$ERR")" "one line on stderr"
assert_missing r.pdf
expect_rc 0 "$K" log list
assert_eq "$n_before" "$(grep -c ' vault ' "$OUT")" "--pdf without chromium opened nothing"

# ---- kist audit report
expect_rc 0 "$K" log checkpoint -s signer.key
cp "$OUT" cp.note
expect_rc 0 "$K" log export -q -o bundle.json
expect_rc 0 "$K" audit report bundle.json -o audit.html
run $CHECK html audit.html --text 'The ledger passed its audit' \
	--text 'Timeline, by vault' --text 'Timeline, by person' \
	--text 'report' --text 'seal'
assert_eq 0 "$RC" "the audit report: $(head -c 600 "$OUT")"
# The report with --bundle shows the exported entries and its checkpoint.
expect_rc 0 "$K" report -q -i rcpt.key --bundle bundle.json -o withbundle.html case.kist
assert_grep withbundle.html 'The latest checkpoint stored' "the bundle's checkpoint is shown"
# A rewritten entry: the report is written, with audit verify's exit code.
python3 - <<'PY'
import json
b = json.load(open('bundle.json'))
b['entries'][1]['action'] = 'list'
json.dump(b, open('tampered.json', 'w'))
PY
expect_rc 10 "$K" audit verify tampered.json
expect_rc 10 "$K" audit report tampered.json -o tampered.html
assert_grep tampered.html 'FAILED its audit' "the tampered ledger is reported as such"
assert_grep tampered.html 'rewritten' "the finding is named"

# ---- in a real browser
# KIST_CHROMIUM names the browser; set and empty, the browser checks are skipped
# (e.g. under ASan, where the 10,000-entry print adds minutes and no code path).
CHROME=${KIST_CHROMIUM-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROME" ]; then
	[ "$FAILS" -eq 0 ] || finish # a failure above is not hidden by the skip
	skip "chromium not installed (or KIST_CHROMIUM empty): the pages were not rendered (packaging/install-deps.sh installs it)"
fi
# Without a network where possible (unshare -n): nothing can leave, and the
# browser's own update checks fail at once instead of waiting for DNS.
NET=""
if unshare -n true 2>/dev/null; then
	NET="unshare -n"
else
	skip_part "unshare -n not permitted: the pages are rendered with the network up"
fi
browse() { # browse OUT_PREFIX ARGS...: chromium headless, its stderr in OUT_PREFIX.err
	local p=$1
	shift
	run $NET timeout -k 5 300 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$T/profile" --enable-logging=stderr --v=0 \
		--log-net-log="$T/$p.netlog" "$@"
	cp "$ERR" "$p.err"
}
# Loads, no console message, no CSP violation, no request but the file itself.
for page in exhibit people dmg audit; do
	browse "$page" --dump-dom "file://$T/$page.html"
	assert_eq 0 "$RC" "chromium loads $page.html"
	assert_grep "$OUT" 'Evidence report|Custody audit' "$page.html rendered (DOM dumped)"
	assert_no_grep "$page.err" 'CONSOLE|Refused to|Uncaught|SyntaxError' "$page.html: no console message"
	assert_exists "$page.netlog" "chromium wrote its network log"
	run $CHECK netlog "$page.netlog"
	assert_eq 0 "$RC" "$page.html: no network request: $(head -c 300 "$OUT")"
done
# The network check can fail: a page that fetches an image.
echo '<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"></body></html>' >leak.html
browse leak --dump-dom "file://$T/leak.html"
run $CHECK netlog leak.netlog
assert_eq 1 "$RC" "the network check finds the request of a page that fetches"
# The console check can fail: a page with a script the CSP refuses.
browse bad --dump-dom "file://$T/bad.html"
assert_grep bad.err 'Refused to|CONSOLE' "chromium reports the refused script of bad.html"
# A screenshot of the first page is not blank.
browse shot --screenshot="$T/exhibit.png" --window-size=1240,1754 "file://$T/exhibit.html"
assert_exists exhibit.png "a screenshot was taken"
run $CHECK png exhibit.png 0.02
assert_eq 0 "$RC" "the screenshot is not blank: $(cat "$OUT")"
# The blank-page check can fail: a page with nothing on it.
echo '<!DOCTYPE html><html><body></body></html>' >blank.html
browse blank --screenshot="$T/blank.png" --window-size=1240,1754 "file://$T/blank.html"
run $CHECK png blank.png 0.02
assert_eq 1 "$RC" "the blank-page check fails on a blank page"

# An interrupt while chromium prints: exit 130, no PDF, the temporary folder removed.
mkdir tmpd
TMPDIR=$T/tmpd "$K" report -q --pdf -i rcpt.key -o sig.pdf case.kist 2>sig.err &
pid=$!
for _ in $(seq 600); do
	if compgen -G "$T/tmpd/kist-report.*/report.html" >/dev/null; then break; fi
	sleep 0.1
done
if compgen -G "$T/tmpd/kist-report.*/report.html" >/dev/null; then
	ok
	perm=$(stat -c %a "$T"/tmpd/kist-report.*)
	assert_eq 700 "$perm" "--pdf's temporary folder is private"
else
	fail "--pdf wrote no temporary HTML for chromium in \$TMPDIR"
fi
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 130 "$rc" "report --pdf interrupted exits 130"
assert_missing sig.pdf "no PDF after an interrupt"
left=$(compgen -G "$T/tmpd/kist-report.*" || true)
assert_eq "" "$left" "the temporary HTML and its folder are removed after an interrupt"

# kist report --pdf of 10,000 entries: A4 is 297 mm, less 2 x 14 mm of margin
# = 269 mm = 762 pt; a row is one line of 8.5 pt text per hash piece
# (the 64 hex digits wrap in 2 to 4 lines in their column: 11.5 pt each) plus
# 3.2 pt of padding and border, so 26 to 50 pt: 15 to 29 rows a page, and
# 10,000 rows take 345 to 667 pages (plus 1 or 2 for the rest).
mkdir many
python3 -c "
for i in range(10000): open('many/f%05d.txt' % i, 'w').write(str(i))
"
expect_rc 0 "$K" seal -q -r "$RCPT" -o many.kist many
CMD_TIMEOUT=900 expect_rc 0 $NET "$K" report -q --pdf -i rcpt.key -o many.pdf many.kist
assert_exists many.pdf "report --pdf writes the PDF"
assert_grep many.pdf '^%PDF-' "the PDF is a PDF"
pages=$($CHECK pages many.pdf)
if [ "$pages" -ge 345 ] && [ "$pages" -le 669 ]; then ok; else
	fail "10,000 entries printed on $pages pages, not 345 to 669"
fi
if command -v pdfinfo >/dev/null; then
	assert_eq "$pages" "$(pdfinfo many.pdf | sed -n 's/^Pages: *//p')" "pdfinfo agrees on the page count"
	assert_grep <(pdfinfo many.pdf) 'Page size:.*\(A4\)' "A4 pages by default"
fi
leftover=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'kist-report.*' -newer many.kist 2>/dev/null | head -n 3)
assert_eq "" "$leftover" "--pdf leaves no temporary folder"
finish
