#!/usr/bin/env bash
# Mutation stage: each security check has a test that fails without it.
#
# usage: tests/mutation.sh [NAME...]     (all mutations, or the named ones)
#        tests/mutation.sh --list
#
# Reads tests/mutations.txt (each mutation: the docs/SECURITY.md promise it
# breaks, a file, an exact text that must occur there exactly once, its
# replacement, and the ctest regex of the tests that must catch it).  Copies
# the source tree to build-mutation/src (the working tree is never changed),
# builds it once in build-mutation/build and runs every named test on the
# unmutated copy (they must pass).  Then, one mutation at a time: apply it,
# rebuild incrementally, run its tests, restore the file.  A mutation that
# no test catches ("SURVIVED"), a find text that does not match exactly once
# ("NO MATCH") or a mutation that does not compile fails the run.
#
# MUTATION_DIR (default build-mutation) sets the work folder; JOBS (default 2)
# the parallelism.  MUTATION_BASELINE_PASSED=1 skips the baseline run: only
# for a caller that has just run the same tests on the same source and seen
# them pass (tests/run-all.sh, after its normal stage).  Exit 0: every
# mutation caught.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIST=$ROOT/tests/mutations.txt
WORK=${MUTATION_DIR:-$ROOT/build-mutation}
case $WORK in /*) ;; *) WORK=$ROOT/$WORK ;; esac
JOBS=${JOBS:-2}
COPY=$WORK/src
BUILD=$WORK/build

# mutations.txt -> one record per mutation: name, file, tests, promise
# (tab-separated); the find and replace texts are read again by apply().
records() {
	python3 - "$LIST" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
seen = set()
for block in re.split(r'\n[ \t]*\n', text):
    d = {}
    for line in block.split('\n'):
        if not line or line.startswith('#'):
            continue
        key, sep, val = line.partition(':')
        if not sep:
            sys.exit('mutations.txt: bad line: ' + line)
        d[key.strip()] = val[1:] if val.startswith(' ') else val
    if not d:
        continue
    for k in ('name', 'promise', 'file', 'find', 'replace', 'tests'):
        if k not in d:
            sys.exit('mutations.txt: %s has no %s:' % (d.get('name', '?'), k))
    if d['name'] in seen:
        sys.exit('mutations.txt: %s twice' % d['name'])
    seen.add(d['name'])
    print('\t'.join([d['name'], d['file'], d['tests'], d['promise']]))
EOF
}

# apply NAME: replaces the find text of NAME in the copy; exit 3 if it does
# not occur exactly once.
apply() {
	python3 - "$LIST" "$COPY" "$1" <<'EOF'
import re, sys
lst, copy, name = sys.argv[1:]
def unescape(s):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t', '\\': '\\'}.get(m.group(1), m.group(0)), s)
for block in re.split(r'\n[ \t]*\n', open(lst).read()):
    d = {}
    for line in block.split('\n'):
        if line and not line.startswith('#'):
            key, _, val = line.partition(':')
            d[key.strip()] = val[1:] if val.startswith(' ') else val
    if d.get('name') != name:
        continue
    path = copy + '/' + d['file']
    src = open(path).read()
    find = unescape(d['find'])
    n = src.count(find)
    if n != 1:
        print('%s: the find text occurs %d times in %s (must be once)' % (name, n, d['file']))
        sys.exit(3)
    open(path, 'w').write(src.replace(find, unescape(d['replace'])))
    sys.exit(0)
sys.exit('no mutation named ' + name)
EOF
}

mapfile -t RECS < <(records)
if [ "${1:-}" = --list ]; then
	printf '%s\n' "${RECS[@]}" | cut -f1,2,4
	exit 0
fi
if [ $# -gt 0 ]; then
	want=" $* "
	sel=()
	for r in "${RECS[@]}"; do
		[[ $want == *" ${r%%$'\t'*} "* ]] && sel+=("$r")
	done
	[ ${#sel[@]} -eq $# ] || {
		echo "mutation: unknown mutation name in: $*" >&2
		exit 2
	}
	RECS=("${sel[@]}")
fi

t0=$SECONDS
echo "mutation: ${#RECS[@]} mutations; copying the source to $COPY"
rm -rf "$COPY"
mkdir -p "$COPY" "$BUILD"
# cp -a keeps the times, so the build folder is reused incrementally.
for p in CMakeLists.txt .clang-format src include tests packaging docs; do
	[ -e "$ROOT/$p" ] && cp -a "$ROOT/$p" "$COPY/"
done

# targets REGEX: the build targets the tests of a ctest regex run (vectors/X:
# test_vectors, unit/test_X: test_X, cli/X: kist), so that a mutation relinks
# only what its tests use.
targets() {
	grep -oE 'vectors/[a-z_-]+|unit/test_[a-z_]+|cli/[a-z_]+' <<<"$1" |
		sed -E 's#^vectors/.*#test_vectors#; s#^unit/##; s#^cli/.*#kist#' | sort -u
}

all_tests=$(printf '%s\n' "${RECS[@]}" | cut -f3 | paste -sd'|')
mapfile -t all_targets < <(targets "$all_tests")
cmake -S "$COPY" -B "$BUILD" -DKIST_BUILD_TESTS=ON -DKIST_SANITIZE=OFF -DKIST_TSAN=OFF \
	-DKIST_BUILD_FUZZERS=OFF -DKIST_SHARED_DIR="$ROOT/../shared" >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target "${all_targets[@]}" >/dev/null
if [ "${MUTATION_BASELINE_PASSED:-}" = 1 ]; then
	echo "mutation: baseline skipped: MUTATION_BASELINE_PASSED=1 (the caller ran these tests on the same source and they passed)"
else
	echo "mutation: baseline: the unmutated copy must pass ($all_tests)"
fi
if [ "${MUTATION_BASELINE_PASSED:-}" != 1 ] && ! ctest --test-dir "$BUILD" -j"$JOBS" -R "$all_tests" --output-on-failure >"$WORK/baseline.log" 2>&1; then
	cat "$WORK/baseline.log"
	echo "mutation: FAILED: the tests fail without any mutation"
	exit 1
fi

results=()
bad=0
for r in "${RECS[@]}"; do
	IFS=$'\t' read -r name file tests promise <<<"$r"
	t1=$SECONDS
	log=$WORK/$name.log
	if ! apply "$name" >"$log" 2>&1; then
		results+=("NO MATCH  $name ($file): $(cat "$log")")
		bad=1
		continue
	fi
	touch "$COPY/$file"
	mapfile -t tg < <(targets "$tests")
	if ! cmake --build "$BUILD" -j"$JOBS" --target "${tg[@]}" >>"$log" 2>&1; then
		results+=("NO BUILD  $name ($file): see $log")
		bad=1
	elif ctest --test-dir "$BUILD" -j"$JOBS" -R "$tests" --stop-on-failure \
		--output-on-failure >>"$log" 2>&1; then
		results+=("SURVIVED  $name: no test in /$tests/ failed; promise: $promise")
		bad=1
	else
		caught=$(sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) .*/\1/p' "$log" | paste -sd' ')
		results+=("caught    $name by ${caught:-?} ($((SECONDS - t1))s)")
	fi
	# Restore with a new time, so that the next build recompiles the file.
	cp "$ROOT/$file" "$COPY/$file"
	touch "$COPY/$file"
done
# Leave the build matching the source, for the next run.
cmake --build "$BUILD" -j"$JOBS" --target "${all_targets[@]}" >/dev/null 2>&1 || true

printf '\n'
printf '%s\n' "${results[@]}"
printf 'mutation: %d mutations in %ds: %s\n' "${#RECS[@]}" "$((SECONDS - t0))" \
	"$([ "$bad" -eq 0 ] && echo 'every one caught' || echo FAILED)"
exit "$bad"
