#!/usr/bin/env bash
# mount_bench.sh: fio and cp through `smbiov mount` against rclone's and
# smbnetfs's FUSE mounts of the same private Samba share, in one run
# (issue 18's benchmark), with a local tmpfs as the ceiling.
#
#   bench/mount_bench.sh [-s MIB] [-r ROUNDS] [-n READS] [-p PEERS] [-j JOBS]
#                        [--cache MODE] [--smbiov PATH] [--no-build]
#                        [--disk-dir DIR]
#
# e.g. bench/mount_bench.sh                    # quick: 256 MiB, 2 rounds
#      bench/mount_bench.sh -s 1024 -r 3       # the full run
#      bench/mount_bench.sh -p smbiov,smbnetfs -j rand1,rand16
#
# Peers (-p, default all but smbiov-none): smbiov (smbiov mount -f --stats,
# -o cache=MODE, default strict), smbiov-none (the same with cache=none:
# the file layer's cache against none in one run), rclone-off and
# rclone-full (rclone mount, SMB backend, --vfs-cache-mode off / full, a
# fresh --cache-dir per mount), smbnetfs
# (libsmbclient, libfuse 2; its HOME is private), tmpfs (the same jobs on
# a local tmpfs, no server: the ceiling). Jobs (-j, default all): seqread
# (1 MiB, buffered, cold), dread (1 MiB, O_DIRECT), seqwrite (1 MiB,
# buffered, end fsync), dwrite (1 MiB, O_DIRECT), rand1 / rand16 (READS
# 4 KiB O_DIRECT random reads, psync at iodepth 1 / libaio at iodepth 16),
# cp-tmpfs / cp-disk (cp of the file out of the mount to a tmpfs / to a
# directory on a disk file system) and cp-in (cp of a local tmpfs file
# into the mount).
#
# Every case runs on a fresh mount (so the daemon's caches start empty)
# after sync and drop_caches; the peers alternate within each job and
# round, starting with a different one each round; the median of the
# rounds is printed. A write is timed until the server's copy (read on
# the share's tmpfs) has every byte: rclone's full cache uploads after
# close. Bytes are checked: the source file is written by fio with a
# crc32c verify header every 4 KiB (its offset and checksum), every read
# job verifies every block it reads (--verify, inside the timed run, the
# same cost for every peer), every file written through a mount is
# verified on the server's disk afterwards (fio --verify_only, cp: sha256
# against the source), and every cp out is compared (sha256) with the
# source. A wrong byte fails the case; a failed case or mount is printed
# as such, never left out silently.
#
# CPU: user + sys of the FUSE daemon (its process tree, reaped children
# included, from /proc/PID/stat) and of smbd (the main smbd's tree) over
# the timed interval, and the whole machine's busy cores (/proc/stat).
#
# Needs root (Samba, drop_caches, tmpfs), fio, and for the peers rclone,
# smbnetfs, fuse3 (apt-get install fio rclone smbnetfs fuse3); a missing
# peer is reported. Passwords: smbiov gets SMBIOV_PASSWORD in its
# environment, rclone a config file (obscured, mode 600), smbnetfs its
# smbnetfs.conf (mode 600) in a private HOME; none is on a command line.
# Starts scripts/samba-server with SMB_TMPFS=1 on an auto port in a
# private directory under /tmp and removes it, every mount it made and
# every file on exit. Exit status: 0 whatever the numbers; 1 if a case
# failed or read or wrote a wrong byte; 2 usage.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-bench
size=256
rounds=2
nrand=2000
peers_arg=smbiov,rclone-off,rclone-full,smbnetfs,tmpfs
jobs_arg=seqread,dread,seqwrite,dwrite,rand1,rand16,cp-tmpfs,cp-disk,cp-in
cache=strict
smbiov=
do_build=1
disk_base=/var/tmp

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while (($#)); do
	case $1 in
	-s) size=${2:?}; shift 2 ;;
	-r) rounds=${2:?}; shift 2 ;;
	-n) nrand=${2:?}; shift 2 ;;
	-p) peers_arg=${2:?}; shift 2 ;;
	-j) jobs_arg=${2:?}; shift 2 ;;
	--cache) cache=${2:?}; shift 2 ;;
	--smbiov) smbiov=${2:?}; do_build=0; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--disk-dir) disk_base=${2:?}; shift 2 ;;
	-h | --help) usage ;;
	*) echo "mount_bench.sh: unknown argument $1" >&2; usage ;;
	esac
