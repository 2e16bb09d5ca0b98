#!/usr/bin/env bash
# smbiov mount: POSIX behaviour through the mount, each case also run on a
# local tmpfs to show the kernel's own result. A case runs in a fresh
# directory of each; what it prints (outputs and exit codes) must be the
# same on both, and so must the trees it leaves: on the mount, on the
# tmpfs, and on the server's disk ($SMB_ROOT/<share>/..., compared byte for
# byte). Cases: create/write/read back (0 B to 3 MiB + 17), pwrite at
# offsets (dd conv=notrunc), pread at offsets, append (>>), append with
# another client writing between (a second mount, $ALT, its kernel's
# sizes stale by design), O_TRUNC and O_EXCL opens, truncate (ftruncate) shorter, longer and to 0, rename over
# an existing file (and RENAME_NOREPLACE, a directory with contents),
# unlink, mkdir/rmdir (and rmdir of a non-empty directory), a listing of
# 300 names larger than one readdir buffer, fallocate (extend, punch a
# hole), O_DIRECT beside buffered I/O, times set by touch and futimens
# (also a directory's), chmod as the read-only attribute, statfs (df; its
# totals equal the server's file system), symbolic links (-o mfsymlinks:
# cifs' link files on the server's disk), hard links. Also:
# the daemon keeps no password in its command line or environment; a
# wrong password fails `smbiov mount` with exit 3 leaving no mount and no
# process; an unknown option exits 2, a missing mount point 8; -f serves
# in the foreground and SIGTERM unmounts it; without allow_other another
# user is kept out, with it let in; a user who is not root mounts
# (through the setuid fusermount3), writes and unmounts; mount(8) with
# -t fuse / -t fuse.smbiov and an fstab line (mount.fuse3) and umount(8)
# work. (The server gone while mounted: mount_reconnect.sh.)
#
# The mount is always unmounted and its process gone when the script
# ends, pass or fail (EXIT trap). No case depends on timing: waits are
# bounded polls that only guard against a hang.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
cli_setup
: "${SMB_ROOT:?}"

mount_require
[[ $(id -u) -eq 0 ]] || integ_skip "needs root (a tmpfs for the reference runs)"
# the daemons' sanitizer reports into $tmp, checked at the end
mount_sanitizer_logs

mnt=$tmp/mnt
mntb=$tmp/mntb
ref=$tmp/ref
disk=$SMB_ROOT/$SMB_SHARE/$run_id
mkdir -p "$mnt" "$mntb" "$ref"
daemon_pid=
daemon_b=
pub=
fuse_mode=

unmount_all() {
	local m
	for m in "$mnt" "$mntb" "$tmp/mnt2" "$tmp/mnt3" ${pub:+"$pub/m"}; do
		if mountpoint -q "$m" 2>/dev/null; then
			"$SMBIOV_CLI" umount "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true
		fi
	done
	for m in "$daemon_pid" "$daemon_b"; do
		if [[ -n $m ]] && ! wait_gone "$m"; then
			echo "mount daemon $m did not exit after unmount: killing it" >&2
			kill -9 "$m" 2>/dev/null || true
		fi
	done
	daemon_pid=
	daemon_b=
}

cleanup() {
	unmount_all
	[[ -n ${linked_smbiov:-} ]] && rm -f /usr/local/bin/smbiov
	[[ -n ${relay_pid:-} ]] && relay_stop
	[[ -n $fuse_mode ]] && chmod "$fuse_mode" /dev/fuse
	[[ -n $pub ]] && ! mountpoint -q "$pub/m" && rm -rf "$pub"
	mountpoint -q "$ref" 2>/dev/null && umount "$ref"
	# never rm through a mount that is still there
	if ! mountpoint -q "$mnt" 2>/dev/null && ! mountpoint -q "$mntb" 2>/dev/null; then
		rm -rf "$tmp"
	fi
	rm -rf "$disk"
}
trap cleanup EXIT

mount -t tmpfs -o size=256m tmpfs "$ref"

# the share's directory $run_id is the mount's root (a URL with a path)
smbiov mkdir "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")"
expect_ok "mkdir the test directory"
smbiov mount -o mfsymlinks "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")" "$mnt"
expect_ok "smbiov mount"
# daemonised only once mounted: no polling needed
mountpoint -q "$mnt" || integ_fail "smbiov mount returned 0 but $mnt is not mounted"
daemon_pid=$(daemon_of "$mnt")
[[ -n $daemon_pid && $daemon_pid != *" "* ]] ||
	integ_fail "no (or more than one) mount process for $mnt: '$daemon_pid'"
grep -q "^//$SMB_HOST/$SMB_SHARE/$run_id $mnt fuse.smbiov " /proc/mounts ||
	integ_fail "not in /proc/mounts as fuse.smbiov: $(grep " $mnt " /proc/mounts)"
