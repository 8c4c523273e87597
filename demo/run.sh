#!/usr/bin/env bash
# The kist demo: a field contact seals synthetic evidence for a legal team
# and a trustee; the legal team lists, verifies and extracts it; the sealer
# is locked out; a one-byte change is caught.
#
# usage: ./demo/run.sh        (from anywhere; works in demo/out/, wiped first)
#
# Installs missing Debian packages with packaging/install-deps.sh (using sudo
# if you are not root), builds kist in release mode in build-demo/ if needed,
# and exits non-zero if anything does not behave as described.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-demo
OUT=$ROOT/demo/out
KIST_BIN=$BUILD/src/kist
START=$SECONDS

if [ -t 1 ]; then B=$'\e[1m' N=$'\e[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '%s\n' "$*" | fold -s -w 78; }
die() {
	printf 'kist demo: FAILED: %s\n' "$*" >&2
	exit 1
}
trap 'printf "kist demo: FAILED at line %s\n" "$LINENO" >&2' ERR

kist() { "$KIST_BIN" "$@"; }

# Prints a command the way a user would type it, then runs it.  Public keys
# are shown by the name of the shell variable that holds them.
# shellcheck disable=SC2016 # the variable names are printed, not expanded
show() {
	local line='$' a
	for a in "$@"; do
		if [ -n "${FIELD_KEY:-}" ] && [ "$a" = "$FIELD_KEY" ]; then
			a='"$FIELD_KEY"'
		elif [ -n "${LAWYER_KEY:-}" ] && [ "$a" = "$LAWYER_KEY" ]; then
			a='"$LAWYER_KEY"'
		elif [ -n "${TRUSTEE_KEY:-}" ] && [ "$a" = "$TRUSTEE_KEY" ]; then
			a='"$TRUSTEE_KEY"'
		elif ! [[ $a =~ ^[][A-Za-z0-9_./=:,+@%-]+$ ]]; then
			a="'$a'"
		fi
		line+=" $a"
	done
	printf '%s\n' "$line"
	"$@"
}

# expect CODE COMMAND...: runs a command that must fail with exit code CODE.
expect() {
	local want=$1 rc=0
	shift
	show "$@" || rc=$?
	[ "$rc" -eq "$want" ] || die "expected exit code $want, got $rc: $*"
	say "(exit code $rc, as expected)"
}

# ------------------------------------------------------------ dependencies

have_deps() {
	command -v cmake >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 &&
		command -v pkg-config >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 &&
		pkg-config --exists 'libsodium >= 1.0.18' 'libzstd >= 1.4' 'sqlite3 >= 3.36' \
			'libcrypto >= 1.1' jansson
}
if ! have_deps; then
	step "Installing the build dependencies (packaging/install-deps.sh)"
	"$ROOT/packaging/install-deps.sh"
	have_deps || die "dependencies still missing after packaging/install-deps.sh"
fi

step "Building kist (release build in build-demo/)"
cd "$ROOT"
log=$BUILD/demo-build.log
mkdir -p "$BUILD"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DKIST_BUILD_TESTS=OFF >"$log" 2>&1 ||
		{ cat "$log"; die "cmake configure failed"; }
fi
cmake --build "$BUILD" -j2 >>"$log" 2>&1 || { cat "$log"; die "build failed"; }
show kist --version

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
# The custody ledger of this demo (every opening of a vault is logged there).
export KIST_LEDGER=$OUT/ledger.db
say "Working in demo/out/."

# -------------------------------------------------------------- identities

step "1. Three people create their identities"
say "Ruth, a field contact, seals and signs the evidence. Ines is on the legal
team; a trustee holds a second key so that the evidence survives if the
legal team's key is lost. In real life each person runs keygen on their own
machine, types a passphrase at the prompt, and sends only the public key; the
demo makes all three here. So that it can run unattended, each passphrase is
random and stored in a file readable only by its owner (chmod 600), passed
with --passphrase-file. Do not keep passphrase files next to identities in
real use: an identity file is only as safe as its passphrase."
mkdir keys
(
	umask 077
	for who in field-contact lawyer trustee; do
		head -c 18 /dev/urandom | base64 >"keys/$who.pass"
	done
)
for who in field-contact lawyer trustee; do
	show kist keygen -o "keys/$who.id" --passphrase-file "keys/$who.pass"
done
show ls -l keys

step "2. Public keys and fingerprints (safe to share)"
say "A public key is sent by any channel; its fingerprint is then compared
aloud or in person, so that a substituted key would be noticed."
for who in field-contact lawyer trustee; do
	show kist pubkey "keys/$who.id"
done
FIELD_KEY=$(kist pubkey -q keys/field-contact.id)
LAWYER_KEY=$(kist pubkey -q keys/lawyer.id)
TRUSTEE_KEY=$(kist pubkey -q keys/trustee.id)
say "(FIELD_KEY, LAWYER_KEY and TRUSTEE_KEY below are these kist1... strings.)"

# ------------------------------------------------------------------ sealing

step "3. The evidence (synthetic: every name, place and picture is invented)"
show python3 ../make-sample.py evidence
show ls -lR evidence
show du -sh evidence

