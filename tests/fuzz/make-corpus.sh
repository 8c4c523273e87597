#!/usr/bin/env bash
# Regenerates the seed corpora (tests/fuzz/corpus/*/seed-*) from the test
# vectors and the hand-made seeds of make_seeds.c, then minimises the index
# and sealed corpora with libFuzzer's -merge=1 (their seeds are whole SQLite
# images, 20 KiB each, mostly alike), keeping the seeds that add coverage.
# regress-* files (regression inputs) are never touched.
#
#   tests/fuzz/make-corpus.sh [BUILD_DIR]
#
# BUILD_DIR is a build configured with -DCMAKE_C_COMPILER=clang
# -DKIST_BUILD_FUZZERS=ON (default: build-fuzz beside tests/), with the
# fuzz_make_seeds, fuzz_index and fuzz_sealed targets built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build-fuzz}" && pwd)
corpus="$here/corpus"

find "$corpus" -name 'seed-*' -type f -delete
"$build/tests/fuzz/fuzz_make_seeds" "$here/../vectors" "$corpus"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in index sealed; do
	mkdir -p "$tmp/$h"
	# (in $tmp: inputs that crash during the merge are written to the current directory)
	if ! (cd "$tmp" && "$build/tests/fuzz/fuzz_$h" -merge=1 -artifact_prefix="$tmp/" \
		"$tmp/$h" "$corpus/$h" >"$tmp/$h.log" 2>&1) || [ -z "$(ls "$tmp/$h")" ]; then
		echo "make-corpus: merging $h failed, its seeds are kept whole:" >&2
		tail -n 5 "$tmp/$h.log" >&2
		continue
	fi
	# libFuzzer names merged inputs by their SHA-1: keep the seeds it kept.
	for f in "$corpus/$h"/seed-*; do
		sum=$(sha1sum "$f" | cut -d' ' -f1)
		[ -e "$tmp/$h/$sum" ] || rm -f "$f"
	done
	echo "make-corpus: $h: kept $(ls "$corpus/$h" | wc -l) inputs"
done
