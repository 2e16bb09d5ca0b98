#!/usr/bin/env bash
# The mount across lost connections (issues 15 and 18), through
# tools/cut_relay in front of the server, with reconnect=1 (the library
# tries a lost connection for 1 s; after a failed try, calls fail at once
# for min(2 s, reconnect=) and the next one tries again):
#   - the connection reset with the server still there (the relay down and
#     at once back up): a file written through the mount (its data still
#     in the cache, a durable handle) and a descriptor held open across
#     the reset both go on; the server's file is exact after close;
#   - two descriptors of one file writing across a reset both go on (Samba
#     reconnects neither durable handle: they come back by name);
#   - the server gone (the relay down): calls fail with EIO, none hangs;
#   - the server back: after the pause a call reconnects, reads exact
#     bytes, and a new file can be written;
#   - umount works; the daemon exits.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup reconnect
[[ -x ${SMBIOV_CUT_RELAY:-} ]] ||
	integ_fail "SMBIOV_CUT_RELAY (tests/integration/tools/cut_relay) not built: '${SMBIOV_CUT_RELAY:-}'"

cut_pid=
stop_relay() {
	[[ -z $cut_pid ]] || kill "$cut_pid" 2>/dev/null || true
	cut_pid=
}
trap 'stop_relay; mount_exit' EXIT

# The relay's output is a FIFO read line by line: "down" and "ready" say
# when it has done what a signal asked (no waiting on time).
mkfifo "$tmp/cut.fifo"
"$SMBIOV_CUT_RELAY" -c "127.0.0.1:$SMB_PORT" >"$tmp/cut.fifo" 2>&1 &
cut_pid=$!
exec 7<"$tmp/cut.fifo"
# expect_line WORD: the relay's next line starts with WORD
expect_line() {
	local line
	read -r -t 120 line <&7 || integ_fail "cut_relay said nothing (want '$1')"
	[[ $line == "$1"* ]] || integ_fail "cut_relay said '$line', want '$1'"
	last_line=$line
}
expect_line ready
port=${last_line#ready }
relay_down() {
	kill -USR1 "$cut_pid"
	expect_line down
}
relay_up() {
	kill -USR2 "$cut_pid"
	expect_line ready
}

mkdir -p "$mount_disk"
chown "$SMB_USER:" "$mount_disk"
mnt=$tmp/mnt
mount_at "$mnt" "$(url "$port" "$SMB_SHARE" "$mount_dir")" reconnect=1

head -c $((3 * 1024 * 1024 + 17)) /dev/urandom >"$tmp/a"
head -c $((1024 * 1024 + 5)) /dev/urandom >"$tmp/b"

# ---- a reset, the server still there ----------------------------------------
exec 5<>"$mnt/held"
cat "$tmp/a" >&5 # dirty in the cache, behind a durable handle
relay_down
relay_up
cat "$tmp/b" >"$mnt/after" # the next call reconnects
exec 5>&-
cmp -s "$tmp/a" "$mount_disk/held" || integ_fail "reset: the file written across it differs on the server"
cmp -s "$tmp/b" "$mount_disk/after" || integ_fail "reset: the file written after it differs on the server"
cmp -s "$tmp/a" "$mnt/held" || integ_fail "reset: reading back through the mount differs"
echo "ok: a reset: the open file and a new one are exact"

# ---- two descriptors of one file across a reset ----------------------------
# Samba reconnects a durable handle only while it is the file's only one:
# both opens come back by name (their shared lease keeps no writes).
head -c $((2 * 1024 * 1024)) /dev/urandom >"$tmp/c"
exec 5<>"$mnt/two" 6<>"$mnt/two"
# (a failure closes the descriptors first: the unmount at exit needs them gone)
two_fail() {
	exec 5>&- 6>&-
	integ_fail "$@"
}
python3 - "$tmp/c" <<'PY' || two_fail "two descriptors: the writes before the reset failed"
import os, sys
d = open(sys.argv[1], "rb").read()
h = len(d) // 2
os.pwrite(5, d[:h], 0)
os.pwrite(6, d[h:], h)
PY
relay_down
relay_up
python3 - "$tmp/c" "$tmp/c2" 2>"$tmp/py2.err" <<'PY' || two_fail "two descriptors across a reset: $(cat "$tmp/py2.err")"
import os, sys
d = open(sys.argv[1], "rb").read()
h = len(d) // 2
new = d[:h][::-1]
try:
    os.pwrite(6, new, 0)
    if os.pread(5, h, 0) != new:
        sys.exit("descriptor 5 does not read what 6 wrote")
    os.pwrite(5, d[h:][::-1], h)
except OSError as e:
    sys.exit("after the reset: %s" % e)
open(sys.argv[2], "wb").write(new + d[h:][::-1])
PY
exec 5>&- 6>&-
cmp -s "$tmp/c2" "$mount_disk/two" || integ_fail "two descriptors across a reset: the server's file differs"
echo "ok: a reset: two descriptors of one file both go on, the server's file is exact"

# ---- the server gone --------------------------------------------------------
relay_down
for what in "cat $mnt/held" "ls $mnt" "touch $mnt/new-while-gone"; do
	rc=0
	# shellcheck disable=SC2086 # the words of $what
	timeout 120 $what >/dev/null 2>"$tmp/gone.err" || rc=$?
	[[ $rc -ne 124 ]] || integ_fail "server gone: '$what' hung"
	[[ $rc -ne 0 ]] || integ_fail "server gone: '$what' succeeded"
	grep -q "Input/output error" "$tmp/gone.err" ||
		integ_fail "server gone: '$what' did not fail with EIO: $(cat "$tmp/gone.err")"
	echo "ok: server gone: $what: $(cat "$tmp/gone.err")"
done

# ---- the server back --------------------------------------------------------
relay_up
# past the pause after the last failed try (reconnect=1: 1 s by the
# library's own clock, so this sleep is always long enough)
sleep 1.5
cmp -s "$tmp/a" "$mnt/held" || integ_fail "server back: reading through the mount failed or differs"
cat "$tmp/b" >"$mnt/new-after"
cmp -s "$tmp/b" "$mount_disk/new-after" || integ_fail "server back: a new file differs on the server"
echo "ok: server back: the mount reads and writes again"

mount_umount "$mnt"
mount_sanitizer_check
echo "mount_reconnect: all passed"
