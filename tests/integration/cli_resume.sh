#!/usr/bin/env bash
# get -C and put -C against the real Samba: a transfer killed part-way
# (kill -9, SIGINT) keeps its partial copy and a resume record; the next
# run with -C continues it (and says from which byte) when the other side
# is unchanged, starts over (and says why) when it changed; the result is
# exact (sha256). A get without -C takes over a part file a killed run left
# (nothing stays behind).
#
# No timing: the transfer runs through the bench's relay with -s, which
# passes a fixed number of bytes and then holds the rest for good, so the
# transfer is stopped part-way on any machine. The test waits for the
# record to count some bytes, then kills the client.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup

MiB=$((1024 * 1024))
SIZE=$((96 * MiB))
export SMBIOV_STATE_DIR=$tmp/state
records=$SMBIOV_STATE_DIR/partial
share_dir=$SMB_ROOT/$SMB_SHARE
relay_pid=
trap 'kill "$relay_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

# stall [KIB]: a relay that passes KIB (64 MiB) each way, then holds the rest.
stall() { relay_start -d 0 -s "${1:-$((64 * 1024))}"; }

# record_done KIND: the bytes the resume record of KIND counts ("" if none).
record_done() {
	local f
	for f in "$records"/*; do
		[[ -f $f ]] && grep -qx "kind $1" "$f" || continue
		sed -n 's/^done \([0-9]*\)$/\1/p' "$f"
		return
	done
}

# stopped KIND SIGNAL CLI-ARGS...: run the CLI (its URL through the
# stalling relay stall started), wait until its record counts bytes
# (the relay keeps it from finishing), send SIGNAL; $rc is its exit status,
# $kept the bytes the record counts.
stopped() {
	local kind=$1 sig=$2 pid done=
	shift 2
	"$SMBIOV_CLI" --timeout 600 "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 1200); do
		done=$(record_done "$kind")
		# past the first MiB, which a get reads with its open anyway
		[[ -n $done && $done -gt $MiB ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[[ -n $done && $done -gt $MiB ]] ||
		integ_fail "$kind -C through the stalling relay recorded no progress: $(cat "$tmp/err")"
	kill "-$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	relay_stop
	kept=$(record_done "$kind")
	((kept > 0 && kept < ${SIZE_NOW:-$SIZE})) ||
		integ_fail "$kind: record counts $kept of ${SIZE_NOW:-$SIZE} bytes"
}

# continued WHAT: the last run said it continued at a byte > 0.
continued() {
	grep -qE "continuing at byte [1-9][0-9]* of $SIZE" "$tmp/err" ||
		integ_fail "$1: no 'continuing at byte N' message: $(cat "$tmp/err")"
	echo "ok: $1: $(grep continuing "$tmp/err")"
}

no_records() {
	[[ -z $(ls -A "$records" 2>/dev/null) ]] ||
		integ_fail "$1: resume records left: $(ls -A "$records")"
}

name=$run_id.resume
head -c $SIZE /dev/urandom >"$share_dir/$name"
chmod 0666 "$share_dir/$name"
want=$(sha "$share_dir/$name")
mkdir "$tmp/d"
dest=$tmp/d/$name

# --- get -C, killed, continued ---
stall
stopped get KILL get -C "$(url "$relay_port" "$SMB_SHARE" "$name")" "$dest"
[[ $rc -eq 137 ]] || integ_fail "get -C killed: exit $rc"
[[ ! -e $dest ]] || integ_fail "get -C killed: the destination exists"
[[ -f $tmp/d/.$name.smbiov-part ]] || integ_fail "get -C killed: no part file kept: $(ls -a "$tmp/d")"
smbiov get -C "$(url "$SMB_PORT" "$SMB_SHARE" "$name")" "$dest"
expect_ok "get -C after kill -9"
continued "get -C after kill -9"
[[ $(sha "$dest") == "$want" ]] || integ_fail "get -C after kill -9: wrong bytes"
no_leftovers "$tmp/d"
no_records "get -C after kill -9"
rm -f "$dest"

# --- get -C interrupted (SIGINT keeps the part), then a plain get takes it over ---
stall
stopped get INT get -C "$(url "$relay_port" "$SMB_SHARE" "$name")" "$dest"
[[ $rc -eq 10 ]] || integ_fail "get -C interrupted: exit $rc, want 10: $(cat "$tmp/err")"
[[ -s $tmp/d/.$name.smbiov-part ]] || integ_fail "get -C interrupted: no part file kept"
smbiov get "$(url "$SMB_PORT" "$SMB_SHARE" "$name")" "$dest"
expect_ok "get without -C over a kept part file"
grep -q continuing "$tmp/err" && integ_fail "get without -C continued: $(cat "$tmp/err")"
[[ $(sha "$dest") == "$want" ]] || integ_fail "get over a kept part file: wrong bytes"
no_leftovers "$tmp/d"
no_records "get without -C over a kept part file"
rm -f "$dest"

# --- get -C killed, the remote file changes: starts over ---
stall
stopped get KILL get -C "$(url "$relay_port" "$SMB_SHARE" "$name")" "$dest"
head -c 4096 /dev/urandom >>"$share_dir/$name"
want2=$(sha "$share_dir/$name")
smbiov get -C "$(url "$SMB_PORT" "$SMB_SHARE" "$name")" "$dest"
expect_ok "get -C of a changed file"
grep -q "not resuming (its size changed): starting over" "$tmp/err" ||
	integ_fail "get -C of a changed file: no reason given: $(cat "$tmp/err")"
[[ $(sha "$dest") == "$want2" ]] || integ_fail "get -C of a changed file: wrong bytes"
no_leftovers "$tmp/d"
no_records "get -C of a changed file"
echo "ok: get -C of a changed file starts over: $(cat "$tmp/err")"

# --- get -C on the encrypted share, one connection through buffers
# (a file under 64 MiB: chunks written out in order), killed, continued.
# Four 8 MiB chunks are asked for at a time and the first is waited for
# before any is asked again, so once 40 MiB have passed the first chunk
# has certainly arrived, whatever order the server answers in ---
ename=$run_id.enc
SIZE_NOW=$((60 * MiB))
head -c $SIZE_NOW /dev/urandom >"$SMB_ROOT/$SMB_ENC_SHARE/$ename"
chmod 0666 "$SMB_ROOT/$SMB_ENC_SHARE/$ename"
ewant=$(sha "$SMB_ROOT/$SMB_ENC_SHARE/$ename")
stall $((40 * 1024))
stopped get KILL get -C "$(url "$relay_port" "$SMB_ENC_SHARE" "$ename")" "$tmp/d/$ename"
smbiov get -C "$(url "$SMB_PORT" "$SMB_ENC_SHARE" "$ename")" "$tmp/d/$ename"
expect_ok "encrypted get -C after kill -9"
grep -qE "continuing at byte [1-9][0-9]* of $SIZE_NOW" "$tmp/err" ||
	integ_fail "encrypted get -C after kill -9: did not continue: $(cat "$tmp/err")"
[[ $(sha "$tmp/d/$ename") == "$ewant" ]] || integ_fail "encrypted get -C after kill -9: wrong bytes"
no_leftovers "$tmp/d"
no_records "encrypted get -C after kill -9"
echo "ok: encrypted get -C after kill -9: $(cat "$tmp/err")"
rm -f "$SMB_ROOT/$SMB_ENC_SHARE/$ename"
unset SIZE_NOW

# --- put -C, killed, continued. Two workers send the first two 32 MiB
# chunks side by side, so the relay passes 80 MiB: the first has certainly
# been sent whole ---
src=$tmp/src.bin
head -c $SIZE /dev/urandom >"$src"
want=$(sha "$src")
rname=$run_id.up
stall $((80 * 1024))
stopped put KILL put -C "$src" "$(url "$relay_port" "$SMB_SHARE" "$rname")"
[[ $rc -eq 137 ]] || integ_fail "put -C killed: exit $rc"
[[ ! -e $share_dir/$rname ]] || integ_fail "put -C killed: the destination exists"
parts=$(find "$share_dir" -maxdepth 1 -name '.smbiov-*.part' | wc -l)
((parts == 1)) || integ_fail "put -C killed: want one kept .smbiov-*.part, found $parts"
smbiov put -C "$src" "$(url "$SMB_PORT" "$SMB_SHARE" "$rname")"
expect_ok "put -C after kill -9"
continued "put -C after kill -9"
[[ $(sha "$share_dir/$rname") == "$want" ]] || integ_fail "put -C after kill -9: wrong bytes"
[[ -z $(find "$share_dir" -maxdepth 1 -name '.smbiov-*.part') ]] ||
	integ_fail "put -C after kill -9: temporary file left"
no_records "put -C after kill -9"

# --- put -C interrupted, the source changes: starts over ---
stall $((80 * 1024))
stopped put INT put -C "$src" "$(url "$relay_port" "$SMB_SHARE" "$rname")"
[[ $rc -eq 10 ]] || integ_fail "put -C interrupted: exit $rc, want 10"
[[ $(sha "$share_dir/$rname") == "$want" ]] || integ_fail "put -C interrupted: the old destination changed"
printf 'x' | dd of="$src" bs=1 seek=$((5 * MiB)) conv=notrunc status=none
want=$(sha "$src")
smbiov put -C "$src" "$(url "$SMB_PORT" "$SMB_SHARE" "$rname")"
expect_ok "put -C of a changed source"
grep -qE "not resuming \(its (modification|change) time changed\): starting over" "$tmp/err" ||
	integ_fail "put -C of a changed source: no reason given: $(cat "$tmp/err")"
[[ $(sha "$share_dir/$rname") == "$want" ]] || integ_fail "put -C of a changed source: wrong bytes"
[[ -z $(find "$share_dir" -maxdepth 1 -name '.smbiov-*.part') ]] ||
	integ_fail "put -C of a changed source: temporary file left"
no_records "put -C of a changed source"
echo "ok: put -C of a changed source starts over: $(cat "$tmp/err")"

# --- -C and --inplace exclude each other ---
smbiov put -C --inplace "$src" "$(url "$SMB_PORT" "$SMB_SHARE" "$rname")"
expect_fail "put -C --inplace" 2 'exclude each other'

rm -f "$share_dir/$name" "$share_dir/$rname"
echo "ok: resume of killed and interrupted transfers"
