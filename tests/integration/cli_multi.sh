#!/usr/bin/env bash
# Commands with many URLs: URLs on one share use one connection (one
# --stats block; a stat costs its 3-request compound, not a new session),
# `stat` of 200 files prints exactly what 200 single stats print, in
# argument order, goes on after a missing file, a malformed URL or a
# missing share with the first failure's exit code, and handles two shares
# in one command; `ls`, `cat`, `rm`, `mkdir`, `rmdir` with several URLs;
# URLs read from stdin ('-').
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup
: "${SMB_ROOT:?}"
[[ -d $SMB_ROOT/$SMB_SHARE ]] || integ_skip "the share directory $SMB_ROOT/$SMB_SHARE is not here"

P=$SMB_PORT
S=$SMB_SHARE
d=$run_id.multi
disk=$SMB_ROOT/$S/$d
# shellcheck disable=SC2064 # expand now
trap "rm -rf '$tmp' '$disk'" EXIT

# nblocks: the number of --stats blocks (one per connection) in $tmp/err
nblocks() { grep -c '^stats for ' "$tmp/err" || true; }
# requests: the "requests sent" of the only --stats block
requests() { sed -n 's/^  requests sent *\([0-9]*\)$/\1/p' "$tmp/err"; }

N=200
mkdir "$disk"
for ((i = 0; i < N; i++)); do
	head -c $((i * 37)) /dev/zero >"$disk/f$i"
done
mkdir "$disk/sub"
chown -R "$SMB_USER:" "$disk"
urls=()
for ((i = 0; i < N; i++)); do
	urls+=("$(url "$P" "$S" "$d/f$i")")
done

# ---- stat of N files: one command = N single commands ------------------------
: >"$tmp/single"
for u in "${urls[@]}"; do
	smbiov stat "$u"
	expect_ok "single stat $u"
	cat "$tmp/out" >>"$tmp/single"
done
smbiov --stats stat "${urls[@]}"
expect_ok "stat of $N files"
cmp -s "$tmp/single" "$tmp/out" ||
	integ_fail "stat of $N files differs from $N single stats: $(diff "$tmp/single" "$tmp/out" | head -n 20)"
[[ $(grep -c '^  File: ' "$tmp/out") -eq $N ]] || integ_fail "stat: want $N files printed"
[[ $(nblocks) -eq 1 ]] || integ_fail "stat of $N files on one share: want one connection: $(cat "$tmp/err")"
req=$(requests)
# a stat is CREATE+QUERY_INFO+CLOSE; a connection costs NEGOTIATE, two
# SESSION_SETUPs and TREE_CONNECT (a connection per URL would be 7 per file)
((req >= 3 * N && req <= 3 * N + 10)) ||
	integ_fail "stat of $N files: $req requests, want 3 per file + a few: $(cat "$tmp/err")"
echo "ok: stat of $N files = $N single stats, one connection, $req requests"

# the same URLs from stdin
printf '%s\n' "${urls[@]}" >"$tmp/urls"
rc=0
timeout 120 "$SMBIOV_CLI" stat - <"$tmp/urls" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_ok "stat - (URLs from stdin)"
cmp -s "$tmp/single" "$tmp/out" || integ_fail "stat - differs from the single stats"
# '-' between arguments, CRLF line ends and empty lines
printf '%s\r\n\n' "${urls[@]:1:N-2}" >"$tmp/urls"
rc=0
timeout 120 "$SMBIOV_CLI" stat "${urls[0]}" - "${urls[N - 1]}" <"$tmp/urls" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_ok "stat URL - URL"
cmp -s "$tmp/single" "$tmp/out" || integ_fail "stat URL - URL differs from the single stats"
rc=0
timeout 120 "$SMBIOV_CLI" stat - - </dev/null >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_fail "stat - -" 2 "only once"
echo "ok: stat - reads URLs from stdin"

# ---- failures among them: reported, the others printed, first code wins -----
bad=("${urls[@]}")
bad[50]=$(url "$P" "$S" "$d/missing")
smbiov stat "${bad[@]}"
expect_fail "stat with a missing file" 6 "missing: no such file"
[[ $(grep -c '^  File: ' "$tmp/out") -eq $((N - 1)) ]] ||
	integ_fail "stat with a missing file: want the other $((N - 1)) printed"
# stdout = the single stats without f50's block (9 lines each)
sed '451,459d' "$tmp/single" >"$tmp/want"
cmp -s "$tmp/want" "$tmp/out" || integ_fail "stat with a missing file: output differs: $(diff "$tmp/want" "$tmp/out" | head)"

bad[120]="smb://$SMB_USER:secret@$SMB_HOST:$P/$S/x"
bad[150]=$(url "$P" nosuchshare "x")
bad[151]=$(url "$P" nosuchshare "y")
smbiov stat "${bad[@]}"
[[ $rc -eq 6 ]] || integ_fail "stat with four failures: exit $rc, want 6 (the first): $(cat "$tmp/err")"
[[ $(wc -l <"$tmp/err") -eq 4 ]] || integ_fail "stat with four failures: want 4 lines: $(cat "$tmp/err")"
grep -q 'invalid URL' "$tmp/err" || integ_fail "no invalid URL message: $(cat "$tmp/err")"
grep -q 'secret' "$tmp/err" && integ_fail "the password was repeated: $(cat "$tmp/err")"
[[ $(grep -c 'nosuchshare: share not found' "$tmp/err") -eq 2 ]] ||
	integ_fail "want the missing share reported for both its URLs: $(cat "$tmp/err")"
