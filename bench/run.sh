#!/usr/bin/env bash
# shellcheck disable=SC2016 # pipelines are bash -c 'SCRIPT' _ ARGS, quoted on purpose
# kist benchmark: seals, extracts, lists and verifies a synthetic evidence
# corpus with kist and with the usual alternatives, in the same run, on tmpfs.
#
# usage: bench/run.sh [--scale S] [--runs N] [--no-curve] [--curve-scales "A B .."]
#                     [--no-large] [--no-peers] [--report-only]
#
#   --scale S          corpus size in GiB (default 1.0)
#   --runs N           repetitions of every measurement (default 3)
#   --no-curve         skip the seal-cost-versus-size curve
#   --curve-scales L   corpus sizes for the curve (default "0.1 0.25 0.5 1.0 4.0";
#                      a size that does not fit in tmpfs is skipped with a note)
#   --no-large         skip the single-large-file memory test
#   --no-peers         skip gpg and restic (the age pipelines always run)
#   --report-only      re-render bench/results/latest.md from latest.{tsv,meta,ref}
#
# Prints a markdown report on stdout and writes it to bench/results/latest.md
# (raw numbers: bench/results/latest.tsv).  Progress goes to stderr.
# Everything temporary lives under one folder on /dev/shm (or on disk where
# the report says so) and is removed on exit, even on failure or Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
BUILD=$ROOT/build-bench
KIST=$BUILD/src/kist
RESULTS=$BENCH/results
GiB=1073741824
MiB=1048576

SCALE=1.0
RUNS=3
CURVE=1
CURVE_SCALES="0.1 0.25 0.5 1.0 4.0"
LARGE=1
PEERS=1
REPORT_ONLY=0
CMDLINE="bench/run.sh"
[ $# -gt 0 ] && CMDLINE+=$(printf ' %q' "$@")

usage() { sed -n '3,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--scale) SCALE=${2:?--scale needs a value}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
	--no-curve) CURVE=0; shift ;;
	--curve-scales) CURVE_SCALES=${2:?--curve-scales needs a list}; shift 2 ;;
	--no-large) LARGE=0; shift ;;
	--no-peers) PEERS=0; shift ;;
	--report-only) REPORT_ONLY=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --runs takes a positive integer" >&2; exit 2; }
