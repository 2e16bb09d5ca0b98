# shellcheck shell=bash
# bench/lib.sh: shell helpers shared by the bench scripts (sourced).

# samba_start STATE [VAR=VALUE...]: starts scripts/samba-server with
# SMB_TMPFS=1 on an auto port in STATE (extra environment as given, e.g.
# SMB_SIGNED_PORT=0) and fills the global associative array env from its
# KEY=VALUE lines (SMB_PORT, SMB_SHARE, SMB_USER, SMB_PASS, SMB_ROOT, ...).
samba_start() {
	local state=$1 k v
	shift
	env SMB_TMPFS=1 "$@" "$(dirname "${BASH_SOURCE[0]}")/../scripts/samba-server" start "$state" auto >"$state/env"
	declare -gA env
	# shellcheck disable=SC2034 # env is the caller's
	while IFS='=' read -r k v; do
		[[ -n $k ]] && env["$k"]=$v
	done <"$state/env"
	rm -f "$state/env"
}
