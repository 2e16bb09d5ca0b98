# shellcheck shell=bash
# Helpers for the tests of `smbiov mount` (tests/integration/mount_*.sh);
# source it after lib/integ.sh and lib/cli.sh, and call cli_setup first:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/mount.sh"
#   mount_setup NAME              # all of the below: cli_setup, checks, EXIT trap
#   mount_require                 # skip without /dev/fuse, fusermount3, libfuse3
#   mount_sanitizer_logs          # the daemon's ASan/UBSan reports into $tmp
#   trap 'mount_cleanup; rm -rf "$tmp"' EXIT
#   mount_at DIR URL [OPTIONS]    # smbiov mount -o OPTIONS URL DIR, checked
#   mount_umount DIR              # smbiov umount DIR, the daemon gone
#   mount_sanitizer_check         # fail on any report the daemons wrote
#
# No wait depends on timing: `smbiov mount` returns once mounted, and the
# bounded polls here only guard against a hang.

# mount_require: skip unless the mount can run here.
mount_require() {
	[[ -c /dev/fuse ]] || integ_skip "no /dev/fuse"
	command -v fusermount3 >/dev/null || integ_skip "fusermount3 not installed (scripts/install-deps)"
	command -v mountpoint >/dev/null || integ_skip "mountpoint not installed"
	if "$SMBIOV_CLI" mount 2>&1 | grep -q 'built without libfuse3'; then
		integ_skip "smbiov was built without libfuse3 (scripts/install-deps)"
	fi
}

# shellcheck disable=SC2154 # $tmp is cli_setup's
# mount_sanitizer_logs: in a sanitizer build the mount process's reports
# would go to its stderr, /dev/null once it is in the background: into
# files in $tmp instead, which mount_sanitizer_check reads (harmless for
# a build without sanitizers).
mount_sanitizer_logs() {
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$tmp/asan"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$tmp/ubsan"
}

# mount_sanitizer_check: fail the test if a daemon wrote a report.
mount_sanitizer_check() {
	local reports
	reports=$(find "$tmp" -maxdepth 1 \( -name 'asan.*' -o -name 'ubsan.*' \) -exec cat {} +)
	[[ -z $reports ]] || integ_fail "sanitizer reports: $reports"
}

# mount_is_asan: the CLI under test is a sanitizer build (its build
# tree's CMakeCache.txt says SMBIOV_SANITIZE=ON).
mount_is_asan() {
	local d
	d=$(dirname "$SMBIOV_CLI")
	while [[ $d != / && $d != . && ! -f $d/CMakeCache.txt ]]; do
		d=$(dirname "$d")
	done
	grep -qx 'SMBIOV_SANITIZE:BOOL=ON' "$d/CMakeCache.txt" 2>/dev/null
}

# daemon_of DIR: the processes serving mount point DIR (smbiov mount with
# it in argv).
# (bash builtins only: a fork per process took a second here.)
daemon_of() {
	local p args argv
	for p in /proc/[0-9]*; do
		mapfile -t -d '' argv 2>/dev/null <"$p/cmdline" || continue
		args="${argv[*]} "
		if [[ $args == "$SMBIOV_CLI "*"mount "*" $1 " ]]; then
			echo "${p#/proc/}"
		fi
	done
}