[[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || { echo "run.sh: --scale takes a number" >&2; exit 2; }

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/run.sh: FAILED: %s\n' "$*" >&2; exit 1; }
NOTES=()
note() { NOTES+=("$*"); log "NOTE: $*"; }
# awk arithmetic on decimals: calc 'EXPR'
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
# ... rounded down to an integer (for byte counts)
calci() { awk "BEGIN { printf \"%.0f\", int($1) }"; }

# ------------------------------------------------------------ the report
# report TSV META REF: the markdown report from the raw numbers (also
# reachable alone with --report-only, to re-render bench/results/latest.*).
report() {
	python3 - "$@" <<'PY'
import sys, statistics as st
from collections import OrderedDict, defaultdict

tsv, metaf, reff = sys.argv[1:4]
rows = [l.rstrip("\n").split("\t") for l in open(tsv) if l.strip()]
meta = OrderedDict(); notes = []
for l in open(metaf):
    k, _, v = l.rstrip("\n").partition("\t")
    if k == "note": notes.append(v)
    else: meta[k] = v
refspeed = [l.rstrip("\n").split("\t") for l in open(reff) if l.strip()]
speed = {r[2]: float(r[1]) for r in refspeed if len(r) > 2 and r[1]}

MiB = 1 << 20
data = defaultdict(list)   # (group, op, tool, scale) -> list of dicts
order = []
for g, op, tool, scale, run, wall, u, s, m, size, inb, load in rows:
    key = (g, op, tool, scale)
    if key not in data: order.append(key)
    data[key].append(dict(wall=float(wall), cpu=float(u) + float(s), user=float(u), rss=int(m) / 1024,
                          size=None if size == "-" else int(size), inb=int(inb)))

def med(key, f): return st.median([r[f] for r in data[key]])
def mn(key, f): return min(r[f] for r in data[key])
def mx(key, f): return max(r[f] for r in data[key])
def fs(x): return "%.3f" % x if x < 10 else "%.2f" % x
def wall3(key): return "%s / **%s** / %s" % (fs(mn(key, "wall")), fs(med(key, "wall")), fs(mx(key, "wall")))

out = []
p = out.append
p("# kist benchmark results\n")
p("| | |\n|---|---|")
loads = [float(r[11]) for r in rows]
meta["load"] += "; 1-minute load average seen before each measurement: %.2f to %.2f (median %.2f)" % (
    min(loads), max(loads), st.median(loads))
for k in ["date", "command", "kist", "cpu", "memory", "kernel", "os", "tools", "workdir", "scale", "runs", "corpus", "one", "load", "cpu pressure"]:
    if k in meta: p("| %s | %s |" % (k, meta[k].replace("|", "\\|")))
p("")
for n in notes: p("- **Note:** " + n)
if notes: p("")

# ---- main table
p("## Same corpus, same run, every tool in turn (round-robin)\n")
p("Wall time in seconds, min / **median** / max over the runs; CPU = user + sys (median);")
p("peak RSS = largest single process (for a pipeline: its largest member, not the sum);")
p("× ref = median wall time divided by that of the operation's reference row.\n")
p("| operation | tool | wall s (min / **med** / max) | × ref | CPU s | peak RSS MiB | output MiB | output × ref |")
p("|---|---|---|---|---|---|---|---|")
ops = ["seal", "extract", "extract-one", "list", "people", "verify"]
opname = {"seal": "seal", "extract": "extract all", "extract-one": "extract one file",
          "list": "list", "people": "people search", "verify": "verify"}
refs = {}
for op in ops:
    keys = [k for k in order if k[0] in ("main", "threads") and k[1] == op]
    ref = [k for k in keys if k[2].endswith("(ref)")]
    refs[op] = ref[0] if ref else None
    keys.sort(key=lambda k: (0 if k[2].startswith("kist") else 1 if k[2].endswith("(ref)") else 2, k[0] != "main", k[2]))
    for k in keys:
        rw = "%.2f" % (med(k, "wall") / med(ref[0], "wall")) if ref else "-"
        size = med(k, "size") if data[k][0]["size"] is not None else None
        rsize = med(ref[0], "size") if ref and data[ref[0]][0]["size"] is not None else None
        p("| %s | %s | %s | %s | %.2f | %.0f | %s | %s |" % (
            opname[op], k[2].replace("|", "\\|"), wall3(k), rw, med(k, "cpu"), med(k, "rss"),
            "%.1f" % (size / MiB) if size is not None else "-",
            "%.4f" % (size / rsize) if size is not None and rsize else "-"))
p("")

# ---- threads
tk = [k for k in order if k[0] in ("threads",) and k[1] == "seal"] + \
     [k for k in order if k[0] == "main" and k[2] == "kist seal"]
if tk:
    p("## kist seal: threads\n")
    p("| command | wall s (med) | MB/s | MB/s per thread | CPU s (med) | CPU ÷ wall |")
    p("|---|---|---|---|---|---|")
    for k in tk:
        th = 1 if "-j 1" in k[2] else 2 if "-j 2" in k[2] else None
        w = med(k, "wall"); mbs = data[k][0]["inb"] / w / 1e6
        p("| %s | %s | %.0f | %s | %.2f | %.2f |" % (k[2], fs(w), mbs, "%.0f" % (mbs / th) if th else "-",
                                                    med(k, "cpu"), med(k, "cpu") / w))
    p("")

# ---- curve
ck = [k for k in order if k[0] == "curve"]
if ck:
    p("## Cost versus corpus size (linearity)\n")
    p("Median over the runs. s/GiB rel. = seconds per GiB at this size divided by that at the smallest size: 1.00 everywhere is perfectly linear, above 1 the cost grows faster than the size, below 1 a fixed start-up cost being spread (or noise). user rel. is the same for user CPU time (no kernel time), which the machine's load and memory disturb much less than wall time.\n")
    p("| scale | corpus MiB | kist seal s | kist MB/s | kist s/GiB rel. | kist user rel. | ref seal s | ref MB/s | ref s/GiB rel. | ref user rel. | kist list ms | kist extract one ms | kist people search ms |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    scales = sorted({k[3] for k in ck}, key=float)
    def ck_(op, tool, sc): return ("curve", op, tool, sc)
    base = scales[0]
    def spg(op, tool, sc, f="wall"): k = ck_(op, tool, sc); return med(k, f) / data[k][0]["inb"]
    def ms(k): return "%.1f" % (1000 * med(k, "wall")) if k in data else "-"
    for sc in scales:
        ks = ck_("seal", "kist seal", sc); kr = ck_("seal", "tar | zstd -3 -T0 | age (ref)", sc)
        R = "tar | zstd -3 -T0 | age (ref)"
        p("| %s | %.0f | %s | %.0f | %.2f | %.2f | %s | %.0f | %.2f | %.2f | %.1f | %.1f | %s |" % (
            sc, data[ks][0]["inb"] / MiB, fs(med(ks, "wall")), data[ks][0]["inb"] / med(ks, "wall") / 1e6,
            spg("seal", "kist seal", sc) / spg("seal", "kist seal", base),
            spg("seal", "kist seal", sc, "user") / spg("seal", "kist seal", base, "user"),
            fs(med(kr, "wall")), data[kr][0]["inb"] / med(kr, "wall") / 1e6,
            spg("seal", R, sc) / spg("seal", R, base),
            spg("seal", R, sc, "user") / spg("seal", R, base, "user"),
            1000 * med(ck_("list", "kist list", sc), "wall"),
            1000 * med(ck_("extract-one", "kist extract PATH", sc), "wall"),
            ms(ck_("people", "kist people --search", sc))))
    p("")
    def fit(tool):
        xs = [data[ck_("seal", tool, sc)][0]["inb"] / 2**30 for sc in scales]
        ys = [med(ck_("seal", tool, sc), "wall") for sc in scales]
        if len(xs) < 2: return None
        mx_, my_ = sum(xs) / len(xs), sum(ys) / len(ys)
        b = sum((x - mx_) * (y - my_) for x, y in zip(xs, ys)) / sum((x - mx_) ** 2 for x in xs)
        a = my_ - b * mx_
        dev = max(abs(y - (a + b * x)) / y for x, y in zip(xs, ys))
        return a, b, dev
    for tool, name in [("kist seal", "kist seal"), ("tar | zstd -3 -T0 | age (ref)", "reference")]:
        f = fit(tool)
        if f:
            p("- %s: least-squares fit t ≈ %.0f ms + %.2f s/GiB × size; largest deviation of a point from the line %.0f %%." % (
                name, 1000 * f[0], f[1], 100 * f[2]))
    p("")

# ---- large
lk = [k for k in order if k[0] == "large"]
if lk:
    p("## One large file: memory\n")
    p("On %s. Peak RSS max over the runs.\n" % meta.get("large", "?"))
    p("| file | operation | wall s (med) | MB/s | CPU s | peak RSS MiB (max) | vault MiB |")
    p("|---|---|---|---|---|---|---|")
    for k in lk:
        sz = data[k][0]["size"]
        p("| %s | %s | %s | %.0f | %.2f | %.1f | %s |" % (k[2], k[1], fs(med(k, "wall")),
            data[k][0]["inb"] / med(k, "wall") / 1e6, med(k, "cpu"), mx(k, "rss"),
            "%.1f" % (sz / MiB) if sz is not None else "-"))
    p("")

# ---- reference speeds
if refspeed:
    p("## Reference speeds (one core, in memory)\n")
    p("| what | MB/s |\n|---|---|")
    for r in refspeed: p("| %s | %s |" % (r[0], r[1]))
    p("")

# ---- targets
def find(op, tool, g="main"):
    k = (g, op, tool, meta.get("scale"))
    return k if k in data else None
p("## Targets\n")
p("| target | measured (median; worst case in parentheses) | holds? |")
p("|---|---|---|")
def yn(b): return "yes" if b else "**no**"
ks, kr = find("seal", "kist seal"), refs.get("seal")
if ks and kr:
    r = med(ks, "wall") / med(kr, "wall"); rs = med(ks, "size") / med(kr, "size")
    p("| seal ≤ 0.45 × wall of tar \\| zstd -3 -T0 \\| age | %.2f × | %s |" % (r, yn(r <= 0.45)))
    p("| seal output ≤ 1.02 × its size | %.4f × | %s |" % (rs, yn(rs <= 1.02)))
kx, kxr = find("extract", "kist extract"), refs.get("extract")
if kx and kxr:
    r = med(kx, "wall") / med(kxr, "wall")
    p("| extract all ≤ 0.40 × age -d \\| zstd -d \\| tar -x | %.2f × | %s |" % (r, yn(r <= 0.40)))
for op, tool, label in [("extract-one", "kist extract PATH", "extract one small file < 50 ms"),
                        ("list", "kist list", "list < 50 ms"),
                        ("people", "kist people --search", "people search < 50 ms")]:
    k = find(op, tool)
    if not k: continue
    worst = mx(k, "wall")
    cur = [kk for kk in ck if kk[1] == op]
    if cur:
        worst = max(worst, max(mx(kk, "wall") for kk in cur))
    sizes = ", ".join(sorted({kk[3] for kk in cur}, key=float)) if cur else meta.get("scale")
    p("| %s (any vault size) | %.1f ms (%.1f ms over all runs at %s GiB) | %s |" % (
        label, 1000 * med(k, "wall"), 1000 * worst, sizes, yn(worst < 0.050)))
if lk:
    worst = max(mx(k, "rss") for k in lk)
    p("| peak RSS < 64 MiB sealing / extracting one large file | %.1f MiB | %s |" % (worst, yn(worst < 64)))
if ck:
    rel = [spg("seal", "kist seal", sc) / spg("seal", "kist seal", scales[0]) for sc in scales]
    relu = [spg("seal", "kist seal", sc, "user") / spg("seal", "kist seal", scales[0], "user") for sc in scales]
    p("| linear cost: seal s/GiB at each size ≤ 1.2 × that at the smallest (no superlinear growth) | wall %s; user CPU %s (sizes %s GiB) | %s |" % (
        ", ".join("%.2f" % x for x in rel), ", ".join("%.2f" % x for x in relu), ", ".join(scales),
        "wall " + yn(all(x <= 1.2 for x in rel)) + ", user CPU " + yn(all(x <= 1.2 for x in relu))))
kr_ = ("large", "seal", "one 1 GiB random file", "-")
if kr_ in data and "aead" in speed:
    mbs = data[kr_][0]["inb"] / med(kr_, "wall") / 1e6
    cores = int(meta.get("cores", "2"))
    percpu = data[kr_][0]["inb"] / med(kr_, "cpu") / 1e6
    peruser = data[kr_][0]["inb"] / med(kr_, "user") / 1e6
    p("| incompressible data: seal MB/s per core ≥ 55 %% of the AEAD alone on one core (%.0f MB/s) | %.0f MB/s on %d cores = %.0f MB/s per core, %.0f %%; per CPU-second used %.0f MB/s, %.0f %%; per user-CPU-second (no kernel time) %.0f MB/s, %.0f %% | %s |" % (
        speed["aead"], mbs, cores, mbs / cores, 100 * mbs / cores / speed["aead"], percpu,
        100 * percpu / speed["aead"], peruser, 100 * peruser / speed["aead"],
        yn(mbs / cores >= 0.55 * speed["aead"])))
p("")

# ---- floor: the work every byte needs, at the one-core speeds of this run
if all(k in speed for k in ("aead", "sha", "z3c", "z3d")) and "docs_bytes" in meta and ks and kr and kx and kxr:
    cores = int(meta.get("cores", "2"))
    inb = data[ks][0]["inb"]; vault = med(ks, "size"); docs = int(meta["docs_bytes"])
    sha, aead, zc, zd = inb / speed["sha"] / 1e6, vault / speed["aead"] / 1e6, docs / speed["z3c"] / 1e6, docs / speed["z3d"] / 1e6
    def sysmed(k): return st.median([r["cpu"] - r["user"] for r in data[k]])
    p("## The floor: work that cannot be skipped\n")
    p("CPU seconds that every byte needs at the one-core speeds measured above, for this corpus: SHA-256 of every original (%.0f MB), ChaCha20-Poly1305 over the vault (%.0f MB), zstd -3 of the documents (%.0f MB, the only part that compresses). The floor divides that by the %d cores, as if they were used perfectly and the kernel cost nothing; kist's kernel (system) time is given beside it.\n" % (inb / 1e6, vault / 1e6, docs / 1e6, cores))
    p("| operation | SHA-256 s | AEAD s | zstd s | user-space work s | floor on %d cores s | floor × ref | kist wall s (med) | kist user s | kist system s |" % cores)
    p("|---|---|---|---|---|---|---|---|---|---|")
    for name, k, kref, z in (("seal", ks, kr, zc), ("extract all", kx, kxr, zd)):
        work = sha + aead + z
        p("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %.2f | %.2f |" % (
            name, sha, aead, z, work, work / cores, work / cores / med(kref, "wall"), fs(med(k, "wall")),
            med(k, "user"), sysmed(k)))
    p("")
print("\n".join(out))
PY
}
if [ $REPORT_ONLY -eq 1 ]; then
	report "$RESULTS/latest.tsv" "$RESULTS/latest.meta" "$RESULTS/latest.ref" >"$RESULTS/latest.md.new"
	mv "$RESULTS/latest.md.new" "$RESULTS/latest.md"
	cat "$RESULTS/latest.md"
	exit 0
fi

# ------------------------------------------------------------ dependencies
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
APT_UPDATED=0
apt_install() { # PACKAGE...
	[ $IS_ROOT -eq 1 ] && command -v apt-get >/dev/null 2>&1 || return 1
	log "installing $* with apt-get"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2; then
		[ $APT_UPDATED -eq 1 ] && return 1
		APT_UPDATED=1
		apt-get update -q >&2 || return 1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 || return 1
	fi
}
# need CMD PACKAGE required|optional
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	apt_install "$2" || true
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$3" = required ]; then
		die "$1 is missing (Debian package $2) and could not be installed (not root?)"
	fi
	return 1
}
[ -x /usr/bin/time ] || apt_install time || true
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package 'time')"
need python3 python3 required
need tar tar required
need zstd zstd required
need age age required
need age-keygen age required
HAVE_GPG=0 HAVE_RESTIC=0
if [ $PEERS -eq 1 ]; then
	if need gpg gnupg optional; then HAVE_GPG=1; else note "gpg not installed and cannot install it: gpg rows skipped"; fi
	if need restic restic optional; then HAVE_RESTIC=1; else note "restic not installed and cannot install it: restic row skipped"; fi
fi
have_build_deps() {
	command -v cmake >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 &&
		command -v pkg-config >/dev/null 2>&1 &&
		pkg-config --exists libsodium libzstd sqlite3 libcrypto
}
if ! have_build_deps; then
	log "build dependencies missing: running packaging/install-deps.sh"
	"$ROOT/packaging/install-deps.sh" >&2 || die "packaging/install-deps.sh failed"
fi
[[ ${EPOCHREALTIME:-} ]] || die "bash 5 or later is needed (EPOCHREALTIME)"

# ------------------------------------------------------------ build
log "building a release kist in build-bench/"
mkdir -p "$BUILD"
{
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DKIST_BUILD_TESTS=OFF &&
		cmake --build "$BUILD" -j2
} >"$BUILD/bench-build.log" 2>&1 || { cat "$BUILD/bench-build.log" >&2; die "build failed"; }
[ -x "$KIST" ] || die "no kist binary at $KIST"
KIST_REV="$("$KIST" --version 2>&1 | head -1) (built from $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src include CMakeLists.txt 2>/dev/null || echo ' with local changes'))"

# ------------------------------------------------------------ workspace
# Usable bytes in a folder: free space, and for tmpfs also the memory that is
# really available (tmpfs pages are RAM), less 1 GiB of headroom.
fstype() { stat -f -c %T "$1"; }
usable() {
	local free mem
	free=$(df -B1 --output=avail "$1" | tail -1 | tr -d ' ')
	if [ "$(fstype "$1")" = tmpfs ]; then
		mem=$(awk '/^MemAvailable:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)
		mem=$((mem - GiB))
		[ "$mem" -lt "$free" ] && free=$mem
	fi
	[ "$free" -lt 0 ] && free=0
	echo "$free"
}

SHM=/dev/shm
if [ ! -d $SHM ] || [ "$(fstype $SHM)" != tmpfs ] || [ ! -w $SHM ]; then
	SHM=${TMPDIR:-/tmp}
	note "/dev/shm is not a writable tmpfs: working in $SHM ($(fstype "$SHM")), timings include that file system"
fi
WORK=$(mktemp -d "$SHM/kist-bench.XXXXXX")
DISKWORK=""
cleanup() {
	local rc=$?
	if [ -d "${WORK:-/nonexistent}/gnupg" ]; then
		GNUPGHOME=$WORK/gnupg gpgconf --kill gpg-agent >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
	[ -n "$DISKWORK" ] && rm -rf "$DISKWORK"
	[ $rc -ne 0 ] && log "exit status $rc; temporary data removed"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TSV=$WORK/results.tsv
: >"$TSV"
log "working in $WORK ($(fstype "$WORK"))"

# Main phase: corpus + kist vault + two age outputs + one transient peer
# output + one extraction ≈ 5 × corpus; keep 10 % and 256 MiB spare.
need_main() { calci "$1 * $GiB * 5.5 + 268435456"; }
AVAIL=$(usable "$WORK")
if [ "$(need_main "$SCALE")" -gt "$AVAIL" ]; then
	FIT=$(awk "BEGIN { printf \"%.2f\", int(($AVAIL - 268435456) / ($GiB * 5.5) * 20) / 20 }")
	if awk "BEGIN { exit !($FIT < 0.05) }"; then
		die "only $((AVAIL / MiB)) MiB usable in $WORK: not enough even for scale 0.05"
	fi
	note "$(fstype "$WORK") at $SHM has only $((AVAIL / MiB)) MiB usable; scale reduced from $SCALE to $FIT"
	SCALE=$FIT
fi

# Every opening of a vault appends to the custody ledger (fsynced): keep it on
# the same tmpfs, like everything else measured.
export KIST_LEDGER=$WORK/ledger.db

# ------------------------------------------------------------ identities
log "creating throwaway identities"
mkdir -p "$WORK/keys"
KIST_ID=$WORK/keys/kist.id
KIST_PUB=$("$KIST" keygen --no-passphrase -o "$KIST_ID" 2>/dev/null)
AGE_ID=$WORK/keys/age.key
age-keygen -o "$AGE_ID" 2>/dev/null
AGE_PUB=$(age-keygen -y "$AGE_ID")
if [ $HAVE_GPG -eq 1 ]; then
	export GNUPGHOME=$WORK/gnupg
	mkdir -m 700 "$GNUPGHOME"
	gpg --batch --passphrase '' --quick-gen-key bench@example.invalid default default never \
		>/dev/null 2>&1 || die "gpg key generation failed"
fi
if [ $HAVE_RESTIC -eq 1 ]; then
	export RESTIC_PASSWORD=kist-bench-throwaway RESTIC_CACHE_DIR=$WORK/restic-cache
fi

# ------------------------------------------------------------ measuring
# timeit GROUP OP TOOL SCALE RUN SIZEPATH INBYTES -- COMMAND...
# Wall time from bash's EPOCHREALTIME (microseconds); user, sys and peak RSS
# from GNU time.  SIZEPATH ('-' for none) is measured after the command.
timeit() {
	local group=$1 op=$2 tool=$3 scale=$4 run=$5 sizepath=$6 inbytes=$7 t0 t1 u s m size
	shift 8
	t0=$EPOCHREALTIME
	if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" "$@" >"$WORK/cmd.out" 2>"$WORK/cmd.err"; then
		cat "$WORK/cmd.err" "$WORK/time.out" >&2
		die "$op with $tool failed (run $run): $*"
	fi
	t1=$EPOCHREALTIME
	read -r _ u s m <"$WORK/time.out"
	size=-
	if [ "$sizepath" != - ]; then
		size=$(du -s -B1 --apparent-size "$sizepath" | cut -f1)
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$group" "$op" "$tool" "$scale" \
		"$run" "$(calc "$t1 - $t0")" "$u" "$s" "$m" "$size" "$inbytes" \
		"$(cut -d' ' -f1 /proc/loadavg)" >>"$TSV"
	log "  $op | $tool | run $run: $(calc "$t1 - $t0") s wall, ${u}+${s} s CPU, $((m / 1024)) MiB RSS$([ "$size" = - ] || echo ", output $size bytes")"
}
# A tool name's reference pipeline is marked with "(ref)".
T_KIST="kist seal"
T_KIST1="kist seal -j 1"
T_KIST2="kist seal -j 2"
T_TZA="tar | zstd -3 -T0 | age (ref)"
T_TA="tar | age"
T_GPG="tar | gpg (default compression)"
T_GPGN="tar | gpg --compress-algo none"
T_RESTIC="restic backup (new repo)"
X_KIST="kist extract"
X_AZT="age -d | zstd -d | tar -x (ref)"
X_AT="age -d | tar -x (of tar | age)"
O_KIST="kist extract PATH"
O_AZT="age -d | zstd -d | tar -x PATH (ref)"
L_KIST="kist list"
P_KIST="kist people --search"
P_AZT="age -d | zstd -d | tar -xO REGISTER | grep -i (ref)"
L_AZT="age -d | zstd -d | tar -t (ref)"
V_KIST="kist verify"
V_AZ="age -d | zstd -d > /dev/null (ref)"

# seal_one TOOL OUT SCALE RUN GROUP INBYTES   (run from $WORK, corpus in ./corpus)
seal_one() {
	local tool=$1 out=$2 scale=$3 run=$4 group=$5 inbytes=$6
	case $tool in
	"$T_KIST") timeit "$group" seal "$tool" "$scale" "$run" "$out" "$inbytes" -- \
		"$KIST" seal -q -r "$KIST_PUB" --people "$PEOPLE" -o "$out" corpus ;;
	"$T_KIST1") timeit "$group" seal "$tool" "$scale" "$run" "$out" "$inbytes" -- \
		"$KIST" seal -q -j 1 -r "$KIST_PUB" --people "$PEOPLE" -o "$out" corpus ;;
	"$T_KIST2") timeit "$group" seal "$tool" "$scale" "$run" "$out" "$inbytes" -- \
		"$KIST" seal -q -j 2 -r "$KIST_PUB" --people "$PEOPLE" -o "$out" corpus ;;
	"$T_TZA") timeit "$group" seal "$tool" "$scale" "$run" "$out" "$inbytes" -- bash -c \
		'set -o pipefail; tar -cf - corpus | zstd -3 -T0 -q | age -r "$1" >"$2"' _ "$AGE_PUB" "$out" ;;
	"$T_TA") timeit "$group" seal "$tool" "$scale" "$run" "$out" "$inbytes" -- bash -c \
		'set -o pipefail; tar -cf - corpus | age -r "$1" >"$2"' _ "$AGE_PUB" "$out" ;;
	"$T_GPG") timeit "$group" seal "$tool" "$scale" "$run" "$out" "$inbytes" -- bash -c \
		'set -o pipefail; tar -cf - corpus | gpg --batch --yes --trust-model always -e -r bench@example.invalid >"$1"' _ "$out" ;;
	"$T_GPGN") timeit "$group" seal "$tool" "$scale" "$run" "$out" "$inbytes" -- bash -c \
		'set -o pipefail; tar -cf - corpus | gpg --batch --yes --trust-model always --compress-algo none -e -r bench@example.invalid >"$1"' _ "$out" ;;
	"$T_RESTIC")
		restic init -q -r "$out" >/dev/null 2>&1 || die "restic init failed"
		timeit "$group" seal "$tool" "$scale" "$run" "$out" "$inbytes" -- \
			restic backup -q -r "$out" corpus ;;
	*) die "unknown tool $tool" ;;
	esac
}