done
[[ $size =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ && $nrand =~ ^[1-9][0-9]*$ ]] || {
	echo "mount_bench.sh: -s, -r and -n take positive numbers" >&2
	exit 2
}
IFS=, read -ra peers <<<"$peers_arg"
IFS=, read -ra jobs <<<"$jobs_arg"
for p in "${peers[@]}"; do
	case $p in smbiov | smbiov-none | rclone-off | rclone-full | smbnetfs | tmpfs) ;;
	*) echo "mount_bench.sh: unknown peer $p" >&2; exit 2 ;; esac
done
for j in "${jobs[@]}"; do
	case $j in seqread | dread | seqwrite | dwrite | rand1 | rand16 | cp-tmpfs | cp-disk | cp-in) ;;
	*) echo "mount_bench.sh: unknown job $j" >&2; exit 2 ;; esac
done
((EUID == 0)) || { echo "mount_bench.sh: needs root (Samba, drop_caches, tmpfs)" >&2; exit 2; }
command -v fio >/dev/null || { echo "mount_bench.sh: fio missing (apt-get install fio)" >&2; exit 2; }

if ((do_build)); then
	if [[ ! -f $build/build.ninja ]]; then
		cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	fi
	cmake --build "$build" --target smbiov >/dev/null
fi
[[ -n $smbiov ]] || smbiov=$build/tools/smbiov
[[ -x $smbiov ]] || { echo "mount_bench.sh: $smbiov not built" >&2; exit 1; }

state=$(mktemp -d /tmp/mount_bench.XXXXXX)
chmod 755 "$state"
local_dir=$state/local
disk_dir=
mounted=()  # mount points of ours still mounted
daemon_pid= # the FUSE daemon of the current mount
failures=0

