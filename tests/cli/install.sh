#!/usr/bin/env bash
# cmake --install into a DESTDIR: the binary, libkist (.a, .so), kist.h,
# kist.pc, both man pages, the three completions and the docs are in place;
# the man pages render without warnings and `man kist` finds the page; a tiny
# program compiles and links against the installed library through
# pkg-config (shared, and static with --static), and runs; bash completion
# completes verbs and each verb's options, which match `kist help VERB`.
. "$(dirname "$0")/lib.sh"

B=${KIST_BUILD_DIR:-}
[ -n "$B" ] && [ -f "$B/CMakeCache.txt" ] || skip "KIST_BUILD_DIR is not a build folder (run under ctest)"
for tool in cmake pkg-config cc man groff; do
	command -v $tool >/dev/null 2>&1 || skip "$tool is not installed"
done

D=$T/dest
RC=0
DESTDIR=$D cmake --install "$B" --prefix /usr >install.log 2>&1 || RC=$?
assert_eq 0 "$RC" "cmake --install into DESTDIR (log: $(tail -n 2 install.log))"
P=$D/usr
LIBDIR=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$B/CMakeCache.txt")
LIBDIR=${LIBDIR:-lib}
for f in bin/kist include/kist.h "$LIBDIR/libkist.a" "$LIBDIR/libkist.so" "$LIBDIR/libkist.so.0" \
	"$LIBDIR/pkgconfig/kist.pc" share/man/man1/kist.1 share/man/man5/kist-format.5 \
	share/bash-completion/completions/kist share/zsh/vendor-completions/_kist \
	share/fish/vendor_completions.d/kist.fish share/doc/kist/JSON.md share/doc/kist/FORMAT.md; do
	assert_exists "$P/$f" "installed $f"
done
[ -x "$P/bin/kist" ] && ok || fail "installed kist is not executable"
expect_rc 0 "$P/bin/kist" --version
assert_eq "$("$K" --version)" "$(cat "$OUT")" "installed kist --version"

# ---------------------------------------------------------------- man pages
for page in man1/kist.1 man5/kist-format.5; do
	RC=0
	MANWIDTH=80 man --warnings -l "$P/share/man/$page" >"render.txt" 2>"render.err" || RC=$?
	assert_eq 0 "$RC" "man -l $page"
	assert_empty render.err "warnings rendering $page"
	RC=0
	groff -t -man -ww -z "$P/share/man/$page" 2>groff.err || RC=$?
	assert_eq 0 "$RC" "groff -ww $page"
	assert_empty groff.err "groff warnings for $page"
	[ "$(wc -l <render.txt)" -gt 40 ] && ok || fail "$page renders to only $(wc -l <render.txt) lines"
done
MANWIDTH=80 man -l "$P/share/man/man1/kist.1" 2>/dev/null >kist1.txt
# kist(1) covers every verb, every long option and every exit code.
for v in keygen pubkey contacts seal info list extract cat verify grant report request release split join repair parity people query manifest log audit help; do
	assert_grep kist1.txt "^ +$v\$|kist $v" "kist(1) covers $v"
done
for v in keygen pubkey contacts seal info list extract cat verify grant report request release split join repair parity people query manifest log audit; do
	"$K" help "$v" | grep -oE -- '--[a-z][a-z-]+' | sort -u >>longopts.txt
done
for o in $(sort -u longopts.txt); do
	assert_grep kist1.txt "$o" "kist(1) documents $o"
done
for c in 0 1 2 3 4 5 6 10 11 12 13 14 15 130; do
	assert_grep kist1.txt "^ +$c +[A-Z]" "kist(1) documents exit code $c"
done
assert_grep kist1.txt '^FILES' "kist(1) has FILES"
assert_grep kist1.txt '^ENVIRONMENT' "kist(1) has ENVIRONMENT"
for w in KIST_LEDGER XDG_DATA_HOME ledger\.db age1 AGE-SECRET-KEY-1; do
	assert_grep kist1.txt "$w" "kist(1) mentions $w"
done
VER=$("$K" --version)
for page in man1/kist.1 man5/kist-format.5; do
	assert_grep "$P/share/man/$page" "^\\.TH .*\"$VER\"" "$page names this version ($VER)"
done
assert_grep kist1.txt '^EXAMPLES' "kist(1) has EXAMPLES"
RC=0
WHERE=$(MANPATH=$P/share/man man -w kist 2>&1) || RC=$?
assert_eq "$P/share/man/man1/kist.1" "$WHERE" "man -w kist finds the installed page"
WHERE=$(MANPATH=$P/share/man man -w 5 kist-format 2>&1)
assert_eq "$P/share/man/man5/kist-format.5" "$WHERE" "man -w 5 kist-format"