# gone PID: the process has ended: no such process, or a zombie (a
# daemon is reaped by whoever adopted it, which may take a second or two
# here: this container's init reaps late).
gone() {
	local stat tasks
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
	stat=${stat##*) }
	# (a leader that exited before its threads shows Z too)
	tasks=("/proc/$1/task/"*)
	[[ ${stat%% *} == Z && ${#tasks[@]} -le 1 ]]
}

# wait_gone PID: bounded wait for a process to end (a hang guard only).
wait_gone() {
	local i
	for ((i = 0; i < 600; i++)); do
		gone "$1" && return 0
		sleep 0.05
	done
	return 1
}

# The mounts mount_at made and not yet unmounted: mount point -> daemon.
declare -A mount_daemons=()

# mount_at DIR URL [OPTIONS]: mount URL on DIR (made if missing) with -o
# OPTIONS; fails the test unless it is mounted with one daemon serving
# it, whose pid goes to $mount_pid.
mount_at() {
	local dir=$1 u=$2 opts=${3:-}
	mkdir -p "$dir"
	# shellcheck disable=SC2046 # no -o without options
	smbiov mount ${opts:+-o "$opts"} "$u" "$dir"
	expect_ok "smbiov mount ${opts:+-o $opts }$dir"
	# daemonised only once mounted: no polling needed
	mountpoint -q "$dir" || integ_fail "smbiov mount returned 0 but $dir is not mounted"
	mount_pid=$(daemon_of "$dir")
	[[ -n $mount_pid && $mount_pid != *" "* ]] ||
		integ_fail "no (or more than one) mount process for $dir: '$mount_pid'"
	mount_daemons[$dir]=$mount_pid
}

# mount_fg DIR URL LOG [OPTIONS]: smbiov --stats mount -f in the
# background, its stderr (the --stats block at exit) into LOG, registered
# for mount_cleanup; returns once DIR is mounted.
mount_fg() {
	local dir=$1 u=$2 log=$3 opts=${4:-} i
	mkdir -p "$dir"
	# shellcheck disable=SC2046 # no -o without options
	"$SMBIOV_CLI" --stats mount -f ${opts:+-o "$opts"} "$u" "$dir" 2>"$log" &
	mount_daemons[$dir]=$!
	# a hang guard only: the loop ends when the mount is there
	for ((i = 0; i < 1200; i++)); do
		mount_listed "$dir" && return 0
		kill -0 "${mount_daemons[$dir]}" 2>/dev/null ||
			integ_fail "smbiov mount -f ${opts} exited: $(cat "$log")"
		sleep 0.05
	done
	integ_fail "smbiov mount -f ${opts}: not mounted after 60 s"
}

# mount_stat LOG NAME: the number on the --stats line NAME of a
# foreground mount's LOG (once it has exited)
mount_stat() {
	sed -n "s/^  $2 *\([0-9]*\)\$/\1/p" "$1"
}

# mount_umount DIR: smbiov umount DIR; fails the test unless it is
# unmounted and its daemon has exited.
mount_umount() {
	local dir=$1 pid=${mount_daemons[$1]:-}
	smbiov umount "$dir"
	expect_ok "smbiov umount $dir"
	mountpoint -q "$dir" && integ_fail "$dir still mounted after smbiov umount"
	if [[ -n $pid ]] && ! wait_gone "$pid"; then
		integ_fail "the mount process $pid of $dir did not exit after umount"
	fi
	unset "mount_daemons[$dir]"
}

# mount_cleanup: for an EXIT trap: unmount whatever mount_at mounted and
# is still there (lazily if busy), then make sure each daemon is gone.
# Never fails.
# mount_listed DIR: DIR is a mount point in /proc/mounts
mount_listed() {
	awk -v d="$1" '$2 == d { found = 1 } END { exit !found }' /proc/mounts
}

mount_cleanup() {
	local dir pid
	for dir in "${!mount_daemons[@]}"; do
		pid=${mount_daemons[$dir]}
		# listed, not mountpoint(1): a mount whose daemon is gone
		# fails its stat (ENOTCONN) and must go all the same
		if mount_listed "$dir"; then
			"$SMBIOV_CLI" umount "$dir" 2>/dev/null || fusermount3 -uz "$dir" 2>/dev/null || true
		fi
		if [[ -n $pid ]] && ! wait_gone "$pid"; then
			echo "mount daemon $pid did not exit after unmount: killing it" >&2
			kill -9 "$pid" 2>/dev/null || true
		fi
		if mount_listed "$dir"; then
			fusermount3 -uz "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null || true
		fi
		unset "mount_daemons[$dir]"
	done
}

# shellcheck disable=SC2154 # $run_id is cli_setup's
# mount_setup NAME: for a test of its own directory $run_id.NAME of the
# share: cli_setup, skip unless the mount can run and the share's
# directory on the server's disk is ours to read, the daemons' sanitizer
# reports into $tmp, and an EXIT trap that unmounts (mount_cleanup),
# removes that directory from the server's disk and then $tmp (never
# through a mount still there). Sets $mount_dir ($run_id.NAME, made by
# the test) and $mount_disk (its path on the server's disk).
mount_setup() {
	cli_setup
	: "${SMB_ROOT:?}"
	mount_require
	[[ -w $SMB_ROOT/$SMB_SHARE ]] ||
		integ_skip "the share's directory $SMB_ROOT/$SMB_SHARE is not ours to read"
	mount_dir=$run_id.$1
	mount_disk=$SMB_ROOT/$SMB_SHARE/$mount_dir
	trap mount_exit EXIT
	mount_sanitizer_logs
}

# mount_mkdir: the test's directory ($mount_dir) made on the share
# through the CLI; the test fails if it cannot be.
mount_mkdir() {
	smbiov mkdir "$(url "$SMB_PORT" "$SMB_SHARE" "$mount_dir")"
	expect_ok "mkdir the test directory"
}

mount_exit() {
	mount_cleanup
	rm -rf "$mount_disk"
	grep -q " $tmp/" /proc/mounts || rm -rf "$tmp"
}

# mount_none_left: fail if a mount under $tmp is still there.
mount_none_left() {
	if grep -q " $tmp/" /proc/mounts; then
		integ_fail "a mount is left: $(grep " $tmp/" /proc/mounts)"
	fi
}
