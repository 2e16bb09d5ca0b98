#!/usr/bin/env bash
# The CLI on a share that fills up: scripts/samba-server's `small` share, a
# tmpfs of SMB_SMALL_BYTES (Samba answers a WRITE it cannot place with
# STATUS_DISK_FULL). Each transfer of more than the free space must exit
# 12 (docs/cli.md, "no space or quota left on the share") with one line
# saying so, and leave nothing on the share that it did not promise:
#   - put of a file (one connection, and --streams 2 of a 64 MiB+ file),
#     put from stdin, and cp from another share: no destination, no
#     temporary .smbiov-*.part file, the share empty again;
#   - put over an existing file: the old file keeps its bytes;
#   - put -C keeps its partial temporary file by design: it says how many
#     bytes it holds, and those bytes are the source's exactly;
#   - put -r of a tree: stops at the first file that does not fit (every
#     later file would fail the same way), the files it reported done are
#     exact, the failed one is not left.
# Without a size limit on the share (samba-server could not mount its
# tmpfs: not root) the test fails, it does not skip. Nothing depends on
# timing.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup
: "${SMB_ROOT:?}" "${SMB_SMALL_SHARE:?}"
((${SMB_SMALL_BYTES:-0} > 0)) ||
	integ_fail "the server's '$SMB_SMALL_SHARE' share has no size limit" \
		"(SMB_SMALL_BYTES=${SMB_SMALL_BYTES:-unset}: scripts/samba-server could not" \
		"mount its tmpfs, which needs root); ENOSPC cannot be tested"

# put -C's records (of its kept partial uploads) go with $tmp
export SMBIOV_STATE_DIR=$tmp/state
MiB=$((1024 * 1024))
small=$SMB_ROOT/$SMB_SMALL_SHARE
disk=$small/$run_id
[[ -d $small ]] || integ_fail "$small: the small share's directory is not there"
mkdir "$disk"
chown "$SMB_USER:" "$disk"
trap 'rm -rf "$disk" "$tmp"' EXIT
u() { url "$SMB_PORT" "$SMB_SMALL_SHARE" "$run_id/$1"; }
# empty WHAT [KEEP...]: nothing but the paths KEEP (find -path patterns,
# relative) is left in the test's directory: no destination, no temporary
# file (.smbiov-*.part)
empty() {
	local what=$1 left p not=()
	shift
	for p in "$@"; do
		not+=(! -path "./$p")
	done
	left=$(cd "$disk" && find . -mindepth 1 "${not[@]}" -printf '%P ')
	[[ -z $left ]] || integ_fail "$what: left on the share: $left"
}

# space_back WHAT: wait until the share's space is free again. A command
# that failed has exited, but smbd may still be closing (and so freeing)
# the temporary file it removed when its connection went away. Bounded
# only as a hang guard: the cases after it need the whole share.
space_back() {
	local used i
	for ((i = 0; i < 600; i++)); do
		used=$(df -B1 --output=used "$small" | tail -1)
		((used <= 256 * 1024)) && return 0
		sleep 0.1
	done
	integ_fail "$1: the share's space was not freed ($used bytes still used)"
}

# expect_nospc_first WHAT: exit 12, the first line says no space (put -C
# and put -r add a line of their own: what was kept, the summary)
expect_nospc_first() {
	((rc == 12)) || integ_fail "$1: exit $rc, want 12: $(cat "$tmp/err")"
	head -n 1 "$tmp/err" | grep -q '^smbiov: .*no space' ||
		integ_fail "$1: first line does not say no space: $(cat "$tmp/err")"
}

# A file of the free space + 4 MiB
big=$tmp/big
head -c $((SMB_SMALL_BYTES + 4 * MiB)) /dev/urandom >"$big"

smbiov put "$big" "$(u big)"
expect_fail "put of a file bigger than the share" 12 "no space"
empty "put of a file bigger than the share"

smbiov put - "$(u stdin)" <"$big"
expect_fail "put from stdin bigger than the share" 12 "no space"
empty "put from stdin bigger than the share"

# 64 MiB and more go over two connections with --streams 2 (docs/cli.md)
head -c $((SMB_SMALL_BYTES + 64 * MiB)) /dev/urandom >"$tmp/big2"
smbiov --streams 2 put "$tmp/big2" "$(u streams)"
expect_fail "put --streams 2 bigger than the share" 12 "no space"
empty "put --streams 2 bigger than the share"
rm -f "$tmp/big2"