# (the test's own SMB_PASS is in the environment it inherits: not looked at)
if tr '\0' '\n' <"/proc/$daemon_pid/cmdline" | grep -qF "$SMB_PASS" ||
	tr '\0' '\n' <"/proc/$daemon_pid/environ" | grep -qF "SMBIOV_PASSWORD=$SMB_PASS"; then
	integ_fail "the mount process shows the password in its cmdline or environment"
fi
echo "ok: mounted (process $daemon_pid), no password in its cmdline or environ"
# the I/O size cp and friends use: 1 MiB, as cifs (not the 4 KiB default)
touch "$mnt/.blksize" && [[ $(stat -c %o "$mnt/.blksize") == 1048576 ]] ||
	integ_fail "st_blksize on the mount is $(stat -c %o "$mnt/.blksize"), not 1048576"
rm -f "$mnt/.blksize"
echo "ok: st_blksize 1 MiB"

# A second mount of the same directory: another SMB client on the same
# files, its kernel keeping sizes and names an hour (so what it believes
# is stale, always, once the first mount changed a file). Cases reach it
# as $ALT; on the tmpfs $ALT is the case's own directory. It runs
# without mfsymlinks (the default): links show there as the server's
# files.
smbiov mount -o actimeo=3600 "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")" "$mntb"
expect_ok "smbiov mount (the second, actimeo=3600)"
daemon_b=$(daemon_of "$mntb")

# ---- the cases ------------------------------------------------------------
# Each case_NAME runs in a fresh directory (its working directory) with
# errexit off and prints what it observes. Sources are under $tmp/src.

sizes=(0 1 4095 4096 65537 1048576 $((3 * 1024 * 1024 + 17)))
mkdir -p "$tmp/src"
for s in "${sizes[@]}"; do
	head -c "$s" /dev/urandom >"$tmp/src/$s"
done
head -c 777 /dev/urandom >"$tmp/src/patch"

# rc CMD...: run it, print its exit code (and its stderr, which names
# only relative paths, so it is the same on both sides)
rc() {
	"$@"
	echo "rc=$? $1"
}

case_write_read() {
	local s
	for s in "${sizes[@]}"; do
		rc cp "$tmp/src/$s" "f$s"
		rc cmp "$tmp/src/$s" "f$s"
		stat -c '%s %F' "f$s"
	done
	# written in 1000-byte pieces by one open file
	rc dd if="$tmp/src/65537" of=pieces bs=1000 status=none
	rc cmp "$tmp/src/65537" pieces
}

case_pwrite() {
	local off
	cp "$tmp/src/1048576" f
	for off in 0 1 4095 4096 65536 $((1048576 - 300)) 1048576 $((1048576 + 5000)); do
		rc dd if="$tmp/src/patch" of=f bs=64K seek="$off" oflag=seek_bytes conv=notrunc status=none
	done
	stat -c '%s' f
	sha256sum f
	# into a hole past the end: the gap reads as zeros
	printf 'end' | dd of=f bs=1 seek=3000000 conv=notrunc status=none
	stat -c '%s' f
	sha256sum f
}

case_pread() {
	local off len
	cp "$tmp/src/$((3 * 1024 * 1024 + 17))" f
	for off in 0 1 4095 4096 1048575 1048576 3145000 3145745; do
		for len in 1 4096 100000; do
			printf '%s %s ' "$off" "$len"
			dd if=f iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none |
				sha256sum
		done
	done
}

case_append() {
	echo first >f
	# shellcheck disable=SC2129 # each >> is its own O_APPEND open, on purpose
	echo second >>f
	cat "$tmp/src/65537" >>f
	echo third >>f
	cat "$tmp/src/1" >>f
	stat -c '%s' f
	sha256sum f
	# appends by two descriptors, one opened before the other wrote
	exec 3>>g
	echo a >>g
	echo b >&3
	exec 3>&-
	cat g
}

# O_APPEND with another writer: the mount writes at the end the server
# has, not at the size its kernel last saw (stale here: $ALT is the
# other mount, whose kernel keeps sizes an hour; with FOPEN_DIRECT_IO
# the kernel never asks again before an append).
case_append_other() {
	echo a >f
	exec 3>>"$ALT/f"
	echo b >&3
	echo c >>f # another client, while 3 stays open
	echo d >&3
	printf 'e\n' | dd of="$ALT/f" oflag=append conv=notrunc status=none
	exec 3>&-
	python3 -c 'import os
fd = os.open("f", os.O_WRONLY | os.O_APPEND)
os.pwrite(fd, b"f\n", 0) # Linux: O_APPEND wins over the offset
os.close(fd)'
	cat f
	wc -c <f
}

