// SPDX-License-Identifier: MIT
/*
 * SMB 3.x encryption over iterators:
 *  - Microsoft's published vectors, "SMB 3.1.1 Encryption in Windows 10",
 *    Appendix A.1 (AES-128-GCM) and A.2 (AES-128-CCM): the WRITE and READ
 *    requests encrypted with the published nonces must give the published
 *    transform headers and ciphertexts byte for byte, and the two published
 *    responses of each must decrypt to the published plaintext — payloads
 *    cut into 1..17-byte segments;
 *  - all four ciphers against a flat OpenSSL one-shot over random data and
 *    random segmentations (KVEC, IOVEC, BVEC sources and destinations, in
 *    place and not), then decrypted back;
 *  - tamper detection (and zeroing of unauthenticated plaintext), nonce
 *    uniqueness over 10,000 encryptions, counter exhaustion, transform
 *    header validation, and the ownership rules for in-place encryption;
 *  - streaming decryption (smb_unseal_*) fed in random pieces.
 */
#include "crypto/seal.h"

#include <smbiov/iter.h>

#include "proto/le.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "t.h"

static uint32_t rng = 0x5eed1234u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* ---- segmented iterators over a flat buffer ------------------------------ */

enum seg_kind { SEG_KVEC, SEG_IOVEC, SEG_BVEC, SEG_NR };

struct segs {
	struct iovec *v;
	struct smbiov_bvec *bv;
	struct smbiov_iter it;
};

static void segs_make(struct segs *s, enum seg_kind kind, unsigned dir,
		      uint8_t *buf, size_t len, size_t maxseg)
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
	if (kind == SEG_KVEC)
		err = smbiov_iter_kvec(&s->it, dir, s->v, n, len);
	else if (kind == SEG_IOVEC)
		err = smbiov_iter_iovec(&s->it, dir, s->v, n, len);
	else
		err = smbiov_iter_bvec(&s->it, dir, s->bv, n, len);
	T_ASSERT(err == 0);
}

static void segs_free(struct segs *s)
{
	free(s->v);
	free(s->bv);
}

/* ---- Microsoft's vectors --------------------------------------------------
 */

struct ms_message {
	const char *nonce; /* 16-byte Nonce field */
	const char *plain; /* the SMB2 message */
	const char *frame; /* the transformed message */
};

struct ms_session {
	const char *what;
	enum smb2_cipher cipher;
	uint64_t session_id;
	const char *enc_key, *dec_key;
	struct ms_message req[2]; /* client -> server: WRITE, READ */
	struct ms_message rsp[2]; /* server -> client */
};

