#!/usr/bin/env bash
# Connection options of the CLI: --credentials files (mount.cifs format,
# permission warning), SMBIOV_PASSWORD, --stats, --dialect, --sign and
# --encrypt as reported by --stats; progress stays off when stderr is not a
# TTY and --progress forces it.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup

P=$SMB_PORT
S=$SMB_SHARE
bare="smb://$SMB_HOST:$P/$S"

# a credentials file gives user and password; no SMBIOV_PASSWORD needed
printf 'username=%s\npassword=%s\n' "$SMB_USER" "$SMB_PASS" >"$tmp/creds"
chmod 600 "$tmp/creds"
rc=0
env -u SMBIOV_PASSWORD timeout 60 "$SMBIOV_CLI" --credentials "$tmp/creds" ls "$bare" \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
expect_ok "--credentials"
[[ ! -s $tmp/err ]] || integ_fail "--credentials (mode 600) printed: $(cat "$tmp/err")"

# group-readable: works, with a warning
chmod 640 "$tmp/creds"
smbiov ls --credentials "$tmp/creds" "$bare"
expect_ok "--credentials, group-readable"
grep -q "warning: .*readable by group or others" "$tmp/err" ||
	integ_fail "no warning for a group-readable credentials file: $(cat "$tmp/err")"
chmod 600 "$tmp/creds"

# the file's password wins over SMBIOV_PASSWORD; a wrong one fails with 3
printf 'username=%s\npassword=wrong\n' "$SMB_USER" >"$tmp/creds.bad"
chmod 600 "$tmp/creds.bad"
smbiov ls --credentials "$tmp/creds.bad" "$bare"
expect_fail "--credentials with a wrong password" 3
smbiov ls --credentials "$tmp/missing-creds" "$bare"
[[ $rc -eq 2 ]] || integ_fail "missing credentials file: exit $rc"
echo "ok: credentials files"

# --stats: printed on stderr, stdout untouched
echo hello >"$tmp/h"
smbiov put "$tmp/h" "$(url "$P" "$S" "$run_id.h")"
expect_ok "put"
smbiov --stats cat "$(url "$P" "$S" "$run_id.h")"
expect_ok "cat --stats"
[[ $(cat "$tmp/out") == hello ]] || integ_fail "--stats changed stdout: $(cat "$tmp/out")"
for key in dialect encryption signing "requests sent" "max credits in flight" \
	"payload sent" "payload received" "payload copied" "payload spliced"; do
	grep -q "^  $key " "$tmp/err" || integ_fail "--stats lacks '$key': $(cat "$tmp/err")"
done
grep -qE '^  payload received +6 bytes' "$tmp/err" ||
	integ_fail "--stats: want 6 payload bytes received: $(cat "$tmp/err")"
echo "ok: --stats"

# --dialect, --encrypt, --sign as --stats reports them
for d in 2.0.2 2.1 3.0 3.0.2 3.1.1; do
	smbiov --stats --dialect "$d" cat "$(url "$P" "$S" "$run_id.h")"
	expect_ok "--dialect $d"
	grep -qE "^  dialect +$d\$" "$tmp/err" || integ_fail "--dialect $d: $(cat "$tmp/err")"
done
smbiov --stats --encrypt cat "$(url "$P" "$S" "$run_id.h")"
expect_ok "--encrypt"
grep -qE '^  encryption +AES-' "$tmp/err" || integ_fail "--encrypt: $(cat "$tmp/err")"
smbiov --stats cat "$(url "$P" "$SMB_ENC_SHARE" "$run_id.nonexistent")"
grep -qE '^  encryption +AES-' "$tmp/err" ||
	integ_fail "the encrypted share did not encrypt: $(cat "$tmp/err")"
smbiov --stats --sign ls "$(url "$SMB_SIGNED_PORT" "$SMB_SIGNED_SHARE")"
expect_ok "--sign"
grep -qE '^  signing +(HMAC-SHA256|AES-CMAC|AES-GMAC)' "$tmp/err" || integ_fail "--sign: $(cat "$tmp/err")"
# encryption cannot be had below SMB 3: refused, not silently dropped
smbiov --encrypt --dialect 2.1 ls "$(url "$P" "$S")"
[[ $rc -eq 9 ]] || integ_fail "--encrypt with --dialect 2.1: exit $rc, want 9: $(cat "$tmp/err")"
echo "ok: --dialect, --encrypt, --sign"

# progress: off when stderr is not a TTY, on with --progress
head -c 3000000 /dev/urandom >"$tmp/p"
smbiov put "$tmp/p" "$(url "$P" "$S" "$run_id.p")"
expect_ok "put (no TTY)"
[[ ! -s $tmp/err ]] || integ_fail "progress output without a TTY: $(cat "$tmp/err")"
smbiov --progress get "$(url "$P" "$S" "$run_id.p")" "$tmp/p.back"
expect_ok "get --progress"
grep -q "100%" "$tmp/err" || integ_fail "--progress drew no bar: $(cat "$tmp/err")"
grep -q "ETA" "$tmp/err" || integ_fail "--progress shows no ETA: $(cat "$tmp/err")"
cmp "$tmp/p" "$tmp/p.back" || integ_fail "get --progress: contents"
echo "ok: progress"

smbc "$P" "$S" "del $run_id.h; del $run_id.p" || true
