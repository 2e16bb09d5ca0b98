#!/usr/bin/env bash
# mount_bench.sh: fio and cp through `smbiov mount` against rclone's and
# smbnetfs's FUSE mounts of the same private Samba share, in one run
# (issue 18's benchmark), with a local tmpfs as the ceiling.
#
#   bench/mount_bench.sh [-s MIB] [-r ROUNDS] [-n READS] [-t SECS] [-p PEERS] [-j JOBS]
#                        [--cache MODE] [--smbiov PATH] [--no-build]
#                        [--smbiov-base PATH]
#                        [--disk-dir DIR] [--meta-only] [--tree DIR|gen]
#                        [--meta-files N] [--meta-timeout S]
#
# e.g. bench/mount_bench.sh                    # quick: 256 MiB, 2 rounds
#      bench/mount_bench.sh -s 1024 -r 3       # the full run
#      bench/mount_bench.sh -p smbiov,smbnetfs -j rand1,rand16
#      bench/mount_bench.sh --meta-only        # the metadata case alone
#      bench/mount_bench.sh -j seqread,seqwrite,get-tmpfs,put-tmpfs,hot
#
# Peers (-p, default all but smbiov-none): smbiov (smbiov mount -f --stats,
# -o cache=MODE, default strict), smbiov-none (the same with cache=none:
# the file layer's cache against none in one run), smbiov-base (the same
# as smbiov with the binary --smbiov-base names, e.g. HEAD's built in
# another tree: a change against its base in one run), rclone-off and
# rclone-full (rclone mount, SMB backend, --vfs-cache-mode off / full, a
# fresh --cache-dir per mount), smbnetfs
# (libsmbclient, libfuse 2; its HOME is private), tmpfs (the same jobs on
# a local tmpfs, no server: the ceiling). Jobs (-j, default all): seqread
# (1 MiB, buffered, cold), dread (1 MiB, O_DIRECT), seqwrite (1 MiB,
# buffered, end fsync), dwrite (1 MiB, O_DIRECT), write4k (4 KiB write(2)s,
# buffered, end fsync: what stdio and most programs do), rand1 / rand16 (READS
# 4 KiB O_DIRECT random reads, psync at iodepth 1 / libaio at iodepth 16,
# each case stopped after SECS seconds if not done: the IOPS is fio's
# own rate, and on this VM a few thousand reads swing 2x from round to
# round with the machine's idle wake-ups, bench/RESULTS.md 2026-12-06),
# cp-tmpfs / cp-disk (cp of the file out of the mount to a tmpfs / to a
# directory on a disk file system), cp-in (cp of a local tmpfs file
# into the mount), cp-same (cp of the mount's file to another name in
# the mount: a copy within the share, which a mount with copy_file_range
# leaves to the server; tmpfs: the same cp on the tmpfs), hot (a buffered 1 MiB re-read of the file, read once
# before untimed: about 2 GiB of re-reads timed), meta (the metadata case:
# untar a source tree into the mount, find + stat of everything, rm -r;
# each phase timed), and the CLI's own transfers of the same file for the
# issue's "≥ 0.6× the CLI" (peer "cli", run once per round whatever -p
# says): get-tmpfs / get-disk (smbiov get into a file on the tmpfs / the
# disk), put-tmpfs / put-disk (smbiov put out of one).
#
# The metadata tree (--tree): a real source tree when one is installed
# (default /usr/share/fpcsrc/3.2.2, Debian's fpc-source-3.2.2: 9,600
# files in 1,036 directories, 210 MB), tarred reproducibly (sorted, uid 0);
# "gen" (the default when that is missing) makes one with bench/tree.py:
# --meta-files files (10,000) in 300 directories, 0..64 KiB, seed 42.
# A phase that takes longer than --meta-timeout s (default 900) fails.
#
# Every case runs on a fresh mount (so the daemon's caches start empty)
# after sync and drop_caches; the peers alternate within each job and
# round, starting with a different one each round; the median of the
# rounds is printed. A write is timed until the server's copy (read on
# the share's tmpfs) has its full size, and for rclone-full, whose cache
# uploads after close and out of order, until its upload queue is empty
# (its remote control's vfs/stats). Bytes are checked: the source file is written by fio with a
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
nrand=200000
rand_secs=10
peers_arg=smbiov,rclone-off,rclone-full,smbnetfs,tmpfs
jobs_arg=seqread,dread,seqwrite,dwrite,write4k,rand1,rand16,cp-tmpfs,cp-disk,cp-in,cp-same,hot,get-tmpfs,get-disk,put-tmpfs,put-disk,meta
cache=strict
smbiov=
smbiov_base=
do_build=1
disk_base=/var/tmp
tree_src=/usr/share/fpcsrc/3.2.2
[[ -d $tree_src ]] || tree_src=gen
meta_files=10000
meta_timeout=900

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while (($#)); do
	case $1 in
	-s) size=${2:?}; shift 2 ;;
	-r) rounds=${2:?}; shift 2 ;;
	-n) nrand=${2:?}; shift 2 ;;
	-t) rand_secs=${2:?}; shift 2 ;;
	-p) peers_arg=${2:?}; shift 2 ;;
	-j) jobs_arg=${2:?}; shift 2 ;;
	--cache) cache=${2:?}; shift 2 ;;
	--smbiov) smbiov=${2:?}; do_build=0; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--smbiov-base) smbiov_base=${2:?}; shift 2 ;;
	--disk-dir) disk_base=${2:?}; shift 2 ;;
	--meta-only) jobs_arg=meta; shift ;;
	--tree) tree_src=${2:?}; shift 2 ;;
	--meta-files) meta_files=${2:?}; shift 2 ;;
	--meta-timeout) meta_timeout=${2:?}; shift 2 ;;
	-h | --help) usage ;;
	*) echo "mount_bench.sh: unknown argument $1" >&2; usage ;;
	esac
