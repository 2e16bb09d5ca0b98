// SPDX-License-Identifier: MIT
/*
 * Signing over header + payload iterator:
 *  - RFC 4493 AES-CMAC examples 1-4 and RFC 4231 HMAC-SHA256 test cases
 *    1, 2, 3, 6 (first 16 bytes), the data cut into 1..17-byte KVEC, IOVEC
 *    and BVEC segments, many cuts each, to prove the span walk is exact;
 *  - Microsoft's published signed SESSION_SETUP responses (AES-128-CMAC,
 *    3.1.1 before signing negotiation): "SMB 2 and SMB 3 security in
 *    Windows 10: the anatomy of signing and cryptographic keys" (both
 *    channels of the 3.1.1 example) and "SMB 3.1.1 Encryption in Windows
 *    10" (Appendix A.1 and A.2), signed and verified with the payload
 *    segmented;
 *  - AES-128-GMAC against a flat OpenSSL AES-GCM one-shot with the nonce
 *    MS-SMB2 3.1.4.1 gives (MessageId, server bit, cancel bit);
 *  - a flipped bit anywhere is rejected; the Signature field is read as
 *    zeros; bad input.
 */
#include "crypto/sign.h"

#include <smbiov/iter.h>

#include "proto/le.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "t.h"

static uint32_t rng = 0xc0ffee11u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* ---- segmented iterators over a flat buffer ------------------------------ */

enum seg_kind { SEG_KVEC, SEG_IOVEC, SEG_BVEC, SEG_NR };
static const char *const seg_name[SEG_NR] = {"KVEC", "IOVEC", "BVEC"};

struct segs {
	struct iovec *v;
	struct smbiov_bvec *bv;
	struct smbiov_iter it;
};

/* Cut @buf[0..len) into segments of 1..@maxseg bytes (some empty too). */
static void segs_make(struct segs *s, enum seg_kind kind, uint8_t *buf,
		      size_t len, size_t maxseg)
{
	size_t n = 0, at = 0, cap = 2 * len + 2;
	int err;

	s->v = calloc(cap, sizeof(*s->v));
	s->bv = calloc(cap, sizeof(*s->bv));
	T_ASSERT(s->v && s->bv);
	while (at < len) {
		size_t seg = 1 + rnd() % maxseg;

		if (seg > len - at)
			seg = len - at;
		if (rnd() % 7 == 0) { /* an empty segment: must be skipped */
			s->v[n].iov_base = buf + at;
			s->v[n++].iov_len = 0;
		}
		s->v[n].iov_base = buf + at;
		s->v[n++].iov_len = seg;
		at += seg;
	}
	for (size_t i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)s->v[i].iov_base;

		s->bv[i].page = (void *)(a & SMBIOV_PAGE_MASK);
		s->bv[i].offset = a & (SMBIOV_PAGE_SIZE - 1);
		s->bv[i].len = s->v[i].iov_len;
	}
	switch (kind) {
	case SEG_KVEC:
		err = smbiov_iter_kvec(&s->it, SMBIOV_ITER_SOURCE, s->v, n,
				       len);
		break;
	case SEG_IOVEC:
		err = smbiov_iter_iovec(&s->it, SMBIOV_ITER_SOURCE, s->v, n,
					len);
		break;
	default:
		err = smbiov_iter_bvec(&s->it, SMBIOV_ITER_SOURCE, s->bv, n,
				       len);
		break;
	}
	T_ASSERT(err == 0);
}

static void segs_free(struct segs *s)
{
	free(s->v);
	free(s->bv);
}

/* ---- RFC 4493 / RFC 4231 --------------------------------------------------
 */

static const char rfc4493_msg[] =
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

static const struct {
	size_t len;
	const char *mac;
} rfc4493[] = {
	{0, "bb1d6929e95937287fa37d129b756746"},
	{16, "070a16b46b4d4144f79bdd9dd04a287c"},
	{40, "dfa66747de9ae63030ca32611497c827"},
	{64, "51f0bebf7e3b9d92fc49741779363cfe"},
};