static const struct ms_session ms[] = {
	{"A.1 AES-128-GCM",
	 SMB2_CIPHER_AES128_GCM,
	 0x100000000025ull,
	 "A2F5E80E5D59103034F32E52F698E5EC",
	 "748C50868C90F302962A5C35F5F9A8BF",
	 {{"C7D6822D269CAF48904C664C00000000",
	   "FE534D4240000100000000000900010008000000000000000500000000000000"
	   "FFFE0000010000002500000000100000000000000000000000000000"
	   "0000000031007000170000000000000000000000060000000400000001000000"
	   "0400000000000000000000007000000000000000536D623320656E6372797074"
	   "696F6E2074657374696E67",
	   "FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C"
	   "0000000087000000000001002500000000100000"
	   "6ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02D14EF247"
	   "F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A"
	   "4A394BB44576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299"
	   "F48E29E53D6B61D1C13A19E91AF013F00D17E3ABC2FC3D36C8C1B6B939732538"
	   "52DBD442E46EE8"},
	  {"D7AA8C6D36859243B715E0A600000000",
	   "FE534D4240000100000000000800010008000000000000000600000000000000"
	   "FFFE0000010000002500000000100000000000000000000000000000"
	   "0000000031000000170000000000000000000000060000000400000001000000"
	   "040000000000000000000000000000000000000000",
	   "FD534D426DAC0B6FD85A3ED42BB917DA38FE0386D7AA8C6D36859243B715E0A6"
	   "0000000071000000000001002500000000100000"
	   "88A47BF09CA3C3141CDD7306BE9D9475AB24FCCB833D77461C041F8FB983D0C1"
	   "88F0729272B31D9D3D0DC6B687C069EEE0CC8EACA2C536D019ACC9E185D1EB63"
	   "0E0FCB793EEECEB06D82A1D77706E700DBEBFB4FEB54D7AD2D97E7288804F907"
	   "57FE4D08D6A84A3FF433E7451E768E4699"}},
	 {{NULL,
	   "FE534D4240000100000000000900010001000000000000000500000000000000"
	   "FFFE0000010000002500000000100000000000000000000000000000"
	   "0000000011000000170000000000000000000000",
	   "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B400000000"
	   "0000000050000000000001002500000000100000"
	   "26BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8F2D793A8"
	   "15C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA"
	   "6179159B82E03C9E18A050FF0EA1C967"},
	  {NULL,
	   "FE534D4240000100000000000800010001000000000000000600000000000000"
	   "FFFE0000010000002500000000100000000000000000000000000000"
	   "0000000011005000170000000000000000000000536D623320656E6372797074"
	   "696F6E2074657374696E67",
	   "FD534D427F714B3B9D8FA1198584E71C2BAA1CB6E16831DD2E8EB7B400000000"
	   "0000000067000000000001002500000000100000"
	   "FECEDF4D03BB11A6CC5D8A53BE33D6D8701986342B4197D306E16F9CBB218E92"
	   "F7F8281F51CE68BB85A20D87DE90EBBF80538066D1C37513C0A58D70936D537B"
	   "624F5500202A612B6CD30D448A82791A0B2E049ED512AFAEFB06E98AB3D6F931"
	   "D7D50DB2DBD36A"}}},
	{"A.2 AES-128-CCM",
	 SMB2_CIPHER_AES128_CCM,
	 0x100000000021ull,
	 "DFAAA31AAE40A2485D47AC4DF09FDA1D",
	 "95C544AEF6072680DA1CE49A68A97FA6",
	 {{"9F6F1EAAD7E9F24AACD38F0000000000",
	   "FE534D4240000100000000000900010008000000000000000500000000000000"
	   "FFFE0000010000002100000000100000000000000000000000000000"
	   "0000000031007000170000000000000000000000050000000400000001000000"
	   "0400000000000000000000007000000000000000536D623320656E6372797074"
	   "696F6E2074657374696E67",
	   "FD534D42E89551D666DAB8993488F5A97103116C9F6F1EAAD7E9F24AACD38F00"
	   "0000000087000000000001002100000000100000"
	   "56A74778199A9D2B6E9C3A376FD88D27680694FED253A313BEB07381AE8689F9"
	   "73ACDB8D716E4477803BCE53A92E1B81FA3E965AD9AF2C89C08CE66A34466445"
	   "3B8FC88118EDC9814CF58E92AA465E6EFB09958A9FDAD96FBD55B36A710C30D5"
	   "E7C64AD7B9449F9F17EDD024FE8BA79154F340A82740D1D5180C69B0A2DE6A4B"
	   "A893BD55D3210E"},
	  {"A0F92E964EDC3049B86E190000000000",
	   "FE534D4240000100000000000800010008000000000000000600000000000000"
	   "FFFE0000010000002100000000100000000000000000000000000000"
	   "0000000031000000170000000000000000000000050000000400000001000000"
	   "040000000000000000000000000000000000000000",
	   "FD534D4235BF9600C841F0CDA9BD1BC3727B7E36A0F92E964EDC3049B86E1900"
	   "0000000071000000000001002100000000100000"
	   "C4CCD3EB483A0638E69C99E391E7F64BCC10D6BEE46FEEA258C4BCAF792CB5A6"
	   "E69283924081806DAB64827E9D14A5345D5221AB6DAFCB0E89FC2606B63D9216"
	   "3F4F6C93D1213D86ABF123B93EAD3AEF9A3471EFD68A423A00A6E0064D9AE3C8"
	   "42EFFFAD236A3BF25D37F4CD054C97DE18"}},
	 {{NULL,
	   "FE534D4240000100000000000900010001000000000000000500000000000000"
	   "FFFE0000010000002100000000100000000000000000000000000000"
	   "0000000011000000170000000000000000000000",
	   "FD534D42DD33EC41A927DD51476FE887C2D3C136D96831DD2E8EB7B400000000"
	   "0000000050000000000001002100000000100000"
	   "F783157E0F6F1C055D746753CA16D20C21088E2A67564E056C2F68A7F14F226C"
	   "3BD809B7A2D52E5FE4ECF49821BC6001733430CF174E2764B3CCB213AAD8BB9F"
	   "BAF6C15E13D9120965390E004A96A3F7"},
	  {NULL,
	   "FE534D4240000100000000000800010001000000000000000600000000000000"
	   "FFFE0000010000002100000000100000000000000000000000000000"
	   "0000000011005000170000000000000000000000536D623320656E6372797074"
	   "696F6E2074657374696E67",
	   "FD534D42E241A13C7E1EE42ECF1FD69F3B8668C6DA6831DD2E8EB7B400000000"
	   "0000000067000000000001002100000000100000"
	   "15D67234FC8358D7BA1BF037ABC8EFD41A0A8F9BB04B16DEB1E85606BD8C2770"
	   "823FE6239A286CB3E3D5762ABBD53FD8DE11ED491FE905E146A8FFCE09414AB7"
	   "41103D637E28B19C6BA759B399DCC21FAE24CF2A455A13B215FC2857ABB51392"
	   "7F9F271D1C208B"}}},
};

