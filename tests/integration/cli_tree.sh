#!/usr/bin/env bash
# Directory commands cross-checked with smbclient: ls matches smbclient's
# listing; put -r / get -r copy trees both ways; mkdir -p, rmdir, rm -r,
# mv, cp, stat and df do what they say.
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
cli_setup
: "${SMB_ROOT:?}"

P=$SMB_PORT
S=$SMB_SHARE
d=$run_id.dir

# a directory made by smbclient, listed by both
mkdir -p "$tmp/seed"
for n in alpha beta "with space" "ünïcødé" zeta.txt; do
	head -c $((RANDOM % 5000)) /dev/urandom >"$tmp/seed/$n"
done
cmds="mkdir $d; mkdir $d/sub; cd $d"
for n in alpha beta "with space" "ünïcødé" zeta.txt; do
	cmds+="; put \"$tmp/seed/$n\" \"$n\""
done
smbc "$P" "$S" "$cmds" || integ_fail "smbclient seeding: $(cat "$tmp/smbc")"

smbiov ls "$(url "$P" "$S" "$d")"
expect_ok "ls"
sed 's:/$::' "$tmp/out" | sort >"$tmp/ls.smbiov"
smbc "$P" "$S" "cd $d; ls" || integ_fail "smbclient ls: $(cat "$tmp/smbc")"
# smbclient: "  NAME   A   SIZE  DATE"; the name ends before the attribute
# column, which is preceded by at least two blanks
sed -n 's/^  \(.*[^ ]\)  *[ADHNRS]\{1,\} \{1,\}[0-9]\{1,\}  [A-Z][a-z][a-z] .*$/\1/p' "$tmp/smbc" |
	grep -vx '\.\|\.\.' | sort >"$tmp/ls.smbclient"
diff "$tmp/ls.smbclient" "$tmp/ls.smbiov" >/dev/null ||
	integ_fail "ls differs from smbclient's listing: $(diff "$tmp/ls.smbclient" "$tmp/ls.smbiov")"
[[ $(wc -l <"$tmp/ls.smbiov") -eq 6 ]] || integ_fail "ls: want 6 entries: $(cat "$tmp/ls.smbiov")"
grep -qx 'sub/' "$tmp/out" || integ_fail "ls: directory 'sub' not marked with '/'"
echo "ok: ls matches smbclient"

# ls -l sizes match the local files
smbiov ls -l "$(url "$P" "$S" "$d")"
expect_ok "ls -l"
for n in alpha beta zeta.txt; do
	want=$(stat -c %s "$tmp/seed/$n")
	grep -qE "^- +$want .* $n\$" "$tmp/out" ||
		integ_fail "ls -l: $n should show size $want: $(cat "$tmp/out")"
done
echo "ok: ls -l sizes"

# ls of a file lists just it; stat shows its size
smbiov ls "$(url "$P" "$S" "$d/alpha")"
expect_ok "ls of a file"
[[ $(cat "$tmp/out") == alpha ]] || integ_fail "ls of a file: $(cat "$tmp/out")"
smbiov stat "$(url "$P" "$S" "$d/alpha")"
expect_ok "stat"
grep -q "Size: $(stat -c %s "$tmp/seed/alpha")" "$tmp/out" || integ_fail "stat: $(cat "$tmp/out")"
grep -q "Type: regular file" "$tmp/out" || integ_fail "stat type: $(cat "$tmp/out")"
smbiov stat "$(url "$P" "$S" "$d/sub")"
grep -q "Type: directory" "$tmp/out" || integ_fail "stat of a directory: $(cat "$tmp/out")"
echo "ok: ls of a file, stat"

# get -r: the tree smbclient made, compared file by file
smbiov get -r "$(url "$P" "$S" "$d")" "$tmp/got"
expect_ok "get -r"
for n in alpha beta "with space" "ünïcødé" zeta.txt; do
	cmp "$tmp/seed/$n" "$tmp/got/$n" || integ_fail "get -r: $n differs"
done
[[ -d $tmp/got/sub ]] || integ_fail "get -r: empty subdirectory missing"
no_leftovers "$tmp/got"
# into an existing directory: the tree keeps its name
mkdir -p "$tmp/into"
smbiov get -r "$(url "$P" "$S" "$d")" "$tmp/into"
expect_ok "get -r into a directory"
cmp "$tmp/seed/alpha" "$tmp/into/$d/alpha" || integ_fail "get -r into a directory"
# without -r a directory is refused
smbiov get "$(url "$P" "$S" "$d")" "$tmp/nope"
expect_fail "get of a directory without -r" 2 "use get -r"
echo "ok: get -r"