case_trunc_excl() {
	cp "$tmp/src/65537" f
	echo short >f # O_TRUNC
	cat f
	(
		set -o noclobber # O_CREAT|O_EXCL
		if echo clobbered >f; then r=0; else r=1; fi
		echo "rc=$r noclobber on an existing file"
		if echo new >g; then r=0; else r=1; fi
		echo "rc=$r noclobber on a new file"
	) 2>&1 | sed 's/^.*: f: /f: /'
	cat f g
	# O_CREAT|O_EXCL in the kernel's words: EEXIST for a file and a
	# directory, also one made by another client ($ALT)
	mkdir d
	echo x >"$ALT/h"
	python3 -c 'import errno, os
for n in ("f", "d", "h", "new"):
    try:
        os.close(os.open(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        print(n, "created")
    except OSError as e:
        print(n, errno.errorcode[e.errno])'
	# O_TRUNC while another descriptor holds written data: it is cut
	# too, and that descriptor writes on at its offset (a hole before)
	exec 3>t
	printf 'abcdef' >&3
	: >t
	printf 'XY' >&3
	exec 3>&-
	od -c t
}

case_truncate() {
	cp "$tmp/src/65537" f
	rc truncate -s 1000 f
	stat -c '%s' f
	rc cmp -n 1000 "$tmp/src/65537" f
	rc truncate -s 70000 f # longer: zeros after the old end
	stat -c '%s' f
	sha256sum f
	rc truncate -s 0 f
	stat -c '%s' f
	# truncate while another descriptor has the file open and wrote
	exec 3>g
	printf 'abcdefghij' >&3
	rc truncate -s 4 g
	printf 'XY' >&3 # at offset 10: a hole from 4 to 10
	exec 3>&-
	od -c g
}

case_rename() {
	echo a >a
	echo b >b
	rc mv a b # over an existing file
	cat b
	[[ -e a ]] && echo "a still there"
	echo c >c
	rc mv -n c b # RENAME_NOREPLACE: b stays
	cat b c
	mkdir -p d/e
	cp "$tmp/src/4096" d/e/f
	rc mv d d2 # a directory with contents
	rc cmp "$tmp/src/4096" d2/e/f
	[[ -e d ]] && echo "d still there"
	rc mv b d2/e/b # into a subdirectory
	cat d2/e/b
	ls -A
}

case_unlink() {
	echo x >f
	cp "$tmp/src/65537" g
	rc rm f
	[[ -e f ]] && echo "f still there"
	rc rm g
	rc rm f
	ls -A
	# a name removed and made again is a new file
	echo one >h
	rm h
	echo two >h
	cat h
}

case_dirs() {
	rc mkdir -p a/b/c
	rc mkdir a
	echo x >a/b/f
	rc rmdir a/b
	rc rm a/b/f
	rc rmdir a/b/c
	rc rmdir a/b
	rc rmdir a
	rc rmdir a
	ls -A
}

case_readdir() {
	local i
	for ((i = 0; i < 300; i++)); do
		: >"file $i with a longer name to fill the readdir buffer"
	done
	mkdir sub 'dir é ü'
	echo x >'dir é ü/ünïcödé.txt'
	# shellcheck disable=SC2012 # the listing as ls prints it, sorted
	ls -A | LC_ALL=C sort | sha256sum
	find . -mindepth 1 -maxdepth 1 | wc -l
	ls -A 'dir é ü'
	# a second pass over the same directory (rewinddir) sees the same
	find . -mindepth 1 | LC_ALL=C sort | sha256sum
}

case_fallocate() {
	rc fallocate -l 1048576 f
	stat -c '%s' f
	rc cmp -n 1048576 f /dev/zero
	cp "$tmp/src/65537" g
	rc fallocate -l 100000 g # longer, bytes kept
	stat -c '%s' g
	rc cmp -n 65537 "$tmp/src/65537" g
	cp "$tmp/src/65537" h
	rc fallocate -p -o 4096 -l 8192 h # punch a hole: zeros, same size
	stat -c '%s' h
	sha256sum h
}

# O_DIRECT beside buffered I/O on one file: each sees the other's bytes
case_direct() {
	cp "$tmp/src/1048576" f
	rc dd if="$tmp/src/65537" of=f bs=4096 count=4 seek=2 conv=notrunc status=none
	dd if=f bs=4096 skip=2 count=4 iflag=direct status=none | sha256sum
	rc dd if="$tmp/src/4096" of=f bs=4096 seek=100 oflag=direct conv=notrunc status=none
	dd if=f bs=4096 skip=100 count=1 status=none | sha256sum
	rc dd if="$tmp/src/65537" of=g bs=65536 count=1 oflag=direct status=none
	stat -c '%s' g
	sha256sum f g
}

# Times (utimensat: touch, futimens) are set on the server, to its 100 ns;
# chown is accepted and changes nothing (no owner without the unix
# extensions; uid= is shown), chmod keeps only "writable or not" (the
# read-only attribute; checked on the mount alone below): their exit codes
# are compared, not the modes. Also through descriptors, a directory's
# too (the kernel hands its handle to setattr). Where SMB differs: once
# times were set through a handle, the server no longer moves the
# modification time for that handle's later writes and size changes
# (Windows' rule, MS-FSA 2.1.5.14.2); tmpfs does. So the times go last.
case_attrs() {
	echo x >f
	mkdir d
	rc touch -d '2020-01-02 03:04:05.5' f
	stat -c '%y' f
	rc touch -m -d @1600000000 d
	stat -c '%Y' d
	rc chown "$(id -u):$(id -g)" f
	rc chmod 644 f
	python3 -c 'import os
t = 1500000000123456700
fd = os.open("d", os.O_RDONLY)
os.utime(fd, ns=(t, t))
os.fchmod(fd, 0o755)
os.close(fd)
fd = os.open("f", os.O_RDWR)
os.write(fd, b"yz")
os.ftruncate(fd, 3)
os.utime(fd, ns=(t + 100, t + 200))
os.close(fd)
print(os.stat("d").st_mtime_ns - t, os.stat("f").st_mtime_ns - t)'
	od -c f
}

case_statfs() {
	df -B1 . >/dev/null
	echo "rc=$? df"
	stat -f . >/dev/null
	echo "rc=$? stat -f"
}

# Symbolic links (the mount has -o mfsymlinks: each is a file of cifs'
# link format on the server, 1067 bytes, shown as a link; the trees are
# compared with that format read independently, below). Also files that
# only look like one: 1067 other bytes, "XSym" with a wrong digest.
case_symlink() {
	echo data >f
	mkdir d
	echo x >d/g
	rc ln -s f l
	rc ln -s ../f d/up
	rc ln -s /no/such/abs dangling
	rc ln -s d ld
	rc ln -s "$(printf '%01024d' 7)" long # cifs' longest target
	readlink l d/up dangling ld
	readlink long | wc -c
	stat -c '%s %F %N' l d/up dangling ld
	cat l d/up
	ls ld
	rc cat dangling
	rc ln -s g l # the name exists
	rc mv l l2
	readlink l2
	rc rm l2 dangling
	[[ -e f ]] && echo "f stays"
	head -c 1067 "$tmp/src/65537" >plain
	python3 -c 'import hashlib
t = b"f"
b = b"XSym\n0001\n" + hashlib.md5(b"g").hexdigest().encode() + b"\n" + t + b"\n"
open("fake", "wb").write(b + b" " * (1067 - len(b)))'
	stat -c '%s %F' plain fake
	# the types readdir gives (no stat: d_type)
	python3 -c 'import os
for e in sorted(os.scandir("."), key=lambda e: e.name):
    print(e.name, e.is_symlink(), e.is_dir(follow_symlinks=False))'
}

# Hard links (SET_INFO FileLinkInformation): one inode, the link count
# through every name, a write through one read through the others at
# once (no name's attributes are kept stale), an existing name refused,
# unlinking one name leaves the rest.
case_hardlink() {
	echo one >f
	rc ln f g
	stat -c '%h %s' f g
	[[ $(stat -c %i f) == "$(stat -c %i g)" ]] && echo "same inode"
	echo two >>g
	cat f
	stat -c '%h %s' f
	mkdir d
	rc ln g d/h
	stat -c %h f
	rc ln f g
	rc rm f
	stat -c '%h %s' g d/h
	printf X | dd of=d/h conv=notrunc status=none
	cat g
}

# tree_of DIR: each name with its type; a file's sha256, a link's target.
# A regular file in cifs' mfsymlinks format (exactly that: size, digest,
# padding) is a link: the server's disk holds the mount's links so.
tree_of() {
	python3 - "$1" <<'PY'
import hashlib, os, sys

def xsym(p):
    with open(p, "rb") as f:
        b = f.read(1068)
    if len(b) != 1067 or b[:5] != b"XSym\n" or b[9:10] != b"\n" or b[42:43] != b"\n":
        return None
    n = int(b[5:9])
    t, rest = b[43:43 + n], b[43 + n:]
    if hashlib.md5(t).hexdigest().encode() != b[10:42]:
        return None
    if rest and rest != b"\n" + b" " * (len(rest) - 1):
        return None
    return t.decode()

root, out = sys.argv[1], []
for dp, dns, fns in os.walk(root):
    for n in dns + fns:
        p = os.path.join(dp, n)
        r = os.path.relpath(p, root)
        if os.path.islink(p):
            out.append(f"l {r} -> {os.readlink(p)}")
        elif os.path.isdir(p):
            out.append(f"d {r}")
        elif (t := xsym(p)) is not None:
            out.append(f"l {r} -> {t}")
        else:
            with open(p, "rb") as f:
                out.append(f"f {r} {hashlib.sha256(f.read()).hexdigest()}")
print("\n".join(sorted(out)))
PY
}

# same_tree A B: the same names and types, files with the same bytes,
# links with the same targets.
same_tree() {
	local a=$1 b=$2 d
	for d in a b; do
		tree_of "${!d}" >"$tmp/tree.$d"
	done
	diff -u "$tmp/tree.a" "$tmp/tree.b" >"$tmp/tree.diff" ||
		integ_fail "$a and $b differ (names, types or bytes): $(cat "$tmp/tree.diff")"
}

run_case() {
	local name=$1 t0=$EPOCHREALTIME
	mkdir "$mnt/$name" "$ref/$name"
	(
		set +e +o pipefail
		# shellcheck disable=SC2030 # each run its own ALT, on purpose
		export ALT=$ref/$name
		cd "$ref/$name" && "case_$name"
	) >"$tmp/out.ref" 2>&1
	(
		set +e +o pipefail
		# shellcheck disable=SC2031 # each run its own ALT, on purpose
		export ALT=$mntb/$name
		cd "$mnt/$name" && "case_$name"
	) >"$tmp/out.mnt" 2>&1
	diff -u "$tmp/out.ref" "$tmp/out.mnt" >"$tmp/out.diff" ||
		integ_fail "$name: the mount (+) differs from tmpfs (-): $(cat "$tmp/out.diff")"
	same_tree "$ref/$name" "$mnt/$name"
	same_tree "$ref/$name" "$disk/$name"
	echo "ok: $name: the same output on the mount and on tmpfs (below; $(
		echo "$EPOCHREALTIME - $t0" | bc -l | cut -c1-5) s); the mount, tmpfs and the server's disk hold the same"
	sed 's/^/    /' "$tmp/out.mnt"
}