static void test_ms_vectors(void)
{
	for (size_t v = 0; v < sizeof(ms) / sizeof(ms[0]); v++) {
		uint8_t ek[16], dk[16], nonce[16], plain[256], frame[512];
		uint8_t msg[256], out[256], th[52];
		struct smb_sealer s;

		fprintf(stderr, "%s\n", ms[v].what);
		t_unhex(ms[v].enc_key, ek, 16);
		t_unhex(ms[v].dec_key, dk, 16);
		T_ASSERT(smb_sealer_init(&s, ms[v].cipher, ms[v].session_id, ek,
					 dk, 16) == 0);
		for (int r = 0; r < 2; r++) {
			const struct ms_message *m = &ms[v].req[r];
			size_t plen = t_unhex(m->plain, plain, sizeof(plain));
			size_t flen = t_unhex(m->frame, frame, sizeof(frame));
			struct segs src, dst;

			T_ASSERT(flen == 52 + plen);
			t_unhex(m->nonce, nonce, 16);
			memcpy(msg, plain, 64);
			segs_make(&src, SEG_KVEC, SMBIOV_ITER_SOURCE,
				  plain + 64, plen - 64, 17);
			segs_make(&dst, SEG_IOVEC, SMBIOV_ITER_DEST, out,
				  plen - 64, 17);
			T_EXPECT_EQ(smb_seal_encrypt_with_nonce(
					    &s, nonce, th, msg, 64, &src.it,
					    &dst.it),
				    0);
			T_EXPECT(!memcmp(th, frame, 52));
			T_EXPECT(!memcmp(msg, frame + 52, 64));
			T_EXPECT(!memcmp(out, frame + 52 + 64, plen - 64));
			T_EXPECT_EQ(smbiov_iter_count(&dst.it), 0);
			/* The source plaintext was not touched. */
			T_EXPECT(!memcmp(plain + 64, src.v[0].iov_base, 1));
			segs_free(&src);
			segs_free(&dst);
		}
		for (int r = 0; r < 2; r++) {
			const struct ms_message *m = &ms[v].rsp[r];
			size_t plen = t_unhex(m->plain, plain, sizeof(plain));
			size_t flen = t_unhex(m->frame, frame, sizeof(frame));
			uint8_t keep[512];
			struct segs src, dst;

			T_ASSERT(flen == 52 + plen);
			/* Into a destination iterator... */
			segs_make(&src, SEG_BVEC, SMBIOV_ITER_SOURCE,
				  frame + 52 + 64, plen - 64, 17);
			segs_make(&dst, SEG_KVEC, SMBIOV_ITER_DEST, out,
				  plen - 64, 17);
			memcpy(msg, frame + 52, 64);
			memcpy(keep, frame, flen);
			T_EXPECT_EQ(smb_seal_decrypt(&s, frame, msg, 64,
						     &src.it, &dst.it),
				    0);
			T_EXPECT(!memcmp(msg, plain, 64));
			T_EXPECT(!memcmp(out, plain + 64, plen - 64));
			T_EXPECT(!memcmp(keep, frame, flen)); /* src intact */
			segs_free(&dst);
			/* ... and in place. */
			T_EXPECT_EQ(smb_seal_decrypt(&s, frame, frame + 52, 64,
						     &src.it, NULL),
				    0);
			T_EXPECT(!memcmp(frame + 52, plain, plen));
			segs_free(&src);
		}
		smb_sealer_release(&s);
	}
}

