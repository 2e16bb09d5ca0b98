#!/usr/bin/env bash
# smbiov's failures: each gives one line on stderr starting "smbiov: ", its
# documented exit code, and no partial destination file:
#   wrong password 3, unknown host 4, closed port 4, unknown share 5,
#   missing path 6, put to the read-only share 7, usage 2.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup
: "${SMB_ROOT:?}"

P=$SMB_PORT

# wrong password
SMBIOV_PASSWORD=wrong-password smbiov ls "$(url "$P" "$SMB_SHARE")"
expect_fail "wrong password" 3 "authentication"
SMBIOV_PASSWORD=wrong-password smbiov get "$(url "$P" "$SMB_SHARE" x)" "$tmp/wp"
expect_fail "get with a wrong password" 3
[[ ! -e $tmp/wp ]] || integ_fail "a failed get created its destination"

# unknown user
smbiov ls "smb://no-such-user-$$@$SMB_HOST:$P/$SMB_SHARE"
expect_fail "unknown user" 3

# unknown host (.invalid never resolves, RFC 2606)
smbiov ls "smb://$SMB_USER@no-such-host.invalid/$SMB_SHARE"
expect_fail "unknown host" 4 "host not found"

# closed port: find one nothing listens on
closed=""
for p in $((P + 97)) $((P + 193)) 1 9; do
	if ! (exec 3<>"/dev/tcp/$SMB_HOST/$p") 2>/dev/null; then
		closed=$p
		break
	fi
done
[[ -n $closed ]] || integ_fail "no closed port found"
smbiov ls "$(url "$closed" "$SMB_SHARE")"
expect_fail "closed port $closed" 4 "refused"

# unknown share
smbiov ls "$(url "$P" "no-such-share-$$")"
expect_fail "unknown share" 5 "share not found"
smbiov get "$(url "$P" "no-such-share-$$" f)" "$tmp/us"
expect_fail "get from an unknown share" 5
[[ ! -e $tmp/us ]] || integ_fail "a failed get created its destination"

# missing path: ls, stat, get, cat, rm
for cmd in ls stat cat rm; do
	smbiov "$cmd" "$(url "$P" "$SMB_SHARE" "no-such-file-$$")"
	expect_fail "$cmd of a missing path" 6 "no such file"
done
smbiov ls "$(url "$P" "$SMB_SHARE" "no-such-dir-$$/x")"
expect_fail "ls below a missing directory" 6

# a failed get leaves no file, no temporary, and an existing file untouched
mkdir -p "$tmp/dl"
smbiov get "$(url "$P" "$SMB_SHARE" "no-such-file-$$")" "$tmp/dl/out"
expect_fail "get of a missing file" 6
[[ ! -e $tmp/dl/out ]] || integ_fail "a failed get created its destination"
no_leftovers "$tmp/dl"
echo precious >"$tmp/dl/keep"
smbiov get "$(url "$P" "$SMB_SHARE" "no-such-file-$$")" "$tmp/dl/keep"
expect_fail "get over an existing file" 6
[[ $(cat "$tmp/dl/keep") == precious ]] || integ_fail "a failed get changed an existing file"
no_leftovers "$tmp/dl"

# read-only share: put, mkdir, rm are refused
echo data >"$tmp/ro"
smbiov put "$tmp/ro" "$(url "$P" "$SMB_RO_SHARE" "new-$$")"
expect_fail "put to the read-only share" 7
smbiov mkdir "$(url "$P" "$SMB_RO_SHARE" "dir-$$")"
expect_fail "mkdir on the read-only share" 7
smbiov rm "$(url "$P" "$SMB_RO_SHARE" hello.txt)"
expect_fail "rm on the read-only share" 7
# ... but reading it works
smbiov cat "$(url "$P" "$SMB_RO_SHARE" hello.txt)"
expect_ok "cat from the read-only share"
cmp "$tmp/out" "$SMB_ROOT/$SMB_RO_SHARE/hello.txt" || integ_fail "hello.txt differs"

# permission denied on a file the server cannot read: no local file either
if [[ -d $SMB_ROOT/$SMB_SHARE ]]; then
	echo secret >"$SMB_ROOT/$SMB_SHARE/locked-$$"
	chmod 000 "$SMB_ROOT/$SMB_SHARE/locked-$$"
	chown root:root "$SMB_ROOT/$SMB_SHARE/locked-$$" 2>/dev/null || true
	smbiov get "$(url "$P" "$SMB_SHARE" "locked-$$")" "$tmp/dl/locked"
	rm -f "$SMB_ROOT/$SMB_SHARE/locked-$$"
	expect_fail "get of an unreadable file" 7 "permission denied"
	[[ ! -e $tmp/dl/locked ]] || integ_fail "a failed get created its destination"
	no_leftovers "$tmp/dl"
fi