# ---------------------------------------------------------------- pkg-config
cat >app.c <<'C'
#include <kist.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	kist_identity *id = NULL;
	kist_pubkey pk;
	char s[KIST_PUBKEY_STRLEN + 1];
	if (kist_init() != KIST_OK || kist_identity_generate(&id) != KIST_OK)
		return 1;
	kist_identity_pubkey(id, &pk);
	kist_pubkey_format(&pk, s);
	kist_identity_free(id);
	printf("kist %s %s\n", kist_version(), strncmp(s, "kist1", 5) == 0 ? "key-ok" : "key-bad");
	return 0;
}
C
export PKG_CONFIG_PATH=$P/$LIBDIR/pkgconfig
SAN=""
if grep -q '^KIST_SANITIZE:BOOL=ON' "$B/CMakeCache.txt"; then SAN="-fsanitize=address,undefined"; fi
RC=0
PCV=$(pkg-config --modversion kist 2>&1) || RC=$?
assert_eq 0 "$RC" "pkg-config finds the installed kist.pc"
assert_eq "$("$K" --version | cut -d' ' -f2)" "$PCV" "pkg-config --modversion kist"
assert_eq "$P/include" "$(realpath -m "$(pkg-config --variable=includedir kist)")" \
	"kist.pc's includedir is the installed one"
assert_eq "$P/$LIBDIR" "$(realpath -m "$(pkg-config --variable=libdir kist)")" "kist.pc's libdir"
RC=0
# shellcheck disable=SC2046
cc $SAN -o app app.c $(pkg-config --cflags --libs kist) 2>cc.err || RC=$?
assert_eq 0 "$RC" "compile and link against the shared libkist ($(head -c 300 cc.err))"
if [ -x app ]; then
	RC=0
	LD_LIBRARY_PATH=$P/$LIBDIR ./app >app.out 2>&1 || RC=$?
	assert_eq 0 "$RC" "the program linked against libkist.so runs"
	assert_eq "kist $PCV key-ok" "$(cat app.out)" "its output"
	LD_LIBRARY_PATH=$P/$LIBDIR ldd ./app >ldd.txt 2>&1
	assert_grep ldd.txt "libkist\.so\.0 => $P/$LIBDIR/libkist\.so\.0" "the program loads the installed libkist.so.0"
fi
# Static: libkist.a and the private requirements from --static.
STATIC_LIBS=$(pkg-config --static --libs kist)
for l in -lsodium -lzstd -lsqlite3 -lcrypto -ljansson; do
	case " $STATIC_LIBS " in *" $l "*) ok ;; *) fail "pkg-config --static --libs kist lacks $l: $STATIC_LIBS" ;; esac
done
RC=0
# shellcheck disable=SC2046
cc $SAN -o app-static app.c $(pkg-config --cflags kist) -Wl,-Bstatic -lkist -Wl,-Bdynamic \
	$(pkg-config --static --libs kist | sed 's/ -lkist / /') 2>cc2.err || RC=$?
assert_eq 0 "$RC" "compile and link against libkist.a with pkg-config --static ($(head -c 300 cc2.err))"
if [ -x app-static ]; then
	ldd ./app-static >ldd2.txt 2>&1
	assert_no_grep ldd2.txt libkist "app-static does not load libkist.so"
	RC=0
	./app-static >app2.out 2>&1 || RC=$?
	assert_eq "0 kist $PCV key-ok" "$RC $(cat app2.out)" "the statically linked program runs"
fi

# ---------------------------------------------------------------- completions
BC=$P/share/bash-completion/completions/kist
# complete WORDS...: COMPREPLY of _kist for a command line whose last word is being typed.
complete_words() {
	bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_kist kist "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort
	' _ "$BC" "$@"
}
assert_eq "$(printf '%s\n' audit cat contacts extract grant help info join keygen list log manifest parity people pubkey query release repair report request seal split verify witness)" \
	"$(complete_words kist '' | grep -v '^--')" "bash: kist <TAB> completes every verb"
assert_eq "seal" "$(complete_words kist se)" "bash: kist se<TAB>"
assert_eq "$(printf '%s\n' --recipient --recipients-file)" "$(complete_words kist seal --rec)" \
	"bash: kist seal --rec<TAB>"
