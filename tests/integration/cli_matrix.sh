#!/usr/bin/env bash
# The CLI's put/get round trips over the matrix of dialects (2.1, 3.0, 3.1.1),
# share modes (public plain; the signing-required server; the encryption-
# required share) and every cipher and signing algorithm Samba negotiates.
# Each file is written by one client and read by the other (smbiov and
# smbclient), sha256 compared, and each smbiov run's --stats must name the
# dialect, cipher and signing algorithm the configuration forces.
#
# Sizes: 0, 1, 4095, 4096, 65537, 8 MiB + 1 and 100 MiB on one representative
# configuration per share mode (3.1.1), 0, 65537 and 8 MiB + 1 on the rest.
# The plain 100 MiB get and put must copy no payload in user space (--stats
# "payload copied 0"). The forced ciphers (AES-128-CCM, AES-128-GCM,
# AES-256-CCM, AES-256-GCM) and signing algorithms (HMAC-SHA256, AES-128-CMAC,
# AES-128-GMAC) come from private smbd instances this test starts (and stops at
# exit), one per algorithm, since the fixture's server offers all of them.
#
# SMBIOV_MATRIX_BIG=0 leaves out the 100 MiB files (default 1, in the ASan
# build too: a 100 MiB round trip takes about as long there, ~1-2 s, since
# the bulk work is in the kernel and OpenSSL, which are not instrumented).
set -euo pipefail
# shellcheck source=tests/integration/lib/integ.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/integ.sh"
# shellcheck source=tests/integration/lib/cli.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
# shellcheck source=tests/integration/lib/private.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/private.sh"
cli_setup
private_trap

MiB=$((1024 * 1024))
BIG=$((100 * MiB))
full=(0 1 4095 4096 65537 $((8 * MiB + 1)))
if [[ ${SMBIOV_MATRIX_BIG:-1} != 0 ]]; then
	full+=("$BIG")
else
	echo "note: SMBIOV_MATRIX_BIG=0: no 100 MiB files"
fi
small=(0 65537 $((8 * MiB + 1)))

# source files, made once per size
declare -A want_sha
src() {
	local size=$1
	if [[ -z ${want_sha[$size]:-} ]]; then
		head -c "$size" /dev/urandom >"$tmp/src.$size"
		want_sha[$size]=$(sha "$tmp/src.$size")
	fi
}

# stat_field KEY: the value of KEY in the --stats block of the last run.
stat_field() {
	sed -n "s/^  $1  *//p" "$tmp/err" | head -n 1
}

# The configuration under test (set by `config`, used by roundtrip):
#   c_port c_share c_prot (smbclient's --client-protection) c_dialect (what
#   --stats must say) c_enc c_sign (extended regexes for --stats' encryption
#   and signing lines) c_opts (smbiov's options) c_name (for messages).
c_opts=()
# config NAME PORT SHARE PROT DIALECT ENC-RE SIGN-RE [SMBIOV-OPTIONS...]
config() {
	c_name=$1 c_port=$2 c_share=$3 c_prot=$4 c_dialect=$5 c_enc=$6 c_sign=$7
	shift 7
	c_opts=("$@")
}

# check_stats WHAT: the last run's --stats match the configuration.
check_stats() {
	local d e s
	d=$(stat_field dialect)
	e=$(stat_field encryption)
	s=$(stat_field signing)
	[[ $d == "$c_dialect" ]] ||
		integ_fail "$c_name: $1: dialect '$d', want $c_dialect: $(cat "$tmp/err")"
	[[ $e =~ ^($c_enc)$ ]] ||
		integ_fail "$c_name: $1: encryption '$e', want /$c_enc/: $(cat "$tmp/err")"
	[[ $s =~ ^($c_sign)$ ]] ||
		integ_fail "$c_name: $1: signing '$s', want /$c_sign/: $(cat "$tmp/err")"
}

# copied_zero WHAT: --stats of the last run report no payload copied.
copied_zero() {
	local c
	c=$(stat_field "payload copied")
	[[ $c =~ ^0\ bytes ]] ||
		integ_fail "$c_name: $1: want 0 payload bytes copied in user space, got '$c'"
}

