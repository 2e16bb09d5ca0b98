#!/usr/bin/env bash
# smbiov mount's rsize=, wsize= and cache_size= (docs/cli.md, "Options")
# do what they say, seen from outside the mount:
#   - rsize=65536,wsize=65536: no message on the connection is bigger than
#     64 KiB of payload and its headers, either way, while 8 MiB files are
#     written and read through the mount (O_DIRECT and buffered, through
#     the file layer's cache: write-back and readahead), the bytes exact;
#     without the options the same traffic has bigger messages (the
#     server offers 8 MiB; the library sends up to 2 MiB), so the check
#     can fail. The sizes are measured by a relay between the mount and
#     the server that reads the 4-byte NBSS length of every message.
#   - cache_size=4M: after 8 MiB of 64 KiB buffered writes to a file still open
#     (no fsync, no close), the server already holds its first 4 MiB
#     exactly (a write waits for write-back once half the budget is
#     dirty); with the default budget (at least 64 MiB) it holds none of
#     it yet, so the check can fail.
# The mounts are always unmounted and their daemons gone at the end, pass
# or fail. Nothing depends on timing (the relay's line for a connection
# comes when the connection closes, which umount makes happen).
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup iosize
# the system's python3: a pyenv shim on PATH costs a second per start
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3) || integ_fail "python3 not installed"

relay_pid=
trap 'mount_cleanup; [[ -z $relay_pid ]] || kill "$relay_pid" 2>/dev/null || true; mount_exit' EXIT

# The relay: prints "ready PORT", then for each connection that ends
# "closed UP DOWN", the largest message (NBSS length) each way.
cat >"$tmp/relay.py" <<'PY'
import socket, sys, threading

host, port = sys.argv[1], int(sys.argv[2])
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(8)
print("ready", lsock.getsockname()[1], flush=True)
out_lock = threading.Lock()


