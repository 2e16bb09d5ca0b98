#!/usr/bin/env bash
# smbiov put/get/cat round trips cross-checked with smbclient: files of 0,
# 1, 4095, 4096, 65537 and 8 MiB + 1 bytes (and one of three chunks and a
# bit on the public share), written by one client and read by the other,
# sha256 compared; on the public share, the encryption-required share and
# the signing-required server. Also: get to stdout, a pipe and /dev/null.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup

sizes=(0 1 4095 4096 65537 $((8 * 1024 * 1024 + 1)))

# roundtrip PORT SHARE SIZE [CLI-OPTIONS...]
roundtrip() {
	local port=$1 share=$2 size=$3
	shift 3
	local f="$tmp/src.$size" name="$run_id.$size" want so
	so=$(smbc_opts "$port" "$share")
	head -c "$size" /dev/urandom >"$f"
	want=$(sha "$f")

	# smbiov writes, smbclient reads
	smbiov "$@" put "$f" "$(url "$port" "$share" "$name.a")"
	expect_ok "put $size bytes to $share"
	rm -f "$tmp/back"
	smbc "$port" "$share" "get $name.a $tmp/back" "$so" ||
		integ_fail "smbclient get from $share: $(cat "$tmp/smbc")"
	[[ $(sha "$tmp/back") == "$want" ]] ||
		integ_fail "$share: $size bytes put by smbiov read back differently by smbclient"

	# smbclient writes, smbiov reads (get into a regular file)
	smbc "$port" "$share" "put $f $name.b" "$so" ||
		integ_fail "smbclient put to $share: $(cat "$tmp/smbc")"
	rm -f "$tmp/got"
	smbiov "$@" get "$(url "$port" "$share" "$name.b")" "$tmp/got"
	expect_ok "get $size bytes from $share"
	[[ $(sha "$tmp/got") == "$want" ]] ||
		integ_fail "$share: $size bytes put by smbclient read back differently by smbiov get"
	no_leftovers "$tmp"

	# cat to stdout, and get - (stdout) through a pipe
	smbiov "$@" cat "$(url "$port" "$share" "$name.b")"
	expect_ok "cat $size bytes from $share"
	[[ $(sha "$tmp/out") == "$want" ]] || integ_fail "$share: cat of $size bytes differs"
	local piped rc_pipe=0
	piped=$(timeout 120 "$SMBIOV_CLI" "$@" get "$(url "$port" "$share" "$name.b")" - | sha256sum | cut -d' ' -f1) ||
		rc_pipe=$?
	[[ $rc_pipe -eq 0 && $piped == "$want" ]] ||
		integ_fail "$share: get - of $size bytes into a pipe differs (exit $rc_pipe)"

	smbc "$port" "$share" "del $name.a; del $name.b" "$so" ||
		integ_fail "cleanup on $share: $(cat "$tmp/smbc")"
	echo "ok: $share: $size bytes both ways ($*)"
}

for size in "${sizes[@]}"; do
	roundtrip "$SMB_PORT" "$SMB_SHARE" "$size"
	roundtrip "$SMB_PORT" "$SMB_ENC_SHARE" "$size" --encrypt
	roundtrip "$SMB_SIGNED_PORT" "$SMB_SIGNED_SHARE" "$size" --sign
done
# three chunks and a bit: the two-buffer pipeline wraps around
roundtrip "$SMB_PORT" "$SMB_SHARE" $((3 * 8 * 1024 * 1024 + 12345))
# the encrypted share needs no option: the server demands it
roundtrip "$SMB_PORT" "$SMB_ENC_SHARE" 65537

# get to /dev/null (a character device) is written directly, no temp file
head -c 100000 /dev/urandom >"$tmp/n"
smbiov put "$tmp/n" "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.null")"
expect_ok "put for /dev/null"
smbiov get "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.null")" /dev/null
expect_ok "get to /dev/null"
[[ -c /dev/null ]] || integ_fail "/dev/null is no longer a character device"

# get into an existing directory keeps the remote name
mkdir -p "$tmp/into"
smbiov get "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.null")" "$tmp/into"
expect_ok "get into a directory"
cmp "$tmp/n" "$tmp/into/$run_id.null" || integ_fail "get into a directory: contents differ"

# put from stdin
head -c 70000 /dev/urandom >"$tmp/stdin"
rc=0
timeout 120 "$SMBIOV_CLI" put - "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.stdin")" <"$tmp/stdin" 2>"$tmp/err" || rc=$?
expect_ok "put from stdin"
smbc "$SMB_PORT" "$SMB_SHARE" "get $run_id.stdin $tmp/stdin.back; del $run_id.stdin; del $run_id.null" ||
	integ_fail "smbclient: $(cat "$tmp/smbc")"
cmp "$tmp/stdin" "$tmp/stdin.back" || integ_fail "put from stdin: contents differ"

# put to a URL naming an existing directory: the file goes inside it under
# its own name (the open says -EISDIR; the directory is left as it was);
# put - has no name to use there
d=$SMB_ROOT/$SMB_SHARE/$run_id.dir
mkdir "$d" && chmod 0777 "$d"
smbiov put "$tmp/n" "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.dir")"
expect_ok "put into an existing remote directory"
cmp "$tmp/n" "$d/n" || integ_fail "put into a remote directory: contents differ"
[[ -d $d ]] || integ_fail "put into a remote directory replaced the directory"
rc=0
timeout 120 "$SMBIOV_CLI" put - "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.dir")" <"$tmp/stdin" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_fail "put - to a remote directory" 2 'is a directory'
rc=0
timeout 120 "$SMBIOV_CLI" put - "$(url "$SMB_PORT" "$SMB_SHARE")" <"$tmp/stdin" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_fail "put - to a share's root" 2 'is a directory'
rm -rf "$d"
echo "ok: /dev/null, into a directory, stdin"

