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
#
# usage: tests/run-all.sh      (from anywhere; the README and .ci/run call it)
#
# Installs missing Debian packages with packaging/install-deps.sh (using sudo
# if you are not root).  Runs every stage even if an earlier one failed, and
# exits non-zero if any stage failed.  JOBS (default 2) sets the parallelism.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-2}

have_deps() {
	command -v cmake >/dev/null 2>&1 && command -v ctest >/dev/null 2>&1 &&
		command -v cc >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1 &&
		command -v python3 >/dev/null 2>&1 &&
		pkg-config --exists libsodium libzstd sqlite3 libcrypto cmocka jansson libqrencode &&
		command -v age-keygen >/dev/null 2>&1 && command -v dpkg-shlibdeps >/dev/null 2>&1 &&
		command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 &&
		command -v zbarimg >/dev/null 2>&1 && command -v zsh >/dev/null 2>&1 &&
		command -v fish >/dev/null 2>&1
}
if ! have_deps; then
	echo "run-all: some dependencies are missing; running packaging/install-deps.sh"
	"$ROOT/packaging/install-deps.sh"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

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
	{
		cmake -S "$ROOT" -B "$ROOT/$dir" -DKIST_BUILD_TESTS=ON "$@" &&
			cmake --build "$ROOT/$dir" -j"$JOBS" &&
			ctest --test-dir "$ROOT/$dir" --output-on-failure -j"$JOBS" \
				--no-tests=ignore "${ctest_args[@]}"
	} || rc=$?
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
	else
		results+=("$name: FAILED ($((SECONDS - t0))s)")
		failed=1
	fi
}
script_stage package tests/package-test.sh "needs root or passwordless sudo to install a package"
script_stage reproducible tests/reproducible-test.sh "-"

printf '\n==== run-all:'
printf ' %s;' "${results[@]}"
printf '\n'
exit "$failed"
