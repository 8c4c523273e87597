#!/usr/bin/env bash
# The library's layers hold: no two source files call each other (no cycle
# at all, in fact), no file calls a file of a higher folder, and no file
# includes the header of a higher folder.
#
# usage: tests/check-layers.sh SRC_LIB_DIR OBJECT...
#
# The folders, lowest first (docs/HACKING.md):
#   os base crypto parts keys format people index vault custody gate
# The calls come from the object files (nm): file A calls file B when A
# references a global symbol that B defines.  The includes come from the
# `#include "FOLDER/FOLDER.h"` lines of src/lib.  Prints one line per
# violation; exit 0 if none, 1 otherwise, 2 on a usage error.
set -euo pipefail

ORDER=(os base crypto parts keys format people index vault custody gate)
if [ $# -lt 2 ] || [ ! -d "$1" ]; then
	echo "usage: $0 SRC_LIB_DIR OBJECT..." >&2
	exit 2
fi
LIB=$1
shift

rank() {
	local i
	for i in "${!ORDER[@]}"; do
		if [ "${ORDER[$i]}" = "$1" ]; then
			echo "$i"
			return
		fi
	done
	echo -1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bad=0

# One "D|U FILE SYMBOL" line per global symbol; FILE as "folder/name.c".
for o in "$@"; do
	f=${o##*/lib/}
	f=${f%.o}
	case $f in */*) ;; *)
		echo "check-layers: $o is not in a library folder" >&2
		bad=1
		continue
		;;
	esac
	nm -P "$o" | awk -v f="$f" '$2 ~ /^[TDBRCGSV]$/ {print "D", f, $1} $2 == "U" {print "U", f, $1}'
done >"$work/syms"

# Edges "A B": A calls B.
awk '$1 == "D" {def[$3] = $2} $1 == "U" {use[++n] = $2 " " $3}
     END {for (i = 1; i <= n; i++) {split(use[i], a, " ");
          if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]]}}' "$work/syms" |
	sort -u >"$work/edges"

while read -r a b; do
	if grep -qx "$b $a" "$work/edges" && [[ $a < $b ]]; then
		echo "check-layers: $a and $b call each other"
		bad=1
	fi
	ra=$(rank "${a%%/*}")
	rb=$(rank "${b%%/*}")
	if [ "$ra" -lt 0 ] || [ "$rb" -lt 0 ]; then
		echo "check-layers: $a -> $b: a folder outside the layer order"
		bad=1
	elif [ "$ra" -lt "$rb" ]; then
		echo "check-layers: $a calls $b, a higher layer ($(awk -v a="$a" -v b="$b" '
			$1 == "D" && $2 == b {d[$3] = 1} $1 == "U" && $2 == a {u[$3] = 1}
			END {s = ""; for (k in u) if (k in d) s = s (s == "" ? "" : " ") k; print s}' "$work/syms"))"
		bad=1
	fi
done <"$work/edges"

# Longer cycles (A -> B -> C -> A): tsort refuses a graph with a loop.
if ! tsort "$work/edges" >/dev/null 2>"$work/tsort"; then
	echo "check-layers: a cycle of calls: $(grep -v 'input contains a loop' "$work/tsort" | sed 's/^tsort: //' | tr '\n' ' ')"
	bad=1
fi

# Includes: a file includes only its own folder's header and lower ones.
while IFS= read -r line; do
	file=${line%%:*}
	rel=${file#"$LIB"/}
	inc=$(sed -n 's/^#include "\([a-z]*\)\/[a-z]*\.h".*/\1/p' <<<"${line#*:}")
	[ -n "$inc" ] || continue
	rf=$(rank "${rel%%/*}")
	ri=$(rank "$inc")
	if [ "$ri" -lt 0 ] || [ "$rf" -lt "$ri" ]; then
		echo "check-layers: $rel includes $inc/, a higher layer"
		bad=1
	fi
done < <(grep -rH '^#include "[a-z]*/[a-z]*\.h"' "$LIB" --include='*.c' --include='*.h')

if [ "$bad" -eq 0 ]; then
	echo "check-layers: $(wc -l <"$work/edges") calls between $# files, no cycle, none upward"
fi
exit "$bad"
