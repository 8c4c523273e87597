#!/usr/bin/env bash
# Builds kist and runs every test, in four builds:
#
#   build/       the normal build (RelWithDebInfo): ctest, all tests
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer: ctest, all tests
#   build-fuzz/  clang with libFuzzer (only if clang is installed): ctest -L fuzz,
#                a short run of each fuzzer
#   package      the Debian package (build-pkg/): built, installed with apt-get,
#                a round trip with /usr/bin/kist, removed (root or sudo only)
#   reproducible the static binary built twice from the last commit in two
#                folders: same SHA-256, and a round trip with it
#   mutation     tests/mutation.sh: each mutation of tests/mutations.txt (a
#                security check deleted) must make its tests fail (without
#                its baseline run when the normal stage passed)
#   windows      only with --windows: kist.exe cross-built
#                (packaging/build-windows.sh: its dependencies from Debian's
#                sources, about 45 minutes the first time, cached after), then
#                tests/windows/run.sh (the platform layer, the refused vaults,
#                round trips with the Linux kist) and tests/windows/cli.sh
#                (the CLI tests against kist.exe, about 25 minutes) under
#                wine.  Without --windows the summary says it was not asked
#                for (not a skip).
#
# The summary counts and names every skipped check (a test that exited 77, a
# part of a CLI test skipped for a missing tool, a stage that could not run);
# with CI=true (as CI sets it) any skip fails the run.
#
# usage: tests/run-all.sh [--windows]   (from anywhere; the README and .ci/run
#        call it without --windows)
#
# Installs missing Debian packages with packaging/install-deps.sh (using sudo
# if you are not root).  Runs every stage even if an earlier one failed, and
# exits non-zero if any stage failed.  JOBS (default 2) sets the parallelism.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-2}
WINDOWS=0
case "${1:-}" in
'') ;;
--windows) WINDOWS=1 ;;
*)
	echo "usage: tests/run-all.sh [--windows]" >&2
	exit 2
	;;
esac

have_deps() {
	command -v cmake >/dev/null 2>&1 && command -v ctest >/dev/null 2>&1 &&
		command -v cc >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1 &&
		command -v python3 >/dev/null 2>&1 &&
		pkg-config --exists libsodium libzstd sqlite3 libcrypto cmocka jansson libqrencode icu-uc icu-i18n &&
		command -v age-keygen >/dev/null 2>&1 && command -v dpkg-shlibdeps >/dev/null 2>&1 &&
		command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 &&
		command -v zbarimg >/dev/null 2>&1 && command -v zsh >/dev/null 2>&1 &&
		command -v fish >/dev/null 2>&1 && command -v strace >/dev/null 2>&1 &&
		command -v valgrind >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 &&
		command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1 &&
		command -v wine >/dev/null 2>&1 &&
		{ [ "$WINDOWS" = 0 ] || command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1; }
}
if ! have_deps; then
	echo "run-all: some dependencies are missing; running packaging/install-deps.sh"
	if [ "$WINDOWS" = 1 ]; then
		"$ROOT/packaging/install-deps.sh" --windows
	else
		"$ROOT/packaging/install-deps.sh"
	fi
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Skipped checks are not passes: each is named in the summary ("skipped:"),
# from ctest's skipped tests (exit 77) and the lines tests add to
# $KIST_SKIP_LOG (tests/cli/lib.sh: skip, skip_part).  With CI=true any skip
# fails the run: CI installs every tool the tests need.
skips=()
# collect_skips STAGE DIR: ctest's skipped tests and the skip log of a stage.
collect_skips() {
	local name=$1 dir=$2 t
	if [ -f "$ROOT/$dir/ctest.log" ]; then
		while IFS= read -r t; do
			skips+=("$name: test $t skipped")
		done < <(sed -n 's/.*Test *#[0-9]*: \([^ ]*\) .*\*\*\*Skipped.*/\1/p' "$ROOT/$dir/ctest.log")
	fi
	if [ -f "$ROOT/$dir/skips.log" ]; then
		while IFS= read -r t; do
			skips+=("$name: $t")
		done <"$ROOT/$dir/skips.log"
	fi
}

# stage NAME BUILD-DIR [CTEST-ARGS...] -- [CMAKE-ARGS...]
results=()
failed=0
stage() {
	local name=$1 dir=$2 t0=$SECONDS rc=0
	shift 2
	local ctest_args=()
	while [ "$1" != -- ]; do
		ctest_args+=("$1")
		shift
	done
	shift
	printf '\n==== run-all: %s build (%s/)\n' "$name" "$dir"
	mkdir -p "$ROOT/$dir"
	rm -f "$ROOT/$dir/skips.log" "$ROOT/$dir/ctest.log"
	{
		cmake -S "$ROOT" -B "$ROOT/$dir" -DKIST_BUILD_TESTS=ON "$@" &&
			cmake --build "$ROOT/$dir" -j"$JOBS" &&
			KIST_SKIP_LOG=$ROOT/$dir/skips.log \
				ctest --test-dir "$ROOT/$dir" --output-on-failure -j"$JOBS" \
				--no-tests=ignore "${ctest_args[@]}" | tee "$ROOT/$dir/ctest.log"
	} || rc=$?
	collect_skips "$name" "$dir"
	last_rc=$rc
	if [ "$rc" -eq 0 ]; then
		results+=("$name: ok ($((SECONDS - t0))s)")
	else
		results+=("$name: FAILED ($((SECONDS - t0))s)")
		failed=1
	fi
}

