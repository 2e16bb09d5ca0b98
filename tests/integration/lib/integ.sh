# shellcheck shell=bash
# Helpers for the shell integration tests (tests/integration/*.sh); source it:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
#   integ_env_load || integ_skip "no test server env (run through ctest)"
#
# Exit codes as in tests/unit/t.h: 0 pass, 1 fail, 77 skip; under CI=true a
# skip is a failure. CTest sets SMBIOV_INTEG_ENV (the fixture's env file),
# SMBIOV_SOURCE_DIR and SMBIOV_CLI (the built CLI, empty if there is none).

# integ_skip WHY: skip the test (exit 77), or fail it under CI=true.
integ_skip() {
	echo "SKIP: $*" >&2
	if [[ ${CI:-} == true ]]; then
		exit 1
	fi
	exit 77
}

# integ_fail WHY: fail the test, pointing at the server's logs.
integ_fail() {
	echo "FAIL: $*" >&2
	if [[ -n ${SMB_STATE_DIR:-} ]]; then
		echo "smbd logs: $SMB_STATE_DIR/log/ and $SMB_STATE_DIR/signed-instance/log/" >&2
	fi
	exit 1
}

# integ_env_load: export the KEY=VALUE lines of $SMBIOV_INTEG_ENV, each unless
# already set (a hand-started server's exported lines win). Returns 1 when
# there is no file and SMB_HOST/SMB_PORT are not set already.
integ_env_load() {
	local key value
	if [[ -z ${SMBIOV_INTEG_ENV:-} || ! -r $SMBIOV_INTEG_ENV ]]; then
		[[ -n ${SMB_HOST:-} && -n ${SMB_PORT:-} ]]
		return
	fi
	while IFS='=' read -r key value; do
		[[ -z $key || $key == \#* ]] && continue
		[[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || return 1
		if [[ -z ${!key+set} ]]; then
			export "$key=$value"
		fi
	done <"$SMBIOV_INTEG_ENV"
	[[ -n ${SMB_HOST:-} && -n ${SMB_PORT:-} ]]
}

# integ_client_conf DIR: write DIR/smb.conf, a client config that keeps
# smbclient's caches and locks in DIR (never the system's /etc/samba or
# /var/lib/samba), and print its path. Use as: smbclient -s "$conf" ...
integ_client_conf() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/smb.conf" <<-EOF
		[global]
		  lock directory = $d
		  state directory = $d
		  cache directory = $d
		  private dir = $d
		  ncalrpc dir = $d/ncalrpc
		  client min protocol = SMB2_02
	EOF
	echo "$d/smb.conf"
}
