#!/usr/bin/env bash
# smbiov get/cat/put through the fd path (the library splices between the
# socket and the local file, user space never touches the payload): get
# into a regular file and /dev/null, put from a regular file, on the plain
# share, compared with the source by sha256 and on the server's disk, and
# --stats must show 0 bytes copied (a put of at most 1 MiB goes as one
# CREATE+WRITE+CLOSE compound instead: its bytes are copied once into the
# message, and it costs 3 requests). A get replaces an existing file only on
# success (temporary name + rename); a local write failure in the middle
# (ulimit -f) is a local error that leaves no partial file. The signed
# server (no fd path: signing needs the bytes) still gets the same bytes.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup
: "${SMB_ROOT:?}"

MiB=$((1024 * 1024))
# 0, tiny, odd, one chunk + 1, an exact two chunks, three chunks and a bit
sizes=(0 1 65537 $((8 * MiB + 1)) $((16 * MiB)) $((24 * MiB + 12345)))

stat_field() { sed -n "s/^  $1  *//p" "$tmp/err" | head -n 1; }

# expect_copied0 WHAT: the last run's --stats say no payload was copied.
expect_copied0() {
	local c
	c=$(stat_field "payload copied")
	[[ $c =~ ^0\  ]] || integ_fail "$1: payload copied '$c', want 0: $(cat "$tmp/err")"
}

# expect_spliced WHAT N: the last run's --stats say N payload bytes spliced.
expect_spliced() {
	local s
	s=$(stat_field "payload spliced")
	[[ $s =~ ^$2\  ]] || integ_fail "$1: payload spliced '$s', want $2: $(cat "$tmp/err")"
}

# A get's first MiB comes with the open (CREATE+READ compound), through
# memory; the rest is spliced.
first=$MiB

for size in "${sizes[@]}"; do
	rest=$((size > first ? size - first : 0))
	f="$tmp/src.$size" name="$run_id.fd.$size"
	head -c "$size" /dev/urandom >"$f"
	want=$(sha "$f")

	smbiov --stats put "$f" "$(url "$SMB_PORT" "$SMB_SHARE" "$name")"
	expect_ok "put $size bytes"
	if ((size <= MiB)); then
		# one compound (CREATE+WRITE+CLOSE): the bytes ride in the message
		c=$(stat_field "payload copied")
		[[ $c =~ ^$size\  ]] || integ_fail "small put $size: payload copied '$c', want $size"
		expect_spliced "put $size bytes" 0
		r=$(stat_field "requests sent")
		# + NEGOTIATE, 2 SESSION_SETUP and TREE_CONNECT (--stats comes
		# before the goodbye)
		((r == (size ? 3 : 2) + 4)) || integ_fail "small put $size: $r requests: $(cat "$tmp/err")"
	else
		expect_copied0 "put $size bytes"
		expect_spliced "put $size bytes" "$size"
	fi
	[[ $(sha "$SMB_ROOT/$SMB_SHARE/$name") == "$want" ]] ||
		integ_fail "put of $size bytes differs on the server's disk"

	# into a new file, and over an existing longer one
	rm -f "$tmp/got"
	smbiov --stats get "$(url "$SMB_PORT" "$SMB_SHARE" "$name")" "$tmp/got"
	expect_ok "get $size bytes"
	expect_copied0 "get $size bytes"
	expect_spliced "get $size bytes" "$rest"
	[[ $(sha "$tmp/got") == "$want" ]] || integ_fail "get of $size bytes differs"
	head -c $((size + 4 * MiB)) /dev/zero >"$tmp/got"
	smbiov get "$(url "$SMB_PORT" "$SMB_SHARE" "$name")" "$tmp/got"
	expect_ok "get $size bytes over a longer file"
	[[ $(sha "$tmp/got") == "$want" ]] || integ_fail "get of $size bytes over a longer file differs"
	no_leftovers "$tmp"

	smbiov --stats get "$(url "$SMB_PORT" "$SMB_SHARE" "$name")" /dev/null
	expect_ok "get $size bytes to /dev/null"
	expect_copied0 "get $size bytes to /dev/null"
	expect_spliced "get $size bytes to /dev/null" "$rest"
	r=$(stat_field "payload received")
	[[ $r =~ ^$size\  ]] || integ_fail "get to /dev/null: received '$r', want $size"

	# cat with stdout redirected to a regular file: the fd path too
	rm -f "$tmp/cat"
	timeout 120 "$SMBIOV_CLI" --stats cat "$(url "$SMB_PORT" "$SMB_SHARE" "$name")" >"$tmp/cat" 2>"$tmp/err" ||
		integ_fail "cat $size bytes to a file: $(cat "$tmp/err")"
	expect_copied0 "cat $size bytes to a file"
	[[ $(sha "$tmp/cat") == "$want" ]] || integ_fail "cat of $size bytes to a file differs"
	echo "ok: $size bytes through the fd path"
done

# The progress bar still advances on the fd path (forced without a TTY).
big="$run_id.fd.$((24 * MiB + 12345))"
smbiov --progress get "$(url "$SMB_PORT" "$SMB_SHARE" "$big")" "$tmp/prog"
expect_ok "get with --progress"
[[ -s $tmp/err ]] || integ_fail "--progress printed nothing on the fd path"
grep -q "100%" "$tmp/err" || integ_fail "--progress never reached 100%: $(cat "$tmp/err")"

# A local write failure mid-transfer (file size limit 1 MiB): a local error,
# no partial file, no temporary file left.
rc=0
(
	trap '' XFSZ
	ulimit -f 1024
	exec timeout 120 "$SMBIOV_CLI" get "$(url "$SMB_PORT" "$SMB_SHARE" "$big")" "$tmp/limited"
) >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_fail "get beyond the local file size limit" 8 'too large|limit'
[[ ! -e $tmp/limited ]] || integ_fail "a failed get left $tmp/limited behind"
no_leftovers "$tmp"

# The signed server: no fd path (signing needs the bytes), same bytes.
f="$tmp/src.$((8 * MiB + 1))"
smbiov --sign put "$f" "$(url "$SMB_SIGNED_PORT" "$SMB_SIGNED_SHARE" "$run_id.fd.s")"
expect_ok "put to the signed server"
smbiov --sign get "$(url "$SMB_SIGNED_PORT" "$SMB_SIGNED_SHARE" "$run_id.fd.s")" "$tmp/s"
expect_ok "get from the signed server"
[[ $(sha "$tmp/s") == "$(sha "$f")" ]] || integ_fail "signed round trip differs"

for size in "${sizes[@]}"; do
	rm -f "$SMB_ROOT/$SMB_SHARE/$run_id.fd.$size"
done
rm -f "$SMB_ROOT/$SMB_SIGNED_SHARE/$run_id.fd.s"
echo "ok: cli fd path"
