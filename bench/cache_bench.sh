#!/usr/bin/env bash
# cache_bench.sh: run bench/cache_bench (the page cache against direct I/O,
# issue 14) against a private Samba on a tmpfs, started and stopped here.
#
#   bench/cache_bench.sh [--mode plain|signed|enc] [--no-build] [CACHE_BENCH_ARGS...]
#
# e.g. bench/cache_bench.sh                 # full: 1 GiB, 5 rounds, all cases
#      bench/cache_bench.sh -s 256 -r 3     # quicker
#      bench/cache_bench.sh -c hot,rand     # some cases only
#      bench/cache_bench.sh --mode enc      # the encrypted share (--encrypt)
#
# Builds the target cache_bench in the Release tree build-bench/ (unless
# --no-build), starts scripts/samba-server with SMB_TMPFS=1 on an auto port
# in a private directory under /tmp, runs the bench with SMBIOV_PASSWORD in
# its environment (never on a command line), and stops the server on any
# exit. Needs root (Samba). Exit status: the bench's (0 whatever the
# numbers; 1 wrong bytes or a failed call; 2 usage).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-bench
mode=plain
do_build=1
args=()
while (($#)); do
	case $1 in
	--mode)
		mode=${2:?--mode needs plain, signed or enc}
		shift 2
		;;
	--mode=*)
		mode=${1#--mode=}
		shift
		;;
	--no-build)
		do_build=0
		shift
		;;
	*)
		args+=("$1")
		shift
		;;
	esac
done
case $mode in
plain | signed | enc) ;;
*)
	echo "cache_bench.sh: --mode plain, signed or enc" >&2
	exit 2
	;;
esac

if ((do_build)); then
	if [[ ! -f $build/build.ninja ]]; then
		cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	fi
	cmake --build "$build" --target cache_bench >/dev/null
fi
bench=$build/bench/cache_bench
[[ -x $bench ]] || {
	echo "cache_bench.sh: $bench not built" >&2
	exit 1
}

state=$(mktemp -d /tmp/cache_bench.XXXXXX)
chmod 755 "$state"
# shellcheck disable=SC2317 # called by the EXIT trap
stop() {
	"$root/scripts/samba-server" stop "$state" >/dev/null 2>&1 || true
	rm -rf "$state"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

signed_port=0
[[ $mode == signed ]] && signed_port=auto
# SMB_SIGNED_PORT=0: no signing instance unless it is measured
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
if [[ $signed_port == 0 ]]; then
	samba_start "$state" SMB_SIGNED_PORT=0
else
	samba_start "$state"
fi

port=${env[SMB_PORT]}
share=${env[SMB_SHARE]}
flags=()
case $mode in
signed)
	port=${env[SMB_SIGNED_PORT]}
	share=${env[SMB_SIGNED_SHARE]}
	flags=(--sign)
	;;
enc)
	share=${env[SMB_ENC_SHARE]}
	flags=(--encrypt)
	;;
esac
url="smb://${env[SMB_USER]}@${env[SMB_HOST]}:$port/$share"

echo "cache_bench.sh: $(uname -r), $(nproc) CPUs, $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), mode $mode"
set +e
SMBIOV_PASSWORD=${env[SMB_PASS]} "$bench" "${flags[@]}" "${args[@]}" "$url"
rc=$?
set -e
exit $rc
