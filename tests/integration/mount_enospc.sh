#!/usr/bin/env bash
# smbiov mount on a share that fills up (issue 18: "a file bigger than the
# free space on the share: ENOSPC at write or fsync, nothing reported
# written that was not"). The share is scripts/samba-server's `small`, a
# tmpfs of SMB_SMALL_BYTES: Samba answers a WRITE it cannot place with
# STATUS_DISK_FULL. In each cache mode (strict, loose, none), a file of
# the free space + 4 MiB is written in 1 MiB writes:
#   - buffered, with an fsync after every 2 MiB and at the end, then close;
#   - buffered, no fsync: the error must come at a write or at close(2)
#     (FUSE flush: the write-back of what the cache holds);
#   - O_DIRECT, then close.
# Each must fail, the first failure being ENOSPC (errno checked, no other
# error first), and the server's file must hold every byte that was
# reported written exactly: for O_DIRECT and cache=none, all the bytes of
# the writes that returned (a short write counts its bytes); buffered, all
# the bytes up to the last fsync that succeeded. Beyond that, whatever the
# server kept must be the file's bytes or zeros (a hole), never others, and
# never longer than what was written. After each case the file is removed
# through the mount and the share is empty again (the space comes back,
# so the next case starts from the same free space).
#
# Without a size limit on the share (samba-server could not mount its
# tmpfs: not root) the test fails, it does not skip: the case it covers
# would go untested. The mount is always unmounted and its daemon gone
# at the end, pass or fail. Nothing depends on timing.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup enospc
: "${SMB_SMALL_SHARE:?}"
((${SMB_SMALL_BYTES:-0} > 0)) ||
	integ_fail "the server's '$SMB_SMALL_SHARE' share has no size limit" \
		"(SMB_SMALL_BYTES=${SMB_SMALL_BYTES:-unset}: scripts/samba-server could not" \
		"mount its tmpfs, which needs root); ENOSPC cannot be tested"
# the system's python3: a pyenv shim on PATH costs a second per start
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3) || integ_fail "python3 not installed"

# the test's own directory of the small share (removed at exit)
small=$SMB_ROOT/$SMB_SMALL_SHARE
mount_disk=$small/$mount_dir
mkdir "$mount_disk"
chown "$SMB_USER:" "$mount_disk"
MiB=$((1024 * 1024))
# whole MiB, so that every write is a full 1 MiB (O_DIRECT's alignment)
total=$(((SMB_SMALL_BYTES / MiB + 5) * MiB))
head -c "$total" /dev/urandom >"$tmp/src"

# The writer: writes $tmp/src to PATH in 1 MiB writes (from an aligned
# buffer, for O_DIRECT), fsync after every FSYNC_EVERY bytes if not 0 and
# at the end, close; prints "ERRNO WHERE REPORTED SYNCED" (the first
# failure's errno and call, the bytes the writes returned, the bytes
# covered by the last successful fsync: 0 without), and whether any
# later call failed with an errno other than ENOSPC.
cat >"$tmp/writer.py" <<'PY'
import errno, mmap, os, sys

path, src, mode, every = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = open(src, "rb").read()
flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | (os.O_DIRECT if mode == "direct" else 0)
fd = os.open(path, flags, 0o644)
buf = mmap.mmap(-1, 1 << 20)
first = None  # (errno, where)
other = []
reported = synced = 0


def failed(e, where):
    global first
    if first is None:
        first = (e.errno, where)
    elif e.errno != errno.ENOSPC:
        other.append("%s:%s" % (where, errno.errorcode.get(e.errno, e.errno)))


def sync():
    global synced
    try:
        os.fsync(fd)
        synced = reported
    except OSError as e:
        failed(e, "fsync")


while reported < len(data) and first is None:
    n = min(1 << 20, len(data) - reported)  # (less only after a short write)
    buf[:n] = data[reported:reported + n]
    try:
        got = os.write(fd, memoryview(buf)[:n])
    except OSError as e:
        failed(e, "write")
        break
    reported += got
    if got < n:
        # a short write: the next one at the new offset says why
        continue
    if every and reported % every == 0:
        sync()