# put -r: a local tree with nesting, read back with smbclient
mkdir -p "$tmp/up/a/b/c" "$tmp/up/empty"
head -c 70000 /dev/urandom >"$tmp/up/top"
head -c 1 /dev/urandom >"$tmp/up/a/one"
head -c 4096 /dev/urandom >"$tmp/up/a/b/page"
: >"$tmp/up/a/b/c/zero"
smbiov put -r "$tmp/up" "$(url "$P" "$S" "$d/up")"
expect_ok "put -r"
mkdir -p "$tmp/check"
smbc "$P" "$S" "cd $d/up; lcd $tmp/check; recurse ON; prompt OFF; mget *" ||
	integ_fail "smbclient mget: $(cat "$tmp/smbc")"
diff -r "$tmp/up" "$tmp/check" >/dev/null || integ_fail "put -r: smbclient sees a different tree"
[[ -d $SMB_ROOT/$S/$d/up/empty ]] || integ_fail "put -r: empty directory missing"
echo "ok: put -r"

# put -r does not follow symbolic links (to a file outside the tree or to a
# directory): each is skipped with one warning line, the rest goes up
mkdir -p "$tmp/lk/sub"
echo inside >"$tmp/lk/sub/f"
ln -s /etc/passwd "$tmp/lk/passwd"
ln -s sub "$tmp/lk/dirlink"
smbiov put -r "$tmp/lk" "$(url "$P" "$S" "$d/lk")"
expect_ok "put -r with symbolic links"
[[ -f $SMB_ROOT/$S/$d/lk/sub/f ]] || integ_fail "put -r with links: the regular file is missing"
[[ ! -e $SMB_ROOT/$S/$d/lk/passwd && ! -e $SMB_ROOT/$S/$d/lk/dirlink ]] ||
	integ_fail "put -r followed a symbolic link: $(ls -la "$SMB_ROOT/$S/$d/lk")"
(($(grep -c 'skipped (a symbolic link' "$tmp/err") == 2)) ||
	integ_fail "put -r with links: want two 'skipped' lines: $(cat "$tmp/err")"
echo "ok: put -r skips symbolic links"

# put -r -L follows them: a link to a file uploads that file's bytes, a
# link to a directory its tree; a link back to a directory above is a loop,
# skipped with one line; a dangling link fails as its own entry (exit 8)
# while the rest goes up
echo outside >"$tmp/outside"
mkdir -p "$tmp/lkL/sub"
echo inside >"$tmp/lkL/sub/f"
ln -s "$tmp/outside" "$tmp/lkL/filelink"
ln -s sub "$tmp/lkL/dirlink"
ln -s .. "$tmp/lkL/sub/loop"
smbiov put -r -L "$tmp/lkL" "$(url "$P" "$S" "$d/lkL")"
expect_ok "put -r -L"
cmp -s "$SMB_ROOT/$S/$d/lkL/filelink" "$tmp/outside" ||
	integ_fail "put -r -L: a link to a file did not upload its bytes"
cmp -s "$SMB_ROOT/$S/$d/lkL/dirlink/f" "$tmp/lkL/sub/f" ||
	integ_fail "put -r -L: a link to a directory did not upload its tree"
[[ ! -e $SMB_ROOT/$S/$d/lkL/sub/loop ]] || integ_fail "put -r -L: followed a loop"
(($(grep -c 'skipped (a link to a directory above it' "$tmp/err") == 2)) ||
	integ_fail "put -r -L: want the loop skipped twice (under sub and dirlink): $(cat "$tmp/err")"
ln -s "$tmp/nowhere" "$tmp/lkL/dangling"
smbiov put -r -L "$tmp/lkL" "$(url "$P" "$S" "$d/lkL2")"
[[ $rc -eq 8 ]] || integ_fail "put -r -L with a dangling link: exit $rc, want 8: $(cat "$tmp/err")"
grep -q "lkL/dangling: cannot read" "$tmp/err" ||
	integ_fail "put -r -L: the dangling link is not named: $(cat "$tmp/err")"