# rotate N ITEMS...: the items starting at index N mod count (round-robin order)
rotate() {
	local n=$1 i
	shift
	local a=("$@")
	for ((i = 0; i < ${#a[@]}; i++)); do
		printf '%s\n' "${a[$(((n + i) % ${#a[@]}))]}"
	done
}

fresh() { rm -rf "$1" && mkdir -p "$1"; }

# people_register: writes $PEOPLE (the corpus's people with media paths into
# the corpus, sealed with --people) and sets $PEOPLE_Q, a name fragment to
# search for.  Run from $WORK with the corpus in ./corpus.
PEOPLE=$WORK/people.csv
people_register() {
	PEOPLE_Q=$(python3 "$BENCH/make-register.py" corpus "$PEOPLE") || die "make-register.py failed"
}
# people_check: the search just timed found somebody (kist counts on stderr).
people_check() {
	grep -Eq '^kist: [1-9][0-9]* of [0-9]+ people match' "$WORK/cmd.err" ||
		die "kist people --search $PEOPLE_Q found nobody: $(cat "$WORK/cmd.err")"
}

# ------------------------------------------------------------ reference speeds
log "reference speeds (one core): ChaCha20-Poly1305 (libcrypto, libsodium), OpenSSL SHA-256"
REFSPEED=$WORK/refspeed.txt
: >"$REFSPEED"
# The AEAD of kist's chunks by each library (crypto/aead.c): "aead" is the one
# kist uses in this run (libcrypto, or libsodium under KIST_AEAD=sodium).
cat >"$WORK/aead.c" <<'EOF'
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
int main(int argc, char **argv) {
	static unsigned char m[1 << 20], c[(1 << 20) + 16], k[32], n[12];
	struct timespec a, b; unsigned long long cl; int i, reps = 0, outl;
	int evp = argc > 1 && strcmp(argv[1], "libcrypto") == 0;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	if (sodium_init() < 0 || x == NULL || EVP_EncryptInit_ex(x, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1) return 1;
	randombytes_buf(m, sizeof m); randombytes_buf(k, sizeof k);
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (i = 0; i < 64; i++, reps++) {
			n[0] = (unsigned char)i;
			if (!evp) {
				crypto_aead_chacha20poly1305_ietf_encrypt(c, &cl, m, sizeof m, NULL, 0, NULL, n, k);
				continue;
			}
			if (EVP_EncryptInit_ex(x, NULL, NULL, k, n) != 1 || EVP_EncryptUpdate(x, c, &outl, m, sizeof m) != 1 ||
			    EVP_EncryptFinal_ex(x, c + outl, &outl) != 1 ||
			    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, c + sizeof m) != 1) return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < 1.0);
	printf("%.0f\n", reps * (double)sizeof m / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9) / 1e6);
	EVP_CIPHER_CTX_free(x);
	return 0;
}
EOF
# shellcheck disable=SC2046 # the flags are meant to split
if cc -O2 -o "$WORK/aead" "$WORK/aead.c" $(pkg-config --cflags --libs libsodium libcrypto) 2>/dev/null; then
	used=libcrypto
	[ "${KIST_AEAD:-}" = sodium ] && used=libsodium
	for lib in libcrypto libsodium; do
		key=aead_$lib
		[ "$lib" = "$used" ] && key=aead
		note=""
		[ "$lib" = "$used" ] && note=" (kist's chunks in this run)"
		printf '%s %s ChaCha20-Poly1305 (IETF), 1 MiB messages%s\t%s\t%s\n' "$lib" \
			"$(pkg-config --modversion "$lib")" "$note" "$("$WORK/aead" "$lib")" "$key" >>"$REFSPEED"
	done
fi
if command -v openssl >/dev/null 2>&1; then
	v=$(openssl speed -seconds 1 -bytes 1048576 -evp sha256 2>/dev/null | awk '/^sha256/ { sub("k", "", $2); printf "%.0f", $2 / 1000 }')
	[ -n "$v" ] && printf 'OpenSSL %s SHA-256, 1 MiB blocks\t%s\tsha\n' "$(openssl version | cut -d' ' -f2)" "$v" >>"$REFSPEED"
fi
head -c $((64 * MiB)) /dev/urandom >"$WORK/rand.bin"
v=$(zstd -b3 -e3 -i2 "$WORK/rand.bin" 2>&1 | tr '\r' '\n' | awk '/MB\/s/ { for (i = 1; i <= NF; i++) if ($i ~ /MB\/s/) { v = $(i - 1); break } } END { print v }')
rm -f "$WORK/rand.bin"
[ -n "$v" ] && printf 'zstd -3 compressing random data (stored-or-compressed test)\t%s\n' "$v" >>"$REFSPEED"

# ------------------------------------------------------------ corpus
cd "$WORK"
log "generating the corpus at scale $SCALE"
python3 "$BENCH/make-corpus.py" "$WORK/corpus" --scale "$SCALE" 2>"$WORK/corpus.log" ||
	{ cat "$WORK/corpus.log" >&2; die "make-corpus.py failed"; }
cat "$WORK/corpus.log" >&2
# bytes of file content (not counting folders)
content_bytes() { find "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { printf "%.0f", n }'; }
CORPUS_BYTES=$(content_bytes corpus)
DOCS_BYTES=$(content_bytes corpus/documents)
# zstd -3 on the documents in independent 1 MiB blocks, as kist compresses
# them: compression and decompression speed, for the floor in the report.
tar -cf "$WORK/docs.tar" corpus/documents
zb=$(zstd -b3 -B1MiB -i2 "$WORK/docs.tar" 2>&1 | tr '\r' '\n' | grep -a 'MB/s' | tail -1 |
	awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^MB\/s/) { printf "%s%s", s, $(i - 1); s = " " } }')
rm -f "$WORK/docs.tar"
read -r zc zd <<<"$zb"
if [ -n "${zd:-}" ]; then
	printf 'zstd -3 compressing the corpus documents, 1 MiB blocks\t%s\tz3c\n' "$zc" >>"$REFSPEED"
	printf 'zstd -3 decompressing them\t%s\tz3d\n' "$zd" >>"$REFSPEED"
fi
CORPUS_FILES=$(find corpus -type f | wc -l)
# The small file: the middle document in name order.
middle_doc() { find corpus/documents -type f -name '*.txt' | LC_ALL=C sort | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }
ONE=$(middle_doc)
ONE_BYTES=$(stat -c %s "$ONE")
people_register
log "corpus: $CORPUS_FILES files, $((CORPUS_BYTES / MiB)) MiB; single-file target $ONE ($ONE_BYTES bytes); people search for '$PEOPLE_Q'"

SEAL_TOOLS=("$T_KIST" "$T_TZA" "$T_TA" "$T_KIST1" "$T_KIST2")
[ $HAVE_GPG -eq 1 ] && SEAL_TOOLS+=("$T_GPG" "$T_GPGN")
[ $HAVE_RESTIC -eq 1 ] && SEAL_TOOLS+=("$T_RESTIC")

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ((run = 1; run <= RUNS; run++)); do
	log "run $run of $RUNS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	mkdir -p out
	# --- seal, tools in round-robin order
	while IFS= read -r tool; do
		case $tool in
		"$T_KIST") o=out/v.kist ;;
		"$T_TZA") o=out/tza.age ;;
		"$T_TA") o=out/ta.age ;;
		"$T_RESTIC") o=out/restic ;;
		*) o=out/other ;;
		esac
		grp=main
		[ "$tool" = "$T_KIST1" ] || [ "$tool" = "$T_KIST2" ] && grp=threads
		seal_one "$tool" "$o" "$SCALE" "$run" "$grp" "$CORPUS_BYTES"
		[ "$o" = out/other ] || [ "$o" = out/restic ] && rm -rf "$o"
	done < <(rotate $((run - 1)) "${SEAL_TOOLS[@]}")

	# --- extract everything
	while IFS= read -r tool; do
		fresh x
		case $tool in
		"$X_KIST") timeit main extract "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- \
			"$KIST" extract -q -i "$KIST_ID" -C x out/v.kist ;;
		"$X_AZT") timeit main extract "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- bash -c \
			'set -o pipefail; age -d -i "$1" out/tza.age | zstd -d -q | tar -xf - -C x' _ "$AGE_ID" ;;
		"$X_AT") timeit main extract "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- bash -c \
			'set -o pipefail; age -d -i "$1" out/ta.age | tar -xf - -C x' _ "$AGE_ID" ;;
		esac
		if [ "$run" -eq 1 ]; then
			diff -r corpus x/corpus >/dev/null || die "$tool: extracted tree differs from the corpus"
		fi
	done < <(rotate $((run - 1)) "$X_KIST" "$X_AZT" "$X_AT")
	rm -rf x out/ta.age

	# --- extract one small file
	while IFS= read -r tool; do
		fresh x
		case $tool in
		"$O_KIST") timeit main extract-one "$tool" "$SCALE" "$run" - "$ONE_BYTES" -- \
			"$KIST" extract -q -i "$KIST_ID" -C x out/v.kist "$ONE" ;;
		"$O_AZT") timeit main extract-one "$tool" "$SCALE" "$run" - "$ONE_BYTES" -- bash -c \
			'set -o pipefail; age -d -i "$1" out/tza.age | zstd -d -q | tar -xf - -C x "$2"' _ "$AGE_ID" "$ONE" ;;
		esac
		cmp -s "$ONE" "x/$ONE" || die "$tool: the extracted $ONE differs"
		[ "$(find x -type f | wc -l)" -eq 1 ] || die "$tool extracted more than $ONE"
	done < <(rotate $((run - 1)) "$O_KIST" "$O_AZT")
	rm -rf x

	# --- list and verify
	while IFS= read -r tool; do
		case $tool in
		"$L_KIST") timeit main list "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- \
			"$KIST" list -i "$KIST_ID" out/v.kist ;;
		"$L_AZT") timeit main list "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- bash -c \
			'set -o pipefail; age -d -i "$1" out/tza.age | zstd -d -q | tar -tf -' _ "$AGE_ID" ;;
		"$P_KIST") timeit main people "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- \
			"$KIST" people -i "$KIST_ID" out/v.kist --search "$PEOPLE_Q"
			people_check ;;
		"$P_AZT") timeit main people "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- bash -c \
			'set -o pipefail; age -d -i "$1" out/tza.age | zstd -d -q | tar -xOf - corpus/people-register.csv | grep -i -- "$2"' _ "$AGE_ID" "$PEOPLE_Q" ;;
		"$V_KIST") timeit main verify "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- \
			"$KIST" verify -q -i "$KIST_ID" out/v.kist ;;
		"$V_AZ") timeit main verify "$tool" "$SCALE" "$run" - "$CORPUS_BYTES" -- bash -c \
			'set -o pipefail; age -d -i "$1" out/tza.age | zstd -d -q >/dev/null' _ "$AGE_ID" ;;
		esac
	done < <(rotate $((run - 1)) "$L_KIST" "$L_AZT" "$P_KIST" "$P_AZT" "$V_KIST" "$V_AZ")
	rm -rf out
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
rm -rf corpus out x