for c in write_read pwrite pread append append_other trunc_excl truncate rename unlink dirs readdir fallocate direct attrs statfs symlink hardlink; do
	run_case "$c"
done

# chmod on the mount: no write bit is the read-only attribute, which the
# server enforces (for root too); a write bit takes it away
chmod 444 "$mnt/attrs/f"
[[ $(stat -c %A "$mnt/attrs/f") == -r-xr-xr-x ]] || integ_fail "chmod 444: $(stat -c %A "$mnt/attrs/f")"
if echo more 2>/dev/null >>"$mnt/attrs/f"; then
	integ_fail "wrote to a file made read-only"
fi
chmod 644 "$mnt/attrs/f"
[[ $(stat -c %A "$mnt/attrs/f") == -rwxr-xr-x ]] || integ_fail "chmod 644: $(stat -c %A "$mnt/attrs/f")"
echo more >>"$mnt/attrs/f" || integ_fail "cannot write after chmod 644"
echo "ok: chmod maps to the read-only attribute and back"

# unlink of an open file, where SMB differs (docs/cli.md "Unlink of an
# open file"): on tmpfs the name goes at once and can be made again; on
# the server the delete waits for the file's last handle (delete-on-
# close), so the descriptor still reads and writes the file, the name
# cannot be opened (ENOENT) and a create of it fails at once with EBUSY
# (the handle is this mount's own: nothing to wait for), the file stays
# on the server's disk; once the descriptor is closed the file is gone
# (the handle is not kept after that close: deferred close would keep
# the name taken) and the name can be made again.
u=$mnt/unlink
printf 'kept\n' >"$u/o"
exec {ufd}<>"$u/o"
rm "$u/o" || integ_fail "unlink of an open file failed"
[[ $(cat <&"$ufd") == kept ]] || integ_fail "unlink of an open file: the descriptor no longer reads it"
[[ -e $u/o ]] && integ_fail "unlink of an open file: the name still opens"
if printf 'new\n' 2>"$tmp/unlink.err" >"$u/o"; then
	integ_fail "unlink of an open file: the name was made again while the file is open"