assert_eq "verify" "$(complete_words kist help ver)" "bash: kist help ver<TAB>"
mkdir -p sub/inner && touch vault-a.kist
assert_eq "vault-a.kist" "$(complete_words kist info vau)" "bash: file names as arguments"
assert_eq "sub/" "$(complete_words kist extract -C su | sed 's,/*$,/,')" "bash: -C completes folders"
assert_eq "" "$(complete_words kist extract -C vault-a)" "bash: -C offers no plain files"
# Every verb: the options offered are exactly those of its help.
for v in keygen pubkey seal info list extract cat verify people query manifest; do
	want=$("$K" help "$v" | grep -E '^  -' | grep -oE -- '(^|[ ,])-(-[a-z][a-z-]*|[a-zA-Z])' |
		tr -d ' ,' | sort -u)
	want=$(printf '%s\n' $want -h --help | sort -u)
	echo "$want" >"want-$v.txt"
	got=$(complete_words kist "$v" - | sort -u)
	assert_eq "$want" "$got" "bash: kist $v -<TAB> offers exactly the options of kist help $v"
done
# contacts, log, audit and witness: their help has one section per subcommand (usage line,
# what it does, option lines); kist VERB <TAB> offers the subcommands, kist VERB
# SUB -<TAB> exactly the options of SUB's option lines.
for v in contacts log audit witness; do
	"$K" help "$v" >"help-$v.txt"
	subs=$(sed -nE "s/^kist $v ([a-z]+).*/\1/p" "help-$v.txt" | sort -u)
	[ -n "$subs" ] && ok || fail "kist help $v names no subcommand"
	assert_eq "$subs" "$(complete_words kist "$v" '')" "bash: kist $v <TAB> offers its subcommands"
	assert_eq "$(printf '%s\n' -h --help | sort)" "$(complete_words kist "$v" -)" "bash: kist $v -<TAB>"
	for sub in $subs; do
		want=$(awk -v p="kist $v $sub " 'index($0, p) == 1 { on = 1; next }
			/^$/ { on = 0 } on && /^  -/' "help-$v.txt" |
			grep -oE -- '(^|[ ,])-(-[a-z][a-z-]*|[a-zA-Z])' | tr -d ' ,')
		want=$(printf '%s\n' $want -h --help | sort -u)
		echo "$want" >"want-$v-$sub.txt"
		got=$(complete_words kist "$v" "$sub" - | sort -u)
		assert_eq "$want" "$got" "bash: kist $v $sub -<TAB> offers exactly the options of its help"
	done
done
assert_eq "--people" "$(complete_words kist seal --peo)" "bash: kist seal --peo<TAB>"
assert_eq "vault-a.kist" "$(complete_words kist log export -o vau)" "bash: kist log export -o completes files"
assert_eq "vault-a.kist" "$(complete_words kist audit verify --checkpoint vau)" "bash: --checkpoint completes files"
# zsh and fish files: syntax-checked when the shell is installed.
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$P/share/zsh/vendor-completions/_kist" && ok || fail "zsh -n _kist"
else
	skip_part "zsh is not installed: _kist not syntax-checked"
fi
if command -v fish >/dev/null 2>&1; then
	FC=$P/share/fish/vendor_completions.d/kist.fish
	fish -n "$FC" && ok || fail "fish -n kist.fish"
	assert_eq "$(printf '%s\n' audit cat contacts extract grant help info join keygen list log manifest parity people pubkey query release repair report request seal split verify witness)" \
		"$(fish -c "source '$FC'; complete -C 'kist '" | cut -f1 | grep -v '^-' | sort)" \
		"fish: kist <TAB> completes every verb"
	assert_eq "$(printf '%s\n' --recipient --recipients-file)" \
		"$(fish -c "source '$FC'; complete -C 'kist seal --rec'" | cut -f1 | sort)" \
		"fish: kist seal --rec<TAB>"
	# The same options as bash (and kist help) offers, for every verb and subcommand.
	for w in want-*.txt; do
		words=$(basename "$w" .txt | sed 's/^want-//; s/-/ /')
		assert_eq "$(cat "$w")" "$(fish -c "source '$FC'; complete -C 'kist $words -'" | cut -f1 | sort -u)" \
			"fish: kist $words -<TAB> offers exactly the options of its help"
	done
	for v in log audit witness; do
		assert_eq "$(sed -nE "s/^kist $v ([a-z]+).*/\1/p" "help-$v.txt" | sort -u)" \
			"$(fish -c "source '$FC'; complete -C 'kist $v '" | cut -f1 | sort -u)" \
			"fish: kist $v <TAB> offers its subcommands"
	done
else
	skip_part "fish is not installed: kist.fish not syntax-checked"
fi

finish
