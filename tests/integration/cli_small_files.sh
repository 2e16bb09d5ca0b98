#!/usr/bin/env bash
# get of many small files: a single file costs one round trip for open and
# data (CREATE + READ as one compound, smbiov_open_read) plus the CLOSE;
# in a tree, a file the listing says is small is one compound of CREATE +
# READ + CLOSE (smbiov_read_file). --stats must show at most 3 requests
# and about one message per file plus a constant for the connection and
# the listing (the old path needed at least 5 requests: CREATE,
# QUERY_INFO, two READs, CLOSE). put -r of them: one message per file
# (CREATE + WRITE + CLOSE). Contents compared with the files on the
# server's disk, on the plain, encrypted and signed shares; files just
# under, at and over the first read (1 MiB) take the continuation path.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup
: "${SMB_ROOT:?}"

N=40
MiB=$((1024 * 1024))

# seed SHARE DIR: N small files (0..5000 bytes) in SMB_ROOT/SHARE/DIR
seed() {
	local dir="$SMB_ROOT/$1/$2" i
	mkdir -p "$dir"
	head -c 0 /dev/null >"$dir/f0"
	for ((i = 1; i < N; i++)); do
		head -c $((RANDOM % 5001)) /dev/urandom >"$dir/f$i"
	done
}

# same LOCALDIR SHARE DIR: every seeded file arrived intact
same() {
	local i
	for ((i = 0; i < N; i++)); do
		cmp -s "$1/f$i" "$SMB_ROOT/$2/$3/f$i" ||
			integ_fail "get -r from $2: f$i differs"
	done
	no_leftovers "$1"
}

# requests: the "requests sent" number from --stats on stderr
requests() {
	sed -n 's/^  requests sent *\([0-9][0-9]*\).*/\1/p' "$tmp/err" | head -1
}

d=$run_id.small
seed "$SMB_SHARE" "$d"
smbiov --stats get -r "$(url "$SMB_PORT" "$SMB_SHARE" "$d")" "$tmp/plain"
expect_ok "get -r of $N small files"
same "$tmp/plain" "$SMB_SHARE" "$d"
req=$(requests)
[[ -n $req ]] || integ_fail "--stats shows no request count: $(cat "$tmp/err")"
# Per file: CREATE+READ (one compound) and CLOSE. The constant covers
# NEGOTIATE, SESSION_SETUP (2), TREE_CONNECT, the stat compound (3), the
# listing (CREATE, QUERY_DIRECTORY until empty, CLOSE) and credit-refill
# ECHOs; 25 is generous for all of them and far below the 2 * N the old
# path's extra QUERY_INFO and READ per file cost.
bound=$((3 * N + 25))
((req <= bound)) || integ_fail "get -r of $N small files: $req requests, want <= $bound"
# A file the listing says is small is one compound, one message: CREATE +
# READ + CLOSE (smbiov_read_file); open + read, then close, took two.
msgs=$(sed -n 's/^  messages sent *\([0-9][0-9]*\).*/\1/p' "$tmp/err" | head -1)
[[ -n $msgs ]] || integ_fail "--stats shows no message count: $(cat "$tmp/err")"
mbound=$((N + 15))
((msgs <= mbound)) || integ_fail "get -r of $N small files: $msgs messages, want <= $mbound"
echo "ok: get -r of $N small files in $req requests (bound $bound), $msgs messages (bound $mbound)"

# put -r of the same tree: one message per file too (CREATE + WRITE +
# CLOSE, smbiov_write_file), checked on the server's disk.
smbiov --stats put -r "$tmp/plain" "$(url "$SMB_PORT" "$SMB_SHARE" "$d.up")"
expect_ok "put -r of $N small files"
same "$tmp/plain" "$SMB_SHARE" "$d.up"
msgs=$(sed -n 's/^  messages sent *\([0-9][0-9]*\).*/\1/p' "$tmp/err" | head -1)
((msgs <= mbound)) || integ_fail "put -r of $N small files: $msgs messages, want <= $mbound"
echo "ok: put -r of $N small files in $msgs messages (bound $mbound)"

# A regular file whose stat size is not its length (/proc says 0): the
# small path reads one byte past the stat size, sees more and reads on (up
# to 1 MiB); all of it must arrive.
smbiov put /proc/version "$(url "$SMB_PORT" "$SMB_SHARE" "$d.procver")"
expect_ok "put of /proc/version"
# cmp trusts stat sizes: read /proc through a pipe.
cat /proc/version | cmp -s - "$SMB_ROOT/$SMB_SHARE/$d.procver" ||
	integ_fail "put of /proc/version: $(wc -c <"$SMB_ROOT/$SMB_SHARE/$d.procver") bytes arrived, want $(wc -c </proc/version)"