fi
grep -q 'busy' "$tmp/unlink.err" || integ_fail "unlink of an open file: a create failed with: $(cat "$tmp/unlink.err")"
[[ -e $disk/unlink/o ]] || integ_fail "unlink of an open file: gone from the server's disk while open"
exec {ufd}>&-
# the release after close(2) reaches the daemon on its own time: a bounded
# poll, a hang guard only
for ((i = 0; i < 1200; i++)); do
	[[ -e $disk/unlink/o ]] || break
	sleep 0.05
done
[[ -e $disk/unlink/o ]] && integ_fail "unlink of an open file: still on the server's disk after its close"
printf 'new\n' >"$u/o" || integ_fail "unlink of an open file: the name cannot be made again after the close"
[[ $(cat "$u/o") == new ]] || integ_fail "unlink of an open file: the new file reads '$(cat "$u/o")'"
rm "$u/o"
echo "ok: unlink of an open file: readable through its descriptor, the name refused (EBUSY) until it is closed, then free"

# statfs: the share's totals are the server's file system's
read -r m_blocks m_bsize < <(stat -f -c '%b %S' "$mnt")
read -r d_blocks d_bsize < <(stat -f -c '%b %S' "$disk")
[[ $((m_blocks * m_bsize)) -eq $((d_blocks * d_bsize)) ]] ||
	integ_fail "statfs: mount says $m_blocks x $m_bsize bytes, the server's disk $d_blocks x $d_bsize"
