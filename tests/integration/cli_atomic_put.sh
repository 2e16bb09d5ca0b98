#!/usr/bin/env bash
# Uploads are atomic (tools/smbiov/cmd_put.c): the remote file is the old
# one or the whole new one, never a mix, and nothing is left behind.
#   - a put over an existing file replaces it whole (plain and encrypted,
#     the latter over two connections), with no temporary file left;
#   - SIGKILL, SIGINT and SIGTERM in the middle of a put: the destination
#     still holds its old bytes, and the temporary file is gone once the
#     server has closed the dead connection (delete-on-close);
#   - --inplace writes the destination itself: after a SIGKILL it holds
#     what had arrived (today's behaviour, on request);
#   - cp replaces its destination the same way;
#   - a small put (one compound) on a full share leaves the old file whole
#     and no short new file (a 1 MiB tmpfs mounted in the share).
# No timing: the source is a FIFO fed 9 MiB and then held open, so the
# upload is certainly in the middle (it waits for more input) when the
# signal comes; a bounded wait (60 s) for the server to close the dead
# connection is a bound, not a guess.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup

MiB=$((1024 * 1024))
dir=$SMB_ROOT/$SMB_SHARE
leftovers() { find "$dir" "$SMB_ROOT/$SMB_ENC_SHARE" -maxdepth 1 -name '.smbiov-*.part' | wc -l; }

# Whole replacement, plain and encrypted (100 MiB: two connections).
head -c $((100 * MiB + 7)) /dev/urandom >"$tmp/new"
for share in "$SMB_SHARE" "$SMB_ENC_SHARE"; do
	echo old >"$SMB_ROOT/$share/$run_id.r"
	chmod 0666 "$SMB_ROOT/$share/$run_id.r"
	opt=()
	[[ $share == "$SMB_ENC_SHARE" ]] && opt=(--encrypt)
	smbiov "${opt[@]}" put "$tmp/new" "$(url "$SMB_PORT" "$share" "$run_id.r")"
	expect_ok "put over an existing file on $share"
	cmp -s "$tmp/new" "$SMB_ROOT/$share/$run_id.r" || integ_fail "put on $share: contents differ"
	rm -f "$SMB_ROOT/$share/$run_id.r"
done
(($(leftovers) == 0)) || integ_fail "a temporary file was left: $(ls -a "$dir")"
echo "ok: put replaces a file whole, no temporary file left"

# cp replaces its destination the same way (a temporary file renamed over
# it), from one share to another
cp "$tmp/new" "$dir/$run_id.cpsrc"
echo old >"$SMB_ROOT/$SMB_ENC_SHARE/$run_id.cpdst"
chmod 0666 "$dir/$run_id.cpsrc" "$SMB_ROOT/$SMB_ENC_SHARE/$run_id.cpdst"
smbiov cp "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.cpsrc")" "$(url "$SMB_PORT" "$SMB_ENC_SHARE" "$run_id.cpdst")"
expect_ok "cp over an existing file"
cmp -s "$tmp/new" "$SMB_ROOT/$SMB_ENC_SHARE/$run_id.cpdst" || integ_fail "cp over an existing file: contents differ"
(($(leftovers) == 0)) || integ_fail "cp: a temporary file was left"
rm -f "$dir/$run_id.cpsrc" "$SMB_ROOT/$SMB_ENC_SHARE/$run_id.cpdst"
echo "ok: cp replaces a file whole, no temporary file left"

# interrupted SIG [--inplace]: a put of a FIFO that got 9 MiB, then SIG.
interrupted() {
	local sig=$1 bg i
	shift
	echo "old contents" >"$dir/$run_id.v"
	chmod 0666 "$dir/$run_id.v"
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$SMBIOV_CLI" put "$@" - "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.v")" <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
	bg=$!
	exec 4>"$tmp/fifo"
	head -c $((9 * MiB)) /dev/urandom >&4
	# the first 8 MiB chunk is on the server (in the temporary file, or
	# with --inplace in the destination) once some file there holds it
	for ((i = 0; i < 600; i++)); do
		find "$dir" -maxdepth 1 \( -name '.smbiov-*.part' -o -name "$run_id.v" \) -size +8191k | grep -q . && break
		kill -0 "$bg" 2>/dev/null || integ_fail "put ended early: $(cat "$tmp/err")"
		sleep 0.1
	done
	kill "-$sig" "$bg"
	rc=0
	wait "$bg" || rc=$?
	exec 4>&-
	# the server notices the connection is gone and closes the handle
	# (unless the temporary file is meant to stay: keep_part=1)
	for ((i = 0; i < 600; i++)); do
		((${keep_part:-0} == 0)) || break
		(($(leftovers) == 0)) && break
		sleep 0.1
	done
}

