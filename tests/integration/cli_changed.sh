#!/usr/bin/env bash
# A remote file cut short while it is being downloaded: the CLI reads on
# to the end of file, finds fewer bytes than the size the file had at open
# and fails with exit 13 ("the file changed during the transfer") instead
# of reporting success for a short copy; a regular-file destination is not
# created. No timing: the download writes into a FIFO nobody reads yet, so
# it stops after its open + first read (one byte read from the FIFO shows
# it got there); the file is truncated on the server's disk, then the
# FIFO is drained.
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