# shellcheck disable=SC2317 # called by the EXIT trap
stop() {
	local m
	for m in "${mounted[@]}"; do
		fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true
	done
	if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	mountpoint -q "$local_dir" && umount "$local_dir"
	"$root/scripts/samba-server" stop "$state" >/dev/null 2>&1 || true
	[[ -n $disk_dir ]] && rm -rf "$disk_dir"
	rm -rf "$state"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

SMB_TMPFS=1 SMB_SIGNED_PORT=0 "$root/scripts/samba-server" start "$state" auto >"$state/env"
declare -A env
while IFS='=' read -r k v; do
	[[ -n $k ]] && env[$k]=$v
done <"$state/env"
rm -f "$state/env"
port=${env[SMB_PORT]}
share=${env[SMB_SHARE]}
user=${env[SMB_USER]}
srv_dir=${env[SMB_ROOT]}/$share # the share's directory, on a tmpfs
smbd_pid=$(cat "$state/run/smbd.pid")

mkdir -p "$local_dir" "$state/mnt" "$state/log" "$state/fio"
mount -t tmpfs -o "size=$((2 * size + 256))m" mb-local "$local_dir"
disk_dir=$(mktemp -d "$disk_base/mount_bench.XXXXXX")
disk_fs=$(stat -f -c %T "$disk_dir")

# The source: written by fio with a verify header every 4 KiB.
verify=(--verify=crc32c --verify_interval=4096 --verify_state_save=0)
fio --name=mb --filename="$local_dir/src" --size="${size}M" --bs=1M --rw=write \
	"${verify[@]}" --do_verify=0 --output=/dev/null
src_sha=$(sha256sum "$local_dir/src" | cut -d' ' -f1)
cp "$local_dir/src" "$srv_dir/mb.src"
chown "$user" "$srv_dir/mb.src"

# Peers' configuration; passwords in files of mode 600 only.
umask 077
if command -v rclone >/dev/null; then
	obs=$(printf '%s' "${env[SMB_PASS]}" | rclone obscure -)
	printf '[mb]\ntype = smb\nhost = 127.0.0.1\nport = %s\nuser = %s\npass = %s\n' \
		"$port" "$user" "$obs" >"$state/rclone.conf"
fi
mkdir -p "$state/snhome/.smb"
printf '[global]\n  client min protocol = SMB2\n' >"$state/snhome/.smb/smb.conf"
# shellcheck disable=SC2016 # smbnetfs's option is named show_$_shares
printf '%s\n' 'smb_query_browsers "false"' 'show_$_shares "false"' \
	"auth \"127.0.0.1\" \"$user\" \"${env[SMB_PASS]}\"" \
	'host 127.0.0.1 visible=true' >"$state/snhome/.smb/smbnetfs.conf"
umask 022

clk=$(getconf CLK_TCK)
# CPU ticks (user + sys) of a process tree: every live process under
# ROOT plus what ROOT has reaped (cutime, cstime).
tree_ticks() {
	local rootpid=$1 f l rest pid sum=0 more=1
	local -A ppid ticks tree
	local -a fl
	[[ -n $rootpid ]] || { echo 0; return; }
	for f in /proc/[0-9]*/stat; do
		{ read -r l <"$f"; } 2>/dev/null || continue
		pid=${l%% *}
		rest=${l##*) }
		read -ra fl <<<"$rest"
		ppid[$pid]=${fl[1]}
		ticks[$pid]=$((fl[11] + fl[12]))
		[[ $pid == "$rootpid" ]] && sum=$((fl[13] + fl[14]))
	done
	[[ -n ${ticks[$rootpid]:-} ]] || { echo 0; return; }
	tree[$rootpid]=1
	while ((more)); do
		more=0
		for pid in "${!ppid[@]}"; do
			if [[ -z ${tree[$pid]:-} && -n ${tree[${ppid[$pid]}]:-} ]]; then
				tree[$pid]=1
				more=1
			fi
		done
	done
	for pid in "${!tree[@]}"; do
		sum=$((sum + ticks[$pid]))
	done
	echo "$sum"
}
# busy and total jiffies of the machine
mach_ticks() {
	local u n s i w q sq st
	read -r _ u n s i w q sq st _ </proc/stat
	echo "$((u + n + s + q + sq + st)) $((u + n + s + q + sq + st + i + w))"
}
now() { date +%s.%N; }

# mount_peer PEER ROUND-TAG: mounts, sets $dir (the share's root as seen
# through the mount) and $daemon_pid; 1 with a message in $why on failure
mount_peer() {
	local p=$1 tag=$2 mnt=$state/mnt/$1 i log=$state/log/$1.$2.err
	why=
	daemon_pid=
	dir=$mnt
	case $p in
	tmpfs)
		dir=$local_dir
		return 0
		;;
	smbiov*) ;;
	rclone-*) command -v rclone >/dev/null || { why="rclone not installed"; return 1; } ;;
	smbnetfs) command -v smbnetfs >/dev/null || { why="smbnetfs not installed"; return 1; } ;;
	esac
	mkdir -p "$mnt"
	case $p in
	smbiov | smbiov-none)
		local mode=$cache
		[[ $p == smbiov-none ]] && mode=none
		SMBIOV_PASSWORD=${env[SMB_PASS]} "$smbiov" --stats mount -f -o "cache=$mode" \
			"smb://$user@127.0.0.1:$port/$share" "$mnt" 2>"$log" &
		;;
	rclone-off)
		rclone --config "$state/rclone.conf" mount mb:"$share" "$mnt" \
			--vfs-cache-mode off 2>"$log" &
		;;
	rclone-full)
		rm -rf "$state/rc-cache"
		rclone --config "$state/rclone.conf" mount mb:"$share" "$mnt" \
			--vfs-cache-mode full --cache-dir "$state/rc-cache" 2>"$log" &
		;;
	smbnetfs)
		HOME=$state/snhome smbnetfs -f "$mnt" 2>"$log" &
		dir=$state/sn-link # fio splits --filename at ':'
		ln -sfn "$mnt/127.0.0.1:$port/$share" "$dir"
		;;
	esac
	daemon_pid=$!
	for ((i = 0; i < 300; i++)); do
		if grep -q " $mnt fuse" /proc/mounts && [[ -e $dir/mb.src ]]; then
			mounted+=("$mnt")
			return 0
		fi
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q " $mnt fuse" /proc/mounts && mounted+=("$mnt")
	local st=0 last
	last=$(tail -n 1 "$log" 2>/dev/null | cut -c1-160)
	if kill -0 "$daemon_pid" 2>/dev/null; then
		why="mount failed: no $dir/mb.src after 30 s${last:+: $last}"
	else
		wait "$daemon_pid" || st=$?
		daemon_pid=
		why="mount failed: the daemon exited with status $st${last:+: $last}"
	fi
	umount_peer "$p"
	return 1
}