/* MAC @data[0..len) cut many ways and compare with @want (16 bytes). */
static void mac_all_ways(struct smb_signer *s, uint8_t *data, size_t len,
			 const uint8_t *want)
{
	uint8_t got[16];

	T_EXPECT_EQ(smb_signer_mac(s, data, len, NULL, got), 0);
	T_EXPECT(!memcmp(got, want, 16));
	for (int kind = 0; kind < SEG_NR; kind++) {
		for (int round = 0; round < 40; round++) {
			size_t head = round % 3 == 0 ? 0 : rnd() % (len + 1);
			struct segs sg;

			segs_make(&sg, kind, data + head, len - head,
				  round % 2 ? 17 : 1 + round % 17);
			T_EXPECT_EQ(smb_signer_mac(s, data, head, &sg.it, got),
				    0);
			if (memcmp(got, want, 16)) {
				t_failures++;
				fprintf(stderr,
					"%s round %d len %zu: wrong MAC\n",
					seg_name[kind], round, len);
			}
			T_EXPECT_EQ(smbiov_iter_count(&sg.it), len - head);
			segs_free(&sg);
		}
	}
}

static void test_rfc4493_cmac(void)
{
	uint8_t key[16], msg[64], want[16];
	struct smb_signer s;

	t_unhex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	T_ASSERT(t_unhex(rfc4493_msg, msg, 64) == 64);
	T_ASSERT(smb_signer_init(&s, SMB2_SIGN_AES_CMAC, key, 16) == 0);
	for (size_t i = 0; i < 4; i++) {
		t_unhex(rfc4493[i].mac, want, 16);
		mac_all_ways(&s, msg, rfc4493[i].len, want);
	}
	smb_signer_release(&s);
}

static void test_rfc4231_hmac(void)
{
	static const char tc6_data[] =
		"Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131], data[64], want[16];
	struct smb_signer s;

	/* Test case 1 */
	memset(key, 0x0b, 20);
	memcpy(data, "Hi There", 8);
	t_unhex("b0344c61d8db38535ca8afceaf0bf12b", want, 16);
	T_ASSERT(smb_signer_init(&s, SMB2_SIGN_HMAC_SHA256, key, 20) == 0);
	mac_all_ways(&s, data, 8, want);
	smb_signer_release(&s);
	/* Test case 2 */
	memcpy(data, "what do ya want for nothing?", 28);
	t_unhex("5bdcc146bf60754e6a042426089575c7", want, 16);
	T_ASSERT(smb_signer_init(&s, SMB2_SIGN_HMAC_SHA256,
				 (const uint8_t *)"Jefe", 4) == 0);
	mac_all_ways(&s, data, 28, want);
	smb_signer_release(&s);
	/* Test case 3 */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	t_unhex("773ea91e36800e46854db8ebd09181a7", want, 16);
	T_ASSERT(smb_signer_init(&s, SMB2_SIGN_HMAC_SHA256, key, 20) == 0);
	mac_all_ways(&s, data, 50, want);
	smb_signer_release(&s);
	/* Test case 6: a key longer than the block */
	memset(key, 0xaa, 131);
	memcpy(data, tc6_data, sizeof(tc6_data) - 1);
	t_unhex("60e431591ee0b67f0d8a26aacbf5b77f", want, 16);
	T_ASSERT(smb_signer_init(&s, SMB2_SIGN_HMAC_SHA256, key, 131) == 0);
	mac_all_ways(&s, data, sizeof(tc6_data) - 1, want);
	smb_signer_release(&s);
}

/* ---- Microsoft's signed SESSION_SETUP responses ---------------------------
 */

static const struct {
	const char *what, *key, *msg;
} ms_signed[] = {
	{"anatomy 3.1.1 channel 1", "73FE7A9A77BEF0BDE49C650D8CCB5F76",
	 "FE534D4240000100000000000100800009000000000000000300000000000000"
	 "FFFE0000000000001900000000100000EBE146DA120BA25FC3376A49DFE31BC1"
	 "0900000048001D00A11B3019A0030A0100A3120410010000003B453CDC352416"
	 "4200000000"},
	{"anatomy 3.1.1 channel 2", "C962BCA1A9DD1697B030644199705431",
	 "FE534D4240000100000000000100800009000000000000000300000000000000"
	 "FFFE00000000000019000000001000008D604217FFBACF40635BF9D872992150"
	 "0900000048001D00A11B3019A0030A0100A312041001000000CFB046FC5D368E"
	 "2200000000"},
	{"encryption blog A.1", "8765949DFEAEE105CE9118B45BE988F0",
	 "FE534D4240000100000000000100800009000000000000000200000000000000"
	 "FFFE00000000000025000000001000006B85A4519A0F3EEA35BA946DD3AFE6B8"
	 "0900000048001D00A11B3019A0030A0100A3120410010000003932A87523AB66"
	 "0100000000"},
	{"encryption blog A.2", "3DCC82C5795AE27F383242761078C59B",
	 "FE534D4240000100000000000100800009000000000000000200000000000000"
	 "FFFE00000000000021000000001000003676196AEE8CA17E5D50A53642EF2BE4"
	 "0900000048001D00A11B3019A0030A0100A3120410010000000F57444342A271"
	 "7E00000000"},
};