step "4. Ruth seals it for the legal team and the trustee, and signs it"
say "evidence/people.csv lists the people concerned; its media column links each
person to the files about them. --people seals it into the encrypted index."
show head -3 evidence/people.csv
show kist seal -r "$LAWYER_KEY" -r "$TRUSTEE_KEY" -s keys/field-contact.id \
	--passphrase-file keys/field-contact.pass --people evidence/people.csv \
	-o case-0611.kist evidence
show ls -l case-0611.kist

step "5. What anyone sees (a border guard, a thief, a cloud provider)"
show kist info case-0611.kist
say "Without a recipient key the vault shows its size, the number of
recipient slots and that it is a kist vault. No file names, no file sizes, not
who sealed it."

step "6. What a recipient sees: the lawyer lists the vault"
show kist list -i keys/lawyer.id --passphrase-file keys/lawyer.pass -l case-0611.kist
say "Listing reads only the header and the encrypted index, not the content."

step "7. The lawyer's verification report"
say "Ines checks that the vault was signed by Ruth's key (received in person,
fingerprint compared) and that every byte is intact."
show kist verify -i keys/lawyer.id --passphrase-file keys/lawyer.pass \
	--signer "$FIELD_KEY" case-0611.kist

step "8. The trustee can open it too"
show kist cat -i keys/trustee.id --passphrase-file keys/trustee.pass case-0611.kist \
	evidence/statements/statement-02-joao-a.txt

# --------------------------------------------------------------- extracting

step "9. The lawyer extracts everything and checks it against the originals"
mkdir received
show kist extract -i keys/lawyer.id --passphrase-file keys/lawyer.pass -C received \
	case-0611.kist
show diff -r evidence received/evidence
say "diff -r: no difference; every file is byte-identical to Ruth's original."
kist list -i keys/lawyer.id --passphrase-file keys/lawyer.pass -l case-0611.kist |
	awk '$1 ~ /^-/ { print $6 "  " $7 }' >index.sha256
nfiles=$(find evidence -type f | wc -l)
[ "$(wc -l <index.sha256)" -eq "$nfiles" ] || die "the index does not list $nfiles files"
say "The SHA-256 of every file, as recorded in the vault's index at sealing
time (index.sha256, taken from 'kist list -l'), checked with sha256sum
against the extracted files:"
(cd received && show sha256sum -c ../index.sha256)

step "9b. The lawyer finds a person and the evidence about them"
show kist people -i keys/lawyer.id --passphrase-file keys/lawyer.pass case-0611.kist \
	--search rahimi
mkdir by-person
show kist extract -i keys/lawyer.id --passphrase-file keys/lawyer.pass --person 3 \
	-C by-person case-0611.kist
show find by-person -type f
[ "$(find by-person -type f | wc -l)" -eq 2 ] || die "extract --person did not write the 2 linked files"
show kist query -i keys/lawyer.id --passphrase-file keys/lawyer.pass case-0611.kist \
	"SELECT status, count(*) AS people FROM people GROUP BY status ORDER BY 2 DESC"
say '$ kist manifest -i keys/lawyer.id --passphrase-file keys/lawyer.pass case-0611.kist -q >manifest.sha256'
kist manifest -i keys/lawyer.id --passphrase-file keys/lawyer.pass case-0611.kist -q >manifest.sha256
(cd received && show sha256sum -c --strict ../manifest.sha256 | tail -3)
say "The manifest (kist manifest) checks against the extraction with sha256sum."

step "9c. Months later, a colleague joins the legal team: the lawyer grants"
say "Ines gives a colleague access without re-sealing (which would lose
Ruth's signature): the header gains a slot for the colleague and a grant
record signed by Ines; every other byte is copied unchanged."
(umask 077 && head -c 18 /dev/urandom | base64 >keys/colleague.pass)
kist keygen -q -o keys/colleague.id --passphrase-file keys/colleague.pass >/dev/null
COLLEAGUE_KEY=$(kist pubkey -q keys/colleague.id)
show kist grant -i keys/lawyer.id --passphrase-file keys/lawyer.pass \
	-r "$COLLEAGUE_KEY" -o case-0611-granted.kist case-0611.kist
show kist verify -i keys/colleague.id --passphrase-file keys/colleague.pass \
	--signer "$FIELD_KEY" case-0611-granted.kist
say "Ruth's signature still holds, and verify shows who granted access to whom."

step "9d. A vault nobody opens alone: the trustee must release it first"
say "For the most sensitive material Ruth names the trustee as custodian:
the lawyer cannot open the vault until the trustee has recorded a release in
the trustee's own ledger. Requests and releases are small files carried by
hand or email. (kist keeps the lawyer's one-time request key in a request
store: here requests/, by default in the XDG data folder.)"
show kist seal -q -r "$LAWYER_KEY" --custodian "$TRUSTEE_KEY" -s keys/field-contact.id \
	--passphrase-file keys/field-contact.pass -o sealed-statements.kist evidence/statements