echo "ok: statfs totals match the server's file system"

# the listing through the mount is the server's directory on disk
diff <(find "$mnt/readdir" -mindepth 1 -printf '%P\n' | LC_ALL=C sort) \
	<(find "$disk/readdir" -mindepth 1 -printf '%P\n' | LC_ALL=C sort) >/dev/null ||
	integ_fail "readdir: the mount's listing differs from the server's disk"
echo "ok: readdir equals the server's directory"

# symlinks where SMB differs: cifs' format holds 1024 bytes of target
# (tmpfs 4095); on the server a link is a regular file of 1067 bytes;
# a mount without mfsymlinks (the default, $mntb) shows that file and
# refuses symlink(2) with EPERM; a link file written on the server's disk
# by another program (this script: the format as cifs documents it) is a
# link on the mount
long=$(printf '%01025d' 7)
if ln -s "$long" "$mnt/symlink/toolong" 2>"$tmp/ln.err"; then
	integ_fail "symlink: a 1025-byte target was taken"
fi
grep -q "File name too long" "$tmp/ln.err" || integ_fail "symlink 1025: $(cat "$tmp/ln.err")"
[[ $(stat -c '%s %F' "$disk/symlink/ld") == "1067 regular file" ]] ||
	integ_fail "symlink on the server's disk: $(stat -c '%s %F' "$disk/symlink/ld")"
[[ $(stat -c '%s %F' "$mntb/symlink/ld") == "1067 regular file" ]] ||
	integ_fail "without mfsymlinks: $(stat -c '%s %F' "$mntb/symlink/ld")"
if ln -s f "$mntb/symlink/nolink" 2>"$tmp/ln.err"; then
	integ_fail "symlink without mfsymlinks succeeded"
fi
grep -q "Operation not permitted" "$tmp/ln.err" || integ_fail "symlink without mfsymlinks: $(cat "$tmp/ln.err")"
# (in a directory the mount has never seen: in one it listed, a name made
# behind its back stays "no such file" for up to acdirmax, docs/cli.md,
# and the check would depend on how long ago that listing was)
mkdir -p "$disk/byhand/d"
echo x >"$disk/byhand/d/g"
python3 -c 'import hashlib, sys
t = sys.argv[2].encode()
b = b"XSym\n%04d\n" % len(t) + hashlib.md5(t).hexdigest().encode() + b"\n" + t + b"\n"
open(sys.argv[1], "wb").write(b + b" " * (1067 - len(b)))' "$disk/byhand/link" "d/g"
[[ $(readlink "$mnt/byhand/link") == d/g && $(cat "$mnt/byhand/link") == x ]] ||
	integ_fail "a link file made on the server: '$(readlink "$mnt/byhand/link")'"
echo "ok: symlinks: 1024 bytes at most (ENAMETOOLONG), 1067-byte files on the server, plain files and EPERM without mfsymlinks, cifs' files read as links"

# ---- unmount -----------------------------------------------------------------
smbiov umount "$mntb"
expect_ok "smbiov umount (the second mount)"
wait_gone "$daemon_b" || integ_fail "the second mount's process $daemon_b did not exit after umount"
daemon_b=
smbiov umount "$mnt"
expect_ok "smbiov umount"
mountpoint -q "$mnt" && integ_fail "still mounted after smbiov umount"
wait_gone "$daemon_pid" || integ_fail "the mount process $daemon_pid did not exit after umount"
daemon_pid=
echo "ok: umount, and the mount process exited"

# ---- failures at mount time ------------------------------------------------
mkdir -p "$tmp/mnt2"
SMBIOV_PASSWORD=wrong-password smbiov mount "$(url "$SMB_PORT" "$SMB_SHARE")" "$tmp/mnt2"
expect_fail "mount with a wrong password" 3 "authentication"
mountpoint -q "$tmp/mnt2" && integ_fail "a failed mount left a mount"
[[ -z $(daemon_of "$tmp/mnt2") ]] || integ_fail "a failed mount left a process: $(daemon_of "$tmp/mnt2")"