# ------------------------------------------------------------ cost curve
if [ $CURVE -eq 1 ]; then
	for cs in $CURVE_SCALES; do
		if [ "$(calci "$cs * $GiB * 3.3 + 268435456")" -gt "$(usable "$WORK")" ]; then
			note "curve point $cs skipped: not enough space in $(fstype "$WORK")"
			continue
		fi
		log "cost curve: scale $cs"
		python3 "$BENCH/make-corpus.py" "$WORK/corpus" --scale "$cs" 2>/dev/null || die "make-corpus.py failed"
		cbytes=$(content_bytes corpus)
		cone=$(middle_doc)
		people_register
		for ((run = 1; run <= RUNS; run++)); do
			mkdir -p out
			while IFS= read -r tool; do
				case $tool in
				"$T_KIST") seal_one "$tool" out/v.kist "$cs" "$run" curve "$cbytes" ;;
				"$T_TZA") seal_one "$tool" out/tza.age "$cs" "$run" curve "$cbytes" ;;
				esac
			done < <(rotate $((run - 1)) "$T_KIST" "$T_TZA")
			timeit curve list "$L_KIST" "$cs" "$run" - "$cbytes" -- "$KIST" list -i "$KIST_ID" out/v.kist
			fresh x
			timeit curve extract-one "$O_KIST" "$cs" "$run" - "$(stat -c %s "$cone")" -- \
				"$KIST" extract -q -i "$KIST_ID" -C x out/v.kist "$cone"
			timeit curve people "$P_KIST" "$cs" "$run" - "$cbytes" -- \
				"$KIST" people -i "$KIST_ID" out/v.kist --search "$PEOPLE_Q"
			people_check
			rm -rf out x
		done
		rm -rf corpus
	done