def pump(src, dst, box, i):
    # NBSS framing (MS-SMB2 2.1): a zero byte, a 24-bit length, the message
    hdr = b""
    left = 0
    while True:
        try:
            data = src.recv(1 << 16)
        except OSError:
            data = b""
        if not data:
            break
        try:
            dst.sendall(data)
        except OSError:
            break
        at = 0
        while at < len(data):
            if left:
                n = min(left, len(data) - at)
                left -= n
                at += n
                continue
            need = 4 - len(hdr)
            hdr += data[at:at + need]
            at += need
            if len(hdr) == 4:
                left = int.from_bytes(hdr[1:4], "big")
                box[i] = max(box[i], left)
                hdr = b""
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    s = socket.create_connection((host, port))
    box = [0, 0]
    ts = [threading.Thread(target=pump, args=(c, s, box, 0)),
          threading.Thread(target=pump, args=(s, c, box, 1))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    c.close()
    s.close()
    with out_lock:
        print("closed", box[0], box[1], flush=True)


while True:
    c, _ = lsock.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

mkfifo "$tmp/relay.fifo"
"$py" "$tmp/relay.py" "$SMB_HOST" "$SMB_PORT" >"$tmp/relay.fifo" 2>"$tmp/relay.err" &
relay_pid=$!
exec 7<"$tmp/relay.fifo"
read -r -t 60 word port <&7 || integ_fail "the relay did not start: $(cat "$tmp/relay.err")"
[[ $word == ready ]] || integ_fail "the relay said '$word $port'"

mkdir -p "$mount_disk"
chown "$SMB_USER:" "$mount_disk"
MiB=$((1024 * 1024))
head -c $((8 * MiB)) /dev/urandom >"$tmp/a"
head -c $((8 * MiB)) /dev/urandom >"$tmp/b"
# a message carrying 64 KiB of payload, with its headers (64 + 48 bytes
# for a WRITE, 64 + 16 for a READ's answer) and some slack
limit=$((64 * 1024 + 1024))
mnt=$tmp/mnt

# traffic OPTIONS: mount through the relay with OPTIONS, write and read
# 8 MiB O_DIRECT and buffered, check the bytes, unmount; sets $up, $down
# (the largest message each way on the mount's connection).
traffic() {
	local what
	mount_at "$mnt" "$(url "$port" "$SMB_SHARE" "$mount_dir")" "$1"
	dd if="$tmp/a" of="$mnt/a" bs=1M oflag=direct status=none ||
		integ_fail "$1: O_DIRECT write failed"
	dd if="$tmp/b" of="$mnt/b" bs=1M conv=fsync status=none ||
		integ_fail "$1: buffered write failed"
	cmp -s "$tmp/a" "$mount_disk/a" || integ_fail "$1: O_DIRECT write: the server's bytes differ"
	cmp -s "$tmp/b" "$mount_disk/b" || integ_fail "$1: buffered write: the server's bytes differ"
	# reads: a (written past the cache) buffered, through readahead;
	# b O_DIRECT, from the server
	cmp -s "$tmp/a" "$mnt/a" || integ_fail "$1: buffered read differs"
	dd if="$mnt/b" of="$tmp/b.back" bs=1M iflag=direct status=none ||
		integ_fail "$1: O_DIRECT read failed"
	cmp -s "$tmp/b" "$tmp/b.back" || integ_fail "$1: O_DIRECT read differs"
	rm "$mnt/a" "$mnt/b"
	mount_umount "$mnt"
	# the mount's connection closed: the relay's line for it
	read -r -t 120 what up down <&7 || integ_fail "$1: the relay said nothing"
	[[ $what == closed ]] || integ_fail "$1: the relay said '$what $up $down'"
}

traffic cache=strict
((up > limit && down > limit)) ||
	integ_fail "without rsize/wsize the largest messages were $up up, $down down: want more than $limit (else the check below proves nothing)"
echo "ok: default sizes: largest message $up bytes up, $down down"
traffic cache=strict,rsize=65536,wsize=64K
((up <= limit)) || integ_fail "wsize=64K: a message of $up bytes went to the server (limit $limit)"
((down <= limit)) || integ_fail "rsize=65536: a message of $down bytes came back (limit $limit)"
echo "ok: rsize=65536,wsize=64K: largest message $up bytes up, $down down"
traffic cache=none,wsize=65536
((up <= limit)) || integ_fail "cache=none,wsize=65536: a message of $up bytes went to the server (limit $limit)"
((down > limit)) || integ_fail "cache=none,wsize=65536: reads were limited too ($down bytes)"
echo "ok: cache=none,wsize=65536: largest message $up bytes up, $down down"

# held OPTIONS: mount (directly), write 8 MiB buffered to a file kept
# open, and print how many bytes at the start of the server's file are
# the source's by then; then close (and fsync) it. The writes are 64 KiB:
# the mount sends large ones past the cache (mount_io.c).
cat >"$tmp/held.py" <<'PY'
import os, sys

path, disk, src = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
for off in range(0, len(data), 1 << 16):
    assert os.write(fd, data[off:off + (1 << 16)]) == 1 << 16
have = open(disk, "rb").read()
end = min(len(have), len(data))
n = 0
while n + 4096 <= end and have[n:n + 4096] == data[n:n + 4096]:
    n += 4096
while n < end and have[n] == data[n]:
    n += 1
os.fsync(fd)
os.close(fd)
print(n)
PY
held() {
	mount_at "$mnt" "$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")" "$1"
	on_server=$("$py" "$tmp/held.py" "$mnt/held" "$mount_disk/held" "$tmp/a") ||
		integ_fail "$1: the writer failed"
	cmp -s "$tmp/a" "$mount_disk/held" || integ_fail "$1: after close the server's bytes differ"
	rm "$mnt/held"
	mount_umount "$mnt"
}
held cache=strict
((on_server < 4 * MiB)) ||
	integ_fail "the default cache budget wrote $on_server bytes back before fsync (the cache_size check below proves nothing)"
echo "ok: default budget: $on_server bytes on the server before fsync"
held cache=strict,cache_size=4M
((on_server >= 4 * MiB)) ||
	integ_fail "cache_size=4M: only $on_server bytes on the server after 8 MiB written (want at least 4 MiB)"
echo "ok: cache_size=4M: $on_server bytes on the server before fsync"

mount_none_left
mount_sanitizer_check
echo "ok: mount_iosize"