umount_peer() {
	local mnt=$state/mnt/$1 i m keep=()
	[[ $1 == tmpfs ]] && return 0
	if grep -q " $mnt fuse" /proc/mounts; then
		fusermount3 -u "$mnt" 2>/dev/null || { sleep 1; fusermount3 -u "$mnt" 2>/dev/null; } ||
			fusermount3 -uz "$mnt" 2>/dev/null || true
	fi
	for m in "${mounted[@]}"; do
		[[ $m == "$mnt" ]] || keep+=("$m")
	done
	mounted=("${keep[@]}")
	if [[ -n $daemon_pid ]]; then
		for ((i = 0; i < 600; i++)); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$daemon_pid" 2>/dev/null; then
			echo "mount_bench.sh: $1's daemon still there 60 s after unmount; killed" >&2
			kill "$daemon_pid" 2>/dev/null || true
		fi
		wait "$daemon_pid" 2>/dev/null || true
	fi
	daemon_pid=
	rm -rf "$state/rc-cache"
}

fio_json() { # FILE FIELD(iops|bw) DIR(read|write)
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))["jobs"][0][sys.argv[3]]
print(j["iops"] if sys.argv[2]=="iops" else j["bw_bytes"])' "$@"
}

results=$state/results.tsv
bytes=$((size * 1048576))

