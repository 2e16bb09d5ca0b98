#!/usr/bin/env bash
# A directory of 5,000 entries (files of many sizes, subdirectories, hidden
# dot files, names with spaces, non-ASCII and 200-character names), made on
# the server's disk: `smbiov ls` names the same entries as smbclient's listing
# and as the directory on disk, under dialects 2.1, 3.0 and 3.1.1 (many
# QUERY_DIRECTORY rounds each); `ls -l` gives every entry's type, size and
# modification minute as on disk; `stat` gives size, times and attributes as
# smbclient's `allinfo` and the on-disk stat say, for a few chosen files.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup
: "${SMB_ROOT:?}"
[[ -d $SMB_ROOT/$SMB_SHARE ]] || integ_skip "the share directory $SMB_ROOT/$SMB_SHARE is not here"
export TZ=UTC # smbclient prints UTC; smbiov local time

P=$SMB_PORT
S=$SMB_SHARE
d=$run_id.many
disk=$SMB_ROOT/$S/$d
# shellcheck disable=SC2064 # expand now
trap "rm -rf '$tmp' '$disk'" EXIT

# ---- 5,000 entries, made on disk (fast) and owned by the server's user ------
N=5000
mkdir "$disk"
(
	cd "$disk"
	long=$(printf 'L%.0s' {1..190})
	for ((i = 0; i < N; i++)); do
		case $((i % 50)) in
		0) mkdir "dir-$i" ;;
		1) printf '%*s' $((i % 300)) '' >".hidden-$i" ;;
		2) printf '%*s' $((i % 300)) '' >"with space $i.txt" ;;
		3) printf '%*s' $((i % 300)) '' >"ünïcødé-€-$i" ;;
		4) printf '%*s' $((i % 300)) '' >"$long-$i" ;;
		*) printf '%*s' $(((i * 7919) % 70000)) '' >"file-$i.dat" ;;
		esac
	done
)
chown -R "$SMB_USER:" "$disk"
[[ $(find "$disk" -mindepth 1 -maxdepth 1 | wc -l) -eq $N ]] || integ_fail "made the wrong number of entries"
find "$disk" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort >"$tmp/names.disk"

# smbclient's listing, names only ("  NAME   ATTRS   SIZE  Day Mon dd hh:mm:ss yyyy")
smbc "$P" "$S" "cd $d; ls" || integ_fail "smbclient ls: $(tail -n 5 "$tmp/smbc")"
sed -n 's/^  \(.*[^ ]\)  *[ADHNRS]\{1,\} \{1,\}[0-9]\{1,\}  [A-Z][a-z][a-z] .*$/\1/p' "$tmp/smbc" |
	grep -vx '\.\|\.\.' | LC_ALL=C sort >"$tmp/names.smbclient"
diff "$tmp/names.disk" "$tmp/names.smbclient" >"$tmp/diff" ||
	integ_fail "smbclient's listing differs from the disk (a parsing problem of this test?): $(head -n 20 "$tmp/diff")"

for dialect in 2.1 3.0 3.1.1; do
	t0=$SECONDS
	smbiov --dialect "$dialect" ls "$(url "$P" "$S" "$d")"
	expect_ok "ls of $N entries (dialect $dialect)"
	# directories end in '/'; ls sorts by name
	grep -c '/$' "$tmp/out" >"$tmp/ndirs" || true
	[[ $(cat "$tmp/ndirs") -eq $((N / 50)) ]] ||
		integ_fail "ls ($dialect): want $((N / 50)) entries marked as directories, got $(cat "$tmp/ndirs")"
	sed 's:/$::' "$tmp/out" | LC_ALL=C sort >"$tmp/names.smbiov"
	diff "$tmp/names.smbclient" "$tmp/names.smbiov" >"$tmp/diff" ||
		integ_fail "ls ($dialect) differs from smbclient's listing (< smbclient, > smbiov): $(head -n 20 "$tmp/diff")"
	echo "ok: ls of $N entries, dialect $dialect, = smbclient's listing ($((SECONDS - t0)) s)"
done

# ls -l: type, size and modification minute of every entry, as on disk
# (a directory's size is 0 over SMB)
smbiov ls -l "$(url "$P" "$S" "$d")"
expect_ok "ls -l of $N entries"
find "$disk" -mindepth 1 -maxdepth 1 -printf '%y %s %TY-%Tm-%Td %TH:%TM %f\n' |
	sed -e 's/^f /- /' -e 's/^d [0-9]* /d 0 /' | LC_ALL=C sort -k 5 >"$tmp/long.disk"
# smbiov: "T   SIZE YYYY-MM-DD HH:MM NAME" (NAME without the '/' of a directory)
sed -E -e 's:/$::' -e 's/^([-d]) +([0-9]+) /\1 \2 /' "$tmp/out" | LC_ALL=C sort -k 5 >"$tmp/long.smbiov"
diff "$tmp/long.disk" "$tmp/long.smbiov" >"$tmp/diff" ||
	integ_fail "ls -l differs from the disk (< disk, > smbiov): $(head -n 20 "$tmp/diff")"