done
for v in "$size" "$rounds" "$nrand" "$rand_secs" "$meta_files" "$meta_timeout"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || {
		echo "mount_bench.sh: -s, -r, -n, -t, --meta-files and --meta-timeout take positive numbers" >&2
		exit 2
	}
done
[[ $tree_src == gen || -d $tree_src ]] || { echo "mount_bench.sh: --tree: no directory $tree_src" >&2; exit 2; }
IFS=, read -ra peers <<<"$peers_arg"
IFS=, read -ra jobs <<<"$jobs_arg"
for p in "${peers[@]}"; do
	case $p in smbiov | smbiov-none | smbiov-base | rclone-off | rclone-full | smbnetfs | tmpfs) ;;
	*) echo "mount_bench.sh: unknown peer $p" >&2; exit 2 ;; esac
done
for j in "${jobs[@]}"; do
	case $j in seqread | dread | seqwrite | dwrite | write4k | rand1 | rand16 | cp-tmpfs | cp-disk | cp-in | cp-same | hot | \
		get-tmpfs | get-disk | put-tmpfs | put-disk | meta) ;;
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
if [[ ,$peers_arg, == *,smbiov-base,* && ! -x $smbiov_base ]]; then
	echo "mount_bench.sh: peer smbiov-base needs --smbiov-base PATH (an executable)" >&2
	exit 2
fi

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

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
samba_start "$state" SMB_SIGNED_PORT=0
port=${env[SMB_PORT]}
share=${env[SMB_SHARE]}
user=${env[SMB_USER]}
srv_dir=${env[SMB_ROOT]}/$share # the share's directory, on a tmpfs
smbd_pid=$(cat "$state/run/smbd.pid")

mkdir -p "$local_dir" "$state/mnt" "$state/log" "$state/fio"
has_job() { [[ ",$jobs_arg," == *",$1,"* ]]; }
meta_mb=0
has_job meta && meta_mb=1024 # the tar and the tmpfs peer's copy of the tree
mount -t tmpfs -o "size=$((2 * size + 256 + meta_mb))m" mb-local "$local_dir"
disk_dir=$(mktemp -d "$disk_base/mount_bench.XXXXXX")
disk_fs=$(stat -f -c %T "$disk_dir")

# The source: written by fio with a verify header every 4 KiB.
verify=(--verify=crc32c --verify_interval=4096 --verify_state_save=0)
fio --name=mb --filename="$local_dir/src" --size="${size}M" --bs=1M --rw=write \
	"${verify[@]}" --do_verify=0 --output=/dev/null
src_sha=$(sha256sum "$local_dir/src" | cut -d' ' -f1)
cp "$local_dir/src" "$srv_dir/mb.src"
chown "$user" "$srv_dir/mb.src"
if has_job put-disk; then
	cp "$local_dir/src" "$disk_dir/src"
	sync -f "$disk_dir/src"
fi

# The metadata case's tree, as a tar on the local tmpfs, and what it holds:
# files, directories, bytes and a digest of every file's sha256.
tree_tar=$local_dir/tree.tar
tree_desc=
if has_job meta; then
	if [[ $tree_src == gen ]]; then
		python3 "$root/bench/tree.py" gen "$tree_tar" --files "$meta_files"
		tree_desc="generated by bench/tree.py gen --files $meta_files (seed 42)"
	else
		tar --sort=name --owner=0 --group=0 --numeric-owner -C "$(dirname "$tree_src")" \
			-cf "$tree_tar" "$(basename "$tree_src")"
		tree_desc="$tree_src$(dpkg -S "$tree_src" 2>/dev/null | sed 's/:.*//; s/^/ (package /; s/$/)/')"
	fi
	read -r tree_files tree_dirs tree_bytes tree_sum < <(python3 "$root/bench/tree.py" sum "$tree_tar")
	tree_top=$(tar -tf "$tree_tar" | awk -F/ 'NR == 1 {print $1}')
	tree_desc="$tree_desc: $tree_files files, $tree_dirs directories, $tree_bytes bytes; tar sha256 $(sha256sum "$tree_tar" | cut -c1-16)…"
