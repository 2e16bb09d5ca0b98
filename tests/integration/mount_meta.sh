#!/usr/bin/env bash
# smbiov mount's metadata in fewer round trips (tools/smbiov/mount_meta.c,
# docs/cli.md "Caching", "Names and attributes"), counted on the wire by a
# relay between the mount and the server (CREATE-led messages: every
# lookup, getattr by name and listing starts with one; keepalives,
# closes and lease acknowledgements do not), and its invalidation:
#   - a lookup in a directory this mount made, or listed, of a name not
#     in it answers ENOENT without a message; so does a directory's stat
#     right after it was read (the kernel asks again after every readdir),
#     and find -exec stat over a tree costs its listings only;
#   - names this mount made after the listing (create, mkdir, rename
#     into, hard link, a rename of the case only) are found once the
#     kernel has forgotten its own entries; a directory changed by this
#     mount is asked for its attributes again;
#   - another client's new name (smbclient): with actimeo=0 found at
#     once, even right after a lookup of it failed; with actimeo=3600 the
#     listing's names hold (what the timeout promises, no clock needed).
# The mounts are always unmounted and their daemons gone at the end, pass
# or fail. Nothing depends on timing: the timeouts are 0 or an hour, and
# the relay counts a message before it forwards it, so a command's
# messages are counted once it has returned.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup meta
command -v smbclient >/dev/null || integ_skip "smbclient not installed"
# the system's python3: a pyenv shim on PATH costs a second per start
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3) || integ_fail "python3 not installed"

relay_pid=
trap 'mount_cleanup; [[ -z $relay_pid ]] || kill "$relay_pid" 2>/dev/null || true; mount_exit' EXIT

# The relay: prints "ready PORT CPORT"; counts the client's messages
# whose first command is CREATE (5); a connection to CPORT reads the
# count so far.
cat >"$tmp/relay.py" <<'PY'
import socket, sys, threading

host, port = sys.argv[1], int(sys.argv[2])
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(8)
csock = socket.socket()
csock.bind(("127.0.0.1", 0))
csock.listen(8)
print("ready", lsock.getsockname()[1], csock.getsockname()[1], flush=True)
lock = threading.Lock()
creates = 0


def count(msg):
    global creates
    # MS-SMB2 2.2.1: "\xfeSMB", then the command at offset 12
    if len(msg) >= 14 and msg[:4] == b"\xfeSMB" and \
            int.from_bytes(msg[12:14], "little") == 5:
        with lock:
            creates += 1


def pump(src, dst, up):
    buf = b""
    while True:
        try:
            data = src.recv(1 << 16)
        except OSError:
            data = b""
        if not data:
            break
        if up:
            # NBSS framing: a zero byte, a 24-bit length, the message;
            # counted before it is forwarded
            buf += data
            while len(buf) >= 4:
                n = int.from_bytes(buf[1:4], "big")
                if len(buf) < 4 + n:
                    break
                count(buf[4:4 + 64])
                buf = buf[4 + n:]
        try:
            dst.sendall(data)
        except OSError:
            break
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    s = socket.create_connection((host, port))
    threading.Thread(target=pump, args=(c, s, True), daemon=True).start()
    threading.Thread(target=pump, args=(s, c, False), daemon=True).start()


def control():
    while True:
        c, _ = csock.accept()
        with lock:
            n = creates
        c.sendall(b"%d\n" % n)
        c.close()


threading.Thread(target=control, daemon=True).start()
while True:
    c, _ = lsock.accept()
    serve(c)
PY

mkfifo "$tmp/relay.fifo"
"$py" "$tmp/relay.py" "$SMB_HOST" "$SMB_PORT" >"$tmp/relay.fifo" 2>"$tmp/relay.err" &
relay_pid=$!
exec 7<"$tmp/relay.fifo"
read -r -t 60 word port cport <&7 || integ_fail "the relay did not start: $(cat "$tmp/relay.err")"
[[ $word == ready ]] || integ_fail "the relay said '$word $port $cport'"

# creates: the CREATE-led messages the relay has seen so far
creates() {
	local n
	exec 8<>"/dev/tcp/127.0.0.1/$cport"
	read -r n <&8
	exec 8<&-
	echo "$n"
}

# absent PATH: stat PATH must fail with "No such file or directory"
absent() {
	if stat "$1" >/dev/null 2>"$tmp/stat.err"; then
		integ_fail "$1 exists through the mount"
	fi
	grep -q 'No such file' "$tmp/stat.err" ||
		integ_fail "stat $1: $(cat "$tmp/stat.err"), not ENOENT"
}

# present PATH: stat PATH must succeed
present() {
	stat "$1" >/dev/null 2>"$tmp/stat.err" ||
		integ_fail "stat $1 through the mount: $(cat "$tmp/stat.err")"
}

# forget: the kernel drops the dentries it does not use (FORGET to the
# daemon), so a stat of them is a LOOKUP again; a directory held open
# (exec 9<DIR) stays, with what the mount keeps of it
forget() {
	sync
	echo 2 >/proc/sys/vm/drop_caches
}

