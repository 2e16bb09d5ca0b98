#!/usr/bin/env bash
# smbiov mount: sparse files (SEEK_DATA/SEEK_HOLE, hole punching, the
# sparse mark) and user extended attributes, each case run on the mount
# and on a local tmpfs. A case states what it expects on each: the same
# where SMB has it, the documented difference where it has not (docs/
# cli.md, "smbiov mount"), so both a regression on the mount and a
# change in what the kernel does fail the test.
#
# Sparse: a file written with a gap (Samba reports a file not marked
# sparse as all data: no hole there on the mount, while the server's disk
# has one); a file grown by ftruncate (the mount marks it sparse, as
# cifs) and then written through the same descriptor (cached data counts
# as data); a hole punched into a written file (marked sparse, then
# FSCTL_SET_ZERO_DATA: the hole reads as zeros, takes no space on the
# server's disk and SEEK_HOLE finds it, also through a descriptor opened
# before the punch and one opened after); an empty file; ENXIO at and
# past the end. Extended attributes: set/get/list/remove, size probes
# (0-byte buffer) and ERANGE, XATTR_CREATE/REPLACE, ENODATA, binary
# values, a directory's, names differing in case, an empty value, a
# value over 65535 bytes, namespaces other than user.; an EA set through
# the mount as smbclient sees it (geteas) and as the server's disk holds
# it (Samba keeps EA NAME as the xattr user.NAME).
#
# The mount is always unmounted and its process gone when the script
# ends, pass or fail (EXIT trap). Nothing depends on timing.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup
: "${SMB_ROOT:?}"

[[ -c /dev/fuse ]] || integ_skip "no /dev/fuse"
command -v fusermount3 >/dev/null || integ_skip "fusermount3 not installed (scripts/install-deps)"
command -v mountpoint >/dev/null || integ_skip "mountpoint not installed"
# the system's python3: a pyenv shim on PATH costs a second per start
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3) || integ_skip "python3 not installed"
[[ $(id -u) -eq 0 ]] || integ_skip "needs root (a tmpfs for the reference runs)"
if "$SMBIOV_CLI" mount 2>&1 | grep -q 'built without libfuse3'; then
	integ_skip "smbiov was built without libfuse3 (scripts/install-deps)"
fi

# sanitizer reports of the daemon go to files, checked at the end
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$tmp/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$tmp/ubsan"

run_id=sx$$
mnt=$tmp/mnt
ref=$tmp/ref
disk=$SMB_ROOT/$SMB_SHARE/$run_id
mkdir -p "$mnt" "$ref"
daemon_pid=

# The process serving the mount point: smbiov mount with it in argv.
daemon_of() {
	local p args
	for p in /proc/[0-9]*; do
		args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		if [[ $args == "$SMBIOV_CLI "*"mount "*" $1 " ]]; then
			echo "${p#/proc/}"
		fi
	done
}

cleanup() {
	local i
	if mountpoint -q "$mnt" 2>/dev/null; then
		"$SMBIOV_CLI" umount "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null || true
	fi
	if [[ -n $daemon_pid ]]; then
		# a hang guard only: the process exits once unmounted
		for ((i = 0; i < 300; i++)); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$daemon_pid" 2>/dev/null || true
	fi
	mountpoint -q "$ref" 2>/dev/null && umount "$ref"
	if ! mountpoint -q "$mnt" 2>/dev/null; then
		rm -rf "$tmp"
	fi
	rm -rf "$disk"
}
trap cleanup EXIT

mount -t tmpfs -o size=64m tmpfs "$ref"
smbiov mkdir "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")"
expect_ok "mkdir the test directory"
smbiov mount "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id")" "$mnt"
expect_ok "smbiov mount"
mountpoint -q "$mnt" || integ_fail "smbiov mount returned 0 but $mnt is not mounted"
daemon_pid=$(daemon_of "$mnt")
[[ -n $daemon_pid && $daemon_pid != *" "* ]] ||
	integ_fail "no (or more than one) mount process for $mnt: '$daemon_pid'"

# The cases, in Python (lseek, fallocate and the xattr calls with their
# buffer sizes). Each observation is checked against what is expected on
# tmpfs ("tmpfs") or on the mount ("smb"); every line is printed.
cat >"$tmp/cases.py" <<'PY'
import ctypes, errno, os, sys

where, side = sys.argv[1], sys.argv[2]
os.chdir(where)
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64,
                           ctypes.c_int64]
libc.getxattr.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                          ctypes.c_void_p, ctypes.c_size_t]
libc.getxattr.restype = ctypes.c_ssize_t
libc.listxattr.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.listxattr.restype = ctypes.c_ssize_t
KiB, MiB = 1024, 1 << 20
failed = 0