fi

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
	smbiov | smbiov-none | smbiov-base)
		local mode=$cache bin=$smbiov
		[[ $p == smbiov-none ]] && mode=none
		[[ $p == smbiov-base ]] && bin=$smbiov_base
		SMBIOV_PASSWORD=${env[SMB_PASS]} "$bin" --stats mount -f -o "cache=$mode" \
			"smb://$user@127.0.0.1:$port/$share" "$mnt" 2>"$log" &
		;;
	rclone-off)
		rclone --config "$state/rclone.conf" mount mb:"$share" "$mnt" \
			--vfs-cache-mode off 2>"$log" &
		;;
	rclone-full)
		rm -rf "$state/rc-cache"
		# its remote control (vfs/stats): a write counts until its
		# upload queue is empty (rclone_uploaded)
		rc_url=http://127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		rclone --config "$state/rclone.conf" mount mb:"$share" "$mnt" \
			--vfs-cache-mode full --cache-dir "$state/rc-cache" \
			--rc --rc-no-auth --rc-addr "${rc_url#http://}" 2>"$log" &
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
hot_loops=$(((2048 + size - 1) / size)) # hot: about 2 GiB of re-reads

# row JOB PEER ROUND VALUE UNIT WALL CMDWALL DCPU SCPU MACH EXTRA: a result
# line to results and stdout; fail_row JOB PEER ROUND MESSAGE: a failure
row() {
	printf '%s\t' "$1" "$2" "$3" ok "${@:4:7}" >>"$results"
	printf '%s\n' "${11}" >>"$results"
	printf '  %-10s %-12s round %s: %7s %-7s wall %7.3f s (cmd %7.3f) daemon %5.2f s smbd %5.2f s mach %s%s\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11:+  [${11}]}"
}
fail_row() {
	failures=$((failures + 1))
	printf '%s\t%s\t%s\tFAIL\t%s\n' "$@" >>"$results"
	printf '  %-10s %-12s round %s: %s\n' "$@"
}
cpu_s() { awk -v a="$1" -v b="$2" -v c="$clk" 'BEGIN{printf "%.2f", (b - a) / c}'; }
mach_cores() { # "busy total" before, after
	local b0 t0 b1 t1
	read -r b0 t0 <<<"$1"
	read -r b1 t1 <<<"$2"
	awk -v a="$b0" -v b="$b1" -v x="$t0" -v y="$t1" -v n="$(nproc)" \
		'BEGIN{printf "%.2f", (y > x ? n * (b - a) / (y - x) : 0)}'
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b - a}'; }

# smbiov's --stats of a mount (printed at unmount): requests and credits
mount_stats() {
	awk -F'  +' '/requests sent/{r=$3} /max credits in flight/{c=$3}
		/payload received/{split($3,a," "); rv=a[1]} /payload sent/{split($3,b," "); sv=b[1]}
		END{if (r!="") printf "req %s, max credits %s, recv %.0f MiB, sent %.0f MiB", r, c, rv/1048576, sv/1048576}' "$1"
}

# rclone_uploaded: once rclone-full's upload queue is empty (its remote
# control's vfs/stats: nothing queued or in progress), the time then;
# non-zero if it is not empty within 600 s. rclone uploads a file some
# seconds after its close, and its copy on the server can reach its full
# size before every byte is there (the blocks go out of order): the size
# alone is not "the server holds the bytes".
rclone_uploaded() {
	python3 -c 'import json, subprocess, sys, time
url, end = sys.argv[1], time.time() + 600
while time.time() < end:
    out = subprocess.run(["rclone", "rc", "--url", url, "vfs/stats"],
                         capture_output=True, text=True)
    if out.returncode == 0:
        d = json.loads(out.stdout)["diskCache"]
        if d["uploadsInProgress"] == 0 and d["uploadsQueued"] == 0:
            print("%.6f" % time.time())
            sys.exit(0)
    time.sleep(0.05)
sys.exit(1)' "$rc_url"
}

