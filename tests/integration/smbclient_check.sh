#!/usr/bin/env bash
# Harness self-check, not a test of smbiov: Samba's own client, with the
# fixture's credentials, can use every share the integration tests rely on —
# put and get a file on public, encrypted (SMB3 encryption) and, on the
# signing-required instance, signed; list ro and read hello.txt from it, and
# be refused a write there. When this fails, the server or the credentials
# are broken, not smbiov.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"

integ_env_load || integ_skip "no test server env (run through ctest, which starts one)"
: "${SMB_ROOT:?}" "${SMB_SIGNED_PORT:?}" "${SMB_USER:?}" "${SMB_PASS:?}"
PATH=$PATH:/usr/bin
command -v smbclient >/dev/null || integ_skip "smbclient not installed (scripts/install-deps)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smbclient_check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
conf=$(integ_client_conf "$tmp/client")
head -c 300000 /dev/urandom >"$tmp/up"
name=smbclient_check.$$

# smbc PORT SHARE COMMANDS [OPTIONS...]: run smbclient, output to $tmp/out.
smbc() {
	local port=$1 share=$2 cmds=$3
	shift 3
	smbclient -s "$conf" "//$SMB_HOST/$share" -p "$port" \
		-U "$SMB_USER%$SMB_PASS" "$@" -c "$cmds" >"$tmp/out" 2>&1
}

# roundtrip PORT SHARE [OPTIONS...]: put, get back, compare, delete.
roundtrip() {
	local port=$1 share=$2
	shift 2
	rm -f "$tmp/down"
	smbc "$port" "$share" "put $tmp/up $name; get $name $tmp/down; del $name" "$@" ||
		integ_fail "smbclient on //$SMB_HOST:$port/$share: $(cat "$tmp/out")"
	cmp "$tmp/up" "$tmp/down" ||
		integ_fail "//$SMB_HOST:$port/$share: the file read back differs"
	echo "ok: put/get on $share (port $port) $*"
}

roundtrip "$SMB_PORT" "$SMB_SHARE"
roundtrip "$SMB_PORT" "$SMB_ENC_SHARE" --client-protection=encrypt
roundtrip "$SMB_SIGNED_PORT" "$SMB_SIGNED_SHARE" --client-protection=sign

# SMB 2.1 has no encryption: the encrypted share must turn it away.
if smbc "$SMB_PORT" "$SMB_ENC_SHARE" "ls" -m SMB2_10; then
	integ_fail "$SMB_ENC_SHARE accepted an unencrypted SMB 2.1 tree connect"
fi
grep -q NT_STATUS_ACCESS_DENIED "$tmp/out" ||
	integ_fail "SMB 2.1 on $SMB_ENC_SHARE: expected NT_STATUS_ACCESS_DENIED: $(cat "$tmp/out")"
echo "ok: $SMB_ENC_SHARE refuses an unencrypted (SMB 2.1) client"

smbc "$SMB_PORT" "$SMB_RO_SHARE" "ls; get hello.txt $tmp/hello" ||
	integ_fail "smbclient on $SMB_RO_SHARE: $(cat "$tmp/out")"
grep -q 'hello\.txt' "$tmp/out" || integ_fail "hello.txt not listed in $SMB_RO_SHARE"
cmp "$tmp/hello" "$SMB_ROOT/$SMB_RO_SHARE/hello.txt" ||
	integ_fail "hello.txt read over SMB differs from $SMB_ROOT/$SMB_RO_SHARE/hello.txt"
echo "ok: $SMB_RO_SHARE lists and serves hello.txt"

if smbc "$SMB_PORT" "$SMB_RO_SHARE" "put $tmp/up $name"; then
	integ_fail "a write to the read-only share $SMB_RO_SHARE succeeded"
fi
grep -q NT_STATUS_ACCESS_DENIED "$tmp/out" ||
	integ_fail "write to $SMB_RO_SHARE: expected NT_STATUS_ACCESS_DENIED: $(cat "$tmp/out")"
echo "ok: $SMB_RO_SHARE refuses writes"

if smbc "$SMB_PORT" "$SMB_SHARE" "ls" -U "$SMB_USER%wrong-password"; then
	integ_fail "a logon with a wrong password succeeded"
fi
grep -q NT_STATUS_LOGON_FAILURE "$tmp/out" ||
	integ_fail "wrong password: expected NT_STATUS_LOGON_FAILURE: $(cat "$tmp/out")"
echo "ok: a wrong password is refused"