# smbd COMMANDS: smbclient in the test directory
smbd() {
	smbc "$SMB_PORT" "$SMB_SHARE" "$1" -D "$mount_dir" ||
		integ_fail "smbclient '$1': $(cat "$tmp/smbc")"
}

mkdir -p "$mount_disk/srv" "$mount_disk/tree"
for f in a b c; do
	echo "$f" >"$mount_disk/srv/$f"
done
for d in d1 d2 d3; do
	mkdir "$mount_disk/tree/$d"
	for f in 1 2 3 4 5; do
		echo "$d$f" >"$mount_disk/tree/$d/f$f"
	done
done
chown -R "$SMB_USER:" "$mount_disk"
echo x >"$tmp/x"

mnt=$tmp/mnt
mount_at "$mnt" "$(url "$port" "$SMB_SHARE" "$mount_dir")" actimeo=3600,closetimeo=0

# ---- a directory this mount made: known empty ----------------------------
mkdir "$mnt/new"
c0=$(creates)
absent "$mnt/new/x"
absent "$mnt/new/y.c"
c1=$(creates)
((c1 == c0)) || integ_fail "lookups in a directory the mount made empty: $((c1 - c0)) messages, want 0"
# what it then makes there is found (a tar's file after its lookup)
echo one >"$mnt/new/x"
exec 9<"$mnt/new"
forget
present "$mnt/new/x"
exec 9<&-
echo "ok: lookups of missing names in a directory the mount made: no message"

# ---- a listed directory --------------------------------------------------
ls "$mnt/srv" >/dev/null
c0=$(creates)
absent "$mnt/srv/missing"
absent "$mnt/srv/a.orig"
stat "$mnt/srv" >/dev/null
c1=$(creates)
((c1 == c0)) || integ_fail "after a listing, lookups of missing names and the directory's stat: $((c1 - c0)) messages, want 0"
echo "ok: after a listing, missing names and the directory's stat: no message"

# ---- find + stat: the listings only ----------------------------------------
forget
c0=$(creates)
find "$mnt/tree" -exec stat {} + >/dev/null
c1=$(creates)
# the lookup of tree, its 4 listings (each one message) and the statfs
# find asks; no stat (the directories' after their readdir neither)
((c1 - c0 == 6)) || integ_fail "find -exec stat over 4 directories, 15 files: $((c1 - c0)) messages, want 6"
echo "ok: find -exec stat over a tree of 4 directories: 6 messages"

# ---- names this mount makes after the listing -----------------------------
ls "$mnt/srv" >/dev/null
echo t >"$mnt/srv/t1"
mkdir "$mnt/srv/d1"
mv "$mnt/new/x" "$mnt/srv/m1"
ln "$mnt/srv/t1" "$mnt/srv/l1"
# (mv refuses: the server finds B as b, the same file)
"$py" -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$mnt/srv/b" "$mnt/srv/B"
rm "$mnt/srv/c"
exec 9<"$mnt/srv"
forget
for n in t1 d1 m1 l1 B a; do
	present "$mnt/srv/$n"
done
absent "$mnt/new/x"
absent "$mnt/srv/c"
exec 9<&-
echo "ok: names made by this mount after the listing are found (create, mkdir, rename into, link, case-only rename)"

# ---- a directory this mount changed: its attributes asked again -----------
ls "$mnt/srv" >/dev/null
# (srv/d1's listing, queued ahead by that ls, is taken now: the worker's
# message cannot land in a count below)
ls "$mnt/srv/d1" >/dev/null
stat "$mnt/srv" >/dev/null
c0=$(creates)
stat "$mnt/srv" >/dev/null
c1=$(creates)
((c1 == c0)) || integ_fail "a directory's stat again: $((c1 - c0)) messages, want 0"
touch "$mnt/srv/z"
c0=$(creates)
stat "$mnt/srv" >/dev/null
c1=$(creates)
((c1 > c0)) || integ_fail "the stat of a directory after the mount made a name in it was not asked of the server"
echo "ok: a directory's attributes are asked again after this mount changed it"

# ---- another client ----------------------------------------------------------
# actimeo=3600: the listing's names hold (another client's name is not
# seen, no clock: within the hour)
smbd "put $tmp/x srv/other1"
absent "$mnt/srv/other1"
# actimeo=0: seen at once, also right after a lookup of it failed
mntz=$tmp/mntz
mount_at "$mntz" "$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")" actimeo=0
ls "$mntz/srv" >/dev/null
absent "$mntz/srv/other2"
smbd "put $tmp/x srv/other2"
present "$mntz/srv/other2"
present "$mntz/srv/other1"
absent "$mntz/srv/other3"
smbd "put $tmp/x srv/other3"
present "$mntz/srv/other3"
mkdir "$mntz/newz"
absent "$mntz/newz/q"
smbd "put $tmp/x newz/q"
present "$mntz/newz/q"
echo "ok: another client's new names: actimeo=0 sees them at once, actimeo=3600 keeps the listing"

mount_umount "$mntz"
mount_umount "$mnt"
mount_none_left
mount_sanitizer_check