/* ---- random round trips against a flat one-shot ---------------------------
 */

static void flat_reference(enum smb2_cipher c, const uint8_t *key,
			   const uint8_t *th, const uint8_t *pt, size_t len,
			   uint8_t *ct, uint8_t *tag)
{
	static const char *const names[] = {NULL, "AES-128-CCM", "AES-128-GCM",
					    "AES-256-CCM", "AES-256-GCM"};
	EVP_CIPHER *evp = EVP_CIPHER_fetch(NULL, names[c], NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int gcm = smb2_cipher_is_gcm(c), nlen = gcm ? 12 : 11, outl;

	T_ASSERT(evp && x);
	T_ASSERT(EVP_EncryptInit_ex2(x, evp, NULL, NULL, NULL));
	T_ASSERT(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, nlen, NULL));
	if (!gcm)
		T_ASSERT(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16,
					     NULL));
	T_ASSERT(EVP_EncryptInit_ex2(x, NULL, key, th + 20, NULL));
	if (!gcm)
		T_ASSERT(EVP_EncryptUpdate(x, NULL, &outl, NULL, (int)len));
	T_ASSERT(EVP_EncryptUpdate(x, NULL, &outl, th + 20, 32));
	T_ASSERT(EVP_EncryptUpdate(x, ct, &outl, pt, (int)len));
	T_ASSERT(EVP_EncryptFinal_ex(x, ct + len, &outl));
	T_ASSERT(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag));
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(evp);
}

static const enum smb2_cipher all_ciphers[] = {
	SMB2_CIPHER_AES128_CCM,
	SMB2_CIPHER_AES128_GCM,
	SMB2_CIPHER_AES256_CCM,
	SMB2_CIPHER_AES256_GCM,
};

static void test_round_trips(void)
{
	size_t max = 70000;
	uint8_t *pt = malloc(max), *ct = malloc(max + 16),
		*ref = malloc(max + 16);
	uint8_t *buf = malloc(max), *back = malloc(max);

	T_ASSERT(pt && ct && ref && buf && back);
	for (size_t c = 0; c < 4; c++) {
		enum smb2_cipher cipher = all_ciphers[c];
		size_t klen = smb2_cipher_key_len(cipher);
		uint8_t ek[32], dk[32], tag[16], th[52];
		struct smb_sealer s;

		for (size_t i = 0; i < 32; i++) {
			ek[i] = (uint8_t)rnd();
			dk[i] = (uint8_t)rnd();
		}
		T_ASSERT(smb_sealer_init(&s, cipher, 0x77, ek, dk, klen) == 0);
		for (int round = 0; round < 48; round++) {
			size_t len =
				64 + rnd() % (round < 40 ? 3000 : max - 64);
			size_t hl = 64 + rnd() % (len - 63);
			size_t maxseg = round % 3 == 0 ? 17 : 1 + rnd() % 9000;
			bool in_place = round % 2;
			/* In place only over library memory (not IOVEC). */
			enum seg_kind sk =
				in_place ? (round % 4 ? SEG_KVEC : SEG_BVEC)
					 : (enum seg_kind)(round % SEG_NR);
			struct segs src, dst;

			for (size_t i = 0; i < len; i++)
				pt[i] = (uint8_t)rnd();
			memcpy(buf, pt, len);
			segs_make(&src, sk, SMBIOV_ITER_SOURCE, buf + hl,
				  len - hl, maxseg);
			if (!in_place)
				segs_make(&dst,
					  (enum seg_kind)((round / 3) % SEG_NR),
					  SMBIOV_ITER_DEST, ct + hl, len - hl,
					  maxseg);
			T_EXPECT_EQ(smb_seal_encrypt(&s, th, buf, hl, &src.it,
						     in_place ? NULL : &dst.it),
				    0);
			if (in_place)
				memcpy(ct + hl, buf + hl, len - hl);
			else /* the plaintext source is untouched */
				T_EXPECT(!memcmp(buf + hl, pt + hl, len - hl));
			memcpy(ct, buf, hl);
			/* The same bytes as a flat one-shot with that nonce. */
			flat_reference(cipher, ek, th, pt, len, ref, tag);
			T_EXPECT(!memcmp(ct, ref, len));
			T_EXPECT(!memcmp(th + 4, tag, 16));
			T_EXPECT_EQ(le32_get(th + 36), len);

			/* Decrypt back with a sealer whose keys are swapped. */
			{
				struct smb_sealer peer;
				struct segs c2, d2;

				T_ASSERT(smb_sealer_init(&peer, cipher, 0x77,
							 dk, ek, klen) == 0);
				segs_make(&c2, SEG_BVEC, SMBIOV_ITER_SOURCE,
					  ct + hl, len - hl, maxseg);
				segs_make(&d2, SEG_IOVEC, SMBIOV_ITER_DEST,
					  back + hl, len - hl, 1 + rnd() % 30);
				memcpy(back, ct, hl);
				T_EXPECT_EQ(smb_seal_decrypt(&peer, th, back,
							     hl, &c2.it,
							     &d2.it),
					    0);
				T_EXPECT(!memcmp(back, pt, len));
				segs_free(&c2);
				segs_free(&d2);
				smb_sealer_release(&peer);
			}
			segs_free(&src);
			if (!in_place)
				segs_free(&dst);
		}
		smb_sealer_release(&s);
	}
	free(pt);
	free(ct);
	free(ref);
	free(buf);
	free(back);
}

