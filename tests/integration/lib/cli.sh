# shellcheck shell=bash
# Helpers for the CLI's shell tests (tests/integration/cli_*.sh); source it
# after lib/integ.sh:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
#   cli_setup
#
# cli_setup loads the server env, checks $SMBIOV_CLI and smbclient, makes
# $tmp (removed at exit) and a private smbclient config $conf. The password
# goes to the CLI through SMBIOV_PASSWORD, never argv.

# cli_setup: skip unless the server env, the CLI and smbclient are there.
cli_setup() {
	integ_env_load || integ_skip "no test server env (run through ctest, which starts one)"
	: "${SMB_HOST:?}" "${SMB_PORT:?}" "${SMB_USER:?}" "${SMB_PASS:?}" "${SMB_SHARE:?}"
	: "${SMB_ENC_SHARE:?}" "${SMB_RO_SHARE:?}" "${SMB_SIGNED_PORT:?}" "${SMB_SIGNED_SHARE:?}"
	[[ -n ${SMBIOV_CLI:-} && -x ${SMBIOV_CLI:-} ]] ||
		integ_skip "the smbiov CLI is not built (SMBIOV_CLI='${SMBIOV_CLI:-}')"
	command -v smbclient >/dev/null || integ_skip "smbclient not installed (scripts/install-deps)"
	command -v sha256sum >/dev/null || integ_skip "sha256sum not installed"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/smbiov_cli.XXXXXX")
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	conf=$(integ_client_conf "$tmp/client")
	export SMBIOV_PASSWORD=$SMB_PASS
	# a unique prefix per run, so leftovers of a crashed run do not collide
	# shellcheck disable=SC2034 # used by the scripts that source this
	run_id="cli$$"
}

# url PORT SHARE [PATH]: the smb:// URL of PATH on SHARE.
url() {
	local port=$1 share=$2 path=${3:-}
	echo "smb://$SMB_USER@$SMB_HOST:$port/$share${path:+/$path}"
}

# smbiov ARGS...: run the CLI with a time limit; stdout and stderr go to
# $tmp/out and $tmp/err, the exit code to $rc. Never fails the script.
smbiov() {
	rc=0
	timeout 120 "$SMBIOV_CLI" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# smbc PORT SHARE COMMANDS [OPTIONS...]: smbclient; output in $tmp/smbc.
smbc() {
	local port=$1 share=$2 cmds=$3
	shift 3
	timeout 120 smbclient -s "$conf" "//$SMB_HOST/$share" -p "$port" \
		-U "$SMB_USER%$SMB_PASS" "$@" -c "$cmds" >"$tmp/smbc" 2>&1
}

# smbc_opts PORT SHARE: the protection smbclient needs for that share.
smbc_opts() {
	case $2 in
	"$SMB_ENC_SHARE") echo "--client-protection=encrypt" ;;
	"$SMB_SIGNED_SHARE") echo "--client-protection=sign" ;;
	*) echo "--client-protection=off" ;;
	esac
}

sha() { sha256sum <"$1" | cut -d' ' -f1; }

# expect_ok WHAT: the last smbiov run succeeded with nothing on stderr
# (besides --stats output, which the callers check themselves).
expect_ok() {
	[[ $rc -eq 0 ]] || integ_fail "$1: exit $rc, stderr: $(cat "$tmp/err")"
}

# expect_fail WHAT CODE [PATTERN]: the last run exited with CODE and printed
# exactly one line on stderr, "smbiov: ...", matching PATTERN if given.
expect_fail() {
	local what=$1 code=$2 pattern=${3:-}
	local lines
	[[ $rc -eq $code ]] ||
		integ_fail "$what: exit $rc, want $code; stderr: $(cat "$tmp/err")"
	lines=$(wc -l <"$tmp/err")
	[[ $lines -eq 1 ]] ||
		integ_fail "$what: want one line on stderr, got $lines: $(cat "$tmp/err")"
	grep -q '^smbiov: ' "$tmp/err" ||
		integ_fail "$what: message does not start with 'smbiov: ': $(cat "$tmp/err")"
	if [[ -n $pattern ]]; then
		grep -qiE "$pattern" "$tmp/err" ||
			integ_fail "$what: message does not match /$pattern/: $(cat "$tmp/err")"
	fi
	echo "ok: $what -> exit $code: $(cat "$tmp/err")"
}

# no_leftovers DIR: no temporary file of get (.NAME.smbiov-XXXXXX) in DIR.
no_leftovers() {
	local left
	left=$(find "$1" -maxdepth 1 -name '.*.smbiov-*' | head -n 3)
	[[ -z $left ]] || integ_fail "temporary files left behind in $1: $left"
}

# relay_start ARGS...: the bench's delay_relay in front of the server's
# plain port, with ARGS (-d ONE_WAY_MS required; -b KIB queue, -s KIB
# stall); sets $relay_pid and $relay_port. relay_stop ends it; a script's
# EXIT trap should too ("kill $relay_pid").
relay_start() {
	[[ -x ${SMBIOV_DELAY_RELAY:-} ]] ||
		integ_fail "SMBIOV_DELAY_RELAY (bench/delay_relay) not built: '${SMBIOV_DELAY_RELAY:-}'"
	# emptied here, not only by the background job's redirection: the
	# loop below could read a previous relay's "ready" (a port nobody
	# listens on any more) before the new job got to truncate the file
	: >"$tmp/relay.out"
	"$SMBIOV_DELAY_RELAY" -l 127.0.0.1:0 -c "127.0.0.1:$SMB_PORT" "$@" >"$tmp/relay.out" 2>&1 &
	relay_pid=$!
	for _ in $(seq 600); do
		grep -q '^ready' "$tmp/relay.out" && break
		sleep 0.1
	done
	relay_port=$(sed -n 's/^ready \([0-9][0-9]*\)$/\1/p' "$tmp/relay.out")
	[[ -n $relay_port ]] || integ_fail "delay_relay did not start: $(cat "$tmp/relay.out")"
}

relay_stop() {
	kill "$relay_pid" 2>/dev/null || true
	wait "$relay_pid" 2>/dev/null || true
	relay_pid=
}