smbiov mount "$(url "$SMB_PORT" no-such-share-here)" "$tmp/mnt2"
expect_fail "mount of a missing share" 5
smbiov mount "$(url "$SMB_PORT" "$SMB_SHARE" "no-such-dir-$run_id")" "$tmp/mnt2"
expect_fail "mount of a missing directory" 6
smbiov mount -o cache=strict,bogus "$(url "$SMB_PORT" "$SMB_SHARE")" "$tmp/mnt2"
expect_fail "an unknown option" 2 "unknown option 'bogus'"
smbiov mount -o password=x "$(url "$SMB_PORT" "$SMB_SHARE")" "$tmp/mnt2"
expect_fail "a password option" 2 "not taken from the command line"
smbiov mount "$(url "$SMB_PORT" "$SMB_SHARE")" "$tmp/no-such-dir"
expect_fail "a missing mount point" 8 "mount point"
mountpoint -q "$tmp/mnt2" && integ_fail "a refused mount left a mount"
[[ -z $(daemon_of "$tmp/mnt2") ]] || integ_fail "a refused mount left a process"
echo "ok: failed mounts leave neither a mount nor a process"

# ---- -f: foreground until a signal; ro -----------------------------------------
mkdir -p "$tmp/mnt3"
"$SMBIOV_CLI" mount -f -o ro,cache=none "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")" "$tmp/mnt3" \
	2>"$tmp/fg.err" &
daemon_pid=$!
for ((i = 0; i < 600; i++)); do
	mountpoint -q "$tmp/mnt3" && break
	kill -0 "$daemon_pid" 2>/dev/null || integ_fail "mount -f exited: $(cat "$tmp/fg.err")"
	sleep 0.1
done
mountpoint -q "$tmp/mnt3" || integ_fail "mount -f: not mounted"
cmp -s "$tmp/src/65537" "$tmp/mnt3/write_read/f65537" || integ_fail "mount -f: read back differs"
if echo x 2>"$tmp/ro.err" >"$tmp/mnt3/new"; then
	integ_fail "a write on a ro mount succeeded"
fi
grep -q "Read-only file system" "$tmp/ro.err" || integ_fail "ro: $(cat "$tmp/ro.err")"
kill -TERM "$daemon_pid"
fg_rc=0
wait "$daemon_pid" || fg_rc=$?
daemon_pid=
[[ $fg_rc -eq 0 ]] || integ_fail "mount -f exited $fg_rc on SIGTERM: $(cat "$tmp/fg.err")"
mountpoint -q "$tmp/mnt3" && integ_fail "mount -f: still mounted after SIGTERM"
echo "ok: mount -f serves in the foreground, ro refuses writes, SIGTERM unmounts"

# ---- mount(8) and /etc/fstab ---------------------------------------------------
# mount -t fuse.smbiov (and an fstab line of that type) runs mount.fuse3,
# which runs "smbiov SOURCE DIR -o OPTIONS" found on mount(8)'s own PATH
# (/usr/local/bin, where the install puts it: linked there for the test
# when nothing is; -t fuse with PROGRAM#SOURCE names it instead): cifs'
# //host[:port]/share/path source, credentials= the only password,
# mount(8)'s own options (nosuid, nodev, _netdev, noauto, x-systemd.*)
# taken; umount(8) unmounts and the process exits. (What would be root's
# fstab is a file of the test's: mount -T.)
# at_mount DIR: the processes serving DIR through mount.fuse3's command
at_mount() {
	local p args
	for p in /proc/[0-9]*; do
		args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		if [[ $args == *smbiov\ *" $1 "* ]]; then
			echo "${p#/proc/}"
		fi
	done
}
if command -v mount.fuse3 >/dev/null; then
	mkdir -p "$tmp/mnt2"
	printf 'username=%s\npassword=%s\n' "$SMB_USER" "$SMB_PASS" >"$tmp/cred"
	chmod 600 "$tmp/cred"
	src="//$SMB_HOST:$SMB_PORT/$SMB_SHARE/$run_id"
	opts="credentials=$tmp/cred,mfsymlinks,nosuid,nodev"
	printf '%s %s fuse.smbiov %s,_netdev,noauto,x-systemd.automount 0 0\n' \
		"$src" "$tmp/mnt2" "$opts" >"$tmp/fstab"
	hows=("-t fuse -o $opts $SMBIOV_CLI#$src $tmp/mnt2")
	if [[ ! -e /usr/local/bin/smbiov ]]; then
		ln -s "$SMBIOV_CLI" /usr/local/bin/smbiov
		linked_smbiov=1
	fi
	if [[ $(readlink /usr/local/bin/smbiov) == "$SMBIOV_CLI" ]]; then
		hows+=("-t fuse.smbiov -o $opts $src $tmp/mnt2" "-T $tmp/fstab $tmp/mnt2")
	else
		echo "note: /usr/local/bin/smbiov is another smbiov: mount -t fuse.smbiov would run it, not tried"
	fi
	for how in "${hows[@]}"; do
		rc=0
		# shellcheck disable=SC2086 # the words of $how
		env -u SMBIOV_PASSWORD timeout 120 mount $how </dev/null >"$tmp/out" 2>"$tmp/err" || rc=$?
		expect_ok "mount $how"
		daemon_pid=$(at_mount "$tmp/mnt2")
		[[ -n $daemon_pid && $daemon_pid != *" "* ]] || integ_fail "mount $how: no single process: '$daemon_pid'"
		grep -q "^//$SMB_HOST/$SMB_SHARE/$run_id $tmp/mnt2 fuse.smbiov rw,nosuid,nodev," /proc/mounts ||
			integ_fail "mount $how: $(grep " $tmp/mnt2 " /proc/mounts)"
		cmp -s "$tmp/src/65537" "$tmp/mnt2/write_read/f65537" || integ_fail "mount $how: read back differs"
		[[ $(readlink "$tmp/mnt2/symlink/ld") == d ]] || integ_fail "mount $how: mfsymlinks not taken"
		umount "$tmp/mnt2" || integ_fail "umount after mount $how"
		wait_gone "$daemon_pid" || integ_fail "the process of mount $how did not exit after umount"
		daemon_pid=
		echo "ok: mount $how (through mount.fuse3), umount"
	done
	if [[ -n ${linked_smbiov:-} ]]; then
		rm -f /usr/local/bin/smbiov
		linked_smbiov=
	fi