/* ---- tampering -------------------------------------------------------------
 */

static void test_tamper(void)
{
	for (size_t c = 0; c < 4; c++) {
		enum smb2_cipher cipher = all_ciphers[c];
		size_t klen = smb2_cipher_key_len(cipher), len = 300;
		uint8_t key[32] = "tamper-tamper-tamper-tamper-tamp";
		uint8_t pt[300], frame[352], work[352], out[300];
		struct smb_sealer enc, dec;

		for (size_t i = 0; i < len; i++)
			pt[i] = (uint8_t)rnd();
		T_ASSERT(smb_sealer_init(&enc, cipher, 5, key, key, klen) == 0);
		T_ASSERT(smb_sealer_init(&dec, cipher, 5, key, key, klen) == 0);
		memcpy(frame + 52, pt, len);
		T_ASSERT(smb_seal_encrypt(&enc, frame, frame + 52, len, NULL,
					  NULL) == 0);
		for (size_t bit = 0; bit < 352 * 8; bit += 7) {
			size_t at = bit / 8;
			struct segs src, dst;
			int err;

			memcpy(work, frame, sizeof(work));
			work[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(out, 0x55, sizeof(out));
			segs_make(&src, SEG_KVEC, SMBIOV_ITER_SOURCE,
				  work + 52 + 64, len - 64, 17);
			segs_make(&dst, SEG_KVEC, SMBIOV_ITER_DEST, out,
				  len - 64, 17);
			err = smb_seal_decrypt(&dec, work, work + 52, 64,
					       &src.it, &dst.it);
			if (at < 4 || (at >= 36 && at < 40) ||
			    (at >= 42 && at < 52) ||
			    (at >= 20 + enc.nonce_len && at < 36)) {
				/* Checked header fields: malformed. */
				T_EXPECT_EQ(err, -EBADMSG);
			} else {
				T_EXPECT_EQ(err, -EKEYREJECTED);
				/* No unauthenticated plaintext survives. */
				if (smb2_cipher_is_gcm(cipher)) {
					uint8_t z[300] = {0};

					T_EXPECT(!memcmp(out, z, len - 64));
					T_EXPECT(!memcmp(work + 52, z, 64));
				} else {
					T_EXPECT(out[0] == 0x55 &&
						 out[len - 65] == 0x55);
				}
			}
			T_EXPECT_EQ(smbiov_iter_count(&dst.it), len - 64);
			segs_free(&src);
			segs_free(&dst);
		}
		/* Untampered still decrypts (in place). */
		T_EXPECT_EQ(smb_seal_decrypt(&dec, frame, frame + 52, len, NULL,
					     NULL),
			    0);
		T_EXPECT(!memcmp(frame + 52, pt, len));
		smb_sealer_release(&enc);
		smb_sealer_release(&dec);
	}
}

/* ---- streaming decryption --------------------------------------------------
 * smb_unseal_*: the ciphertext fed in random pieces, flat or through
 * segmented iterators (decrypted in place in their memory), must give the
 * plaintext that smb_seal_encrypt() sealed; a flipped bit anywhere is
 * refused at final; misuse is caught.
 */
static void test_unseal_stream(void)
{
	size_t max = 70000;
	uint8_t *pt = malloc(max), *frame = malloc(max + 52);

	T_ASSERT(pt && frame);
	for (size_t c = 0; c < 4; c++) {
		enum smb2_cipher cipher = all_ciphers[c];
		size_t klen = smb2_cipher_key_len(cipher);
		uint8_t key[32];
		struct smb_sealer enc, dec;
		struct smb_unseal u;

		for (size_t i = 0; i < 32; i++)
			key[i] = (uint8_t)rnd();
		T_ASSERT(smb_sealer_init(&enc, cipher, 9, key, key, klen) == 0);
		T_ASSERT(smb_sealer_init(&dec, cipher, 9, key, key, klen) == 0);
		if (!smb2_cipher_is_gcm(cipher)) {
			/* CCM needs the whole text at once: not streamed. */
			memset(frame + 52, 0, 64);
			T_ASSERT(smb_seal_encrypt(&enc, frame, frame + 52, 64,
						  NULL, NULL) == 0);
			T_EXPECT_EQ(smb_unseal_begin(&u, &dec, frame, 64),
				    -EOPNOTSUPP);
			smb_sealer_release(&enc);
			smb_sealer_release(&dec);
			continue;
		}
		for (int round = 0; round < 40; round++) {
			size_t len =
				64 + rnd() % (round < 30 ? 3000 : max - 64);
			bool tamper = round % 5 == 4;
			size_t flip = rnd() % len;
			size_t at = 0;
			int err = 0;

			for (size_t i = 0; i < len; i++)
				pt[i] = (uint8_t)rnd();
			memcpy(frame + 52, pt, len);
			T_ASSERT(smb_seal_encrypt(&enc, frame, frame + 52, len,
						  NULL, NULL) == 0);
			if (tamper)
				frame[52 + flip] ^= 0x10;
			/* A wrong length is a malformed header. */
			T_EXPECT_EQ(smb_unseal_begin(&u, &dec, frame, len + 1),
				    -EBADMSG);
			T_ASSERT(smb_unseal_begin(&u, &dec, frame, len) == 0);
			while (!err && at < len) {
				size_t n = 1 + rnd() % (round % 2 ? 40 : 9000);

				if (n > len - at)
					n = len - at;
				if (rnd() % 2) {
					err = smb_unseal_update(
						&u, frame + 52 + at, n);
				} else {
					struct segs sg;

					segs_make(
						&sg,
						(enum seg_kind)(rnd() % SEG_NR),
						SMBIOV_ITER_DEST,
						frame + 52 + at, n,
						1 + rnd() % 300);
					err = smb_unseal_update_iter(&u, &sg.it,
								     n);
					/* Not advanced: the caller does. */
					T_EXPECT_EQ(smbiov_iter_count(&sg.it),
						    n);
					segs_free(&sg);
				}
				at += n;
			}
			T_EXPECT_EQ(err, 0);
			/* Nothing may be fed past the message. */
			T_EXPECT_EQ(smb_unseal_update(&u, frame, 1), -EMSGSIZE);
			err = smb_unseal_final(&u);
			if (tamper) {
				T_EXPECT_EQ(err, -EKEYREJECTED);
			} else {
				T_EXPECT_EQ(err, 0);
				T_EXPECT(!memcmp(frame + 52, pt, len));
			}
		}
		/* Final before everything was fed. */
		memset(frame + 52, 7, 100);
		T_ASSERT(smb_seal_encrypt(&enc, frame, frame + 52, 100, NULL,
					  NULL) == 0);
		T_ASSERT(smb_unseal_begin(&u, &dec, frame, 100) == 0);
		T_EXPECT_EQ(smb_unseal_update(&u, frame + 52, 99), 0);
		T_EXPECT_EQ(smb_unseal_final(&u), -EBADMSG);
		/* The sealer still works for the next message. */
		T_ASSERT(smb_seal_encrypt(&enc, frame, frame + 52, 100, NULL,
					  NULL) == 0);
		T_ASSERT(smb_unseal_begin(&u, &dec, frame, 100) == 0);
		T_EXPECT_EQ(smb_unseal_update(&u, frame + 52, 100), 0);
		T_EXPECT_EQ(smb_unseal_final(&u), 0);
		smb_sealer_release(&enc);
		smb_sealer_release(&dec);
	}
	free(pt);
	free(frame);
}

/* ---- nonces ----------------------------------------------------------------
 */

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void test_nonce_uniqueness(void)
{
	enum { N = 10000 };
	uint8_t(*seen)[16] = malloc(N * 16);
	uint8_t key[16] = {1}, msg[64] = {0}, th[52];
	struct smb_sealer s;

	T_ASSERT(seen);
	for (size_t c = 0; c < 2; c++) {
		enum smb2_cipher cipher =
			c ? SMB2_CIPHER_AES128_GCM : SMB2_CIPHER_AES128_CCM;
		size_t dups = 0;

		T_ASSERT(smb_sealer_init(&s, cipher, 9, key, key, 16) == 0);
		for (size_t i = 0; i < N; i++) {
			T_ASSERT(smb_seal_encrypt(&s, th, msg, sizeof(msg),
						  NULL, NULL) == 0);
			memcpy(seen[i], th + 20, 16);
			/* Unused nonce bytes are zero on the wire. */
			for (size_t k = s.nonce_len; k < 16; k++)
				T_EXPECT(th[20 + k] == 0);
		}
		qsort(seen, N, 16, cmp16);
		for (size_t i = 1; i < N; i++)
			dups += !memcmp(seen[i - 1], seen[i], 16);
		T_EXPECT_EQ(dups, 0);
		T_EXPECT_EQ(s.counter, N);

		/* The counter never wraps: the last value is refused. */
		s.counter = UINT64_MAX - 1;
		T_EXPECT_EQ(
			smb_seal_encrypt(&s, th, msg, sizeof(msg), NULL, NULL),
			0);
		T_EXPECT_EQ(
			smb_seal_encrypt(&s, th, msg, sizeof(msg), NULL, NULL),
			-EOVERFLOW);
		T_EXPECT_EQ(
			smb_seal_encrypt(&s, th, msg, sizeof(msg), NULL, NULL),
			-EOVERFLOW);
		smb_sealer_release(&s);
	}
	/* Two sessions draw different random prefixes (2^-32 to fail). */
	{
		struct smb_sealer a, b;

		T_ASSERT(smb_sealer_init(&a, SMB2_CIPHER_AES128_GCM, 1, key,
					 key, 16) == 0);
		T_ASSERT(smb_sealer_init(&b, SMB2_CIPHER_AES128_GCM, 1, key,
					 key, 16) == 0);
		T_EXPECT(memcmp(a.prefix, b.prefix, 4) != 0);
		smb_sealer_release(&a);
		smb_sealer_release(&b);
	}
	free(seen);
}

/* ---- transform header and API misuse --------------------------------------
 */

static void test_transform_header(void)
{
	struct smb2_transform_hdr h = {0}, d;
	uint8_t b[52];

	memset(h.signature, 0xaa, 16);
	memset(h.nonce, 0xbb, 11);
	h.original_size = 100;
	h.flags = SMB2_TRANSFORM_FLAG_ENCRYPTED;
	h.session_id = 0x1122334455667788ull;
	smb2_transform_hdr_encode(&h, b);
	T_EXPECT(b[0] == 0xfd && b[1] == 'S' && b[2] == 'M' && b[3] == 'B');
	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 152, h.session_id, &d), 0);
	T_EXPECT(!memcmp(&d.signature, h.signature, 16));
	T_EXPECT(!memcmp(&d.nonce, h.nonce, 16));
	T_EXPECT_EQ(d.original_size, 100);
	T_EXPECT_EQ(d.session_id, h.session_id);

	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 51, h.session_id, &d),
		    -EBADMSG);
	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 151, h.session_id, &d),
		    -EBADMSG);
	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 153, h.session_id, &d),
		    -EBADMSG);
	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 152, 1, &d), -EBADMSG);
	b[0] = 0xfe; /* an SMB2 header, not a transform header */
	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 152, h.session_id, &d),
		    -EBADMSG);
	b[0] = 0xfd;
	for (unsigned f = 0; f < 8; f++) {
		le16_put(b + 42, (uint16_t)(f == 1 ? 0x8001 : f));
		T_EXPECT_EQ(smb2_transform_hdr_decode(b, 152, h.session_id, &d),
			    -EBADMSG);
	}
	le16_put(b + 42, 1);
	le16_put(b + 40, 0xffff); /* Reserved: ignored on receipt */
	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 152, h.session_id, &d), 0);
	le32_put(b + 36, 63); /* cannot hold an SMB2 header */
	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 52 + 63, h.session_id, &d),
		    -EBADMSG);
	le32_put(b + 36, 0xffffffff);
	T_EXPECT_EQ(smb2_transform_hdr_decode(b, 52 + 0xffffffffull,
					      h.session_id, &d),
		    SIZE_MAX > 0xffffffffull ? 0 : -EBADMSG);
	T_EXPECT_EQ(smb2_transform_hdr_decode(NULL, 152, 0, &d), -EINVAL);
}