# roundtrip SIZE: smbiov puts, smbclient gets; smbclient puts, smbiov gets.
roundtrip() {
	local size=$1
	local name=$run_id.$c_name.$size f=$tmp/src.$size want
	src "$size"
	want=${want_sha[$size]}

	smbiov --stats "${c_opts[@]}" put "$f" "$(url "$c_port" "$c_share" "$name.a")"
	expect_ok "$c_name: put $size bytes"
	check_stats "put $size bytes"
	if [[ $size == "$BIG" && $c_enc == none && $c_sign == none ]]; then
		copied_zero "put of $size bytes"
	fi
	rm -f "$tmp/back"
	smbc "$c_port" "$c_share" "get $name.a $tmp/back" "--client-protection=$c_prot" ||
		integ_fail "$c_name: smbclient get: $(cat "$tmp/smbc")"
	[[ $(sha "$tmp/back") == "$want" ]] ||
		integ_fail "$c_name: $size bytes put by smbiov read back differently by smbclient"
	rm -f "$tmp/back"

	smbc "$c_port" "$c_share" "put $f $name.b" "--client-protection=$c_prot" ||
		integ_fail "$c_name: smbclient put: $(cat "$tmp/smbc")"
	rm -f "$tmp/dl/got"
	mkdir -p "$tmp/dl"
	smbiov --stats "${c_opts[@]}" get "$(url "$c_port" "$c_share" "$name.b")" "$tmp/dl/got"
	expect_ok "$c_name: get $size bytes"
	check_stats "get $size bytes"
	# A sealed READ is decrypted in place in our buffer as it lands
	# with GCM; CCM (one OpenSSL update) buffers the message.
	if [[ $size == "$BIG" && ($c_enc == none && $c_sign == none ||
		$c_enc =~ GCM && ! $c_enc =~ CCM) ]]; then
		copied_zero "get of $size bytes"
	fi
	[[ $(sha "$tmp/dl/got") == "$want" ]] ||
		integ_fail "$c_name: $size bytes put by smbclient read back differently by smbiov"
	no_leftovers "$tmp/dl"
	rm -f "$tmp/dl/got"

	smbc "$c_port" "$c_share" "del $name.a; del $name.b" "--client-protection=$c_prot" ||
		integ_fail "$c_name: cleanup: $(cat "$tmp/smbc")"
}

# run_sizes SIZE...: roundtrip each size, one summary line.
run_sizes() {
	local size t0=$SECONDS
	for size in "$@"; do
		roundtrip "$size"
	done
	echo "ok: $c_name: $# sizes both ways, --stats: dialect $c_dialect," \
		"encryption /$c_enc/, signing /$c_sign/ ($((SECONDS - t0)) s)"
}

any_sign='HMAC-SHA256|AES-CMAC|AES-GMAC'
any_cipher='AES-128-CCM|AES-128-GCM|AES-256-CCM|AES-256-GCM'
P=$SMB_PORT
SP=$SMB_SIGNED_PORT

# ---- the fixture's server: the three share modes x three dialects ----------
# public, plain: nothing signed or sealed
config public-3.1.1 "$P" "$SMB_SHARE" off 3.1.1 none none --dialect 3.1.1
run_sizes "${full[@]}"
for d in 2.1 3.0; do
	config "public-$d" "$P" "$SMB_SHARE" off "$d" none none --dialect "$d"
	run_sizes "${small[@]}"
done

# the signing-required server: signs without being asked (auto), and with
# --sign; 2.1 signs with HMAC-SHA256, 3.0 with AES-CMAC
config signed-3.1.1 "$SP" "$SMB_SIGNED_SHARE" sign 3.1.1 none "$any_sign" --dialect 3.1.1
run_sizes "${full[@]}"
config signed-3.0 "$SP" "$SMB_SIGNED_SHARE" sign 3.0 none AES-CMAC --sign --dialect 3.0
run_sizes "${small[@]}"
config signed-2.1 "$SP" "$SMB_SIGNED_SHARE" sign 2.1 none HMAC-SHA256 --sign --dialect 2.1
run_sizes "${small[@]}"

