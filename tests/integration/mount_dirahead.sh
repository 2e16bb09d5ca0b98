#!/usr/bin/env bash
# smbiov mount: subdirectories' listings read ahead (tools/smbiov/mount_dir.c,
# docs/cli.md "Names and attributes", option dirahead=). Counted by the
# daemon itself (--stats: "listings queued ahead", "listings read ahead",
# "of them used"):
#   - find over a tree of 1 + 3 + 6 directories: every subdirectory is
#     queued once (9), every listing a worker read is used by the walk
#     (none wasted, none read twice), and find's output is the server's
#     tree (names, types, sizes);
#   - a change of this mount in a subdirectory queued ahead (mkdir) shows
#     in its listing, whenever the worker read it: before the change
#     (the change count tells) or after;
#   - dirahead=0 and actimeo=0 read nothing ahead, and the walk is the
#     same.
# How many listings the workers get to before find asks is up to the
# scheduler: the counts asserted are the ones that do not depend on it
# (with actimeo=3600 none expires). Foreground mounts (-f) so the
# daemon's --stats reach a file; they are unmounted and their processes
# gone when the script ends, pass or fail.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/mount.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
mount_setup dirahead

mount_mkdir
u=$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")
for d in d1 d2 d3; do
	for e in e1 e2; do
		mkdir -p "$mount_disk/top/$d/$e"
		for f in 1 2 3; do
			head -c $((f * 100)) /dev/urandom >"$mount_disk/top/$d/$e/f$f"
		done
	done
	echo "$d" >"$mount_disk/top/$d/g"
done
chown -R "$SMB_USER:" "$mount_disk"
# (a directory's size is the server's file system's own: not compared)
tree() {
	find top -type d -printf 'd %p\n' -o -printf '%y %s %p\n' | sort
}
(cd "$mount_disk" && tree) >"$tmp/want"

# walk WHAT OPTIONS: find through a fresh mount, checked against the
# server's tree; sets $queued $read $used from its --stats
walk() {
	local what=$1 opts=$2 mnt=$tmp/m.$1 log=$tmp/log.$1
	mount_fg "$mnt" "$u" "$log" "$opts"
	(cd "$mnt" && tree) >"$tmp/got.$what"
	mount_umount "$mnt"
	cmp -s "$tmp/want" "$tmp/got.$what" ||
		integ_fail "$what: find through the mount differs from the server's tree: $(diff "$tmp/want" "$tmp/got.$what" | head -5)"
	queued=$(mount_stat "$log" "listings queued ahead")
	read=$(mount_stat "$log" "listings read ahead")
	used=$(mount_stat "$log" "of them used")
	[[ -n $queued && -n $read && -n $used ]] ||
		integ_fail "$what: no listing counts in --stats: $(tail -5 "$log")"
}

walk ahead actimeo=3600
((queued == 9)) || integ_fail "find over 9 subdirectories: $queued queued ahead, want 9"
((read == used)) || integ_fail "find: $read listings read ahead, $used of them used: the walk asks for every one"
((read <= 9)) || integ_fail "find: $read listings read ahead for 9 subdirectories"
echo "ok: find over 10 directories: the server's tree; 9 queued ahead, $read read ahead and used"

walk off actimeo=3600,dirahead=0
((queued == 0 && read == 0 && used == 0)) || integ_fail "dirahead=0: $queued queued, $read read, $used used ahead; want none"
walk zero actimeo=0
((queued == 0 && read == 0 && used == 0)) || integ_fail "actimeo=0: $queued queued, $read read, $used used ahead; want none"
echo "ok: dirahead=0 and actimeo=0: nothing read ahead, the same tree"

# ---- this mount's change in a directory queued ahead -----------------------
mnt=$tmp/m.change
mount_fg "$mnt" "$u" "$tmp/log.change" actimeo=3600
ls "$mnt/top" >/dev/null # queues d1, d2, d3
mkdir "$mnt/top/d1/new"
rm "$mnt/top/d2/g"
ls "$mnt/top/d1" >"$tmp/ls.d1"
ls "$mnt/top/d2" >"$tmp/ls.d2"
mount_umount "$mnt"
[[ $(tr '\n' ' ' <"$tmp/ls.d1") == "e1 e2 g new " ]] ||
	integ_fail "after mkdir top/d1/new through the mount, its listing: $(tr '\n' ' ' <"$tmp/ls.d1")"
[[ $(tr '\n' ' ' <"$tmp/ls.d2") == "e1 e2 " ]] ||
	integ_fail "after rm top/d2/g through the mount, its listing: $(tr '\n' ' ' <"$tmp/ls.d2")"
[[ -d $mount_disk/top/d1/new && ! -e $mount_disk/top/d2/g ]] ||
	integ_fail "the server's disk does not have the mkdir and the rm"
echo "ok: listings queued ahead show this mount's own mkdir and rm ($(mount_stat "$tmp/log.change" "of them used") used)"

mount_none_left
mount_sanitizer_check