fi

# ------------------------------------------------------------ one large file
LARGE_WHERE=""
if [ $LARGE -eq 1 ]; then
	# sparse: the vault is tiny but the extraction writes every byte
	LSIZE=$((4 * GiB))
	LDIR=$WORK/large
	if [ "$(usable "$WORK")" -lt $((LSIZE + GiB)) ]; then
		DISKWORK=$(mktemp -d "${TMPDIR:-/tmp}/kist-bench-large.XXXXXX")
		LDIR=$DISKWORK
		if [ "$(usable "$LDIR")" -lt $((LSIZE + GiB)) ]; then
			LSIZE=$GiB
		fi
		note "single-large-file test on $(fstype "$LDIR") ($LDIR), not tmpfs: tmpfs too small; wall times there include the disk"
	fi
	mkdir -p "$LDIR"
	LARGE_WHERE="$(fstype "$LDIR")"
	cd "$LDIR"
	truncate -s "$LSIZE" big.sparse
	RSIZE=$GiB
	lname_s="one $((LSIZE / GiB)) GiB sparse file (zeros)"
	lname_r="one 1 GiB random file"
	for ((run = 1; run <= RUNS; run++)); do
		timeit large seal "$lname_s" - "$run" v.kist "$LSIZE" -- \
			"$KIST" seal -q -r "$KIST_PUB" -o v.kist big.sparse
		fresh x
		timeit large extract "$lname_s" - "$run" - "$LSIZE" -- "$KIST" extract -q -i "$KIST_ID" -C x v.kist
		[ "$run" -eq 1 ] && { cmp -s big.sparse x/big.sparse || die "large sparse file: extracted copy differs"; }
		rm -rf x v.kist
	done
	rm -f big.sparse
	head -c $RSIZE /dev/urandom >big.random
	for ((run = 1; run <= RUNS; run++)); do
		timeit large seal "$lname_r" - "$run" v.kist "$RSIZE" -- \
			"$KIST" seal -q -r "$KIST_PUB" -o v.kist big.random
		fresh x
		timeit large extract "$lname_r" - "$run" - "$RSIZE" -- "$KIST" extract -q -i "$KIST_ID" -C x v.kist
		[ "$run" -eq 1 ] && { cmp -s big.random x/big.random || die "large random file: extracted copy differs"; }
		rm -rf x v.kist
	done
	rm -f big.random
	cd "$WORK"
