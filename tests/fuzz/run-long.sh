#!/usr/bin/env bash
# Runs every fuzz harness (or those named) for a while, one after the other.
#
#   tests/fuzz/run-long.sh [-b BUILD_DIR] [-t SECONDS] [-j JOBS] [-w WORK_DIR] [harness...]
#
#   -b  build directory configured with -DCMAKE_C_COMPILER=clang
#       -DKIST_BUILD_FUZZERS=ON (default: build-fuzz beside tests/)
#   -t  seconds per harness (default 600)
#   -j  parallel libFuzzer processes per harness (default 2, for 2 cores;
#       use 1 on a shared machine)
#   -w  work directory (default BUILD_DIR/fuzz-long): WORK/corpus/NAME grows
#       with new inputs, WORK/artifacts holds crashes, WORK/logs the output.
#       Nothing is written into the source tree: the seeds in
#       tests/fuzz/corpus/NAME are only read.
#
# At the end it prints, per harness, the executions, the coverage reached and
# the crashes found.  A crash reproduces with BUILD/tests/fuzz/fuzz_NAME FILE;
# keep it as tests/fuzz/corpus/NAME/regress-WHAT once the bug is fixed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build-fuzz"
secs=600
jobs=2
work=""
while getopts "b:t:j:w:h" opt; do
	case $opt in
	b) build=$OPTARG ;;
	t) secs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) sed -n '2,18p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
build=$(cd "$build" && pwd)
work=${work:-$build/fuzz-long}
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
	harnesses=(vault sealed header index identity pubkey chunk)
fi
mkdir -p "$work/artifacts" "$work/logs"

for h in "${harnesses[@]}"; do
	bin="$build/tests/fuzz/fuzz_$h"
	if [ ! -x "$bin" ]; then
		echo "run-long: $bin is missing (configure with -DCMAKE_C_COMPILER=clang -DKIST_BUILD_FUZZERS=ON and build)" >&2
		exit 1
	fi
	mkdir -p "$work/corpus/$h" "$work/logs/$h"
	dict=()
	case $h in index | sealed) dict=(-dict="$here/index.dict") ;; esac
	echo "== fuzz_$h: ${secs}s x $jobs job(s)"
	# -jobs writes one log per job (fuzz-N.log) into the current directory.
	(cd "$work/logs/$h" && rm -f fuzz-*.log &&
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
			-jobs="$jobs" -workers="$jobs" -artifact_prefix="$work/artifacts/$h-" \
			"$work/corpus/$h" "$here/corpus/$h" >"$work/logs/$h/run.log" 2>&1) || true
done

echo
printf '%-10s %14s %10s %10s %8s\n' harness executions coverage features crashes
for h in "${harnesses[@]}"; do
	execs=0 cov=0 ft=0
	for log in "$work/logs/$h"/fuzz-*.log "$work/logs/$h/run.log"; do
		[ -f "$log" ] || continue
		e=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
		execs=$((execs + e))
		c=$(grep -o 'cov: [0-9]*' "$log" | awk '{print $2}' | sort -n | tail -1)
		f=$(grep -o 'ft: [0-9]*' "$log" | awk '{print $2}' | sort -n | tail -1)
		[ -n "$c" ] && [ "$c" -gt "$cov" ] && cov=$c
		[ -n "$f" ] && [ "$f" -gt "$ft" ] && ft=$f
	done
	crashes=$(find "$work/artifacts" -name "$h-*" -type f | wc -l)
	printf '%-10s %14s %10s %10s %8s\n' "$h" "$execs" "$cov" "$ft" "$crashes"
done
if find "$work/artifacts" -type f | grep -q .; then
	echo
	echo "artifacts (reproduce with $build/tests/fuzz/fuzz_NAME FILE):"
	find "$work/artifacts" -type f | sort
	exit 1
fi