# Every stage names every option, so that a build directory configured
# differently before is brought back to what this script means.
stage normal build -- -DKIST_SANITIZE=OFF -DKIST_TSAN=OFF -DKIST_BUILD_FUZZERS=OFF
normal_rc=$last_rc
stage sanitizers build-asan -- -DKIST_SANITIZE=ON -DKIST_TSAN=OFF -DKIST_BUILD_FUZZERS=OFF
# ThreadSanitizer over the tests that drive the parallel pipeline.
stage threads build-tsan -R 'unit/test_(threads|vault|campaign|extract|progress)' -- -DKIST_TSAN=ON \
	-DKIST_SANITIZE=OFF -DKIST_BUILD_FUZZERS=OFF
if command -v clang >/dev/null 2>&1; then
	# CMake cannot switch an existing build folder to another compiler.
	if [ -f build-fuzz/CMakeCache.txt ] &&
		! grep -q '^CMAKE_C_COMPILER:[A-Z]*=\(.*/\)\?clang$' build-fuzz/CMakeCache.txt; then
		echo "run-all: build-fuzz/ was configured with another compiler; starting it afresh"
		rm -rf build-fuzz
	fi
	# Only the fuzzers (label "fuzz"); zero tests with that label is not a failure.
	stage fuzz build-fuzz -L fuzz -- -DCMAKE_C_COMPILER=clang -DKIST_SANITIZE=OFF \
		-DKIST_BUILD_FUZZERS=ON
else
	results+=("fuzz: skipped (clang is not installed)")
	skips+=("fuzz: the whole stage (clang is not installed)")
fi
if ! command -v valgrind >/dev/null 2>&1; then
	skips+=("normal: the valgrind/* tests (valgrind is not installed)")
fi

# script_stage NAME SCRIPT: a test script; exit 77 means skipped (said in the summary).
script_stage() {
	local name=$1 script=$2 t0=$SECONDS rc=0
	printf '\n==== run-all: %s (%s)\n' "$name" "$script"
	"$ROOT/$script" || rc=$?
	if [ "$rc" -eq 0 ]; then
		results+=("$name: ok ($((SECONDS - t0))s)")
	elif [ "$rc" -eq 77 ]; then
		results+=("$name: SKIPPED ($3)")
		skips+=("$name: the whole stage ($3)")
	else
		results+=("$name: FAILED ($((SECONDS - t0))s)")
		failed=1
	fi
}
script_stage package tests/package-test.sh "needs root or passwordless sudo to install a package"
script_stage reproducible tests/reproducible-test.sh "-"
# Each security check has a test that fails without it (tests/mutations.txt).
# The normal stage ran every test on this same source: when it passed, the
# mutation stage skips its own unmutated baseline run of them.
if [ "$normal_rc" -eq 0 ]; then
	export MUTATION_BASELINE_PASSED=1
fi
script_stage mutation tests/mutation.sh "-"

if [ "$WINDOWS" = 1 ]; then
	t0=$SECONDS
	printf '\n==== run-all: windows (packaging/build-windows.sh, tests/windows/run.sh, cli.sh)\n'
	if "$ROOT/packaging/build-windows.sh" "$ROOT/build-windows" &&
		KIST_EXE=$ROOT/build-windows/kist.exe KIST=$ROOT/build/src/kist \
			"$ROOT/tests/windows/run.sh" &&
		KIST_EXE=$ROOT/build-windows/kist.exe "$ROOT/tests/windows/cli.sh"; then
		results+=("windows: ok ($((SECONDS - t0))s)")
	else
		results+=("windows: FAILED ($((SECONDS - t0))s)")
		failed=1
	fi
else
	results+=("windows: not asked for (tests/run-all.sh --windows)")
fi

printf '\n==== run-all:'
printf ' %s;' "${results[@]}"
printf '\n==== run-all: skipped: %d\n' "${#skips[@]}"
if [ "${#skips[@]}" -gt 0 ]; then
	printf '  %s\n' "${skips[@]}"
	if [ "${CI:-}" = true ]; then
		echo "run-all: FAILED: CI=true and checks were skipped (packaging/install-deps.sh installs what they need)"
		failed=1
	fi
fi
exit "$failed"