# run_case JOB PEER ROUND: one timed case; a line to stdout and results
run_case() {
	local job=$1 p=$2 r=$3 tag=$1.$3 t0 t1 t2 d0 d1 s0 s1 m0 m1 rc=0 msg=ok
	local srvf='' out='' value unit wall extra='' fioargs=() dir why
	local fj=$state/fio.json err=$state/case.err
	# files written by the case go away first (untimed)
	rm -f "$srv_dir/mb.w" "$local_dir/w" "$local_dir/out" "$disk_dir/out"
	if ! mount_peer "$p" "$tag"; then
		printf '%s\t%s\t%s\tFAIL\t%s\n' "$job" "$p" "$r" "$why" >>"$results"
		printf '  %-9s %-12s round %s: %s\n' "$job" "$p" "$r" "$why"
		failures=$((failures + 1))
		return
	fi
	local common=(--name=mb --size="${size}M" --bs=1M --ioengine=psync --fallocate=none
		"${verify[@]}" --output-format=json --output="$fj")
	local wfile=$dir/mb.w srcf=$dir/mb.src
	[[ $p == tmpfs ]] && wfile=$local_dir/w srcf=$local_dir/src
	[[ $p == tmpfs ]] || srvf=$srv_dir/mb.w
	case $job in
	seqread) fioargs=(--filename="$srcf" --rw=read --direct=0) ;;
	dread) fioargs=(--filename="$srcf" --rw=read --direct=1) ;;
	seqwrite) fioargs=(--filename="$wfile" --rw=write --direct=0 --end_fsync=1 --do_verify=0 --create_on_open=1) ;;
	dwrite) fioargs=(--filename="$wfile" --rw=write --direct=1 --do_verify=0 --create_on_open=1) ;;
	rand1) fioargs=(--filename="$srcf" --rw=randread --bs=4k --direct=1 --io_size=$((nrand * 4))k --randseed=$((42 + r))) ;;
	rand16) fioargs=(--filename="$srcf" --rw=randread --bs=4k --direct=1 --io_size=$((nrand * 4))k --randseed=$((42 + r)) --ioengine=libaio --iodepth=16) ;;
	esac
	local poll_pid='' fdir=$state/fio
	rm -f "$fdir"/*.txt "$state/server.stamp"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	if [[ -n $srvf && ($job == *write || $job == cp-in) ]]; then
		# the moment the server's copy has every byte: polled beside the
		# command by one process (stat every 2 ms), not after it
		python3 -c 'import os, sys, time
p, want, end = sys.argv[1], int(sys.argv[2]), time.time() + 600
while time.time() < end:
    try:
        if os.stat(p).st_size == want:
            print("%.6f" % time.time())
            sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.002)
sys.exit(1)' "$srvf" "$bytes" >"$state/server.stamp" &
		poll_pid=$!
	fi
	d0=$(tree_ticks "$daemon_pid")
	s0=$(tree_ticks "$smbd_pid")
	m0=$(mach_ticks)
	t0=$(now)
	case $job in
	cp-tmpfs | cp-disk)
		out=$local_dir/out
		[[ $job == cp-disk ]] && out=$disk_dir/out
		cp "$srcf" "$out" 2>"$err" || rc=$?
		;;
	cp-in)
		cp "$local_dir/src" "$wfile" 2>"$err" || rc=$?
		;;
	*)
		# prerun/postrun: date stamps just before the file is opened and
		# just after the last I/O (before close), so fio's own start-up
		# (~0.3 s here) is not timed
		(cd "$fdir" && fio "${common[@]}" "${fioargs[@]}" \
			--exec_prerun='date +%s.%N' --exec_postrun='date +%s.%N') 2>"$err" || rc=$?
		;;
	esac
	t1=$(now)
	local tstart=$t0 tcmd=$t1
	[[ -s $fdir/mb.prerun.txt ]] && tstart=$(cat "$fdir/mb.prerun.txt")
	[[ -s $fdir/mb.postrun.txt ]] && tcmd=$(cat "$fdir/mb.postrun.txt")
	t2=$tcmd
	if [[ -n $poll_pid ]]; then
		if wait "$poll_pid"; then
			t2=$(cat "$state/server.stamp")
		elif ((rc == 0)); then
			rc=1
			echo "the server's copy never reached $bytes bytes" >"$err"
		fi
	fi
	t2=$(awk -v a="$t2" -v b="$tcmd" 'BEGIN{printf "%.6f", (a > b ? a : b)}')
	d1=$(tree_ticks "$daemon_pid")
	s1=$(tree_ticks "$smbd_pid")
	m1=$(mach_ticks)
	# check the bytes (untimed)
	if ((rc == 0)); then
		local chk=$wfile
		[[ -n $srvf ]] && chk=$srvf
		case $job in
		seqwrite | dwrite)
			fio --name=mb --filename="$chk" --size="${size}M" --bs=1M --rw=write \
				"${verify[@]}" --verify_only --output=/dev/null 2>"$err" || {
				rc=1
				msg="WRONG BYTES on the server: $(head -n 1 "$err")"
			}
			;;
		cp-in)
			[[ $(sha256sum "$chk" | cut -d' ' -f1) == "$src_sha" ]] || { rc=1; msg="WRONG BYTES on the server"; }
			;;
		cp-tmpfs | cp-disk)
			[[ $(sha256sum "$out" | cut -d' ' -f1) == "$src_sha" ]] || { rc=1; msg="WRONG BYTES copied out"; }
			;;
		esac
	elif [[ -s $err ]]; then
		msg="failed: $(grep -m1 -iE 'verify|error|fail|denied|not permitted' "$err" || head -n 1 "$err")"
		[[ $msg == *verify* ]] && msg="WRONG BYTES: ${msg#failed: }"
		msg=${msg:0:200}
	else
		msg="failed (exit $rc)"
	fi
	umount_peer "$p"
	extra=
	if [[ $p == smbiov* ]]; then
		extra=$(awk -F'  +' '/requests sent/{r=$3} /max credits in flight/{c=$3}
			/payload received/{split($3,a," "); rv=a[1]} /payload sent/{split($3,b," "); sv=b[1]}
			END{if (r!="") printf "req %s, max credits %s, recv %.0f MiB, sent %.0f MiB", r, c, rv/1048576, sv/1048576}' \
			"$state/log/$p.$tag.err")
	fi
	read -r mb0 mt0 <<<"$m0"
	read -r mb1 mt1 <<<"$m1"
	wall=$(awk -v a="$t2" -v b="$tstart" 'BEGIN{printf "%.3f", a - b}')
	local fiowall
	fiowall=$(awk -v a="$tcmd" -v b="$tstart" 'BEGIN{printf "%.3f", a - b}')
	local dcpu scpu mach
	dcpu=$(awk -v a="$d0" -v b="$d1" -v c="$clk" 'BEGIN{printf "%.2f", (b - a) / c}')
	scpu=$(awk -v a="$s0" -v b="$s1" -v c="$clk" 'BEGIN{printf "%.2f", (b - a) / c}')
	mach=$(awk -v a="$mb0" -v b="$mb1" -v x="$mt0" -v y="$mt1" -v n="$(nproc)" \
		'BEGIN{printf "%.2f", (y > x ? n * (b - a) / (y - x) : 0)}')
	if ((rc != 0)); then
		failures=$((failures + 1))
		printf '%s\t%s\t%s\tFAIL\t%s\n' "$job" "$p" "$r" "$msg" >>"$results"
		printf '  %-9s %-12s round %s: %s\n' "$job" "$p" "$r" "$msg"
		return
	fi
	case $job in
	rand*)
		value=$(fio_json "$fj" iops read | awk '{printf "%.0f", $1}')
		unit=IOPS
		;;
	*)
		value=$(awk -v b="$bytes" -v w="$wall" 'BEGIN{printf "%.0f", b / 1e6 / w}')
		unit=MB/s
		;;
	esac
	printf '%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$job" "$p" "$r" "$value" "$unit" \
		"$wall" "$fiowall" "$dcpu" "$scpu" "$mach" "$extra" >>"$results"
	printf '  %-9s %-12s round %s: %7s %-4s wall %6.3f s (cmd %6.3f) daemon %5.2f s smbd %5.2f s mach %s%s\n' \
		"$job" "$p" "$r" "$value" "$unit" "$wall" "$fiowall" "$dcpu" "$scpu" "$mach" "${extra:+  [$extra]}"
}

echo "mount_bench.sh: $(uname -r), $(nproc) CPUs, smbiov $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src include tools 2>/dev/null || echo ' (+ uncommitted changes in src/include/tools)'), $(fio --version), $(rclone version 2>/dev/null | head -n 1 || echo 'no rclone'), smbnetfs $(dpkg-query -W -f '${Version}' smbnetfs 2>/dev/null || echo '-')"
echo "smbiov binary $smbiov"
echo "size ${size} MiB, ${rounds} rounds, ${nrand} random reads, smbiov cache=$cache, disk dir $disk_dir ($disk_fs)"
echo "load before: $(uptime)"
for ((r = 1; r <= rounds; r++)); do
	echo "round $r"
	for job in "${jobs[@]}"; do
		n=${#peers[@]}
		for ((k = 0; k < n; k++)); do
			run_case "$job" "${peers[$(((k + r - 1) % n))]}" "$r"
		done
	done
done
echo "load after: $(uptime)"

python3 - "$results" "${peers_arg}" "${jobs_arg}" <<'EOF'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
peers = sys.argv[2].split(","); jobs = sys.argv[3].split(",")
names = {"seqread": "seq read 1 MiB, buffered, cold", "dread": "seq read 1 MiB, O_DIRECT",
         "seqwrite": "seq write 1 MiB, buffered + end fsync", "dwrite": "seq write 1 MiB, O_DIRECT",
         "rand1": "4 KiB rand read, O_DIRECT, QD1", "rand16": "4 KiB rand read, O_DIRECT, QD16",
         "cp-tmpfs": "cp mount -> tmpfs", "cp-disk": "cp mount -> disk", "cp-in": "cp tmpfs -> mount"}
med = {}
print()
print("| job | peer | median | min | max | wall s | daemon CPU s | smbd CPU s | machine cores | notes |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for j in jobs:
    for p in peers:
        rs = [r for r in rows if r[0] == j and r[1] == p]
        ok = [r for r in rs if r[3] == "ok"]
        bad = [r for r in rs if r[3] != "ok"]
        note = "; ".join(sorted({r[4] for r in bad}))
        if not ok:
            print(f"| {names[j]} | {p} | {'FAILED' if rs else '-'} | | | | | | | {note} |")
            continue
        vals = [float(r[4]) for r in ok]
        m = statistics.median(vals)
        med[(j, p)] = m
        mid = min(ok, key=lambda r: abs(float(r[4]) - m))
        unit = ok[0][5]
        f = lambda k: statistics.median(float(r[k]) for r in ok)
        notes = [x for x in (mid[11] if len(mid) > 11 else "", note) if x]
        if len(bad):
            notes.append(f"{len(bad)} of {len(rs)} rounds failed")
        if j in ("seqwrite", "dwrite", "cp-in") and f(7) < 0.95 * f(6):
            notes.append(f"command done after {f(7):.2f} s")
        print(f"| {names[j]} | {p} | {m:.0f} {unit} | {min(vals):.0f} | {max(vals):.0f} | {f(6):.3f} | "
              f"{f(8):.2f} | {f(9):.2f} | {f(10):.2f} | {'; '.join(notes)} |")
others = [p for p in peers if p != "smbiov"]
if "smbiov" in peers and others:
    print()
    print("Same-run ratios (medians; > 1: smbiov faster):")
    print()
    print("| job | " + " | ".join(f"smbiov/{p}" for p in others) + " |")
    print("|---|" + "---:|" * len(others))
    for j in jobs:
        cells = []
        for p in others:
            a, b = med.get((j, "smbiov")), med.get((j, p))
            cells.append(f"{a / b:.2f}" if a and b else "-")
        print(f"| {names[j]} | " + " | ".join(cells) + " |")
EOF
exit $((failures ? 1 : 0))