# run_case JOB PEER ROUND: one timed case; a line to stdout and results
run_case() {
	local job=$1 p=$2 r=$3 tag=$1.$3 t0 t1 t2 d0 d1 s0 s1 m0 m1 rc=0 msg=ok
	local srvf='' out='' value unit wall extra='' fioargs=() dir why i
	local fj=$state/fio.json err=$state/case.err
	# files written by the case go away first (untimed)
	rm -f "$srv_dir/mb.w" "$local_dir/w" "$local_dir/out" "$disk_dir/out"
	if ! mount_peer "$p" "$tag"; then
		fail_row "$job" "$p" "$r" "$why"
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
	# what most programs do (stdio, shells, compilers): 4 KiB write(2)s
	write4k) fioargs=(--filename="$wfile" --rw=write --bs=4k --direct=0 --end_fsync=1 --do_verify=0 --create_on_open=1) ;;
	rand1) fioargs=(--filename="$srcf" --rw=randread --bs=4k --direct=1 --io_size=$((nrand * 4))k --runtime="$rand_secs" --randseed=$((42 + r))) ;;
	rand16) fioargs=(--filename="$srcf" --rw=randread --bs=4k --direct=1 --io_size=$((nrand * 4))k --runtime="$rand_secs" --randseed=$((42 + r)) --ioengine=libaio --iodepth=16) ;;
	# hot: --invalidate=0, or fio's default drops the file's pages from the
	# kernel's page cache (posix_fadvise DONTNEED) at every open and loop:
	# a re-read of a file a mount keeps in the page cache would be cold
	hot) fioargs=(--filename="$srcf" --rw=read --direct=0 --loops="$hot_loops" --verify=0 --invalidate=0) ;;
	esac
	local poll_pid='' fdir=$state/fio
	rm -f "$fdir"/*.txt "$state/server.stamp"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	if [[ $job == hot ]]; then
		# read once (untimed, every block verified): the file is cached
		# wherever the peer caches it
		(cd "$fdir" && fio "${common[@]}" --filename="$srcf" --rw=read --direct=0 \
			--invalidate=0 --output=/dev/null) 2>"$err" || rc=$?
		((rc == 0)) || echo "first read: $(grep -m1 -iE 'verify|error|fail' "$err" || head -n 1 "$err")" >"$err.0"
	fi
	if [[ -n $srvf && ($job == *write || $job == write4k || $job == cp-in || $job == cp-same) ]]; then
		# the moment the server's copy has every byte: polled beside the
		# command by one process (stat every 2 ms), not after it; the
		# command starts once the poller runs (python's start-up took
		# longer than a server-side copy: its first look came late)
		rm -f "$state/poll.ready"
		python3 -c 'import os, sys, time
p, want, end = sys.argv[1], int(sys.argv[2]), time.time() + 600
open(sys.argv[3], "w").close()
while time.time() < end:
    try:
        if os.stat(p).st_size == want:
            print("%.6f" % time.time())
            sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.002)
sys.exit(1)' "$srvf" "$bytes" "$state/poll.ready" >"$state/server.stamp" &
		poll_pid=$!
		# a hang guard only: the loop ends when the poller is there
		for ((i = 0; i < 3000; i++)); do
			[[ -e $state/poll.ready ]] && break
			sleep 0.01
		done
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
	cp-same)
		cp "$srcf" "$wfile" 2>"$err" || rc=$?
		;;
	*)
		if ((rc != 0)); then # hot's first read failed
			mv "$err.0" "$err"
		else
			# prerun/postrun: date stamps just before the file is opened and
			# just after the last I/O (before close), so fio's own start-up
			# (~0.3 s here) is not timed
			(cd "$fdir" && fio "${common[@]}" "${fioargs[@]}" \
				--exec_prerun='date +%s.%N' --exec_postrun='date +%s.%N') 2>"$err" || rc=$?
		fi
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
	if [[ $p == rclone-full && -n $poll_pid ]] && ((rc == 0)); then
		local tup
		if tup=$(rclone_uploaded); then
			t2=$(awk -v a="$t2" -v b="$tup" 'BEGIN{printf "%.6f", (a > b ? a : b)}')
		else
			rc=1
			echo "rclone's uploads did not end within 600 s" >"$err"
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
		seqwrite | dwrite | write4k)
			# the block size it was written with (the verify headers' seeds)
			local vbs=1M
			[[ $job == write4k ]] && vbs=4k
			fio --name=mb --filename="$chk" --size="${size}M" --bs="$vbs" --rw=write \
				"${verify[@]}" --verify_only --output=/dev/null 2>"$err" || {
				rc=1
				msg="WRONG BYTES on the server: $(head -n 1 "$err")"
			}
			;;
		cp-in | cp-same)
			[[ $(sha256sum "$chk" | cut -d' ' -f1) == "$src_sha" ]] || { rc=1; msg="WRONG BYTES on the server"; }
			;;
		cp-tmpfs | cp-disk)
			[[ $(sha256sum "$out" | cut -d' ' -f1) == "$src_sha" ]] || { rc=1; msg="WRONG BYTES copied out"; }
			;;
		hot) # and once more, from wherever it is cached now
			(cd "$fdir" && fio "${common[@]}" --filename="$srcf" --rw=read --direct=0 \
				--invalidate=0 --output=/dev/null) 2>"$err" || {
				rc=1
				msg="WRONG BYTES after the re-reads: $(grep -m1 -iE 'verify|error|fail' "$err" || head -n 1 "$err")"
			}
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
	[[ $p == smbiov* ]] && extra=$(mount_stats "$state/log/$p.$tag.err")
	if ((rc != 0)); then
		fail_row "$job" "$p" "$r" "$msg"
		return
	fi
	wall=$(secs "$tstart" "$t2")
	case $job in
	rand*)
		value=$(fio_json "$fj" iops read | awk '{printf "%.0f", $1}')
		unit=IOPS
		;;
	*)
		local n=1
		[[ $job == hot ]] && n=$hot_loops
		value=$(awk -v b="$((n * bytes))" -v w="$wall" 'BEGIN{printf "%.0f", b / 1e6 / w}')
		unit=MB/s
		;;
	esac
	row "$job" "$p" "$r" "$value" "$unit" "$wall" "$(secs "$tstart" "$tcmd")" "$(cpu_s "$d0" "$d1")" \
		"$(cpu_s "$s0" "$s1")" "$(mach_cores "$m0" "$m1")" "$extra"
}

# run_cli JOB ROUND: the CLI's own get or put of the same file, into or
# out of a file on the tmpfs or the disk; CPU = the CLI's (daemon column)
run_cli() {
	local job=$1 r=$2 t0 t1 s0 s1 m0 m1 rc=0 msg=ok cmd lf url tm=$state/cli.time err=$state/case.err
	rm -f "$srv_dir/mb.w" "$local_dir/out" "$disk_dir/out"
	url=smb://$user@127.0.0.1:$port/$share
	case $job in
	get-tmpfs) lf=$local_dir/out; cmd=(get "$url/mb.src" "$lf") ;;
	get-disk) lf=$disk_dir/out; cmd=(get "$url/mb.src" "$lf") ;;
	put-tmpfs) lf=$local_dir/src; cmd=(put "$lf" "$url/mb.w") ;;
	put-disk) lf=$disk_dir/src; cmd=(put "$lf" "$url/mb.w") ;;
	esac
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# a put's source is read from the page cache (as smb_bench's): the disk
	# file is read once here
	[[ $job == put-disk ]] && cat "$lf" >/dev/null
	s0=$(tree_ticks "$smbd_pid")
	m0=$(mach_ticks)
	t0=$(now)
	SMBIOV_PASSWORD=${env[SMB_PASS]} /usr/bin/time -f '%U %S' -o "$tm" \
		"$smbiov" --no-progress "${cmd[@]}" 2>"$err" || rc=$?
	t1=$(now)
	s1=$(tree_ticks "$smbd_pid")
	m1=$(mach_ticks)
	local chk=$lf
	[[ $job == put-* ]] && chk=$srv_dir/mb.w
	if ((rc != 0)); then
		msg="failed (exit $rc): $(grep -v '^Command exited' "$err" | head -n 1)"
	elif [[ $(sha256sum "$chk" 2>/dev/null | cut -d' ' -f1) != "$src_sha" ]]; then
		rc=1
		msg="WRONG BYTES in $chk"
	fi
	if ((rc != 0)); then
		fail_row "$job" cli "$r" "${msg:0:200}"
		return
	fi
	local wall ccpu
	wall=$(secs "$t0" "$t1")
	ccpu=$(awk '{printf "%.2f", $1 + $2}' "$tm")
	row "$job" cli "$r" "$(awk -v b="$bytes" -v w="$wall" 'BEGIN{printf "%.0f", b / 1e6 / w}')" MB/s \
		"$wall" "$wall" "$ccpu" "$(cpu_s "$s0" "$s1")" "$(mach_cores "$m0" "$m1")" ""
}

# run_meta PEER ROUND: untar the tree into the mount, find + stat of every
# entry, rm -r, each phase timed with the daemon's and smbd's CPU. Between
# the phases (untimed): sync and drop_caches (the kernel's dentries and
# inodes; the daemon keeps its own caches); after find + stat the whole
# tree is read back through the mount and compared with the tar (file
# count, every file's sha256); then a fresh mount for rm -r (so the read
# back does not leave the daemon's handles or caches to rm); after rm -r
# the share's directory on the server's disk must be empty. untar counts
# until the server has every file with every byte (rclone's full cache
# uploads after close: a walk of the share's directory every 50 ms after
# tar exits); rm -r until the server's copy is gone.
run_meta() {
	local p=$1 r=$2 dir why ph t0 t1 t2 d0 d1 s0 s1 m0 m1 rc msg err=$state/case.err
	local mdir sdir=$srv_dir/meta walls=() dcpus=() scpus=() machs=() cmd note
	local n=$((tree_files + tree_dirs)) tot dtot stot mach
	# what the other jobs wrote goes too: after rm -r only mb.src is left
	rm -rf "$sdir" "$local_dir/meta"
	find "$srv_dir" -mindepth 1 -maxdepth 1 ! -name mb.src -exec rm -rf {} +
	for ph in untar find rm; do
		if [[ $ph != find ]] && ! mount_peer "$p" "meta.$r.$ph"; then
			fail_row "meta-$ph" "$p" "$r" "$why"
			rm -rf "$sdir"
			return
		fi
		mdir=$dir/meta
		[[ $p == tmpfs ]] && mdir=$local_dir/meta
		sync
		echo 3 >/proc/sys/vm/drop_caches
		# shellcheck disable=SC2016 # expanded by sh -c
		case $ph in
		untar) cmd=(sh -c 'mkdir "$1" && tar --no-same-owner --no-same-permissions -C "$1" -xf "$2"' sh "$mdir" "$tree_tar") ;;
		find) cmd=(sh -c 'find "$1" -printf "%y %s %m %n %T@ %p\n" >"$2"' sh "$mdir" "$state/find.out") ;;
		rm) cmd=(rm -r "$mdir") ;;
		esac
		rc=0
		msg=
		d0=$(tree_ticks "$daemon_pid")
		s0=$(tree_ticks "$smbd_pid")
		m0=$(mach_ticks)
		t0=$(now)
		timeout -k 10 "$meta_timeout" "${cmd[@]}" 2>"$err" || rc=$?
		t1=$(now)
		t2=$t1
		if ((rc == 124 || rc == 137)); then
			msg="timed out after $meta_timeout s"
		elif ((rc != 0)); then
			msg="failed (exit $rc): $(head -n 1 "$err")"
		elif [[ $p != tmpfs && $ph != find ]]; then
			# until the server has it all (untar) or none of it (rm)
			local want_f=$tree_files want_b=$tree_bytes st
			[[ $ph == rm ]] && want_f=0 want_b=0
			if st=$(python3 "$root/bench/tree.py" check "$sdir" "$want_f" "$want_b" "$meta_timeout" 2>"$err"); then
				[[ $st == 0 ]] || t2=$st
			else
				rc=1
				msg="the server's copy: $(head -n 1 "$err") (wanted $want_f files, $want_b bytes)"
			fi
		fi
		d1=$(tree_ticks "$daemon_pid")
		s1=$(tree_ticks "$smbd_pid")
		m1=$(mach_ticks)
		if ((rc == 0)); then
			case $ph in
			find)
				local n
				n=$(wc -l <"$state/find.out")
				# the tree's entries and the top directory itself
				# the tree's entries, its top directory and meta itself
				((n == tree_files + tree_dirs + 2)) || {
					rc=1
					msg="find listed $n entries, the tree has $((tree_files + tree_dirs + 2))"
				}
				if ((rc == 0)); then
					local got
					got=$(python3 "$root/bench/tree.py" sum "$mdir/$tree_top" 2>&1) || true
					[[ $got == "$tree_files $tree_dirs $tree_bytes $tree_sum" ]] || {
						rc=1
						msg="WRONG TREE read back through the mount: $got (the tar: $tree_files $tree_dirs $tree_bytes ${tree_sum:0:16}…)"
					}
				fi
				;;
			rm)
				if [[ -e $sdir || -e $mdir ]] || [[ $p != tmpfs && -n $(find "$srv_dir" -mindepth 1 ! -name mb.src -print -quit) ]]; then
					rc=1
					msg="after rm -r: $(find "$srv_dir" -mindepth 1 ! -name mb.src | wc -l) entries left on the server: $(find "$srv_dir" -mindepth 1 ! -name mb.src -printf '%P ' | cut -c1-200)"
				fi
				;;
			esac
		fi
		if ((rc != 0)); then
			umount_peer "$p"
			fail_row "meta-$ph" "$p" "$r" "${msg:0:300}"
			rm -rf "$sdir" "$local_dir/meta"
			return
		fi
		[[ $ph == untar ]] || umount_peer "$p"
		# entries (files + directories) per second; notes: smbiov's --stats
		# of the two mounts (untar + find + read-back, rm)
		note=
		if [[ $p == smbiov* && $ph == find ]]; then
			note="mount 1 (untar, find, read-back): $(mount_stats "$state/log/$p.meta.$r.untar.err")"
		elif [[ $p == smbiov* && $ph == rm ]]; then
			note="mount 2: $(mount_stats "$state/log/$p.meta.$r.rm.err")"
		fi
		walls+=("$(secs "$t0" "$t2")")
		dcpus+=("$(cpu_s "$d0" "$d1")")
		scpus+=("$(cpu_s "$s0" "$s1")")
		machs+=("$(mach_cores "$m0" "$m1")")
		row "meta-$ph" "$p" "$r" "$(awk -v n="$n" -v w="${walls[-1]}" 'BEGIN{printf "%.0f", n / w}')" entries/s \
			"${walls[-1]}" "$(secs "$t0" "$t1")" "${dcpus[-1]}" "${scpus[-1]}" "${machs[-1]}" "$note"
	done
	local sums
	sums=$(printf '%s %s %s %s\n' "${walls[@]}" "${dcpus[@]}" "${scpus[@]}" "${machs[@]}" | tr '\n' ' ')
	read -r tot dtot stot mach < <(echo "$sums" | awk '{printf "%.3f %.2f %.2f %.2f\n", $1 + $2 + $3, $4 + $5 + $6,
		$7 + $8 + $9, ($10 * $1 + $11 * $2 + $12 * $3) / ($1 + $2 + $3)}')
	row meta-total "$p" "$r" "$(awk -v n="$n" -v w="$tot" 'BEGIN{printf "%.0f", n / w}')" entries/s \
		"$tot" "$tot" "$dtot" "$stot" "$mach" ""
}

echo "mount_bench.sh: $(uname -r), $(nproc) CPUs, smbiov $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src include tools 2>/dev/null || echo ' (+ uncommitted changes in src/include/tools)'), $(fio --version), $(rclone version 2>/dev/null | head -n 1 || echo 'no rclone'), smbnetfs $(dpkg-query -W -f '${Version}' smbnetfs 2>/dev/null || echo '-')"
echo "smbiov binary $smbiov${smbiov_base:+, smbiov-base binary $smbiov_base}"
echo "size ${size} MiB, ${rounds} rounds, ${nrand} random reads at most (${rand_secs} s at most), smbiov cache=$cache, disk dir $disk_dir ($disk_fs)"
[[ -n $tree_desc ]] && echo "metadata tree: $tree_desc"
echo "load before: $(uptime)"
for ((r = 1; r <= rounds; r++)); do
	echo "round $r"
	for job in "${jobs[@]}"; do
		if [[ $job == get-* || $job == put-* ]]; then
			run_cli "$job" "$r"
			continue
		fi
		n=${#peers[@]}
		for ((k = 0; k < n; k++)); do
			if [[ $job == meta ]]; then
				run_meta "${peers[$(((k + r - 1) % n))]}" "$r"
			else
				run_case "$job" "${peers[$(((k + r - 1) % n))]}" "$r"
			fi
		done
	done
done
echo "load after: $(uptime)"

python3 - "$results" "${peers_arg}" "${jobs_arg}" "$hot_loops" <<'EOF'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
peers = sys.argv[2].split(","); args = sys.argv[3].split(",")
hot_gib = int(sys.argv[4])
names = {"seqread": "seq read 1 MiB, buffered, cold", "dread": "seq read 1 MiB, O_DIRECT",
         "seqwrite": "seq write 1 MiB, buffered + end fsync", "dwrite": "seq write 1 MiB, O_DIRECT",
         "write4k": "seq write 4 KiB, buffered + end fsync",
         "rand1": "4 KiB rand read, O_DIRECT, QD1", "rand16": "4 KiB rand read, O_DIRECT, QD16",
         "cp-tmpfs": "cp mount -> tmpfs", "cp-disk": "cp mount -> disk", "cp-in": "cp tmpfs -> mount", "cp-same": "cp mount -> mount (same share)",
         "hot": "hot re-read 1 MiB, buffered", "get-tmpfs": "CLI get -> tmpfs file",
         "get-disk": "CLI get -> disk file", "put-tmpfs": "CLI put <- tmpfs file",
         "put-disk": "CLI put <- disk file", "meta-untar": "metadata: untar",
         "meta-find": "metadata: find + stat", "meta-rm": "metadata: rm -r",
         "meta-total": "metadata: all three"}
jobs = []
for j in args:
    jobs += ["meta-untar", "meta-find", "meta-rm", "meta-total"] if j == "meta" else [j]
cli = lambda j: j.startswith(("get-", "put-"))
med = {}
print()
print("| job | peer | median | min | max | wall s | daemon CPU s | smbd CPU s | machine cores | notes |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for j in jobs:
    for p in (["cli"] if cli(j) else peers):
        rs = [r for r in rows if r[0] == j and r[1] == p]
        ok = [r for r in rs if r[3] == "ok"]
        bad = [r for r in rs if r[3] != "ok"]
        note = "; ".join(sorted({r[4] for r in bad}))
        if not ok:
            print(f"| {names[j]} | {p} | {'FAILED' if rs else '-'} | | | | | | | {note} |")
            continue
        vals = [float(r[4]) for r in ok]
        m = statistics.median(vals)
        mid = min(ok, key=lambda r: abs(float(r[4]) - m))
        f = lambda k: statistics.median(float(r[k]) for r in ok)
        med[(j, p)] = (m, f(6), f(8), f(9))
        unit = ok[0][5]
        notes = [x for x in (mid[11] if len(mid) > 11 else "", note) if x]
        if bad:
            notes.append(f"{len(bad)} of {len(rs)} rounds failed")
        if j in ("seqwrite", "dwrite", "write4k", "cp-in", "cp-same", "meta-untar", "meta-rm") and f(7) < 0.95 * f(6):
            notes.append(f"command done after {f(7):.2f} s")
        if j == "hot":
            notes.append(f"{hot_gib} re-reads of the file timed")
        if cli(j):
            notes.append("daemon CPU = the CLI's")
        print(f"| {names[j]} | {p} | {m:.0f} {unit} | {min(vals):.0f} | {max(vals):.0f} | {f(6):.3f} | "
              f"{f(8):.2f} | {f(9):.2f} | {f(10):.2f} | {'; '.join(notes)} |")
others = [p for p in peers if p != "smbiov"]
mjobs = [j for j in jobs if not cli(j)]
if "smbiov" in peers and others and mjobs:
    print()
    print("Same-run ratios (medians; > 1: smbiov faster; metadata: entries/s, i.e. peer time / smbiov time):")
    print()
    print("| job | " + " | ".join(f"smbiov/{p}" for p in others) + " |")
    print("|---|" + "---:|" * len(others))
    for j in mjobs:
        cells = []
        for p in others:
            a, b = med.get((j, "smbiov")), med.get((j, p))
            cells.append(f"{a[0] / b[0]:.2f}" if a and b else "-")
        print(f"| {names[j]} | " + " | ".join(cells) + " |")
pairs = [("seqread", "get-tmpfs"), ("dread", "get-tmpfs"), ("cp-tmpfs", "get-tmpfs"), ("cp-disk", "get-disk"),
         ("seqwrite", "put-tmpfs"), ("dwrite", "put-tmpfs"), ("cp-in", "put-tmpfs"), ("cp-in", "put-disk")]
pairs = [(a, b) for a, b in pairs if (a, "smbiov") in med and (b, "cli") in med]
if pairs:
    print()
    print("The mount against the CLI's own get/put of the same file, same run (medians; ratio > 1: the mount faster):")
    print()
    print("| mount job | smbiov mount | CLI | CLI MB/s | mount/CLI | CPU s mount daemon / CLI | smbd CPU s mount / CLI |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for a, b in pairs:
        x, y = med[(a, "smbiov")], med[(b, "cli")]
        print(f"| {names[a]} | {x[0]:.0f} MB/s | {b} | {y[0]:.0f} | {x[0] / y[0]:.2f} | {x[2]:.2f} / {y[2]:.2f} | {x[3]:.2f} / {y[3]:.2f} |")
# the issue's targets, same run
fpeers = [p for p in ("rclone-off", "rclone-full", "smbnetfs") if p in peers]
targets = []
def vs_peer(j, want, label):
    got = [(med[(j, p)][0], p) for p in fpeers if (j, p) in med]
    if (j, "smbiov") in med and got:
        v, p = max(got)
        targets.append((label, names[j], med[(j, "smbiov")][0], f"{p} {v:.0f}", med[(j, "smbiov")][0] / v, want))
for j in ("seqread", "dread"):
    vs_peer(j, 2.0, "seq read ≥ 2× the faster peer")
for j in ("seqwrite", "dwrite"):
    vs_peer(j, 2.0, "seq write ≥ 2× the faster peer")
for a, b in (("seqread", "get-tmpfs"), ("dread", "get-tmpfs"), ("seqwrite", "put-tmpfs"), ("dwrite", "put-tmpfs")):
    if (a, "smbiov") in med and (b, "cli") in med:
        x, y = med[(a, "smbiov")][0], med[(b, "cli")][0]
        targets.append(("seq ≥ 0.6× the CLI's get/put", names[a], x, f"{b} {y:.0f}", x / y, 0.6))
vs_peer("rand1", 2.0, "4 KiB rand read ≥ 2× at QD1")
vs_peer("rand16", 5.0, "4 KiB rand read ≥ 5× at QD16")
if ("hot", "smbiov") in med and ("hot", "tmpfs") in med:
    x, y = med[("hot", "smbiov")][0], med[("hot", "tmpfs")][0]
    targets.append(("hot re-read within 2× of tmpfs", names["hot"], x, f"tmpfs {y:.0f}", x / y, 0.5))
for j in ("meta-total", "meta-untar", "meta-find", "meta-rm"):
    vs_peer(j, 2.0, "metadata ≥ 2× the faster peer" + ("" if j == "meta-total" else " (phase)"))
if targets:
    print()
    print("The issue's targets, same run (medians; MB/s, IOPS or entries/s):")
    print()
    print("| target | job | smbiov | reference | ratio | wanted | |")
    print("|---|---|---:|---|---:|---:|---|")
    for label, j, x, ref, ratio, want in targets:
        verdict = "met" if ratio >= want else f"missed ({want / ratio:.2f}× short)"
        print(f"| {label} | {j} | {x:.0f} | {ref} | {ratio:.2f} | {want:g} | {verdict} |")
EOF
exit $((failures ? 1 : 0))