static void test_misuse(void)
{
	uint8_t key[32] = {0}, msg[64] = {0}, pay[100], th[52];
	struct smb_sealer s;
	struct smbiov_iter u, d;

	T_EXPECT_EQ(
		smb_sealer_init(&s, SMB2_CIPHER_AES128_GCM, 1, key, key, 32),
		-EINVAL);
	T_EXPECT_EQ(smb_sealer_init(&s, (enum smb2_cipher)9, 1, key, key, 16),
		    -EINVAL);
	T_EXPECT_EQ(smb_seal_encrypt(&s, th, msg, 64, NULL, NULL), -EINVAL);
	T_ASSERT(smb_sealer_init(&s, SMB2_CIPHER_AES256_GCM, 1, key, key, 32) ==
		 0);
	memset(pay, 0x42, sizeof(pay));
	/* The caller's memory is never encrypted in place. */
	T_ASSERT(smbiov_iter_ubuf(&u, SMBIOV_ITER_SOURCE, pay, sizeof(pay)) ==
		 0);
	T_EXPECT_EQ(smb_seal_encrypt(&s, th, msg, 64, &u, NULL), -EINVAL);
	T_EXPECT(pay[0] == 0x42 && pay[99] == 0x42);
	/* Too small a destination, a source as destination, DISCARD. */
	T_ASSERT(smbiov_iter_ubuf(&d, SMBIOV_ITER_DEST, msg, 10) == 0);
	T_EXPECT_EQ(smb_seal_encrypt(&s, th, msg, 64, &u, &d), -EINVAL);
	T_EXPECT_EQ(smb_seal_encrypt(&s, th, msg, 64, &u, &u), -EINVAL);
	T_ASSERT(smbiov_iter_discard(&d, SMBIOV_ITER_DEST, 100) == 0);
	T_EXPECT_EQ(smb_seal_encrypt(&s, th, msg, 64, &u, &d), -EFAULT);
	/* Encrypting UBUF into UBUF works, and unpins everything. */
	{
		uint8_t out[100];

		T_ASSERT(smbiov_iter_ubuf(&d, SMBIOV_ITER_DEST, out,
					  sizeof(out)) == 0);
		T_EXPECT_EQ(smb_seal_encrypt(&s, th, msg, 64, &u, &d), 0);
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
		T_EXPECT(pay[0] == 0x42);
	}
	smb_sealer_release(&s);
}