# Durability: without --fsync a get renames its temporary file without an
# fsync (as cp does); with --fsync it fsyncs the file before the rename and
# starts writeback behind each chunk of a big file (sync_file_range). Seen
# in the system calls (strace), the bytes checked both times.
command -v strace >/dev/null || integ_fail "strace missing (scripts/install-deps installs it)"
head -c $((40 * 1024 * 1024 + 3)) /dev/urandom >"$SMB_ROOT/$SMB_SHARE/$run_id.dur"
chmod 0666 "$SMB_ROOT/$SMB_SHARE/$run_id.dur"
for mode in default fsync; do
	opt=()
	[[ $mode == fsync ]] && opt=(--fsync)
	rm -f "$tmp/dur"
	rc=0
	# (LeakSanitizer cannot run under a tracer: off for this run only)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		timeout 120 strace -f -qq -o "$tmp/strace" -e trace=fsync,fdatasync,sync_file_range,rename,renameat,renameat2 \
		"$SMBIOV_CLI" "${opt[@]}" get "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.dur")" "$tmp/dur" \
		>"$tmp/out" 2>"$tmp/err" || rc=$?
	expect_ok "get ($mode) under strace"
	cmp -s "$tmp/dur" "$SMB_ROOT/$SMB_SHARE/$run_id.dur" || integ_fail "get ($mode): contents differ"
	no_leftovers "$tmp"
	# the line numbers of the first fsync and of the rename
	f=$(grep -n -m1 -E '(^|[^a-z_])f(data)?sync\(' "$tmp/strace" | cut -d: -f1 || true)
	r=$(grep -n -m1 -E 'rename(at2?)?\(.*smbiov' "$tmp/strace" | cut -d: -f1 || true)
	[[ -n $r ]] || integ_fail "get ($mode): no rename of the temporary file seen: $(cat "$tmp/strace")"
	if [[ $mode == default ]]; then
		[[ -z $f ]] || integ_fail "get without --fsync called fsync: $(grep -E 'sync' "$tmp/strace")"
	else
		[[ -n $f ]] && ((f < r)) || integ_fail "get --fsync: no fsync before the rename: $(cat "$tmp/strace")"
		grep -q 'sync_file_range(' "$tmp/strace" ||
			integ_fail "get --fsync of 40 MiB: no writeback started behind the chunks"
	fi
done
rm -f "$SMB_ROOT/$SMB_SHARE/$run_id.dur" "$tmp/dur"
echo "ok: get fsyncs only with --fsync, before the rename"

# A remote name of 250 bytes (NAME_MAX is 255) downloads too: its temporary
# name would not fit as ".NAME.smbiov-XXXXXX" and takes a short one.
long=$(printf 'L%.0s' $(seq 250))
head -c 5000 /dev/urandom >"$SMB_ROOT/$SMB_SHARE/$long"
chmod 0666 "$SMB_ROOT/$SMB_SHARE/$long"
mkdir -p "$tmp/long"
smbiov get "$(url "$SMB_PORT" "$SMB_SHARE" "$long")" "$tmp/long/"
expect_ok "get of a 250-byte name"
cmp -s "$tmp/long/$long" "$SMB_ROOT/$SMB_SHARE/$long" || integ_fail "get of a 250-byte name: contents differ"
no_leftovers "$tmp/long"
rm -f "$SMB_ROOT/$SMB_SHARE/$long"
echo "ok: a 250-byte name downloads"

# put to a URL ending in '/': a directory, as for cp. Missing -> an error and
# no file of that name; a file there -> "not a directory"; an existing one
# receives the file under its own name.
echo "slash" >"$tmp/slash.txt"
smbiov put "$tmp/slash.txt" "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.nodir")/"
expect_fail "put to a missing directory/" 6 'no such file or directory'
[[ ! -e $SMB_ROOT/$SMB_SHARE/$run_id.nodir ]] || integ_fail "put to missing/ created '$run_id.nodir'"
echo x >"$SMB_ROOT/$SMB_SHARE/$run_id.afile"
chmod 0666 "$SMB_ROOT/$SMB_SHARE/$run_id.afile"
smbiov put "$tmp/slash.txt" "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.afile")/"
expect_fail "put to a file/" 6 'not a directory'
[[ $(cat "$SMB_ROOT/$SMB_SHARE/$run_id.afile") == x ]] || integ_fail "put to file/ changed the file"
mkdir -m 0777 "$SMB_ROOT/$SMB_SHARE/$run_id.adir"
smbiov put "$tmp/slash.txt" "$(url "$SMB_PORT" "$SMB_SHARE" "$run_id.adir")/"
expect_ok "put to an existing directory/"
cmp -s "$tmp/slash.txt" "$SMB_ROOT/$SMB_SHARE/$run_id.adir/slash.txt" || integ_fail "put to dir/: contents differ"
rm -rf "$SMB_ROOT/$SMB_SHARE/$run_id.afile" "$SMB_ROOT/$SMB_SHARE/$run_id.adir"
echo "ok: put to a URL ending in '/' means a directory"