# local errors: a missing local source, an unwritable destination
smbiov put "$tmp/no-such-local-$$" "$(url "$P" "$SMB_SHARE" x)"
expect_fail "put of a missing local file" 8
smbc "$P" "$SMB_SHARE" "put $tmp/ro $run_id.local" || integ_fail "smbclient: $(cat "$tmp/smbc")"
smbiov get "$(url "$P" "$SMB_SHARE" "$run_id.local")" "$tmp/no-such-dir/out"
expect_fail "get into a missing local directory" 8
smbc "$P" "$SMB_SHARE" "del $run_id.local" || true

# a directory where a file is wanted: exit 2 for every command, as
# docs/cli.md says ("directory without -r"), naming the directory
smbc "$P" "$SMB_SHARE" "mkdir $run_id.dir" || integ_fail "smbclient mkdir: $(cat "$tmp/smbc")"
smbiov get "$(url "$P" "$SMB_SHARE" "$run_id.dir")" "$tmp/dl/x"
expect_fail "get of a directory without -r" 2 "$run_id.dir: is a directory \\(use get -r\\)"
smbiov cat "$(url "$P" "$SMB_SHARE" "$run_id.dir")"
expect_fail "cat of a directory" 2 "$run_id.dir: is a directory"
smbiov rm "$(url "$P" "$SMB_SHARE" "$run_id.dir")"
expect_fail "rm of a directory without -r" 2 "$run_id.dir: is a directory \\(use rm -r\\)"
smbiov cp "$(url "$P" "$SMB_SHARE" "$run_id.dir")" "$(url "$P" "$SMB_SHARE" "$run_id.cp")"
expect_fail "cp of a directory" 2 "$run_id.dir: is a directory"
mkdir -p "$tmp/localdir"
smbiov put "$tmp/localdir" "$(url "$P" "$SMB_SHARE" "$run_id.pd")"
expect_fail "put of a local directory without -r" 2 "localdir: is a directory \\(use put -r\\)"
smbc "$P" "$SMB_SHARE" "rmdir $run_id.dir" || true

# usage errors: password on the command line, in the URL; bad options
smbiov ls --password=x "$(url "$P" "$SMB_SHARE")"
expect_fail "--password" 2 "not taken from the command line"
smbiov ls "smb://$SMB_USER:pw@$SMB_HOST:$P/$SMB_SHARE"
expect_fail "password in the URL" 2 "invalid URL"
if grep -q ':pw@' "$tmp/err"; then
	integ_fail "the error message repeats the password: $(cat "$tmp/err")"
fi
smbiov ls "$(url "$P" "$SMB_SHARE" "a/../b")"
expect_fail "'..' in the URL" 2 "invalid URL"
smbiov ls --dialect=9.9 "$(url "$P" "$SMB_SHARE")"
[[ $rc -eq 2 ]] || integ_fail "bad --dialect: exit $rc"
smbiov frobnicate
[[ $rc -eq 2 ]] || integ_fail "unknown command: exit $rc"
smbiov get
[[ $rc -eq 2 ]] || integ_fail "get without arguments: exit $rc"
echo "ok: usage errors exit 2"

# no password at all and no terminal: a clear message, not a hang
rc=0
env -u SMBIOV_PASSWORD setsid timeout 30 "$SMBIOV_CLI" ls "$(url "$P" "$SMB_SHARE")" \
	</dev/null >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_fail "no password, no terminal" 2 "no password"

# --help for every command, exit 0
for cmd in ls stat cat get put cp rm mkdir rmdir mv df; do
	smbiov "$cmd" --help
	if [[ $rc -ne 0 ]] || ! grep -q "Usage: smbiov $cmd" "$tmp/out"; then
		integ_fail "$cmd --help: exit $rc"
	fi
done
smbiov --help
if [[ $rc -ne 0 ]] || ! grep -q "Exit codes" "$tmp/out"; then
	integ_fail "--help: exit $rc"
fi
echo "ok: --help everywhere"

# interrupted: SIGINT during a large get exits 10 and leaves no file
truncate -s 1G "$SMB_ROOT/$SMB_SHARE/$run_id.big" 2>/dev/null || true
if [[ -e $SMB_ROOT/$SMB_SHARE/$run_id.big ]]; then
	mkdir -p "$tmp/int"
	"$SMBIOV_CLI" get "$(url "$P" "$SMB_SHARE" "$run_id.big")" "$tmp/int/big" \
		2>"$tmp/err" &
	pid=$!
	sleep 0.3
	kill -INT "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	rm -f "$SMB_ROOT/$SMB_SHARE/$run_id.big"
	if [[ $rc -eq 10 ]]; then
		[[ ! -e $tmp/int/big ]] || integ_fail "an interrupted get left its destination"
		echo "ok: SIGINT -> exit 10, nothing left"
	elif [[ $rc -ne 0 ]]; then
		integ_fail "interrupted get: exit $rc, want 10: $(cat "$tmp/err")"
	fi
	no_leftovers "$tmp/int"
fi