[[ -f $SMB_ROOT/$S/$d/lkL2/sub/f ]] || integ_fail "put -r -L: stopped at the dangling link"
echo "ok: put -r -L follows links, skips loops, names a dangling one"

# mkdir -p, rmdir, rm, rm -r
smbiov mkdir -p "$(url "$P" "$S" "$d/m1/m2/m3")"
expect_ok "mkdir -p"
smbiov mkdir -p "$(url "$P" "$S" "$d/m1/m2/m3")"
expect_ok "mkdir -p of an existing directory"
smbiov mkdir "$(url "$P" "$S" "$d/m1")"
expect_fail "mkdir of an existing directory" 11 "exists"
smbiov rmdir "$(url "$P" "$S" "$d/m1")"
expect_fail "rmdir of a non-empty directory" 11 "not empty"
smbiov rmdir "$(url "$P" "$S" "$d/m1/m2/m3")"
expect_ok "rmdir"
smbc "$P" "$S" "ls $d/m1/m2/m3" && integ_fail "rmdir: smbclient still sees m3"
smbiov rm "$(url "$P" "$S" "$d/alpha")"
expect_ok "rm"
smbc "$P" "$S" "ls $d/alpha" && integ_fail "rm: smbclient still sees alpha"
smbiov rm "$(url "$P" "$S" "$d/m1")"
[[ $rc -ne 0 ]] || integ_fail "rm of a directory without -r succeeded"
smbiov rm -r "$(url "$P" "$S" "$d/m1")"
expect_ok "rm -r"
echo "ok: mkdir, rmdir, rm"

# mv: beside the source, into a directory, -f to replace
smbiov mv "$(url "$P" "$S" "$d/beta")" gamma
expect_ok "mv to a sibling name"
smbc "$P" "$S" "get $d/gamma $tmp/gamma" || integ_fail "mv: gamma missing"
cmp "$tmp/seed/beta" "$tmp/gamma" || integ_fail "mv: contents changed"
smbiov mv "$(url "$P" "$S" "$d/gamma")" "$(url "$P" "$S" "$d/sub")"
expect_ok "mv into a directory"
[[ -f $SMB_ROOT/$S/$d/sub/gamma ]] || integ_fail "mv into a directory: sub/gamma missing"
smbiov mv "$(url "$P" "$S" "$d/zeta.txt")" "/$d/with space"
expect_fail "mv onto an existing file" 11 "exists"
smbiov mv -f "$(url "$P" "$S" "$d/zeta.txt")" "/$d/with space"
expect_ok "mv -f"
cmp "$tmp/seed/zeta.txt" "$SMB_ROOT/$S/$d/with space" || integ_fail "mv -f: contents"
echo "ok: mv"

# cp: remote to remote, same share and to the encrypted share
smbiov cp "$(url "$P" "$S" "$d/ünïcødé")" "$(url "$P" "$S" "$d/copy")"
expect_ok "cp"
cmp "$tmp/seed/ünïcødé" "$SMB_ROOT/$S/$d/copy" || integ_fail "cp: contents"
head -c $((9 * 1024 * 1024)) /dev/urandom >"$tmp/big"
smbc "$P" "$S" "put $tmp/big $d/big" || integ_fail "smbclient put: $(cat "$tmp/smbc")"
# within one share the server copies: no byte through the client
smbiov --stats cp "$(url "$P" "$S" "$d/big")" "$(url "$P" "$S" "$d/big.copy")"
expect_ok "cp within a share"
cmp "$tmp/big" "$SMB_ROOT/$S/$d/big.copy" || integ_fail "cp within a share: contents"
grep -qE '^  payload sent +0 bytes' "$tmp/err" && grep -qE '^  payload received +0 bytes' "$tmp/err" ||
	integ_fail "cp within a share went through the client: $(grep payload "$tmp/err")"
smbiov cp "$(url "$P" "$S" "$d/big")" "$(url "$P" "$SMB_ENC_SHARE" "$run_id.big")"
expect_ok "cp to another share"
smbc "$P" "$SMB_ENC_SHARE" "get $run_id.big $tmp/big.back; del $run_id.big" --client-protection=encrypt ||
	integ_fail "smbclient: $(cat "$tmp/smbc")"
cmp "$tmp/big" "$tmp/big.back" || integ_fail "cp to another share: contents"
echo "ok: cp (within a share: a server-side copy)"