def res(fn, *a):
    """fn's result, or the errno's name."""
    try:
        return fn(*a)
    except OSError as e:
        return errno.errorcode[e.errno]


def expect(what, got, tmpfs, smb=None):
    global failed
    want = tmpfs if side == "tmpfs" or smb is None else smb
    ok = got == want
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {got!r}"
          + ("" if ok else f" (expected {want!r})"))


def seeks(fd, offs):
    return [(o, res(os.lseek, fd, o, os.SEEK_DATA),
             res(os.lseek, fd, o, os.SEEK_HOLE)) for o in offs]


def cget(path, name, size):
    """getxattr(2) with a buffer of size bytes: (result, errno name)."""
    buf = ctypes.create_string_buffer(max(size, 1))
    n = libc.getxattr(path.encode(), name.encode(), buf if size else None,
                      size)
    return n if n >= 0 else errno.errorcode[ctypes.get_errno()]


def clist(path, size):
    buf = ctypes.create_string_buffer(max(size, 1))
    n = libc.listxattr(path.encode(), buf if size else None, size)
    return n if n >= 0 else errno.errorcode[ctypes.get_errno()]


def punch(fd, off, length):
    # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
    r = libc.fallocate(fd, 3, off, length)
    return 0 if r == 0 else errno.errorcode[ctypes.get_errno()]


def case_gap():
    # 4 KiB at 0 and at 1 MiB: a gap Linux file systems leave a hole
    size = MiB + 4 * KiB
    fd = os.open("gap", os.O_RDWR | os.O_CREAT, 0o644)
    os.pwrite(fd, b"a" * 4096, 0)
    os.pwrite(fd, b"b" * 4096, MiB)
    os.close(fd)
    fd = os.open("gap", os.O_RDONLY)
    got = seeks(fd, [0, 100, 4096, MiB, size - 1, size, size + 10])
    os.close(fd)
    with open("gap", "rb") as f:
        expect("gap: reads back", f.read() == b"a" * 4096 +
               bytes(MiB - 4096) + b"b" * 4096, True)
    # Samba reports a file not marked sparse as all data
    expect("gap: (offset, SEEK_DATA, SEEK_HOLE)", got,
           [(0, 0, 4096), (100, 100, 4096), (4096, MiB, 4096),
            (MiB, MiB, size), (size - 1, size - 1, size),
            (size, "ENXIO", "ENXIO"), (size + 10, "ENXIO", "ENXIO")],
           [(0, 0, size), (100, 100, size), (4096, 4096, size),
            (MiB, MiB, size), (size - 1, size - 1, size),
            (size, "ENXIO", "ENXIO"), (size + 10, "ENXIO", "ENXIO")])


def case_grown():
    # ftruncate grows it by far more than 8 KiB: the mount marks it
    # sparse; then a write through the same descriptor, not yet written
    # back: cached data is data
    fd = os.open("grown", os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, b"g" * 4096)
    os.ftruncate(fd, MiB)
    os.pwrite(fd, b"w" * 4096, 512 * KiB)
    got = seeks(fd, [0, 4096, 512 * KiB, 516 * KiB, MiB - 1, MiB])
    os.close(fd)
    expect("grown: (offset, SEEK_DATA, SEEK_HOLE)", got,
           [(0, 0, 4096), (4096, 512 * KiB, 4096),
            (512 * KiB, 512 * KiB, 516 * KiB),
            (516 * KiB, "ENXIO", 516 * KiB),
            (MiB - 1, "ENXIO", MiB - 1), (MiB, "ENXIO", "ENXIO")])
    expect("grown: size", os.stat("grown").st_size, MiB)


