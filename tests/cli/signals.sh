#!/usr/bin/env bash
# Interrupting kist: SIGINT or SIGTERM during a seal (or two SIGINTs in a
# row) and SIGINT during an extract.  kist must exit 130 and leave neither
# the output nor any *.kist-tmp-* file; an existing vault replaced with
# --force stays as it was.
. "$(dirname "$0")/lib.sh"

PA=$(mkid alice)

# Sparse inputs: no disk, but kist reads (and hashes, compresses, encrypts)
# every byte, which takes seconds.  The signal is sent as soon as kist has
# created its temporary file, so the whole input is never needed; if kist
# still finishes first the input is made larger and the run repeated.
SIZES_MB=(1024 4096 16384)

# wait_tmp DIR: waits (up to 10 s) until a *.kist-tmp-* file exists under DIR
# or the process $PID has exited.
wait_tmp() {
	local i
	for ((i = 0; i < 200; i++)); do
		if [ -n "$(find "$1" -name '*.kist-tmp-*' 2>/dev/null | head -n 1)" ]; then
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# wait_exit: the exit status of $PID in $RC, killing it if it hangs past 20 s.
wait_exit() {
	local i
	for ((i = 0; i < 400; i++)); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$PID" 2>/dev/null; then
		fail "kist (pid $PID) still runs 20 s after the signal"
		kill -KILL "$PID" 2>/dev/null
	fi
	RC=0
	wait "$PID" || RC=$?
}

# interrupt_seal SIGNALS WHAT [extra seal options]: seals a growing sparse
# input to out/v.kist and sends SIGNALS (e.g. "INT" or "INT INT") while it runs.
interrupt_seal() {
	local sigs=$1 what=$2 mb s
	shift 2
	for mb in "${SIZES_MB[@]}"; do
		rm -rf in && mkdir in
		truncate -s "${mb}M" in/disk.img || die "truncate -s ${mb}M failed"
		"$K" seal -q -r "$PA" -o out/v.kist "$@" in >"$OUT" 2>"$ERR" &
		PID=$!
		if ! wait_tmp out; then
			wait_exit
			if [ "$RC" -eq 0 ]; then
				echo "$what: the seal of ${mb} MiB finished before the signal; trying a larger input" >&2
				continue
			fi
			fail "$what: kist seal failed (exit $RC) before the signal could be sent"
			_excerpt "$ERR" stderr >&2
			return 1
		fi
		sleep 0.1
		for s in $sigs; do
			kill -s "$s" "$PID" 2>/dev/null
			sleep 0.02
		done
		wait_exit
		if [ "$RC" -eq 0 ]; then
			# Finished between the check and the signal: the check would prove nothing.
			echo "$what: the seal of ${mb} MiB finished before the signal; trying a larger input" >&2
			continue
		fi
		assert_eq 130 "$RC" "$what: exit status of an interrupted seal"
		assert_no_tmp out "$what"
		rm -rf in
		return 0
	done
	fail "$what: even a ${SIZES_MB[-1]} MiB seal finished before the signal"
	rm -rf in
	return 1
}

mkdir out
interrupt_seal INT "SIGINT during seal"
assert_missing out/v.kist "output of a seal interrupted by SIGINT"
assert_grep "$ERR" 'interrupt' "message of a seal interrupted by SIGINT"

interrupt_seal TERM "SIGTERM during seal"
assert_missing out/v.kist "output of a seal interrupted by SIGTERM"

interrupt_seal "INT INT" "two SIGINTs during seal"
assert_missing out/v.kist "output of a seal interrupted by two SIGINTs"

# An existing vault replaced with --force survives an interrupted seal.
mkdir small
printf 'old evidence\n' >small/f.txt
expect_rc 0 "$K" seal -q -r "$PA" -o out/v.kist small
cp out/v.kist old.kist
interrupt_seal INT "SIGINT during seal --force" --force
assert_file_eq old.kist out/v.kist "existing vault after an interrupted seal --force"
rm -f out/v.kist

# SIGINT during an extract: nothing is left in the target folder.
rm -rf in && mkdir in
truncate -s 512M in/disk.img
printf 'small\n' >in/a.txt
expect_rc 0 "$K" seal -q -r "$PA" -o big.kist in || die "cannot seal the extract test vault"
rm -rf in
mkdir target
"$K" extract -q -i alice.key -C target big.kist >"$OUT" 2>"$ERR" &
PID=$!
if wait_tmp target; then
	sleep 0.05
	kill -s INT "$PID" 2>/dev/null
	wait_exit
	if [ "$RC" -eq 0 ]; then
		fail "SIGINT during extract: the 512 MiB extract finished before the signal (make it larger)"
	else
		assert_eq 130 "$RC" "exit status of an interrupted extract"
		assert_dir_empty target "target of an interrupted extract"
	fi
else
	wait_exit
	fail "SIGINT during extract: no temporary file appeared (extract exited $RC)"
	_excerpt "$ERR" stderr >&2
fi

# SIGKILL during a seal: nothing can clean up, so the only trace may be a
# clearly named temporary file, never a partial vault under the final name.
rm -rf in out/v.kist && mkdir in
truncate -s 4096M in/disk.img
"$K" seal -q -r "$PA" -o out/v.kist in >"$OUT" 2>"$ERR" &
PID=$!
if wait_tmp out; then
	sleep 0.1
	kill -s KILL "$PID" 2>/dev/null
	wait_exit
	assert_eq 137 "$RC" "exit status of a killed seal"
	assert_missing out/v.kist "vault under its final name after SIGKILL"
	left=$(find out -maxdepth 1 -name '*.kist-tmp-*' | wc -l)
	assert_eq 1 "$left" "temporary files left by a killed seal"
	rm -f out/.*kist-tmp-*
else
	wait_exit
	fail "SIGKILL during seal: no temporary file appeared (seal exited $RC)"
fi
rm -rf in

# Sealing never modifies its inputs: not their bytes, nor their times (the
# access time included: kist reads with O_NOATIME where it may).
mkdir in copies
printf 'statement\n' >in/s.txt
head -c 3000000 /dev/urandom >in/p.jpg
cp in/* copies/
touch -d '2001-02-03 04:05:06' in/s.txt in/p.jpg
before=$(stat -c '%n %s %X %Y' in/*)
expect_rc 0 "$K" seal -q -r "$PA" -o inputs.kist in
after=$(stat -c '%n %s %X %Y' in/*)
assert_file_eq copies/s.txt in/s.txt "an input's bytes after sealing"
assert_file_eq copies/p.jpg in/p.jpg "an input's bytes after sealing"
assert_eq "$before" "$after" "inputs (size, access and modification times) after sealing"

finish