# df
smbiov df "$(url "$P" "$S")"
expect_ok "df"
[[ $(wc -l <"$tmp/out") -eq 2 ]] || integ_fail "df: $(cat "$tmp/out")"
grep -qE '[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+%' "$tmp/out" || integ_fail "df: $(cat "$tmp/out")"
# -h as in coreutils: human sizes for df and ls -l, not the help page
smbiov df -h "$(url "$P" "$S")"
expect_ok "df -h"
[[ $(wc -l <"$tmp/out") -eq 2 ]] || integ_fail "df -h: $(cat "$tmp/out")"
grep -qE '[0-9.]+ [KMGT]iB +[0-9.]+ ([KMGT]i)?B .* [0-9]+%' "$tmp/out" || integ_fail "df -h: $(cat "$tmp/out")"
smbiov ls -lh "$(url "$P" "$S")"
expect_ok "ls -lh"
! grep -q '^Usage' "$tmp/out" || integ_fail "ls -lh printed the help: $(head -3 "$tmp/out")"
echo "ok: df"

smbiov rm -r "$(url "$P" "$S" "$d")"
expect_ok "rm -r of the test tree"
[[ ! -e $SMB_ROOT/$S/$d ]] || integ_fail "rm -r left $SMB_ROOT/$S/$d"
echo "ok: cleanup"

# A tree goes on past an entry the server refuses ('?' and '<' are not
# valid in SMB names): each refused entry is one line with the server's
# reason, the rest arrives, a summary ends it, the exit code is the
# failure's; --fail-fast stops at the first.
rm -rf "$tmp/tr"
mkdir -p "$tmp/tr/sub"
echo a >"$tmp/tr/a"
echo b >"$tmp/tr/bad?name"
echo c >"$tmp/tr/sub/c"
echo d >"$tmp/tr/sub/x<y"
smbiov put -r "$tmp/tr" "$(url "$P" "$S" "$run_id.tr")"
[[ $rc -eq 6 ]] || integ_fail "put -r with refused names: exit $rc, want 6: $(cat "$tmp/err")"
(($(grep -c 'refuses this name' "$tmp/err") == 2)) || integ_fail "put -r: want two 'refuses this name' lines: $(cat "$tmp/err")"
grep -q '^smbiov: put -r: 2 done, 2 failed$' "$tmp/err" || integ_fail "put -r: no summary: $(cat "$tmp/err")"
[[ -f $SMB_ROOT/$S/$run_id.tr/a && -f $SMB_ROOT/$S/$run_id.tr/sub/c ]] || integ_fail "put -r did not go on past the refused names"
smbiov put -r --fail-fast "$tmp/tr" "$(url "$P" "$S" "$run_id.tr2")"
[[ $rc -eq 6 ]] || integ_fail "put -r --fail-fast: exit $rc, want 6"
(($(grep -c 'refuses this name' "$tmp/err") == 1)) || integ_fail "put -r --fail-fast: want one failure line: $(cat "$tmp/err")"
[[ ! -e $SMB_ROOT/$S/$run_id.tr2/sub ]] || integ_fail "put -r --fail-fast went on after the first failure"
echo "ok: put -r goes on past refused names; --fail-fast stops"
rm -rf "$SMB_ROOT/$S/$run_id.tr" "$SMB_ROOT/$S/$run_id.tr2"

# rm -r goes on past an entry it cannot remove (a file in a directory the
# server's user may not write): the rest goes, that directory and its
# parents stay, one line for the entry and a summary; exit 7.
r=$SMB_ROOT/$S/$run_id.rm
mkdir -p "$r/locked" "$r/free"
echo f >"$r/locked/f"
echo g >"$r/free/g"
echo t >"$r/top"
chown -R "$SMB_USER:" "$r"
chmod 0555 "$r/locked"
smbiov rm -r "$(url "$P" "$S" "$run_id.rm")"
chmod 0755 "$r/locked"
[[ $rc -eq 7 ]] || integ_fail "rm -r with a locked entry: exit $rc, want 7: $(cat "$tmp/err")"
grep -q '^smbiov: rm -r: .* done, 1 failed$' "$tmp/err" || integ_fail "rm -r: no summary: $(cat "$tmp/err")"
[[ -f $r/locked/f && ! -e $r/free && ! -e $r/top ]] || integ_fail "rm -r did not go on: $(find "$r")"
rm -rf "$r"
echo "ok: rm -r goes on past an entry it cannot remove"