# the encryption-required share: sealed without being asked; 3.0 has only
# AES-128-CCM
config encrypted-3.1.1 "$P" "$SMB_ENC_SHARE" encrypt 3.1.1 "$any_cipher" '.*' --dialect 3.1.1
run_sizes "${full[@]}"
config encrypted-3.0 "$P" "$SMB_ENC_SHARE" encrypt 3.0 AES-128-CCM '.*' --encrypt --dialect 3.0
run_sizes "${small[@]}"

# 2.1 cannot encrypt: refused with the protocol exit code when encryption is
# asked for, and refused in any case when only the share demands it
head -c 1000 /dev/urandom >"$tmp/enc21"
mkdir -p "$tmp/dl21"
smbiov --encrypt --dialect 2.1 put "$tmp/enc21" "$(url "$P" "$SMB_ENC_SHARE" "$run_id.enc21")"
expect_fail "put --encrypt --dialect 2.1 to the encrypted share" 9
smbiov --encrypt --dialect 2.1 get "$(url "$P" "$SMB_ENC_SHARE" "$run_id.enc21")" "$tmp/dl21/x"
expect_fail "get --encrypt --dialect 2.1 from the encrypted share" 9
[[ ! -e $tmp/dl21/x ]] || integ_fail "a refused get created its destination"
no_leftovers "$tmp/dl21"
# Without --encrypt the client learns that the share demands encryption only
# from Samba's answer to TREE_CONNECT, STATUS_ACCESS_DENIED, which does not
# say why: smbiov reports what the server said, access denied (7), and
# nothing is transferred in the clear (docs/cli.md records this).
smbiov --dialect 2.1 ls "$(url "$P" "$SMB_ENC_SHARE")"
expect_fail "ls --dialect 2.1 of the encrypted share (no --encrypt)" 7
echo "ok: 2.1 refused on the encrypted share"

# ---- every cipher and signing algorithm, each forced by a private server ----
# Samba refuses to negotiate below 3.1.1 when its list lacks the algorithm
# that dialect implies (AES-128-CCM for 3.0 encryption; AES-CMAC / HMAC-SHA256
# for 3.0 / 2.x signing), so the other dialects run where they can.
for cipher in AES-128-CCM AES-128-GCM AES-256-CCM AES-256-GCM; do
	private_start "enc-$cipher" "SMB_ENCRYPTION_ALGS=$cipher"
	config "cipher-$cipher-3.1.1" "$PS_PORT" "$SMB_ENC_SHARE" encrypt 3.1.1 "$cipher" '.*' \
		--encrypt --dialect 3.1.1
	run_sizes "${small[@]}"
	if [[ $cipher == AES-128-CCM ]]; then
		config "cipher-$cipher-3.0" "$PS_PORT" "$SMB_ENC_SHARE" encrypt 3.0 "$cipher" '.*' \
			--encrypt --dialect 3.0
		run_sizes "${small[@]}"
	else
		# 3.0 would need AES-128-CCM: no common dialect, the protocol exit code
		smbiov --encrypt --dialect 3.0 ls "$(url "$PS_PORT" "$SMB_ENC_SHARE")"
		expect_fail "$cipher only, --dialect 3.0" 9
	fi
	private_stop "enc-$cipher"
done

# signing, with --sign on the public share (signing offered, not required)
for alg in HMAC-SHA256 AES-128-CMAC AES-128-GMAC; do
	want=${alg/AES-128-/AES-}
	private_start "sign-$alg" "SMB_SIGNING_ALGS=$alg"
	config "signing-$alg-3.1.1" "$PS_PORT" "$SMB_SHARE" sign 3.1.1 none "$want" \
		--sign --dialect 3.1.1
	run_sizes "${small[@]}"
	case $alg in
	HMAC-SHA256)
		config "signing-$alg-2.1" "$PS_PORT" "$SMB_SHARE" sign 2.1 none "$want" \
			--sign --dialect 2.1
		run_sizes "${small[@]}"
		;;
	AES-128-CMAC)
		config "signing-$alg-3.0" "$PS_PORT" "$SMB_SHARE" sign 3.0 none "$want" \
			--sign --dialect 3.0
		run_sizes "${small[@]}"
		;;
	esac
	private_stop "sign-$alg"
done
echo "ok: the matrix"
