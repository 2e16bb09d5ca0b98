// SPDX-License-Identifier: MIT
/*
 * Preauthentication integrity hash chaining against Microsoft's published
 * 3.1.1 example: "SMB 2 and SMB 3 security in Windows 10: the anatomy of
 * signing and cryptographic keys", Appendix, "Key derivation example for
 * SMB 3.1.1 multichannel", master session: NEGOTIATE request/response on
 * the connection, then SESSION_SETUP request/response/request on the
 * session, each intermediate value checked, then the session keys derived
 * from the final value. Every message is fed as a header plus a payload
 * iterator cut into 1..17-byte KVEC or IOVEC segments, and whole.
 */
#include "crypto/kdf.h"
#include "crypto/preauth.h"

#include <smbiov/iter.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

static const char neg_req[] = "FE534D424000010000000000000080000000000000000000"
			      "0100000000000000FFFE000000000000"
			      "000000000000000000000000000000000000000000000000"
			      "24000500000000003F000000ECD86F32"
			      "6276024F9F7752B89BB33F3A700000000200000002021002"
			      "00030203110300000100260000000000"
			      "010020000100FA49E6578F1F3A9F4CD3E9CC14A67AA884B3"
			      "D05844E0E5A118225C15887F32FF0000"
			      "0200060000000000020002000100";
static const char neg_rsp[] =
	"FE534D4240000100000000000000010001000000000000000100000000000000FFFE00"
	"0000"
	"000000"
	"000000000000000000000000000000000000000000000000410001001103020039CBCA"
	"F329"
	"714942"
	"BDCE5D60F09AB3FB2F000000000080000000800000008000D8DAE5ADCBAED00109094A"
	"B095"
	"AED001"
	"80004001C00100006082013C06062B0601050502A08201303082012CA01A3018060A2B"
	"0601"
	"040182"
	"3702021E060A2B06010401823702020AA282010C048201084E45474F45585453010000"
	"0000"
	"000000"
	"60000000700000007C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C"
	"4296"
	"B26E51"
	"FD370471B235E15A50DAE15BD5489C8700000000000000006000000001000000000000"
	"0000"
	"000000"
	"5C33530DEAF90D4DB2EC4AE3786EC3084E45474F455854530300000001000000400000"
	"0098"
	"000000"
	"7C7CC0FD06D6362D02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC308400000"
	"0058"
	"000000"
	"3056A05430523027802530233121301F06035504031318546F6B656E205369676E696E"
	"6720"
	"507562"
	"6C6963204B65793027802530233121301F06035504031318546F6B656E205369676E69"
	"6E67"
	"205075"
	"626C6963204B6579010026000000000001002000010060A3C3B95C3C7CCD51EC536648"
	"D9B3"
	"AC74C4"
	"83CA5B65385A251117BEB30712E50000020004000000000001000200";
static const char ss_req1[] = "FE534D424000010000000000010080000000000000000000"
			      "0200000000000000FFFE000000000000"
			      "000000000000000000000000000000000000000000000000"
			      "19000001010000000000000058004A00"
			      "0000000000000000604806062B0601050502A03E303CA00E"
			      "300C060A2B06010401823702020AA22A"
			      "04284E544C4D5353500001000000978208E2000000000000"
			      "00000000000000000000060380250000"
			      "000F";
static const char ss_rsp1[] = "FE534D4240000100160000C0010001000100000000000000"
			      "0200000000000000FFFE000000000000"
			      "190000000010000000000000000000000000000000000000"
			      "090000004800B300A181B03081ADA003"
			      "0A0101A10C060A2B06010401823702020AA281970481944E"
			      "544C4D53535000020000000C000C0038"
			      "00000015828AE20D1D8BA31179D008000000000000000050"
			      "005000440000000A0092270000000F53"
			      "005500540033003100310002000C00530055005400330031"
			      "00310001000C00530055005400330031"
			      "00310004000C0053005500540033003100310003000C0053"
			      "005500540033003100310007000800A1"
			      "A1F5ADCBAED00100000000";
static const char ss_req2[] =
	"FE534D4240000100000000000100800000000000000000000300000000000000FFFE00"
	"0000"
	"000000"
	"1900000000100000000000000000000000000000000000001900000101000000000000"
	"0058"
	"00CF01"
	"0000000000000000A18201CB308201C7A0030A0101A28201AA048201A64E544C4D5353"
	"5000"
	"030000"
	"001800180090000000EE00EE00A80000000C000C00580000001A001A00640000001200"
	"1200"
	"7E0000"
	"001000100096010000158288E2060380250000000FECAC77A5F385A8BF9C38C706EEED"
	"DCD3"
	"530055"
	"005400330031003100610064006D0069006E006900730074007200610074006F007200"
	"4400"
	"520049"
	"0056004500520033003100310000000000000000000000000000000000000000000000"
	"0000"
	"63078E"
	"B639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223C"
	"C90F"
	"000000"
	"0002000C0053005500540033003100310001000C005300550054003300310031000400"
	"0C00"
	"530055"
	"00540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAE"
	"D001"
	"060004"
	"00020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1E"
	"DCEB"
	"F8974B"
	"8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A0010000000000000000000000000000000"
	"0000"
	"090016"
	"0063006900660073002F00530055005400330031003100000000000000000000000000"
	"3B9B"
	"DFF38F"
	"5EE8F9663F11A0F4C03A78A31204100100000063775A9A5FD97F0600000000";

struct step {
	const char *msg;
	const char *after; /* published hash value after this message */
};