# cp from the public share to the small one
cp "$big" "$SMB_ROOT/$SMB_SHARE/$run_id.src"
chmod 0666 "$SMB_ROOT/$SMB_SHARE/$run_id.src"
smbiov cp "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.src")" "$(u cp)"
rm -f "$SMB_ROOT/$SMB_SHARE/$run_id.src"
expect_fail "cp of a file bigger than the share" 12 "no space"
empty "cp of a file bigger than the share"

# cp within the small share (the server copies): no space for a second copy
head -c $((SMB_SMALL_BYTES * 6 / 10)) /dev/urandom >"$disk/half"
chown "$SMB_USER:" "$disk/half"
smbiov cp "$(u half)" "$(u half.copy)"
expect_fail "cp within the share, no space for the copy" 12 "no space"
empty "cp within the share, no space for the copy" half
rm -f "$disk/half"

# over an existing file: the old bytes stay
head -c $((1 * MiB + 3)) /dev/urandom >"$disk/old"
chown "$SMB_USER:" "$disk/old"
cp "$disk/old" "$tmp/old.copy"
smbiov put "$big" "$(u old)"
expect_fail "put over a file, bigger than the share" 12 "no space"
cmp -s "$disk/old" "$tmp/old.copy" || integ_fail "put over a file on a full share changed the old file"
empty "put over a file, bigger than the share" old
rm -f "$disk/old"

# put -C keeps what arrived, and says how much: those bytes are exact
space_back "before put -C"
smbiov put -C "$big" "$(u resumable)"
expect_nospc_first "put -C on a full share"
kept=$(sed -n 's/.*partial upload is kept on the server (\([0-9]*\) of.*/\1/p' "$tmp/err")
[[ -n $kept ]] || integ_fail "put -C on a full share: it does not say what it kept: $(cat "$tmp/err")"
part=$(find "$disk" -maxdepth 1 -name '.smbiov-*.part')
[[ -n $part && $part != *$'\n'* ]] || integ_fail "put -C on a full share: want its one temporary file, found: '$part'"
# Chunks go in flight together and race for the last free space: when
# the first chunk itself loses, the exact prefix is 0 bytes (honest), and
# what later chunks wrote shows the share did fill up.
blocks=$(stat -c %b "$part")
((kept > 0 || blocks > 0)) || integ_fail "put -C on a full share: kept nothing and nothing written: the share did not fill up"
cmp -s -n "$kept" "$part" "$big" || integ_fail "put -C on a full share: the $kept bytes it says it kept differ from the source"
[[ ! -e $disk/resumable ]] || integ_fail "put -C on a full share: the destination was created"
echo "ok: put -C on a full share -> exit 12, $kept exact bytes kept in its temporary file"
rm -f "$part"
# (its record in the state directory goes with $tmp)
empty "put -C"

# put -r: files of a third of the share each; the one that does not fit
# stops the tree (no space is a failure every further entry would share)
space_back "before put -r"
mkdir "$tmp/tree"
third=$((SMB_SMALL_BYTES / 3))
for i in 1 2 3 4 5; do
	head -c "$third" /dev/urandom >"$tmp/tree/f$i"
done
smbiov put -r "$tmp/tree" "$(u '')"
expect_nospc_first "put -r on a full share"
failed=$(sed -n '1s|^smbiov: smb://.*/tree/\(f[0-9]\): .*|\1|p' "$tmp/err")
[[ -n $failed ]] || integ_fail "put -r on a full share: which file failed? $(cat "$tmp/err")"
[[ ! -e $disk/tree/$failed ]] || integ_fail "put -r on a full share: the failed $failed was left"
done_n=0
for f in "$disk"/tree/*; do
	cmp -s "$f" "$tmp/tree/${f##*/}" || integ_fail "put -r on a full share: ${f##*/} differs"
	done_n=$((done_n + 1))
done
((done_n >= 2 && done_n < 5)) || integ_fail "put -r on a full share: $done_n files sent of 5 (want the share full after 2 or 3)"
# stopped at once: no file after the failed one was tried
(($(find "$disk/tree" -type f | wc -l) == ${failed#f} - 1)) ||
	integ_fail "put -r on a full share: went on past $failed: $(ls "$disk/tree")"
empty "put -r" tree "tree/f[0-9]"
echo "ok: put -r on a full share -> exit 12 at $failed, the $done_n files before it exact, stopped there"
