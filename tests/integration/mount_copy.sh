#!/usr/bin/env bash
# smbiov mount: copy_file_range(2) within the mount is a server-side copy
# (tools/smbiov/mount_io.c mount_op_copy_file_range, smbiov_copy_range():
# FSCTL_SRV_COPYCHUNK_WRITE). Counted by the daemon itself (--stats
# "payload sent" / "payload received": bytes that crossed the network):
#   - cp of a 40 MiB file (three copy requests of 16 MiB) to a new name:
#     the copy on the server's disk is the source's bytes, and the
#     daemon sent none of them and received at most the first 128 KiB
#     an open the kernel caches reads along with its CREATE (through this
#     machine it would have been 40 MiB each way);
#   - copy_file_range of a range into the middle of an existing file
#     while another descriptor of it holds its pages in the kernel's page
#     cache: that descriptor reads the copied bytes and the rest as it
#     was; a range past the source's end copies nothing;
#   - the same cp with cache=none.
# Foreground mounts (-f) so the daemon's --stats reach a file; they are
# unmounted and their processes gone when the script ends, pass or fail.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup copy
command -v python3 >/dev/null || integ_skip "python3 not installed"

mount_mkdir
u=$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")
head -c $((40 * 1024 * 1024 + 4321)) /dev/urandom >"$mount_disk/src"
head -c 100000 /dev/urandom >"$mount_disk/dst"
chown -R "$SMB_USER:" "$mount_disk"
cp "$mount_disk/dst" "$tmp/dst.orig"

# payload LOG NAME: the byte count on a --stats payload line of LOG
payload() {
	sed -n "s/^  $2 *\([0-9]*\) bytes.*/\1/p" "$1"
}

# run CASE OPTIONS: cp through a fresh mount; sets $sent $recv
run() {
	local what=$1 opts=$2 mnt=$tmp/m.$1 log=$tmp/log.$1
	mount_fg "$mnt" "$u" "$log" "$opts"
	cp "$mnt/src" "$mnt/copy.$what" || integ_fail "$what: cp within the mount failed"
	mount_umount "$mnt"
	cmp -s "$mount_disk/src" "$mount_disk/copy.$what" ||
		integ_fail "$what: the copy differs from the source on the server's disk"
	sent=$(payload "$log" "payload sent")
	recv=$(payload "$log" "payload received")
	[[ -n $sent && -n $recv ]] || integ_fail "$what: no payload counts in --stats: $(tail -5 "$log")"
}

run strict ""
((sent == 0 && recv <= 131072)) || integ_fail "cp of 40 MiB within the mount: $sent bytes sent, $recv received (not a server-side copy)"
echo "ok: cp of 40 MiB within the mount: the server's copy is the source, $sent bytes sent, $recv received"
run none cache=none
((sent == 0 && recv <= 131072)) || integ_fail "cache=none: $sent bytes sent, $recv received"
echo "ok: the same with cache=none"

# a range into the middle of a file another descriptor holds cached
mnt=$tmp/m.range
mount_at "$mnt" "$u"
python3 - "$mnt" "$mount_disk" "$tmp/dst.orig" 2>"$tmp/py.err" <<'PY' || integ_fail "copy_file_range of a range: $(cat "$tmp/py.err")"
import os, sys
mnt, disk, orig = sys.argv[1:4]
old = open(orig, "rb").read()
src = open(os.path.join(disk, "src"), "rb").read()
r = os.open(os.path.join(mnt, "dst"), os.O_RDONLY)
if os.pread(r, len(old), 0) != old:
    sys.exit("the reader's first read is not the file")
s = os.open(os.path.join(mnt, "src"), os.O_RDONLY)
d = os.open(os.path.join(mnt, "dst"), os.O_WRONLY)
n = os.copy_file_range(s, d, 5000, 1234567, 3001)
if n != 5000:
    sys.exit("copied %d of 5000" % n)
if os.copy_file_range(s, d, 100, len(src), 0) != 0:
    sys.exit("a range past the source's end copied bytes")
os.close(d)
want = old[:3001] + src[1234567:1234567 + 5000] + old[8001:]
got = os.pread(r, len(old), 0)
if got != want:
    bad = next(i for i in range(len(want)) if got[i] != want[i])
    sys.exit("the reader's descriptor, byte %d: %r, want %r" % (bad, got[bad], want[bad]))
if open(os.path.join(disk, "dst"), "rb").read() != want:
    sys.exit("the server's disk differs")
PY
mount_umount "$mnt"
echo "ok: a range into a file another descriptor caches: it reads the copied bytes"
mount_none_left
