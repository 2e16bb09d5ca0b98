#!/usr/bin/env bash
# Interop with a second, independent SMB2 server: impacket's smbserver
# (Debian python3-impacket, run with the system /usr/bin/python3), on
# 127.0.0.1 and a free port, one share on a temporary directory, one
# user/password. The smbiov CLI does what impacket implements and every
# result is compared with the files on disk.
#
# What impacket 0.10 speaks with us (found by experiment, kept to here):
#   - SMB 2.0.2 only: it answers every SMB2 NEGOTIATE with 0x0202, even one
#     that did not offer it; no encryption, 64 KiB max read/write;
#   - NTLMv2 against its one account (wrong password -> STATUS_LOGON_FAILURE);
#   - signing enabled, never required; with a session it signs its responses
#     (HMAC-SHA256) — but a compounded response is signed *before* its
#     NextCommand is filled in (smbserver.py processRequest), so every
#     response of a compound but the last carries a bad signature. smbiov
#     compounds CREATE + op + CLOSE for path operations (stat, mkdir, rm),
#     CREATE + READ for get and cat (open and first read in one round
#     trip) and CREATE + WRITE + CLOSE for a put that fits one WRITE (64
#     KiB here), so with --sign those are refused (bad signature); so is
#     an atomic put (its stat and rename are compounds); a put --inplace
#     of more than one WRITE (single requests) passes the check;
#   - FileDispositionInformation with DeletePending = 0 is ignored (the
#     handle is deleted at close anyway): smbiov marks an upload's
#     temporary file delete-on-close only on SMB 3, which impacket never
#     speaks, so its uploads still land (tested by every put here);
#   - FileAllInformation carries the file name as ASCII with FileNameLength
#     in characters (MS-FSCC wants UTF-16 bytes) and "." for the share root;
#     stat decodes only the fixed part, so this is tested to work;
#   - FileFsFullSizeInformation is answered with an empty buffer: no df;
#   - a directory opened delete-on-close is removed with shutil.rmtree at
#     CLOSE, so rmdir of a non-empty directory succeeds (and removes the
#     tree) instead of failing with STATUS_DIRECTORY_NOT_EMPTY: not tested.
#
# The server is stopped by its recorded pid on every exit. Its password
# reaches it through the environment, and smbiov's through SMBIOV_PASSWORD.
# Exit 77 (a failure under CI=true) only when impacket is not installed.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"

PY=/usr/bin/python3 # Debian's python, where python3-impacket lives
USER_NAME=imptest
PASS=Imp-pass-$$-$RANDOM
SHARE=data

[[ -n ${SMBIOV_CLI:-} && -x ${SMBIOV_CLI:-} ]] ||
	integ_skip "the smbiov CLI is not built (SMBIOV_CLI='${SMBIOV_CLI:-}')"
[[ -x $PY ]] || integ_skip "$PY missing (apt-get install python3)"
timeout 30 "$PY" -c 'import impacket.smbserver' 2>/dev/null ||
	integ_skip "impacket is not installed for $PY (scripts/install-deps installs python3-impacket)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smbiov_impacket.XXXXXX")
root=$tmp/share
mkdir -p "$root" "$tmp/local"
pid=

stop_server() {
	local i
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	pid=
}
cleanup() {
	stop_server
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo "FAIL: $*" >&2
	echo "--- impacket log (tail):" >&2
	tail -n 30 "$tmp/server.log" >&2 2>/dev/null || true
	exit 1
}

