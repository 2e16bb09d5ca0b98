#!/usr/bin/env bash
# A remote file cut short while it is being downloaded: the CLI reads on
# to the end of file, finds fewer bytes than the size the file had at open
# and fails with exit 13 ("the file changed during the transfer") instead
# of reporting success for a short copy; a regular-file destination is not
# created. No timing: the download writes into a FIFO nobody reads yet, so
# it stops after its open + first read (one byte read from the FIFO shows
# it got there); the file is truncated on the server's disk, then the
# FIFO is drained. And a put's source cut short or grown while it is
# sent (below): exit 13 too, the old destination untouched.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup

MiB=$((1024 * 1024))
name=$run_id.cut
f=$SMB_ROOT/$SMB_SHARE/$name

# cut_during WHAT CLI-ARGS...: start smbiov CLI-ARGS writing to the FIFO,
# wait for its first byte, truncate the remote file to 3 MiB, drain.
cut_during() {
	local what=$1 bg first
	shift
	head -c $((40 * MiB)) /dev/urandom >"$f"
	chmod 0666 "$f"
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	timeout 120 "$SMBIOV_CLI" "$@" >"$tmp/fifo" 2>"$tmp/err" &
	bg=$!
	exec 3<"$tmp/fifo"
	first=$(timeout 60 head -c 1 <&3 | wc -c)
	((first == 1)) || integ_fail "$what: nothing arrived: $(cat "$tmp/err")"
	truncate -s $((3 * MiB)) "$f"
	cat <&3 >"$tmp/rest"
	exec 3<&-
	rc=0
	wait "$bg" || rc=$?
	expect_fail "$what" 13 'changed during the transfer'
}

cut_during "cat of a file cut to 3 MiB" cat "$(url "$SMB_PORT" "$SMB_SHARE" "$name")"
cut_during "get - of a file cut to 3 MiB" get "$(url "$SMB_PORT" "$SMB_SHARE" "$name")" -
rm -f "$f" "$tmp/fifo"
echo "ok: a file cut during a download: exit 13, no success"

# A source cut short or grown while a put sends it: exit 13, the old
# destination untouched, no temporary file left. No timing: the put runs
# through the bench relay, which stops passing bytes after 40 MiB of the
# 96; the source is changed once the put's temporary file exists on the
# server (the put took the source's size and time before creating it),
# then the relay lets everything through (SIGUSR1).
changed_put() {
	local what=$1 change=$2 bg
	head -c $((96 * MiB)) /dev/urandom >"$tmp/src"
	echo old >"$SMB_ROOT/$SMB_SHARE/$name.dst"
	chmod 0666 "$SMB_ROOT/$SMB_SHARE/$name.dst"
	relay_start -d 0 -s $((40 * 1024))
	timeout 120 "$SMBIOV_CLI" put "$tmp/src" "$(url "$relay_port" "$SMB_SHARE" "$name.dst")" \
		>"$tmp/out" 2>"$tmp/err" &
	bg=$!
	for _ in $(seq 600); do
		[[ -n $(find "$SMB_ROOT/$SMB_SHARE" -maxdepth 1 -name '.smbiov-*.part') ]] && break
		sleep 0.1
	done
	[[ -n $(find "$SMB_ROOT/$SMB_SHARE" -maxdepth 1 -name '.smbiov-*.part') ]] ||
		integ_fail "$what: the put never created its temporary file: $(cat "$tmp/err")"
	$change "$tmp/src"
	kill -USR1 "$relay_pid"
	rc=0
	wait "$bg" || rc=$?
	relay_stop
	expect_fail "$what" 13 'changed during the transfer'
	[[ $(cat "$SMB_ROOT/$SMB_SHARE/$name.dst") == old ]] ||
		integ_fail "$what: the destination was changed"
	for _ in $(seq 600); do # the server closes the dead handle
		[[ -z $(find "$SMB_ROOT/$SMB_SHARE" -maxdepth 1 -name '.smbiov-*.part') ]] && break
		sleep 0.1
	done
	[[ -z $(find "$SMB_ROOT/$SMB_SHARE" -maxdepth 1 -name '.smbiov-*.part') ]] ||
		integ_fail "$what: temporary file left"
}
cut_to_10m() { truncate -s $((10 * MiB)) "$1"; }
grow_1m() { head -c $MiB /dev/urandom >>"$1"; }
changed_put "put of a source cut to 10 MiB while it is sent" cut_to_10m
changed_put "put of a source grown by 1 MiB while it is sent" grow_1m
rm -f "$SMB_ROOT/$SMB_SHARE/$name.dst" "$tmp/src"
echo "ok: a source changed during a put: exit 13, destination untouched"
