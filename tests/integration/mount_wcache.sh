#!/usr/bin/env bash
# smbiov mount: write caching after a read of the same file (issue 18,
# "writes go through the file layer's write-back"). 'touch f; cat f' and
# then 256 write(2) calls of 4 KiB through another descriptor:
#   - read-then-write: the writer's open holds the file's write caching,
#     so the writes stay in its cache until the close: well under one
#     request per write (--stats "requests sent" for the whole mount,
#     touch and cat included). Before src/fs/open.c closed the parked
#     read-write handle at cat's read-only open, cat's CREATE shared its
#     lease key, which took W from both for good, and every write went
#     to the server (> 256 requests). Whatever order the kernel's
#     releases (sent after close(2)) reach the daemon in: a release after
#     the next open leaves that open its key's only one, and it takes
#     write caching back (smb_lease_forget());
#   - reader-held: the same while cat's descriptor is still open (a
#     process holds it): two opens of the file, so neither keeps writes
#     (docs/cli.md "Caching"), and every write is a request (>= 256):
#     the count is real;
#   - the bytes on the server's disk are the ones written, both times;
#   - the modification time of a file written and closed does not move
#     afterwards when its kept handle is closed (here by cat's open, of
#     another kind): Samba sets a written handle's write time 2 s after
#     the first write or at its CLOSE, so the library has it set at the
#     close (smb_file_stamp_write_time()); before, the time moved after
#     close(2) had returned and vim refused to save ("changed since
#     reading it"). Read on the server's disk.
# Foreground mounts (-f) so the daemon's --stats reach a file; they are
# unmounted and their processes gone when the script ends, pass or fail.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup wcache

mount_mkdir
u=$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")
head -c $((256 * 4096)) /dev/urandom >"$tmp/src"

# run CASE: touch, cat, the writes through a fresh mount; sets $n (requests)
run() {
	local what=$1 mnt=$tmp/m.$1 log=$tmp/log.$1 f holder=
	mount_fg "$mnt" "$u" "$log"
	f=$mnt/f.$what
	touch "$f"
	cat "$f"
	if [[ $what == reader-held ]]; then
		exec {holder}<"$f"
	fi
	# one write(2) per 4 KiB block
	dd if="$tmp/src" of="$f" bs=4096 conv=notrunc status=none ||
		integ_fail "$what: dd through the mount failed"
	[[ -n $holder ]] && exec {holder}<&-
	mount_umount "$mnt"
	n=$(mount_stat "$log" "requests sent")
	[[ -n $n ]] || integ_fail "$what: no 'requests sent' in --stats: $(tail -5 "$log")"
	cmp -s "$tmp/src" "$mount_disk/f.$what" ||
		integ_fail "$what: the file differs on the server's disk"
}

run read-then-write
((n < 64)) || integ_fail "touch; cat; 256 writes of 4 KiB: $n requests (the writes went to the server one by one)"
echo "ok: touch; cat; 256 writes of 4 KiB: $n requests"

run reader-held
((n >= 256)) || integ_fail "with a reader's descriptor open: only $n requests for 256 writes of 4 KiB (did both opens keep writes?)"
echo "ok: with a reader's descriptor open: $n requests"

mnt=$tmp/m.mtime
mount_at "$mnt" "$u"
printf 'x\n' >"$mnt/g"
t1=$(stat -c %y "$mount_disk/g")
cat "$mnt/g" >/dev/null
t2=$(stat -c %y "$mount_disk/g")
[[ $t1 == "$t2" ]] || integ_fail "the modification time moved after the close: $t1, then $t2 once the kept handle was closed"
mount_umount "$mnt"
echo "ok: the modification time settles at the close ($t1)"
mount_none_left
