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

smbiov mkdir "$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")"
expect_ok "mkdir the test directory"
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
mount_sanitizer_check
mount_none_left
echo "PASS: mount_fork"