else
	echo "note: no mount.fuse3 (Debian package fuse3): mount -t fuse.smbiov is not tried"
fi

# ---- the server gone while mounted ------------------------------------------
# mount_reconnect.sh: calls fail with EIO (after reconnect=), none hangs,
# the mount comes back with the server, umount works.

# ---- allow_other, and a mount by a user who is not root -------------------
# (a mount point that user can reach: $tmp is private to root)
pub=$(mktemp -d /tmp/smbiov_mount_pub.XXXXXX)
chmod 0755 "$pub"
mkdir "$pub/m"
chown nobody "$pub/m"
smbiov mount "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")" "$pub/m"
expect_ok "mount for allow_other"
daemon_pid=$(daemon_of "$pub/m")
if runuser -u nobody -- cat "$pub/m/write_read/f65537" >/dev/null 2>&1; then
	integ_fail "another user read through a mount without allow_other"
fi
smbiov umount "$pub/m"
expect_ok "umount"
wait_gone "$daemon_pid" || integ_fail "mount process did not exit"
smbiov mount -o allow_other "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")" "$pub/m"
expect_ok "mount -o allow_other"
daemon_pid=$(daemon_of "$pub/m")
# ($tmp is root's: the other user only reads the mount)
runuser -u nobody -- cat "$pub/m/write_read/f65537" | cmp -s "$tmp/src/65537" - ||
	integ_fail "another user cannot read through a mount with allow_other"
smbiov umount "$pub/m"
expect_ok "umount"
wait_gone "$daemon_pid" || integ_fail "mount process did not exit"
echo "ok: without allow_other only the mounting user gets in; with it, others too"

# fusermount3 (setuid) mounts for a user who may open /dev/fuse: Debian's
# udev makes it 0666, these machines have no udev (fuse-notes.md)
fuse_mode=$(stat -c %a /dev/fuse)
chmod 0666 /dev/fuse
rc=0
runuser -u nobody -- "$SMBIOV_CLI" mount "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")" "$pub/m" \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
expect_ok "mount by nobody"
daemon_pid=$(daemon_of "$pub/m")
[[ $(stat -c %U "/proc/$daemon_pid") == nobody ]] || integ_fail "the mount process is not nobody's"
runuser -u nobody -- dd of="$pub/m/by-nobody" bs=64K status=none <"$tmp/src/65537" 2>"$tmp/err" ||
	integ_fail "nobody cannot write through its own mount: $(cat "$tmp/err")"
cmp -s "$tmp/src/65537" "$disk/by-nobody" || integ_fail "nobody's file differs on the server's disk"
rc=0
runuser -u nobody -- "$SMBIOV_CLI" umount "$pub/m" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_ok "umount by nobody"
wait_gone "$daemon_pid" || integ_fail "nobody's mount process did not exit"
daemon_pid=
chmod "$fuse_mode" /dev/fuse
fuse_mode=
echo "ok: a user who is not root mounts, writes and unmounts through fusermount3"

mount_sanitizer_check

echo "PASS: mount_posix"