static void test_ms_signed_messages(void)
{
	for (size_t i = 0; i < sizeof(ms_signed) / sizeof(ms_signed[0]); i++) {
		uint8_t key[16], msg[128], copy[128];
		size_t len = t_unhex(ms_signed[i].msg, msg, sizeof(msg));
		struct smb_signer s;

		fprintf(stderr, "%s\n", ms_signed[i].what);
		T_ASSERT(len == 101);
		t_unhex(ms_signed[i].key, key, 16);
		T_ASSERT(smb_signer_init(&s, SMB2_SIGN_AES_CMAC, key, 16) == 0);
		/* Verify as received: flat, then header + segmented payload. */
		T_EXPECT_EQ(smb_signer_verify(&s, msg, len, NULL), 0);
		for (int kind = 0; kind < SEG_NR; kind++) {
			struct segs sg;

			segs_make(&sg, kind, msg + 64, len - 64, 17);
			T_EXPECT_EQ(smb_signer_verify(&s, msg, 64, &sg.it), 0);
			/* Sign a copy with its Signature cleared: same bytes.
			 */
			memcpy(copy, msg, len);
			memset(copy + 48, 0, 16);
			T_EXPECT_EQ(smb_signer_sign(&s, copy, 64, &sg.it), 0);
			T_EXPECT(!memcmp(copy, msg, 64));
			segs_free(&sg);
		}
		smb_signer_release(&s);
	}
}

/* ---- GMAC -----------------------------------------------------------------
 */

static void gmac_reference(const uint8_t *key, const uint8_t *msg, size_t len,
			   uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], *flat = malloc(len);
	uint32_t flags = le32_get(msg + 16), word = 0;
	int outl;

	T_ASSERT(c && flat);
	memcpy(flat, msg, len);
	memset(flat + 48, 0, 16);
	memcpy(nonce, msg + 24, 8); /* MessageId */
	if (flags & 1)
		word |= 1; /* sent by the server */
	else if (le16_get(msg + 12) == 0x000c)
		word |= 2; /* a CANCEL request */
	le32_put(nonce + 8, word);
	T_ASSERT(EVP_EncryptInit_ex2(c, EVP_aes_128_gcm(), key, nonce, NULL));
	T_ASSERT(EVP_EncryptUpdate(c, NULL, &outl, flat, (int)len));
	T_ASSERT(EVP_EncryptFinal_ex(c, flat, &outl));
	T_ASSERT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag));
	EVP_CIPHER_CTX_free(c);
	free(flat);
}

static void test_gmac_vs_reference(void)
{
	uint8_t key[16], want[16], got[16];
	struct smb_signer s;
	size_t max = 9000;
	uint8_t *msg = malloc(max);

	T_ASSERT(msg);
	for (size_t i = 0; i < 16; i++)
		key[i] = (uint8_t)rnd();
	T_ASSERT(smb_signer_init(&s, SMB2_SIGN_AES_GMAC, key, 16) == 0);
	for (int round = 0; round < 60; round++) {
		size_t len = 64 + rnd() % (max - 64);
		int kind = round % SEG_NR;
		struct segs sg;

		for (size_t i = 0; i < len; i++)
			msg[i] = (uint8_t)rnd();
		/* Requests, responses, and CANCEL requests and responses. */
		le32_put(msg + 16, round & 1);
		le16_put(msg + 12, round % 4 < 2 ? 0x000c : 0x0008);
		gmac_reference(key, msg, len, want);
		segs_make(&sg, kind, msg + 64, len - 64,
			  round < 30 ? 17 : 4096);
		T_EXPECT_EQ(smb_signer_compute(&s, msg, 64, &sg.it, got), 0);
		T_EXPECT(!memcmp(got, want, 16));
		T_EXPECT_EQ(smb_signer_sign(&s, msg, 64, &sg.it), 0);
		T_EXPECT_EQ(smb_signer_verify(&s, msg, 64, &sg.it), 0);
		segs_free(&sg);
	}
	/* The role bit matters: the same bytes as a response differ. */
	le16_put(msg + 12, 0x0008);
	le32_put(msg + 16, 0);
	T_EXPECT_EQ(smb_signer_compute(&s, msg, 64, NULL, want), 0);
	le32_put(msg + 16, 1);
	gmac_reference(key, msg, 64, got);
	T_EXPECT(memcmp(got, want, 16) != 0);
	smb_signer_release(&s);
	free(msg);
}