# (after a failure, a later fsync's 0 says nothing of the lost bytes:
# the error is reported once, as Linux reports a write-back error once)
if every and first is None:
    sync()
try:
    os.close(fd)
except OSError as e:
    failed(e, "close")
e, where = first if first else (0, "none")
print(errno.errorcode.get(e, e), where, reported, synced, ",".join(other) or "-")
PY

# check PATH_ON_DISK EXACT_BYTES WRITTEN: the first EXACT_BYTES of the
# server's file are the source's; past them only the source's bytes or
# zeros; the file no longer than WRITTEN.
cat >"$tmp/check.py" <<'PY'
import sys

disk, src, exact, written = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
have = open(disk, "rb").read()
want = open(src, "rb").read()
if len(have) < exact:
    sys.exit("the server's file has %d bytes, %d were reported written" % (len(have), exact))
if len(have) > written:
    sys.exit("the server's file has %d bytes, only %d were written" % (len(have), written))
if have[:exact] != want[:exact]:
    at = next(i for i in range(exact) if have[i] != want[i])
    sys.exit("byte %d (of %d reported written) differs on the server" % (at, exact))
step = 4096
for off in range(exact, len(have), step):
    h, w = have[off:off + step], want[off:off + step]
    if h == w or h.count(0) == len(h):
        continue
    for i in range(len(h)):
        if h[i] != w[i] and h[i] != 0:
            sys.exit("byte %d on the server is neither the file's nor 0" % (off + i))
print(len(have))
PY

mnt=$tmp/mnt
for cache in strict loose none; do
	mount_at "$mnt" "$(url "$SMB_PORT" "$SMB_SMALL_SHARE" "$mount_dir")" "cache=$cache"
	for run in "buffered $((2 * MiB))" "buffered 0" "direct 0"; do
		read -r how every <<<"$run"
		what="cache=$cache, $how, fsync every $((every / MiB)) MiB"
		((every)) || what="cache=$cache, $how, no fsync"
		f=$how.$every
		out=$(timeout 300 "$py" "$tmp/writer.py" "$mnt/$f" "$tmp/src" "$how" "$every") ||
			integ_fail "$what: the writer failed: $out"
		read -r err where reported synced other <<<"$out"
		[[ $err == ENOSPC ]] ||
			integ_fail "$what: a file of $total bytes on a share of $SMB_SMALL_BYTES: first failure $err at $where, want ENOSPC"
		[[ $other == - ]] || integ_fail "$what: after ENOSPC, other errors: $other"
		# What was reported written: the writes' bytes where a write is
		# not cached (O_DIRECT, cache=none: write(2) returns once the
		# server has them), else what the last good fsync covered.
		# Buffered without fsync through a cache, nothing is promised
		# until close(2), which failed: only the no-garbage check holds.
		exact=$synced
		[[ $how == direct || $cache == none ]] && exact=$reported
		size=$("$py" "$tmp/check.py" "$mount_disk/$f" "$tmp/src" "$exact" "$reported") ||
			integ_fail "$what: ENOSPC at $where after $reported bytes written ($synced synced): $size"
		# the share takes SMB_SMALL_BYTES: at least half of it must have
		# been confirmed before the failure (else the failure came early,
		# not from the share filling up)
		if [[ $how == direct || $cache == none || $every != 0 ]] && ((exact < SMB_SMALL_BYTES / 2)); then
			integ_fail "$what: ENOSPC at $where with only $exact bytes confirmed on a share of $SMB_SMALL_BYTES"
		fi
		rm "$mnt/$f" || integ_fail "$what: cannot remove the file through the mount"
		[[ -z $(ls -A "$mount_disk") ]] || integ_fail "$what: left on the server: $(ls -A "$mount_disk")"
		echo "ok: $what: ENOSPC at $where; $reported bytes written, $exact exact on the server ($size kept)"
	done
	mount_umount "$mnt"
done
mount_none_left
mount_sanitizer_check
echo "ok: mount_enospc"
