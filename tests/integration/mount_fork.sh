#!/usr/bin/env bash
# smbiov mount: the fork test through the mount (issue 18, "Tests"; the
# library's own is test_file_fork.c). tests/integration/mount_fork/fork.c
# (compiled here: with ASan+UBSan when the CLI is a sanitizer build)
# keeps O_DIRECT reads of a file on the mount in flight on several threads
# while the process forks, every iteration: the parent must read exactly
# the file's bytes with its guard bytes beside them untouched, and the
# child's copy of the read buffers must not change after the fork (the
# parent's reads never land in the child). Under cache=strict (O_DIRECT
# bypasses the file layer's cache on a cached open) and cache=none.
#
# Knobs: FORK_ITERS (default 200; 100 in a sanitizer build), FORK_THREADS
# (default 4). The mounts are always unmounted and their processes gone
# when the script ends, pass or fail (EXIT trap); nothing depends on
# timing: whether a read is still in flight at a fork only varies what is
# exercised, never what is checked.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup fork

src=$(dirname "${BASH_SOURCE[0]}")/mount_fork/fork.c
cflags=(-Wall -Wextra -Werror -O1 -g -pthread)
iters=${FORK_ITERS:-200}
if mount_is_asan; then
	cflags+=("-fsanitize=address,undefined" -fno-omit-frame-pointer)
	iters=${FORK_ITERS:-100}
fi
"${CC:-cc}" "${cflags[@]}" -o "$tmp/fork" "$src" 2>"$tmp/cc.err" ||
	integ_fail "cannot build $src: $(cat "$tmp/cc.err")"

mount_mkdir
u=$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")
head -c $((8 * 1024 * 1024 + 4097)) /dev/urandom >"$tmp/ref"
cp "$tmp/ref" "$mount_disk/f"
chmod 0666 "$mount_disk/f"

for mode in strict none; do
	mount_at "$tmp/m.$mode" "$u" "cache=$mode"
	rc=0
	"$tmp/fork" -m "$tmp/m.$mode/f" -r "$tmp/ref" -n "$iters" \
		-t "${FORK_THREADS:-4}" >"$tmp/fork.$mode.out" 2>&1 || rc=$?
	cat "$tmp/fork.$mode.out"
	[[ $rc -eq 0 ]] || integ_fail "cache=$mode: the fork test failed (exit $rc, above)"
	grep -q '^ok: ' "$tmp/fork.$mode.out" || integ_fail "cache=$mode: no result line"
	mount_umount "$tmp/m.$mode"
done

# A read in flight when the daemon is told to stop (SIGTERM): O_DIRECT
# reads are answered from the library's completion (mount_aread.c), so
# the FUSE loop can end before the answer comes; the daemon must wait
# for it before its session goes and its files close, answer it (the
# reader gets the file's bytes), then exit. Made certain, not timed: the smbd
# serving the mount's connection is stopped (SIGSTOP) after the file is
# open, two READs are seen waiting in that smbd's socket (one read
# synchronously, one asynchronously: mount_aread() reads one alone
# synchronously), the daemon is told to stop, then smbd goes on. Whether
# the asynchronous answer comes before the loop has ended or after (the
# case the wait is for) is not controlled: the outcome is checked, and
# that the read was in flight at the stop.
frozen=
trap '[[ -n $frozen ]] && kill -CONT "$frozen" 2>/dev/null; mount_exit' EXIT
# the smbd process at the other end of daemon $1's TCP connection
smbd_of() {
	local mine
	mine=$(ss -tnpH | awk -v p="pid=$1," 'index($0, p) { print $4; exit }')
	[[ -n $mine ]] || return 0
	ss -tnpH | awk -v a="$mine" '$5 == a && /"smbd"/ {
		match($0, /pid=[0-9]+/); print substr($0, RSTART + 4, RLENGTH - 4); exit }'
}
# bytes waiting in smbd $1's socket (its Recv-Q)
smbd_queued() {
	ss -tnpH | awk -v p="pid=$1," 'index($0, p) { print $2; exit }'
}
mount_at "$tmp/m.term" "$u" "cache=strict"
term_pid=$mount_pid
mkfifo "$tmp/go"
"$tmp/fork" -w -m "$tmp/m.term/f" -r "$tmp/ref" <"$tmp/go" >"$tmp/term.out" 2>&1 &
reader=$!
exec 8>"$tmp/go"
for ((i = 0; i < 600; i++)); do
	grep -qx open "$tmp/term.out" && break
	sleep 0.05
done
grep -qx open "$tmp/term.out" || integ_fail "the O_DIRECT reader did not open the file: $(cat "$tmp/term.out")"
frozen=$(smbd_of "$term_pid")
[[ -n $frozen ]] || integ_fail "no smbd found for the mount's connection ($(ss -tnpH))"
kill -STOP "$frozen"
echo go >&8
exec 8>&-
# both READs there: 117 bytes each at least (MS-SMB2 2.2.19 and the
# 4-byte frame)
for ((i = 0; i < 600; i++)); do
	(($(smbd_queued "$frozen") >= 234)) && break
	sleep 0.05
done
(($(smbd_queued "$frozen") >= 234)) ||
	integ_fail "the two READs never reached smbd ($(smbd_queued "$frozen") bytes)"
kill -TERM "$term_pid"
# the synchronous read holds its FUSE thread, so the loop ends only
# once smbd answers
kill -CONT "$frozen"
frozen=
wait_gone "$term_pid" || integ_fail "the daemon did not exit after SIGTERM with a read in flight"
rc=0
wait "$reader" || rc=$?
[[ $rc -eq 0 ]] || integ_fail "the read in flight at SIGTERM (exit $rc): $(cat "$tmp/term.out")"
# answered, not dropped: the kernel's connection lives while the file
# is open, so the answer reaches the reader
[[ $(grep -cx 'read 4096' "$tmp/term.out") -eq 2 ]] ||
	integ_fail "the read in flight at SIGTERM was not answered: $(cat "$tmp/term.out")"
echo "a read in flight at SIGTERM: $(tr '\n' ' ' <"$tmp/term.out")"
unset "mount_daemons[$tmp/m.term]"
mount_sanitizer_check
mount_none_left
echo "PASS: mount_fork"