rm -f "$SMB_ROOT/$SMB_SHARE/$d.procver"
# The same past the small path: /proc/kallsyms says 0 and reads megabytes;
# sendfile would have sent the 0 bytes its size promises.
cat /proc/kallsyms >"$tmp/kallsyms"
(($(stat -c %s "$tmp/kallsyms") > MiB)) || integ_fail "/proc/kallsyms reads only $(stat -c %s "$tmp/kallsyms") bytes"
for share in "$SMB_SHARE" "$SMB_ENC_SHARE"; do
	smbiov put /proc/kallsyms "$(url "$SMB_PORT" "$share" "$d.kallsyms")"
	expect_ok "put of /proc/kallsyms to $share"
	cmp -s "$tmp/kallsyms" "$SMB_ROOT/$share/$d.kallsyms" ||
		integ_fail "put of /proc/kallsyms to $share: $(stat -c %s "$SMB_ROOT/$share/$d.kallsyms") bytes arrived, want $(stat -c %s "$tmp/kallsyms")"
	rm -f "$SMB_ROOT/$share/$d.kallsyms"
done
echo "ok: put of files longer than their stat size"

# One small file alone: connection + CREATE/READ + CLOSE (no stat: a
# directory would show up as the open failing).
smbiov --stats get "$(url "$SMB_PORT" "$SMB_SHARE" "$d/f7")" "$tmp/one"
expect_ok "get of one small file"
cmp -s "$tmp/one" "$SMB_ROOT/$SMB_SHARE/$d/f7" || integ_fail "get of f7 differs"
req1=$(requests)
smbiov --stats cat "$(url "$SMB_PORT" "$SMB_SHARE" "$d/f7")"
expect_ok "cat of one small file"
cmp -s "$tmp/out" "$SMB_ROOT/$SMB_SHARE/$d/f7" || integ_fail "cat of f7 differs"
reqc=$(requests)
# get of a file costs what cat costs: neither stats first.
((reqc == req1)) || integ_fail "cat used $reqc requests, get $req1: want the same"
echo "ok: get of one small file: $req1 requests, cat: $reqc"

# Around the first read's size: the rest comes by the usual reads.
for size in $((MiB - 1)) $MiB $((MiB + 1)) $((3 * MiB + 5)); do
	head -c "$size" /dev/urandom >"$SMB_ROOT/$SMB_SHARE/$d.$size"
	smbiov get "$(url "$SMB_PORT" "$SMB_SHARE" "$d.$size")" "$tmp/big"
	expect_ok "get of $size bytes"
	cmp -s "$tmp/big" "$SMB_ROOT/$SMB_SHARE/$d.$size" || integ_fail "get of $size bytes differs"
	timeout 120 "$SMBIOV_CLI" cat "$(url "$SMB_PORT" "$SMB_SHARE" "$d.$size")" |
		cmp -s - "$SMB_ROOT/$SMB_SHARE/$d.$size" || integ_fail "cat of $size bytes through a pipe differs"
	rm -f "$SMB_ROOT/$SMB_SHARE/$d.$size"
	echo "ok: get and cat of $size bytes"
done

# Sealed and signed connections: the same bytes.
seed "$SMB_ENC_SHARE" "$d"
smbiov --stats get -r "$(url "$SMB_PORT" "$SMB_ENC_SHARE" "$d")" "$tmp/enc"
expect_ok "get -r from the encrypted share"
grep -q '^  encryption *none' "$tmp/err" && integ_fail "encrypted share not encrypted: $(cat "$tmp/err")"
same "$tmp/enc" "$SMB_ENC_SHARE" "$d"
echo "ok: encrypted share"
if [[ $SMB_SIGNED_PORT != 0 ]]; then
	seed "$SMB_SIGNED_SHARE" "$d"
	smbiov --stats get -r "$(url "$SMB_SIGNED_PORT" "$SMB_SIGNED_SHARE" "$d")" "$tmp/signed"
	expect_ok "get -r from the signed server"
	grep -q '^  signing *none' "$tmp/err" && integ_fail "signed server not signing: $(cat "$tmp/err")"
	same "$tmp/signed" "$SMB_SIGNED_SHARE" "$d"
	echo "ok: signed server"
fi

# Missing file: the CREATE's error, no output file left behind.
smbiov get "$(url "$SMB_PORT" "$SMB_SHARE" "$d/nope")" "$tmp/nope"
[[ $rc -eq 6 ]] || integ_fail "get of a missing file: exit $rc, want 6"
[[ ! -e $tmp/nope ]] || integ_fail "get of a missing file left $tmp/nope"
smbiov cat "$(url "$SMB_PORT" "$SMB_SHARE" "$d/nope")"
expect_fail "cat of a missing file" 6 "no such file"
rm -rf "${SMB_ROOT:?}/$SMB_SHARE/$d" "${SMB_ROOT:?}/$SMB_ENC_SHARE/$d" "${SMB_ROOT:?}/$SMB_SIGNED_SHARE/$d"
echo "ok: cli_small_files"