/* ---- tamper, zeroing, bad input -------------------------------------------
 */

static void test_tamper_and_zeroing(void)
{
	static const enum smb2_sign_alg algs[] = {
		SMB2_SIGN_HMAC_SHA256, SMB2_SIGN_AES_CMAC, SMB2_SIGN_AES_GMAC};
	uint8_t key[16] = "0123456789abcdef", msg[300], a[16], b[16];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)rnd();
	for (size_t k = 0; k < 3; k++) {
		struct smb_signer s;
		struct segs sg;

		T_ASSERT(smb_signer_init(&s, algs[k], key, 16) == 0);
		segs_make(&sg, SEG_KVEC, msg + 80, sizeof(msg) - 80, 17);
		T_EXPECT_EQ(smb_signer_sign(&s, msg, 80, &sg.it), 0);
		T_EXPECT_EQ(smb_signer_verify(&s, msg, 80, &sg.it), 0);
		/* The Signature field's contents never enter the MAC. */
		T_EXPECT_EQ(smb_signer_compute(&s, msg, 80, &sg.it, a), 0);
		memset(msg + 48, 0xee, 16);
		T_EXPECT_EQ(smb_signer_compute(&s, msg, 80, &sg.it, b), 0);
		T_EXPECT(!memcmp(a, b, 16));
		memcpy(msg + 48, a, 16);
		/* Every bit outside the Signature field matters, and in it. */
		for (size_t bit = 0; bit < sizeof(msg) * 8; bit += 13) {
			msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			T_EXPECT_EQ(smb_signer_verify(&s, msg, 80, &sg.it),
				    -EKEYREJECTED);
			msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		T_EXPECT_EQ(smb_signer_verify(&s, msg, 80, &sg.it), 0);
		/* A shorter payload is a different message. */
		smbiov_iter_truncate(&sg.it, 100);
		T_EXPECT_EQ(smb_signer_verify(&s, msg, 80, &sg.it),
			    -EKEYREJECTED);
		segs_free(&sg);
		smb_signer_release(&s);
		smb_signer_release(&s); /* twice is harmless */
	}
}

static void test_bad_input(void)
{
	uint8_t key[16] = {0}, msg[64] = {0}, sig[16];
	struct smb_signer s;
	struct smbiov_iter d;

	T_EXPECT_EQ(smb_signer_init(&s, SMB2_SIGN_AES_CMAC, key, 15), -EINVAL);
	T_EXPECT_EQ(smb_signer_init(&s, SMB2_SIGN_AES_GMAC, key, 32), -EINVAL);
	T_EXPECT_EQ(smb_signer_init(&s, (enum smb2_sign_alg)7, key, 16),
		    -EINVAL);
	T_EXPECT_EQ(smb_signer_init(&s, SMB2_SIGN_HMAC_SHA256, NULL, 16),
		    -EINVAL);
	T_EXPECT_EQ(smb_signer_compute(&s, msg, 64, NULL, sig), -EINVAL);
	T_ASSERT(smb_signer_init(&s, SMB2_SIGN_AES_CMAC, key, 16) == 0);
	T_EXPECT_EQ(smb_signer_compute(&s, msg, 63, NULL, sig), -EBADMSG);
	T_EXPECT_EQ(smb_signer_verify(&s, msg, 10, NULL), -EBADMSG);
	T_ASSERT(smbiov_iter_discard(&d, SMBIOV_ITER_DEST, 8) == 0);
	T_EXPECT_EQ(smb_signer_compute(&s, msg, 64, &d, sig), -EFAULT);
	smb_signer_release(&s);
	T_ASSERT(smb_signer_init(&s, SMB2_SIGN_AES_GMAC, key, 16) == 0);
	T_EXPECT_EQ(smb_signer_mac(&s, msg, 16, NULL, sig), -EINVAL);
	smb_signer_release(&s);
}

int main(void)
{
	T_RUN(test_rfc4493_cmac);
	T_RUN(test_rfc4231_hmac);
	T_RUN(test_ms_signed_messages);
	T_RUN(test_gmac_vs_reference);
	T_RUN(test_tamper_and_zeroing);
	T_RUN(test_bad_input);
	return t_done();
}