/*
 * Why CCM goes through a bounce buffer: OpenSSL's CCM takes the whole
 * plaintext in one update. If this ever starts passing, seal.c could walk
 * CCM span by span too.
 */
static void test_openssl_ccm_needs_one_update(void)
{
	uint8_t k[16] = {0}, iv[11] = {0}, b[64] = {0}, aad[32] = {0};
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_CIPHER *ccm = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
	int l;

	T_ASSERT(c && ccm);
	T_ASSERT(EVP_EncryptInit_ex2(c, ccm, NULL, NULL, NULL));
	T_ASSERT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 11, NULL));
	T_ASSERT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, NULL));
	T_ASSERT(EVP_EncryptInit_ex2(c, NULL, k, iv, NULL));
	T_ASSERT(EVP_EncryptUpdate(c, NULL, &l, NULL, 64));
	T_ASSERT(EVP_EncryptUpdate(c, NULL, &l, aad, 32));
	T_EXPECT(EVP_EncryptUpdate(c, b, &l, b, 32) <= 0);
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_free(ccm);
}

int main(void)
{
	T_RUN(test_ms_vectors);
	T_RUN(test_round_trips);
	T_RUN(test_tamper);
	T_RUN(test_unseal_stream);
	T_RUN(test_nonce_uniqueness);
	T_RUN(test_transform_header);
	T_RUN(test_misuse);
	T_RUN(test_openssl_ccm_needs_one_update);
	return t_done();
}