def case_punch():
    # 192 KiB of data; a hole punched into its middle 64 KiB
    with open("punch", "wb") as f:
        f.write(b"p" * (192 * KiB))
    early = os.open("punch", os.O_RDONLY)  # opened before the punch
    fd = os.open("punch", os.O_RDWR)
    expect("punch: fallocate PUNCH_HOLE|KEEP_SIZE",
           punch(fd, 64 * KiB, 64 * KiB), 0)
    got = seeks(fd, [0, 64 * KiB, 100 * KiB, 128 * KiB])
    os.close(fd)
    want = [(0, 0, 64 * KiB), (64 * KiB, 128 * KiB, 64 * KiB),
            (100 * KiB, 128 * KiB, 100 * KiB),
            (128 * KiB, 128 * KiB, 192 * KiB)]
    expect("punch: (offset, SEEK_DATA, SEEK_HOLE)", got, want)
    # Samba takes the sparse mark into a handle when it opens it: one
    # open from before the punch still reports all data
    expect("punch: SEEK_HOLE(0) through a descriptor opened before",
           res(os.lseek, early, 0, os.SEEK_HOLE), 64 * KiB, 192 * KiB)
    os.close(early)
    # (O_RDWR: a new handle; an O_RDONLY open may take back the early
    # one, kept after its close for closetimeo, and see what it sees)
    fd = os.open("punch", os.O_RDWR)
    expect("punch: the same through a new descriptor",
           seeks(fd, [0, 64 * KiB, 100 * KiB, 128 * KiB]), want)
    os.close(fd)
    st = os.stat("punch")
    expect("punch: size, bytes allocated", (st.st_size, st.st_blocks * 512),
           (192 * KiB, 128 * KiB))
    with open("punch", "rb") as f:
        data = f.read()
    expect("punch: the hole reads as zeros, the rest as written",
           (data[64 * KiB:128 * KiB] == bytes(64 * KiB),
            data[:64 * KiB] + data[128 * KiB:] == b"p" * (128 * KiB)),
           (True, True))


def case_empty():
    open("empty", "wb").close()
    fd = os.open("empty", os.O_RDONLY)
    expect("empty: SEEK_DATA, SEEK_HOLE at 0", seeks(fd, [0]),
           [(0, "ENXIO", "ENXIO")])
    os.close(fd)


def case_xattr():
    open("x", "wb").close()
    os.mkdir("xd")
    os.setxattr("x", "user.color", b"blue")
    expect("xattr: get", res(os.getxattr, "x", "user.color"), b"blue")
    expect("xattr: size probe, exact buffer, short buffer",
           [cget("x", "user.color", n) for n in (0, 4, 3)],
           [4, 4, "ERANGE"])
    expect("xattr: list", res(os.listxattr, "x"), ["user.color"])
    expect("xattr: list size probe, exact, short",
           [clist("x", n) for n in (0, 11, 10)], [11, 11, "ERANGE"])
    expect("xattr: XATTR_CREATE over an existing one",
           res(os.setxattr, "x", "user.color", b"red", os.XATTR_CREATE),
           "EEXIST")
    expect("xattr: XATTR_REPLACE of a missing one",
           res(os.setxattr, "x", "user.size", b"1", os.XATTR_REPLACE),
           "ENODATA")
    os.setxattr("x", "user.color", b"green", os.XATTR_REPLACE)
    os.setxattr("x", "user.size", b"L", os.XATTR_CREATE)
    expect("xattr: after REPLACE and CREATE",
           (res(os.getxattr, "x", "user.color"),
            sorted(res(os.listxattr, "x"))),
           (b"green", ["user.color", "user.size"]))
    expect("xattr: get a missing one", res(os.getxattr, "x", "user.none"),
           "ENODATA")
    expect("xattr: remove a missing one",
           res(os.removexattr, "x", "user.none"), "ENODATA")
    os.removexattr("x", "user.size")
    expect("xattr: removed", (res(os.getxattr, "x", "user.size"),
                              res(os.listxattr, "x")),
           ("ENODATA", ["user.color"]))
    blob = bytes(range(256)) * 8  # NULs and every byte value
    os.setxattr("x", "user.bin", blob)
    expect("xattr: a 2 KiB binary value",
           res(os.getxattr, "x", "user.bin") == blob, True)
    os.setxattr("xd", "user.dir", b"d")
    expect("xattr: a directory's", (res(os.listxattr, "xd"),
                                    res(os.getxattr, "xd", "user.dir")),
           (["user.dir"], b"d"))
    # SMB compares EA names without regard to case
    os.setxattr("x", "user.Case", b"C")
    expect("xattr: another case of the name",
           res(os.getxattr, "x", "user.case"), "ENODATA", b"C")
    # SMB: an EA with an empty value does not exist (setting one removes)
    expect("xattr: an empty value",
           (res(os.setxattr, "x", "user.empty", b""),
            res(os.getxattr, "x", "user.empty")),
           (None, b""), (None, "ENODATA"))
    # an EA value is at most 65535 bytes; Linux takes 65536
    expect("xattr: a 65536-byte value",
           res(os.setxattr, "x", "user.big", b"v" * 65536), None, "E2BIG")
    # a name SMB refuses (STATUS_INVALID_EA_NAME)
    expect("xattr: the name user.a:b",
           res(os.setxattr, "x", "user.a:b", b"1"), None, "EINVAL")
    if side == "tmpfs":
        os.removexattr("x", "user.a:b")
    # namespaces other than user.: none on SMB
    expect("xattr: security.x",
           res(os.getxattr, "x", "security.x"), "ENODATA", "ENOTSUP")
    expect("xattr: trusted.x set",
           res(os.setxattr, "x", "trusted.x", b"1"), None, "ENOTSUP")
    expect("xattr: list at the end", sorted(res(os.listxattr, "x")),
           ["trusted.x", "user.Case", "user.big", "user.bin", "user.color",
            "user.empty"],
           ["user.Case", "user.bin", "user.color"])
    # rename keeps them
    os.rename("x", "y")
    expect("xattr: kept by rename", res(os.getxattr, "y", "user.color"),
           b"green")