expect 3 kist list -i keys/lawyer.id --passphrase-file keys/lawyer.pass sealed-statements.kist
show kist request -i keys/lawyer.id --passphrase-file keys/lawyer.pass --request-store requests \
	--reason "hearing of the 3rd: statements needed" -o ask.kist-request \
	sealed-statements.kist --all
say "The trustee sees who asks, for what and why; the decision is logged
first, then the release is written (--yes: the demo has no one to confirm)."
show kist release -i keys/trustee.id --passphrase-file keys/trustee.pass --yes \
	--ledger trustee-ledger.db -o trustee.kist-release ask.kist-request
show kist extract -q -i keys/lawyer.id --passphrase-file keys/lawyer.pass \
	--request-store requests --release trustee.kist-release -C released \
	sealed-statements.kist
show diff -r evidence/statements released/statements
say "The release opens once: the request key is gone."
expect 3 kist list -i keys/lawyer.id --passphrase-file keys/lawyer.pass \
	--request-store requests --release trustee.kist-release sealed-statements.kist
show kist audit verify trustee-ledger.db

# ------------------------------------------------------------ what must fail

step "10. Ruth's own identity cannot reopen the vault (expected)"
say "Ruth signed the vault but is not a recipient. If her laptop is seized
with her key and passphrase, the vault stays closed."
expect 3 kist list -i keys/field-contact.id --passphrase-file keys/field-contact.pass \
	case-0611.kist

step "11. One flipped bit in a copy of the vault is caught"
cp case-0611.kist tampered.kist
off=$(($(stat -c %s tampered.kist) / 2))
byte=$(od -An -tu1 -j "$off" -N1 tampered.kist | tr -d ' ')
# shellcheck disable=SC2059
printf "$(printf '\\%03o' $((byte ^ 1)))" |
	dd of=tampered.kist bs=1 seek="$off" conv=notrunc status=none
say "Changed one bit of byte $off (cmp -l shows the 1-based position and the
old and new byte, in octal):"
show cmp -l case-0611.kist tampered.kist || true
expect 4 kist verify -i keys/lawyer.id --passphrase-file keys/lawyer.pass tampered.kist
mkdir tampered-out
expect 4 kist extract -i keys/lawyer.id --passphrase-file keys/lawyer.pass -C tampered-out \
	tampered.kist
[ -z "$(find tampered-out -mindepth 1 -print -quit)" ] || die "extract wrote files from a tampered vault"
show ls -A tampered-out
say "tampered-out/ is empty: extract writes nothing unless every selected file
authenticates."

step "12. A truncated copy is caught too"
head -c -4096 case-0611.kist >truncated.kist
expect 4 kist verify -i keys/lawyer.id --passphrase-file keys/lawyer.pass truncated.kist

step "13. The trustee audits the custody ledger"
say "Every opening above was first logged, signed by the identity that opened
the vault. The trustee takes a signed checkpoint, then audits."
show kist log list
say '$ kist log checkpoint -s keys/trustee.id --passphrase-file keys/trustee.pass >checkpoint.note'
kist log checkpoint -s keys/trustee.id --passphrase-file keys/trustee.pass >checkpoint.note
show cat checkpoint.note
show kist audit verify --checkpoint checkpoint.note "$KIST_LEDGER"

step "14. A report a court can read"
say "The lawyer writes the exhibit: one HTML page, no script, nothing fetched,
that prints to A4 (or Letter): the vault's SHA-256, who signed it, every file
with its SHA-256 and the result of its check, and the custody ledger. The
people register is left out unless --people is given. Making it is an opening
of the vault, logged like any other."
show kist report -i keys/lawyer.id --passphrase-file keys/lawyer.pass -o exhibit.html \
	case-0611.kist
say "The same for the tampered copy: the report is still written, says which
file failed in plain words, and the exit code is verify's."
expect 4 kist report -i keys/lawyer.id --passphrase-file keys/lawyer.pass \
	-o tampered-exhibit.html tampered.kist
grep -q "changed or damaged after sealing" tampered-exhibit.html ||
	die "the report of the tampered copy does not name the damage"
say "The trustee's view of the ledger: every opening by vault and by person,
the audit's findings, the checkpoints and who cosigned them."
show kist audit report "$KIST_LEDGER" -o audit.html
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	show kist report --pdf -i keys/lawyer.id --passphrase-file keys/lawyer.pass \
		-o exhibit.pdf case-0611.kist
else
	say "(chromium is not installed: kist report --pdf would say so; the HTML
prints to PDF from any browser.)"
fi
show ls -l exhibit.html tampered-exhibit.html audit.html

trap - ERR
step "Summary"
size=$(du -h --apparent-size evidence | tail -1 | cut -f1)
printf 'kist demo: OK: %s files (%s) and a people register sealed for 2 recipients and signed; verified, extracted byte-identical; a person found and their media extracted; manifest checked; sealer locked out (exit 3); tampering and truncation caught (exit 4), nothing extracted; access granted to a colleague with the signature kept; a trustee-gated vault opened once, after the trustee logged a release; ledger audited; exhibit and audit reports written; %ds.\n' \
	"$nfiles" "$size" $((SECONDS - START))