[[ $(grep -c '^  File: ' "$tmp/out") -eq $((N - 4)) ]] ||
	integ_fail "stat with four failures: want the other $((N - 4)) printed"
smbiov stat "${bad[150]}" "${urls[0]}"
[[ $rc -eq 5 ]] || integ_fail "missing share first: exit $rc, want 5"
grep -q '^  File: ' "$tmp/out" || integ_fail "missing share first: the next URL was not printed"
echo "ok: stat goes on after failures, exit code of the first"

# ---- two shares in one command: two connections -----------------------------
ro=$(url "$P" "$SMB_RO_SHARE" hello.txt)
smbiov --stats stat "${urls[0]}" "$ro" "${urls[1]}" "$ro" "$(url "$P" "$S" "$d/sub")"
expect_ok "stat on two shares"
[[ $(nblocks) -eq 2 ]] || integ_fail "stat on two shares: want two connections: $(cat "$tmp/err")"
grep '^  File: ' "$tmp/out" | sed 's/.*:[0-9]*\///' >"$tmp/order"
printf '%s\n' "$S/$d/f0" "$SMB_RO_SHARE/hello.txt" "$S/$d/f1" "$SMB_RO_SHARE/hello.txt" "$S/$d/sub" >"$tmp/want"
cmp -s "$tmp/want" "$tmp/order" || integ_fail "stat on two shares: order: $(cat "$tmp/order")"
grep -q 'Size: 14' "$tmp/out" || integ_fail "stat of ro/hello.txt: $(cat "$tmp/out")"
echo "ok: stat on two shares, in argument order"

# ---- ls, cat, rm, mkdir, rmdir with several URLs: one connection --------------
smbiov --stats ls "$(url "$P" "$S" "$d/f1")" "$(url "$P" "$S" "$d/sub")" "$(url "$P" "$S" "$d/f2")"
expect_ok "ls of three URLs"
[[ $(nblocks) -eq 1 ]] || integ_fail "ls of three URLs: want one connection: $(cat "$tmp/err")"
printf 'f1\n\n%s:\n\nf2\n' "$(url "$P" "$S" "$d/sub")" >"$tmp/want"
cmp -s "$tmp/want" "$tmp/out" || integ_fail "ls of three URLs: $(cat "$tmp/out")"

printf 'one\n' >"$disk/c1"
printf 'two\n' >"$disk/c2"
chown "$SMB_USER:" "$disk/c1" "$disk/c2"
smbiov --stats cat "$(url "$P" "$S" "$d/c1")" "$(url "$P" "$S" "$d/c2")" "$(url "$P" "$S" "$d/c1")"
expect_ok "cat of three URLs"
[[ $(nblocks) -eq 1 ]] || integ_fail "cat of three URLs: want one connection: $(cat "$tmp/err")"
[[ $(cat "$tmp/out") == $'one\ntwo\none' ]] || integ_fail "cat of three URLs: $(cat "$tmp/out")"

# cat stops at the first failure, as before
smbiov cat "$(url "$P" "$S" "$d/c1")" "$(url "$P" "$S" "$d/nope")" "$(url "$P" "$S" "$d/c2")"
expect_fail "cat with a missing file" 6 "nope"
[[ $(cat "$tmp/out") == one ]] || integ_fail "cat after a failure went on: $(cat "$tmp/out")"

dirs=()
for i in 1 2 3 4 5; do dirs+=("$(url "$P" "$S" "$d/sub/m$i")"); done
smbiov --stats mkdir "${dirs[@]}"
expect_ok "mkdir of five URLs"
[[ $(nblocks) -eq 1 ]] || integ_fail "mkdir of five URLs: want one connection: $(cat "$tmp/err")"
for i in 1 2 3 4 5; do [[ -d $disk/sub/m$i ]] || integ_fail "mkdir: m$i not made"; done
smbiov --stats rmdir "${dirs[@]}"
expect_ok "rmdir of five URLs"
[[ $(nblocks) -eq 1 ]] || integ_fail "rmdir of five URLs: want one connection: $(cat "$tmp/err")"
[[ -z $(ls -A "$disk/sub") ]] || integ_fail "rmdir left: $(ls -A "$disk/sub")"

printf '%s\n' "${urls[@]:0:100}" >"$tmp/urls"
rc=0
timeout 120 "$SMBIOV_CLI" --stats rm - <"$tmp/urls" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_ok "rm of 100 URLs from stdin"
[[ $(nblocks) -eq 1 ]] || integ_fail "rm of 100 URLs: want one connection: $(cat "$tmp/err")"
for ((i = 0; i < 100; i++)); do [[ ! -e $disk/f$i ]] || integ_fail "rm: f$i is still there"; done
[[ -e $disk/f100 ]] || integ_fail "rm removed f100"
echo "ok: ls, cat, mkdir, rmdir, rm with several URLs on one connection"