for name in sys.argv[3:]:
    globals()["case_" + name]()
print(f"{side}: {failed} failed")
sys.exit(1 if failed else 0)
PY

cases=(gap grown punch empty xattr)
for c in "${cases[@]}"; do
	mkdir "$ref/$c" "$mnt/$c"
	t0=$EPOCHREALTIME
	"$py" "$tmp/cases.py" "$ref/$c" tmpfs "$c" >"$tmp/out.ref" 2>&1 ||
		integ_fail "$c on tmpfs (the kernel's own answer changed?): $(cat "$tmp/out.ref")"
	"$py" "$tmp/cases.py" "$mnt/$c" smb "$c" >"$tmp/out.mnt" 2>&1 ||
		integ_fail "$c on the mount: $(cat "$tmp/out.mnt")"
	echo "ok: $c ($(echo "$EPOCHREALTIME - $t0" | bc -l | cut -c1-5) s); tmpfs / mount:"
	paste -d '\n' "$tmp/out.ref" "$tmp/out.mnt" | sed 's/^/    /'
done

# The server's side of it. The gap and the punched range are holes on
# its disk (Samba punches for FSCTL_SET_ZERO_DATA), whatever the mount
# reports for the first; the punched file carries the sparse mark.
"$py" - "$disk" <<'PY' || integ_fail "the server's disk: see above"
import os, sys
d = sys.argv[1]
bad = 0
for name, size, alloc in (("gap/gap", (1 << 20) + 4096, 8192),
                          ("punch/punch", 192 << 10, 128 << 10)):
    st = os.stat(os.path.join(d, name))
    got = (st.st_size, st.st_blocks * 512)
    print(f"disk: {name}: size, bytes allocated {got}")
    if got != (size, alloc):
        print(f"  expected {(size, alloc)}")
        bad = 1
sys.exit(bad)
PY
smbiov stat "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id/punch/punch")"
expect_ok "stat the punched file"
grep -q 'SPARSE_FILE' "$tmp/out" || integ_fail "the punched file is not marked sparse: $(cat "$tmp/out")"
smbiov stat "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id/gap/gap")"
expect_ok "stat the file with a gap"
! grep -q 'SPARSE_FILE' "$tmp/out" || integ_fail "the file with a gap is marked sparse: $(cat "$tmp/out")"
echo "ok: on the server's disk the gap and the punched range are holes; only the punched file is marked sparse"

# An EA set through the mount, as another SMB client sees it and as
# Samba stores it (EA NAME as the xattr user.NAME)
smbc "$SMB_PORT" "$SMB_SHARE" "geteas $run_id/xattr/y" --client-protection=off ||
	integ_fail "smbclient geteas: $(cat "$tmp/smbc")"
if ! grep -q '^color (0) =' "$tmp/smbc" || ! grep -q '67 72 65 65 6E' "$tmp/smbc"; then
	integ_fail "smbclient does not see EA color = green: $(cat "$tmp/smbc")"
fi
v=$("$py" -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.color").decode())' \
	"$disk/xattr/y") || integ_fail "no user.color on the server's disk"
[[ $v == green ]] || integ_fail "user.color on the server's disk is '$v'"
echo "ok: smbclient sees the EA color = green, the server's disk holds it as user.color"

rc=0
"$SMBIOV_CLI" umount "$mnt" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_ok "umount"
for ((i = 0; i < 300; i++)); do
	kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.1
done
! kill -0 "$daemon_pid" 2>/dev/null || integ_fail "the mount process did not exit"
daemon_pid=
! grep -q " $mnt " /proc/mounts || integ_fail "$mnt still in /proc/mounts"

reports=$(find "$tmp" -maxdepth 1 \( -name 'asan.*' -o -name 'ubsan.*' \) -exec cat {} +)
[[ -z $reports ]] || integ_fail "sanitizer reports: $reports"

echo "PASS: mount_sparse_xattr"