# ---- the server ---------------------------------------------------------------
read -r -d '' server_py <<'PY' || true
import logging, os, sys
from impacket import smbserver
from impacket.ntlm import compute_lmhash, compute_nthash
root, port, logfile = sys.argv[1:4]
# A hostile server for two kinds of names (smbserver reads a file with
# os.lseek + os.read, and answers a READ with what os.read returned):
# "*.half" answers every READ with half the bytes asked (short reads
# below the end of file, which MS-SMB2 allows); "*.hole" answers a READ
# at or past 1 MiB with no data and STATUS_SUCCESS, though the file
# goes on.
real_read = os.read
def hostile_read(fd, n):
    try:
        name = os.readlink('/proc/self/fd/%d' % fd)
    except OSError:
        return real_read(fd, n)
    if name.endswith('.half'):
        return real_read(fd, max(1, n // 2))
    if name.endswith('.hole') and os.lseek(fd, 0, os.SEEK_CUR) >= 1 << 20:
        return b''
    return real_read(fd, n)
os.read = hostile_read
user, password = os.environ['IMP_USER'], os.environ['IMP_PASS']
logging.basicConfig(filename=logfile, level=logging.INFO)
srv = smbserver.SimpleSMBServer(listenAddress='127.0.0.1', listenPort=int(port))
srv.setLogFile(logfile)
srv.addShare(os.environ['IMP_SHARE'].upper(), root, 'smbiov interop')
srv.setSMB2Support(True)
srv.addCredential(user, 0, compute_lmhash(password), compute_nthash(password))
srv.setSMBChallenge('')  # a random challenge per connection
srv.start()
PY

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# start_server: a random port below the ephemeral range, free at the probe;
# a start that loses the race for it (the server exits) retries another.
start_server() {
	local try t0
	for ((try = 0; try < 5; try++)); do
		port=$((20000 + RANDOM % 12000))
		port_open "$port" && continue
		IMP_USER=$USER_NAME IMP_PASS=$PASS IMP_SHARE=$SHARE \
			setsid "$PY" -c "$server_py" "$root" "$port" "$tmp/server.log" \
			</dev/null >"$tmp/server.out" 2>&1 &
		pid=$!
		t0=$SECONDS
		while ! port_open "$port"; do
			if ! kill -0 "$pid" 2>/dev/null; then
				pid=
				break
			fi
			((SECONDS - t0 < 30)) || fail "impacket not accepting on $port after 30 s: $(cat "$tmp/server.out")"
			sleep 0.1
		done
		if [[ -n $pid ]]; then
			echo "impacket smbserver pid $pid on 127.0.0.1:$port, share $SHARE -> $root"
			return 0
		fi
		echo "impacket exited during start (port $port?): $(tail -n 3 "$tmp/server.out")" >&2
	done
	fail "impacket smbserver did not start"
}
start_server

export SMBIOV_PASSWORD=$PASS
base="smb://$USER_NAME@127.0.0.1:$port/$SHARE"

# run ARGS...: the CLI, bounded; output in $tmp/out and $tmp/err, exit in $rc.
run() {
	rc=0
	timeout 120 "$SMBIOV_CLI" --no-progress "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}
ok() { # WHAT: the last run succeeded
	[[ $rc -eq 0 ]] || fail "$1: exit $rc: $(cat "$tmp/err")"
	echo "ok: $1"
}
want() { # WHAT CODE: the last run exited CODE with one "smbiov: " line
	[[ $rc -eq $2 ]] || fail "$1: exit $rc, want $2: $(cat "$tmp/err")"
	if [[ $(wc -l <"$tmp/err") -ne 1 ]] || ! grep -q '^smbiov: ' "$tmp/err"; then
		fail "$1: want one 'smbiov: ' line on stderr, got: $(cat "$tmp/err")"
	fi
	echo "ok: $1 -> exit $2: $(cat "$tmp/err")"
}
sha() { sha256sum <"$1" | cut -d' ' -f1; }
same() { # WHAT A B: files A and B are identical
	[[ -f $2 && -f $3 ]] || fail "$1: missing file ($2 or $3)"
	[[ $(sha "$2") == "$(sha "$3")" ]] || fail "$1: $2 and $3 differ"
}

# ---- connection, dialect, authentication -----------------------------------------
mkdir "$root/dd"
echo "from impacket's disk" >"$root/dd/xy"

run --stats ls "$base/dd"
ok "ls dd"
[[ $(cat "$tmp/out") == xy ]] || fail "ls dd: got '$(cat "$tmp/out")', want 'xy'"
grep -Eq '^  dialect +2\.0\.2$' "$tmp/err" || fail "--stats: dialect is not 2.0.2: $(cat "$tmp/err")"
grep -Eq '^  encryption +none$' "$tmp/err" || fail "--stats: encryption: $(cat "$tmp/err")"

run --dialect 2.0.2 ls "$base/dd"
ok "--dialect 2.0.2"
# impacket answers 2.0.2 whatever was offered: a dialect we did not offer
# must be refused, not used.
run --dialect 3.0- ls "$base/dd"
want "--dialect 3.0- (server answers 2.0.2, not offered)" 9
run --dialect 2.1 ls "$base/dd"
want "--dialect 2.1 (server answers 2.0.2, not offered)" 9
run --encrypt ls "$base/dd"
want "--encrypt on 2.0.2 (no downgrade)" 9
SMBIOV_PASSWORD=wrong-$PASS run ls "$base/dd"
want "wrong password" 3
run --user nosuchuser ls "$base/dd"
want "unknown user" 3
run ls "smb://$USER_NAME@127.0.0.1:$port/nosuchshare/dd"
want "unknown share" 5
run ls "$base/dd/nosuch"
want "missing file" 6

# ---- put: smbiov writes, the disk shows ------------------------------------------
# sizes: empty, one byte, around the 64 KiB max write, and more than one 8 MiB
# CLI chunk (so a transfer spans chunks and many 2.0.2-sized requests)
for n in 0 1 65535 65537 9437185; do
	head -c "$n" /dev/urandom >"$tmp/local/s$n"
done
for n in 0 1 65535 65537 9437185; do
	run put "$tmp/local/s$n" "$base/dd/p$n" # "p" + digits: even lengths, see above
	ok "put $n bytes"
	same "put $n bytes" "$tmp/local/s$n" "$root/dd/p$n"
done

# ---- get / cat: the disk writes, smbiov reads -------------------------------------
head -c 3000000 /dev/urandom >"$root/dd/g3"
: >"$root/dd/g0"
for f in g3 g0 p9437185; do
	run get "$base/dd/$f" "$tmp/local/got-$f"
	ok "get $f"
	same "get $f" "$root/dd/$f" "$tmp/local/got-$f"
done
run cat "$base/dd/g3"
ok "cat g3"
same "cat g3" "$root/dd/g3" "$tmp/out"
# cat needs no FileAllInformation: any name works
echo odd >"$root/dd/odd"
run cat "$base/dd/odd"
ok "cat of an odd-length name"
[[ $(cat "$tmp/out") == odd ]] || fail "cat odd: got '$(cat "$tmp/out")'"
rm "$root/dd/odd"

# ---- a server that answers short ---------------------------------------------------
# Every READ of a *.half file answered with half the bytes asked: get and
# cat go on after each short answer and deliver the exact file (issue 13's
# 3,146,962-byte case once ended at 1,835,625 bytes with exit 0).
head -c 3146962 /dev/urandom >"$root/dd/short.half"
run get "$base/dd/short.half" "$tmp/local/short.half"
ok "get of a file the server reads out in halves"
same "get of a file the server reads out in halves" "$root/dd/short.half" "$tmp/local/short.half"
run cat "$base/dd/short.half"
ok "cat of a file the server reads out in halves"
same "cat of a file the server reads out in halves" "$root/dd/short.half" "$tmp/out"
# A READ below the end answered with no data: the size asked again says
# the file is longer, so a malformed reply (exit 9), and no local file.
head -c 3000000 /dev/urandom >"$root/dd/gap.hole"
run get "$base/dd/gap.hole" "$tmp/local/gap.hole"
want "get of a file the server answers empty at 1 MiB" 9
grep -q "no data at offset 1048576 of a 3000000-byte file" "$tmp/err" ||
	fail "empty answer below the end: wrong message: $(cat "$tmp/err")"
[[ ! -e $tmp/local/gap.hole ]] || fail "empty answer below the end: a local file was written"
[[ -z $(find "$tmp/local" -name '.gap.hole.smbiov-*') ]] || fail "empty answer below the end: temporary file left"
rm -f "$root/dd/short.half" "$root/dd/gap.hole"

# ---- ls / stat against the disk ------------------------------------------------------
run ls "$base/dd"
ok "ls dd (several entries)"
want_ls=$(cd "$root/dd" && for e in *; do if [[ -d $e ]]; then echo "$e/"; else echo "$e"; fi; done | LC_ALL=C sort)
got_ls=$(LC_ALL=C sort <"$tmp/out")
[[ $got_ls == "$want_ls" ]] || fail "ls dd: got [$got_ls], want [$want_ls]"
run ls -l "$base/dd"
ok "ls -l dd"
while read -r _ size _ _ name; do
	[[ $size == "$(stat -c %s "$root/dd/$name")" ]] ||
		fail "ls -l: $name has size $size, disk says $(stat -c %s "$root/dd/$name")"
done <"$tmp/out"

run stat "$base/dd/g3"
ok "stat g3"
grep -Eq 'Type: regular file' "$tmp/out" || fail "stat g3: $(cat "$tmp/out")"
grep -Eq "Size: 3000000([^0-9]|$)" "$tmp/out" || fail "stat g3 size: $(cat "$tmp/out")"
run stat "$base/dd"
ok "stat dd"
grep -q 'Type: directory' "$tmp/out" || fail "stat dd: $(cat "$tmp/out")"

# ---- namespace operations --------------------------------------------------------------
run mkdir "$base/dd/m1"
ok "mkdir m1"
[[ -d $root/dd/m1 ]] || fail "mkdir: no directory m1 on disk"
run mkdir "$base/dd/m1"
want "mkdir of an existing directory" 11
run mkdir -p "$base/dd/m1/n2/o3"
ok "mkdir -p"
[[ -d $root/dd/m1/n2/o3 ]] || fail "mkdir -p: no m1/n2/o3 on disk"
run rmdir "$base/dd/m1/n2/o3"
ok "rmdir"
[[ ! -e $root/dd/m1/n2/o3 ]] || fail "rmdir: o3 still on disk"
run rm "$base/dd/p1"
ok "rm p1"
[[ ! -e $root/dd/p1 ]] || fail "rm: p1 still on disk"
run rm "$base/dd/nosuch"
want "rm of a missing file" 6
run mv "$base/dd/p0" "$base/dd/q0"
ok "mv p0 q0"
[[ ! -e $root/dd/p0 && -f $root/dd/q0 ]] || fail "mv: disk has p0=$([[ -e $root/dd/p0 ]] && echo yes) q0=$([[ -e $root/dd/q0 ]] && echo yes)"
run mv "$base/dd/q0" "$base/dd/g3"
want "mv onto an existing file without -f" 11
run mv -f "$base/dd/q0" "$base/dd/g3"
ok "mv -f"
[[ ! -e $root/dd/q0 && -f $root/dd/g3 && ! -s $root/dd/g3 ]] || fail "mv -f: g3 not replaced by the empty q0"
run cp "$base/dd/p65537" "$base/dd/c2"
ok "cp (remote -> remote)"
same "cp" "$root/dd/p65537" "$root/dd/c2"

# trees: put -r, then get -r, compared with diff -r
mkdir -p "$tmp/local/tr/su"
echo one >"$tmp/local/tr/f1"
head -c 200000 /dev/urandom >"$tmp/local/tr/su/f2"
: >"$tmp/local/tr/su/e0"
run put -r "$tmp/local/tr" "$base/dd"
ok "put -r"
diff -r "$tmp/local/tr" "$root/dd/tr" || fail "put -r: the tree on disk differs"
run get -r "$base/dd/tr" "$tmp/local/tr-back"
ok "get -r"
diff -r "$tmp/local/tr" "$tmp/local/tr-back" || fail "get -r: the tree differs"
run rm -r "$base/dd/tr"
ok "rm -r"
[[ ! -e $root/dd/tr ]] || fail "rm -r: the tree is still on disk"
run rmdir "$base/dd/m1/n2"
ok "rmdir n2"
run rmdir "$base/dd/m1"
ok "rmdir m1"
[[ ! -e $root/dd/m1 ]] || fail "rmdir: m1 still on disk"

# ---- signing ----------------------------------------------------------------------------
# Single requests: smbiov signs, impacket's signatures verify.
# (--inplace: an atomic put adds path compounds — a stat, the rename —
# which impacket signs wrongly; those are refused below)
run --sign --stats put --inplace "$tmp/local/s65537" "$base/dd/sg"
ok "--sign put --inplace"
grep -Eq '^  signing +HMAC-SHA256$' "$tmp/err" || fail "--sign: not HMAC-SHA256: $(cat "$tmp/err")"
same "--sign put" "$tmp/local/s65537" "$root/dd/sg"
# Compounds: impacket's bad signatures must be refused, never accepted.
run --sign cat "$base/dd/sg"
[[ $rc -ne 0 ]] || fail "--sign cat: impacket's compound responses carry bad signatures, but smbiov accepted them"
want "--sign cat (CREATE + READ compound) with badly signed replies" 9
run --sign stat "$base/dd/sg"
[[ $rc -ne 0 ]] || fail "--sign stat: impacket's compound responses carry bad signatures, but smbiov accepted them"
want "--sign stat with badly signed replies" 9
echo "ok: --sign stat refused impacket's badly signed compound (exit $rc): $(cat "$tmp/err")"
run --sign put "$tmp/local/s65537" "$base/dd/sg2"
[[ $rc -ne 0 ]] || fail "--sign put (atomic): impacket's compound responses carry bad signatures, but smbiov accepted them"
want "--sign put (the stat and rename compounds) with badly signed replies" 9
[[ ! -e $root/dd/sg2 ]] || fail "--sign put refused, but $root/dd/sg2 appeared"
run --sign put "$tmp/local/s1" "$base/dd/sg1"
[[ $rc -ne 0 ]] || fail "--sign put of 1 byte: impacket's compound responses carry bad signatures, but smbiov accepted them"
want "--sign put of 1 byte (CREATE + WRITE + CLOSE compound) with badly signed replies" 9

# ---- FileAllInformation names: stat ignores how the name is encoded ---------
# impacket sends FileNameLength 1 for the share root and ASCII names with a
# character count; stat never uses FileName, so both work.
run ls "$base"
ok "ls of the share root"
grep -qx 'dd/' "$tmp/out" || fail "ls of the share root: no 'dd/' in: $(cat "$tmp/out")"
printf 'odd\n' >"$root/dd/odd.txt"
run stat "$base/dd/odd.txt"
ok "stat of an odd-length name"
run get "$base/dd/odd.txt" "$tmp/local/got-odd"
ok "get of an odd-length name"
same "get odd.txt" "$root/dd/odd.txt" "$tmp/local/got-odd"

stop_server
echo "PASS: interop with impacket's smbserver"