static const struct step chain[] = {
	{neg_req,
	 "DD94EFC5321BB618A2E208BA8920D2F422992526947A409B5037DE1E0FE8C736"
	 "2B8C47122594CDE0CE26AA9DFC8BCDBDE0621957672623351A7540F1E54A0426"},
	{neg_rsp, /* Connection.PreauthIntegrityHashValue, session start */
	 "324BFA92A4F3A190E466EBEA08D9C110DC88BFED758D9846ECC6F541CC1D02AE"
	 "3C94A79F36011E997E13F841B91B50957AD07B19C8E2539C0B23FDAE09D2C513"},
	{ss_req1,
	 "AC0B0F2B9986257700365E416D142A6EDC96DF03594A19E52A15F6BD0D041CD5"
	 "D432F8ED42C55E33197A50C9EC00F1462B50C592211B1471A04B56088FDFD5F9"},
	{ss_rsp1,
	 "2729E3440DFDDD839E37193F6E8F20C20CEFB3469E453A70CD980EEC06B88357"
	 "40A73760085633364C8989895ECE81BF102DEEB14D4B7D48AFA76901A7A38387"},
	{ss_req2, /* final: the final success response is not hashed */
	 "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB79"
	 "28622DDDAD522D9751640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01"},
};
#define NSTEPS (sizeof(chain) / sizeof(chain[0]))

static uint32_t rng = 0x1234567u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/*
 * Chain one message: @hdr_len bytes as the header, the rest through an
 * iterator of @type cut into 1..17-byte segments (or NULL when nothing).
 */
static int feed(struct smb2_preauth *p, const uint8_t *msg, size_t len,
		size_t hdr_len, int type)
{
	struct iovec *v = calloc(len + 1, sizeof(*v));
	struct smbiov_iter it;
	size_t n = 0, at = hdr_len;
	int err;

	T_ASSERT(v);
	while (at < len) {
		size_t seg = 1 + rnd() % 17;

		if (seg > len - at)
			seg = len - at;
		v[n].iov_base = (void *)(msg + at);
		v[n++].iov_len = seg;
		at += seg;
	}
	if (type == SMBIOV_ITER_KVEC)
		err = smbiov_iter_kvec(&it, SMBIOV_ITER_SOURCE, v, n,
				       len - hdr_len);
	else
		err = smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, v, n,
					len - hdr_len);
	T_ASSERT(err == 0);
	err = smb2_preauth_update(p, msg, hdr_len, len > hdr_len ? &it : NULL);
	/* The iterator is not consumed. */
	T_EXPECT_EQ(smbiov_iter_count(&it), len - hdr_len);
	free(v);
	return err;
}

static void run_chain(size_t hdr_len, int type)
{
	struct smb2_preauth conn, sess;
	uint8_t msg[1024], want[64];

	smb2_preauth_init(&conn);
	for (size_t i = 0; i < 64; i++)
		T_EXPECT(conn.value[i] == 0);
	sess = conn;
	for (size_t s = 0; s < NSTEPS; s++) {
		/* NEGOTIATE chains the connection; the rest the session. */
		struct smb2_preauth *p = s < 2 ? &conn : &sess;
		size_t len = t_unhex(chain[s].msg, msg, sizeof(msg));

		T_ASSERT(len == strlen(chain[s].msg) / 2);
		T_EXPECT_EQ(
			feed(p, msg, len, hdr_len < len ? hdr_len : len, type),
			0);
		T_ASSERT(t_unhex(chain[s].after, want, 64) == 64);
		if (memcmp(p->value, want, 64)) {
			t_failures++;
			fprintf(stderr, "step %zu: hash mismatch\n", s);
		}
		if (s == 1)
			sess = conn; /* the session starts from the connection
				      */
	}

	/* The published keys come out of the final value. */
	{
		uint8_t sk[16], want_sign[16];
		struct smb3_keys k;

		t_unhex("270E1BA896585EEB7AF3472D3B4C75A7", sk, 16);
		t_unhex("73FE7A9A77BEF0BDE49C650D8CCB5F76", want_sign, 16);
		T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_311, sk, 16,
					     sess.value, 16, &k),
			    0);
		T_EXPECT(!memcmp(k.signing, want_sign, 16));
		smb3_keys_wipe(&k);
	}
}

static void test_chain_whole(void)
{
	run_chain(SIZE_MAX, SMBIOV_ITER_KVEC); /* everything as header bytes */
}

static void test_chain_kvec_segments(void)
{
	run_chain(64, SMBIOV_ITER_KVEC);
	run_chain(0, SMBIOV_ITER_KVEC); /* all payload, no header bytes */
}

static void test_chain_iovec_segments(void)
{
	run_chain(7, SMBIOV_ITER_IOVEC);
}

static void test_bad_input(void)
{
	struct smb2_preauth p, before;
	struct smbiov_iter d;

	smb2_preauth_init(&p);
	before = p;
	T_EXPECT_EQ(smb2_preauth_update(&p, NULL, 4, NULL), -EINVAL);
	T_EXPECT_EQ(smb2_preauth_update(NULL, "x", 1, NULL), -EINVAL);
	T_ASSERT(smbiov_iter_discard(&d, SMBIOV_ITER_DEST, 10) == 0);
	/* DISCARD has no bytes to hash: an error, and the value is unchanged.
	 */
	T_EXPECT_EQ(smb2_preauth_update(&p, "x", 1, &d), -EFAULT);
	T_EXPECT(!memcmp(&p, &before, sizeof(p)));
}

int main(void)
{
	T_RUN(test_chain_whole);
	T_RUN(test_chain_kvec_segments);
	T_RUN(test_chain_iovec_segments);
	T_RUN(test_bad_input);
	return t_done();
}