# SIGKILL with reconnect on (the default): the temporary file is not
# marked delete-on-close, so that it outlives a lost connection; a killed
# client leaves it (tools/smbiov/rtmp.h, docs/cli.md), the destination as
# it was. With --reconnect 0 it is marked and nothing stays (below).
keep_part=1 interrupted KILL
[[ $(cat "$dir/$run_id.v") == "old contents" ]] ||
	integ_fail "SIGKILL mid-put changed the destination ($(stat -c %s "$dir/$run_id.v") bytes)"
((rc == 137)) || integ_fail "SIGKILL: exit $rc"
(($(leftovers) == 1)) || integ_fail "SIGKILL mid-put (reconnect on): want its one temporary file, found: $(ls -a "$dir")"
rm -f "$dir"/.smbiov-*.part
echo "ok: SIGKILL mid-put, reconnect on: destination unchanged, the temporary file stays"

for sig in KILL INT TERM; do
	if [[ $sig == KILL ]]; then
		interrupted "$sig" --reconnect 0
	else
		interrupted "$sig"
	fi
	[[ $(cat "$dir/$run_id.v") == "old contents" ]] ||
		integ_fail "SIG$sig mid-put changed the destination ($(stat -c %s "$dir/$run_id.v") bytes)"
	(($(leftovers) == 0)) || integ_fail "SIG$sig mid-put left its temporary file: $(ls -a "$dir")"
	case $sig in
	KILL) ((rc == 137)) || integ_fail "SIGKILL: exit $rc" ;;
	*) ((rc == 10)) || integ_fail "SIG$sig: exit $rc, want 10: $(cat "$tmp/err")" ;;
	esac
	echo "ok: SIG$sig mid-put: destination unchanged, nothing left behind"
done

interrupted KILL --inplace
size=$(stat -c %s "$dir/$run_id.v")
((size >= 8 * MiB)) || integ_fail "--inplace: the destination has $size bytes, want what had arrived"
rm -f "$dir/$run_id.v" "$tmp/fifo"
echo "ok: --inplace writes the destination as the data arrives"

# A small put (one CREATE + WRITE + CLOSE compound) over an existing file on
# a full share: the WRITE fails for want of space. Writing the destination
# itself would have cut the old file first (the issue-13 bug); the upload
# goes to a temporary file instead, so the old file keeps its bytes, exit
# 12 names the lack of space, and nothing is left behind. The share's
# subdirectory is a 1 MiB tmpfs (root: the test mounts it).
tiny=$dir/$run_id.tiny
mkdir "$tiny"
mount -t tmpfs -o size=1m,mode=0777 smbiov-tiny "$tiny" 2>"$tmp/mount.err" ||
	integ_skip "cannot mount a tmpfs for the full-share case (root needed): $(cat "$tmp/mount.err")"
trap 'umount "$tiny" 2>/dev/null || true; rm -rf "$tmp"' EXIT
head -c $((300 * 1024)) /dev/urandom >"$tiny/old"
head -c $((200 * 1024)) /dev/zero >"$tiny/filler"
chmod 0666 "$tiny/old" "$tiny/filler"
cp "$tiny/old" "$tmp/old.copy"
head -c $((900 * 1024)) /dev/urandom >"$tmp/new.small"
smbiov put "$tmp/new.small" "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.tiny/old")"
expect_fail "small put over a file on a full share" 12 "no space"
cmp -s "$tiny/old" "$tmp/old.copy" || integ_fail "small put on a full share: the old file was changed"
[[ -z $(find "$tiny" -name '.smbiov-*') ]] || integ_fail "small put on a full share: temporary file left: $(ls -a "$tiny")"
# a new small file that does not fit is not left short either
smbiov put "$tmp/new.small" "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.tiny/fresh")"
expect_fail "small new file on a full share" 12 "no space"
[[ ! -e $tiny/fresh ]] || integ_fail "small new file on a full share: a short file was left ($(stat -c %s "$tiny/fresh") bytes)"
# the same with --inplace, asked for, cuts the old file: the case is real
smbiov put --inplace "$tmp/new.small" "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.tiny/old")"
expect_fail "small put --inplace on a full share" 12 "no space"
cmp -s "$tiny/old" "$tmp/old.copy" && integ_fail "small put --inplace on a full share: the old file is whole (the case did not fill the share)"
umount "$tiny"
rmdir "$tiny"
echo "ok: a small put on a full share leaves the old file whole and nothing else"