echo "ok: ls -l of $N entries: types, sizes, times as on disk"

# ---- stat of a few entries against allinfo and the disk ---------------------
# chosen times (to the nanosecond on disk; SMB carries 100 ns units) and
# attributes set through smbclient
touch -m -d '2001-02-03 04:05:06.123456789' "$disk/file-5.dat"
touch -m -d '1999-12-31 23:59:59.000000100' "$disk/ünïcødé-€-3"
touch -m -d '2030-06-15 12:00:00.5' "$disk/with space 2.txt"
smbc "$P" "$S" "cd $d; setmode file-5.dat +r; setmode file-6.dat +hs" ||
	integ_fail "smbclient setmode: $(cat "$tmp/smbc")"

allinfo_field() { # FIELD: from $tmp/smbc
	sed -n "s/^$1: *//p" "$tmp/smbc" | head -n 1
}
for n in file-5.dat file-6.dat "ünïcødé-€-3" "with space 2.txt" dir-0 .hidden-1 \
	"$(printf 'L%.0s' {1..190})-4"; do
	smbc "$P" "$S" "cd $d; allinfo \"$n\"" || integ_fail "smbclient allinfo $n: $(cat "$tmp/smbc")"
	a_attr=$(sed -n 's/^attributes: .*(\([0-9a-f]*\))$/\1/p' "$tmp/smbc")
	a_write=$(allinfo_field write_time)
	[[ -n $a_attr && -n $a_write ]] || integ_fail "allinfo $n: cannot parse: $(cat "$tmp/smbc")"
	smbiov stat "$(url "$P" "$S" "$d/$n")"
	expect_ok "stat $n"
	o=$tmp/out
	# type and size
	if [[ -d $disk/$n ]]; then
		grep -qx 'Type: directory' <(sed 's/^ *//' "$o") || integ_fail "stat $n: not a directory: $(cat "$o")"
		size=0
	else
		grep -qx 'Type: regular file' <(sed 's/^ *//' "$o") || integ_fail "stat $n: not a file: $(cat "$o")"
		size=$(stat -c %s "$disk/$n")
	fi
	grep -qE "^ *Size: $size\b" "$o" || integ_fail "stat $n: want Size: $size: $(cat "$o")"
	# attributes: the same bits as allinfo's
	s_attr=$(sed -n 's/^ *Attrib: 0x\([0-9a-fA-F]*\).*/\1/p' "$o")
	[[ -n $s_attr ]] || integ_fail "stat $n: no Attrib line: $(cat "$o")"
	((16#$s_attr == 16#$a_attr)) ||
		integ_fail "stat $n: attributes 0x$s_attr, allinfo says 0x$a_attr: $(cat "$o")"
	# modification time: to the second as allinfo prints it (rounded, not
	# truncated: smbclient prints .9 s as the next second), to 100 ns as on disk
	s_mod=$(sed -n 's/^ *Modify: //p' "$o")
	s_sec=$(date -u -d "${s_mod% *}" +%s) || integ_fail "stat $n: bad Modify '$s_mod'"
	a_sec=$(date -u -d "$a_write" +%s) || integ_fail "allinfo $n: bad write_time '$a_write'"
	frac=${s_mod% *}
	frac=${frac##*.}
	((a_sec == s_sec || (a_sec == s_sec + 1 && 10#$frac != 0))) ||
		integ_fail "stat $n: Modify '$s_mod', allinfo write_time '$a_write'"
	disk_mod=$(stat -c %y "$disk/$n") # YYYY-MM-DD HH:MM:SS.NNNNNNNNN +0000
	want_mod=${disk_mod:0:27}00
	[[ ${s_mod% *} == "$want_mod" ]] ||
		integ_fail "stat $n: Modify '$s_mod', on disk '$disk_mod' (want $want_mod)"
done
# the attributes set through smbclient show in stat's decoding too
smbiov stat "$(url "$P" "$S" "$d/file-5.dat")"
grep -q 'READONLY' "$tmp/out" || integ_fail "stat: READONLY not shown: $(cat "$tmp/out")"
smbiov stat "$(url "$P" "$S" "$d/file-6.dat")"
grep -q 'HIDDEN' "$tmp/out" || integ_fail "stat: HIDDEN not shown: $(cat "$tmp/out")"
grep -q 'SYSTEM' "$tmp/out" ||
	integ_fail "stat: SYSTEM not shown: $(cat "$tmp/out")"
echo "ok: stat = allinfo and the disk: type, size, attributes, modification time"

# several URLs in one stat, each a block
smbiov stat "$(url "$P" "$S" "$d/file-5.dat")" "$(url "$P" "$S" "$d/dir-0")"
expect_ok "stat of two URLs"
[[ $(grep -c 'File: ' "$tmp/out") -eq 2 ]] || integ_fail "stat of two URLs: $(cat "$tmp/out")"

smbc "$P" "$S" "cd $d; setmode file-5.dat -r" || true
echo "ok: listing"
