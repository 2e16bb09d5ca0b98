# shellcheck shell=bash
# Private Samba instances started by a test itself (beside the CTest fixture's
# shared server), for settings the fixture does not have: a forced cipher or
# signing algorithm, or a server the test may kill. Source it after
# lib/integ.sh and lib/cli.sh, and call cli_setup first:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/private.sh"
#   private_trap                       # stop every instance, then rm -rf $tmp, at exit
#   private_start NAME [KEY=VALUE...]  # scripts/samba-server start $tmp/NAME auto
#   ... $PS_PORT $PS_ROOT $PS_STATE ...
#   private_stop NAME
#
# Each instance is a main smbd only (SMB_SIGNED_PORT=0) on a free port of its
# own, with the fixture's user and password. The knobs of scripts/samba-server
# (SMB_ENCRYPTION_ALGS, SMB_SIGNING_ALGS, ...) are taken only from the
# KEY=VALUE arguments, never inherited from the environment.

private_dirs=()

# private_server: the path of scripts/samba-server.
private_server() {
	local src=${SMBIOV_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
	echo "$src/scripts/samba-server"
}

# private_stop_all: stop every instance private_start started (by the pids the
# server script recorded). Safe to call twice.
private_stop_all() {
	local d
	for d in ${private_dirs[@]+"${private_dirs[@]}"}; do
		timeout 60 bash "$(private_server)" stop "$d" >/dev/null 2>&1 || true
	done
	private_dirs=()
}

# shellcheck disable=SC2154 # $tmp is cli_setup's
# private_trap: at exit (and on SIGINT/SIGTERM/SIGHUP), stop the instances and
# remove $tmp. Replaces cli_setup's trap.
private_trap() {
	trap 'private_stop_all; rm -rf "$tmp"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# private_start NAME [KEY=VALUE...]: start instance NAME in $tmp/NAME on a free
# port; sets PS_PORT, PS_ROOT (its share directories) and PS_STATE (its
# state directory: config, logs, run/smbd.pid). Fails the test on error.
private_start() {
	local name=$1 d=$tmp/$1 out
	shift
	mkdir -p "$d"
	private_dirs+=("$d")
	if ! out=$(env -u SMB_ENCRYPTION_ALGS -u SMB_SIGNING_ALGS -u SMB_MIN_PROTOCOL \
		-u SMB_MAX_PROTOCOL -u SMB_EXTRA_GLOBAL -u SMB_TMPFS -u SMB_LOG_LEVEL \
		SMB_SIGNED_PORT=0 "$@" timeout 90 bash "$(private_server)" start "$d" auto \
		2>"$d.start-err"); then
		integ_fail "private server $name ($*) did not start: $(cat "$d.start-err")"
	fi
	PS_PORT=$(sed -n 's/^SMB_PORT=//p' <<<"$out")
	PS_ROOT=$(sed -n 's/^SMB_ROOT=//p' <<<"$out")
	PS_STATE=$(sed -n 's/^SMB_STATE_DIR=//p' <<<"$out")
	[[ $PS_PORT =~ ^[0-9]+$ && -d $PS_ROOT && -d $PS_STATE ]] ||
		integ_fail "private server $name: unexpected report: $out"
	echo "private server $name on port $PS_PORT ($*)"
}

# private_stop NAME: stop instance NAME (logs stay in $tmp/NAME/log until exit).
private_stop() {
	local d=$tmp/$1
	timeout 60 bash "$(private_server)" stop "$d" >/dev/null 2>&1 ||
		echo "warning: stopping private server $1 failed" >&2
}

# private_kill NAME [SIGNAL]: send SIGNAL (default KILL) to instance NAME's
# smbd processes -- the pid recorded in its run/smbd.pid and every process
# forked from it (one per connection), which share its process group --
# without the clean shutdown of `stop`. SIGNAL STOP freezes them (a server
# that keeps its connections open and answers nothing).
private_kill() {
	local d pid pgid conf sig=${2:-KILL}
	d=$(cd "$tmp/$1" && pwd -P) || integ_fail "private_kill $1: no such instance"
	pid=$(cat "$d/run/smbd.pid") || integ_fail "private_kill $1: no run/smbd.pid"
	[[ $pid =~ ^[0-9]+$ ]] || integ_fail "private_kill $1: bad pid '$pid'"
	conf=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) ||
		integ_fail "private_kill $1: smbd $pid is not running"
	[[ $conf == *smbd*"$d/smb.conf"* ]] ||
		integ_fail "private_kill $1: pid $pid is not this instance's smbd: $conf"
	pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
	if [[ $pgid == "$pid" ]]; then
		kill "-$sig" -- "-$pid" 2>/dev/null || true
	else
		# not a group leader: the recorded pid and its direct children
		# shellcheck disable=SC2046 # one pid per word
		kill "-$sig" "$pid" $(ps -o pid= --ppid "$pid") 2>/dev/null || true
	fi
}
