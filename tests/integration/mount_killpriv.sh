#!/usr/bin/env bash
# smbiov mount: writes do not make the kernel ask for security.capability
# each time (tools/smbiov/mount_init.c, FUSE_HANDLE_KILLPRIV_V2 added to
# libfuse's INIT reply). Counted by the daemon itself (--stats "security.
# xattr asks": every getxattr of a security. attribute the kernel sent):
#   - default file_mode (no set-user-ID/set-group-ID bits): 96 buffered
#     4 KiB writes, 4 O_DIRECT 1 MiB writes, a truncate, to two files: at
#     most one ask per file (the kernel asks once per inode, then marks it);
#     without the flag it asks before every write (> 100);
#   - file_mode=4755: the flag is not taken (the file system would owe the
#     kernel the clearing of those bits, which an SMB mount cannot keep),
#     and the kernel asks before every buffered write again (>= 96): the
#     count is real, and the choice is the one docs/cli.md states;
#   - the bytes on the server's disk are the ones written, both times.
# Foreground mounts (-f) so the daemon's --stats reach a file; they are
# unmounted and their processes gone when the script ends, pass or fail.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup killpriv

mount_mkdir
u=$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")
head -c $((96 * 4096)) /dev/urandom >"$tmp/small"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$tmp/big"

# run WHAT OPTIONS: the writes through a fresh mount; sets $n (the asks)
run() {
	local what=$1 opts=$2 mnt=$tmp/m.$1 log=$tmp/log.$1
	mount_fg "$mnt" "$u" "$log" "$opts"
	# 96 write(2) calls of 4 KiB each (dd: one call per block)
	dd if="$tmp/small" of="$mnt/small.$what" bs=4096 status=none
	dd if="$tmp/big" of="$mnt/big.$what" bs=1M oflag=direct status=none
	truncate -s $((90 * 4096)) "$mnt/small.$what"
	mount_umount "$mnt"
	n=$(mount_stat "$log" "security\\. xattr asks")
	[[ -n $n ]] || integ_fail "$what: no 'security. xattr asks' in --stats: $(tail -5 "$log")"
	cmp -s -n $((90 * 4096)) "$tmp/small" "$mount_disk/small.$what" ||
		integ_fail "$what: the buffered file differs on the server's disk"
	[[ $(stat -c %s "$mount_disk/small.$what") == $((90 * 4096)) ]] ||
		integ_fail "$what: the truncated size on the server is $(stat -c %s "$mount_disk/small.$what")"
	cmp -s "$tmp/big" "$mount_disk/big.$what" ||
		integ_fail "$what: the O_DIRECT file differs on the server's disk"
}

run plain ""
((n <= 2)) || integ_fail "default file_mode: the kernel asked for security. attributes $n times for 2 files (want at most one per file)"
echo "ok: default file_mode: $n security. asks for 100 writes and a truncate to 2 files"

run suid "file_mode=4755"
((n >= 96)) || integ_fail "file_mode=4755: only $n security. asks for 96 buffered writes: was the flag taken?"
echo "ok: file_mode=4755: the flag is not taken, $n asks"
mount_none_left