fi

# ------------------------------------------------------------ report
mkdir -p "$RESULTS"
META=$WORK/meta.txt
{
	echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "command	$CMDLINE"
	echo "kist	$KIST_REV"
	echo "cpu	$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "memory	$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel	$(uname -sr)"
	# shellcheck disable=SC1091
	echo "os	$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
	echo "workdir	$(fstype "$WORK")"
	echo "scale	$SCALE"
	echo "runs	$RUNS"
	echo "corpus	$CORPUS_FILES files, $CORPUS_BYTES bytes"
	echo "docs_bytes	$DOCS_BYTES"
	echo "cores	$(nproc)"
	echo "one	$ONE ($ONE_BYTES bytes)"
	echo "load	$LOAD_START at the start of the main runs, $LOAD_END at their end, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	[ -r /proc/pressure/cpu ] && echo "cpu pressure	$(head -1 /proc/pressure/cpu | cut -d' ' -f2-4) at the end (share of time some task waited for a CPU)"
	echo "large	$LARGE_WHERE"
	echo "tools	age $(age --version), $(zstd --version | sed 's/.*v\([0-9.]*\).*/zstd \1/'), $(tar --version | head -1)$([ $HAVE_GPG -eq 1 ] && echo ", $(gpg --version | head -1)")$([ $HAVE_RESTIC -eq 1 ] && echo ", $(restic version | cut -d' ' -f1-2)")"
	for n in "${NOTES[@]}"; do echo "note	$n"; done
} >"$META"
cp "$TSV" "$RESULTS/latest.tsv"
cp "$META" "$RESULTS/latest.meta"
cp "$REFSPEED" "$RESULTS/latest.ref"
report "$RESULTS/latest.tsv" "$RESULTS/latest.meta" "$RESULTS/latest.ref" >"$RESULTS/latest.md"
cat "$RESULTS/latest.md"
log "report written to bench/results/latest.md (raw: bench/results/latest.tsv)"
