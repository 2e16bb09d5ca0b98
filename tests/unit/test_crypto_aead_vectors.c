// SPDX-License-Identifier: MIT
/*
 * Published AES-GCM and AES-CCM vectors through the AEAD core that SMB 3.x
 * encryption runs on (crypto/aead.c), with the text cut into IOVEC, KVEC
 * and BVEC segments of 0..17 bytes (empty ones included), a random part of
 * it given as the flat leading bytes, encrypted and decrypted both in place
 * and into a separate destination, and every tag, ciphertext and AAD
 * tamper rejected.
 *
 * Every transcribed vector is first re-derived with a flat OpenSSL
 * one-shot, so a typo in this file fails loudly instead of testing the
 * walker against a wrong answer.
 *
 * Sources (all values transcribed, none computed here):
 *  [MV]   D. McGrew, J. Viega, "The Galois/Counter Mode of Operation
 *         (GCM)", Appendix B "AES Test Vectors", test cases 1-6 (AES-128)
 *         and 13-16 (AES-256). Test cases 5 and 6 use 8- and 60-byte IVs.
 *  [38C]  NIST SP 800-38C, "Recommendation for Block Cipher Modes of
 *         Operation: The CCM Mode for Authentication and
 *         Confidentiality", Appendix C, Examples 1-4 (7-, 8-, 12- and
 *         13-byte nonces; 4-, 6-, 8- and 14-byte tags; Example 4 has
 *         65536 bytes of associated data, byte i = i mod 256).
 *  [3610] RFC 3610, "Counter with CBC-MAC (CCM)", section 8, Packet
 *         Vectors #1-#7 (13-byte nonce, 8- and 10-byte tags).
 * SMB's own 11-byte-nonce CCM and 12-byte GCM are covered by Microsoft's
 * vectors in test_crypto_seal.c.
 */
#include "crypto/aead.h"

#include <smbiov/iter.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "t.h"

static uint32_t rng = 0xae4d5eedu;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* ---- the vectors ------------------------------------------------------- */

/* SP 800-38C Example 4's associated data is generated, not listed. */
#define AAD_38C_EX4 "38C-EX4"

struct vec {
	const char *name;
	bool gcm;
	const char *key, *nonce, *aad, *pt, *ct, *tag;
};

#define MV_K3  "feffe9928665731c6d6a8f9467308308"
#define MV_K15 MV_K3 MV_K3
#define MV_IV3 "cafebabefacedbaddecaf888"
#define MV_A4  "feedfacedeadbeeffeedfacedeadbeefabaddad2"
/* The 60-byte plaintext of test cases 4-6 and 16; 3 and 15 add 4 bytes. */
#define MV_P60                                                                 \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"     \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define MV_P64	MV_P60 "1aafd255"
#define C38_K	"404142434445464748494a4b4c4d4e4f"
#define R3610_K "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"

static const struct vec vecs[] = {
	/* [MV] Appendix B */
	{"MV test case 1", true, "00000000000000000000000000000000",
	 "000000000000000000000000", "", "", "",
	 "58e2fccefa7e3061367f1d57a4e7455a"},
	{"MV test case 2", true, "00000000000000000000000000000000",
	 "000000000000000000000000", "", "00000000000000000000000000000000",
	 "0388dace60b6a392f328c2b971b2fe78",
	 "ab6e47d42cec13bdf53a67b21257bddf"},
	{"MV test case 3", true, MV_K3, MV_IV3, "", MV_P64,
	 "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	 "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	 "4d5c2af327cd64a62cf35abd2ba6fab4"},
	{"MV test case 4", true, MV_K3, MV_IV3, MV_A4, MV_P60,
	 "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	 "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	 "5bc94fbc3221a5db94fae95ae7121a47"},
	{"MV test case 5 (8-byte IV)", true, MV_K3, "cafebabefacedbad", MV_A4,
	 MV_P60,
	 "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423"
	 "73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
	 "3612d2e79e3b0785561be14aaca2fccb"},
	{"MV test case 6 (60-byte IV)", true, MV_K3,
	 "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
	 "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
	 MV_A4, MV_P60,
	 "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
	 "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
	 "619cc5aefffe0bfa462af43c1699d050"},
	{"MV test case 13", true,
	 "0000000000000000000000000000000000000000000000000000000000000000",
	 "000000000000000000000000", "", "", "",
	 "530f8afbc74536b9a963b4f1c4cb738b"},
	{"MV test case 14", true,
	 "0000000000000000000000000000000000000000000000000000000000000000",
	 "000000000000000000000000", "", "00000000000000000000000000000000",
	 "cea7403d4d606b6e074ec5d3baf39d18",
	 "d0d1c8a799996bf0265b98b5d48ab919"},
	{"MV test case 15", true, MV_K15, MV_IV3, "", MV_P64,
	 "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	 "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	 "b094dac5d93471bdec1a502270e3cc6c"},
	{"MV test case 16", true, MV_K15, MV_IV3, MV_A4, MV_P60,
	 "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	 "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	 "76fc6ece0f4e1768cddf8853bb2d551b"},

	/* [38C] Appendix C */
	{"SP 800-38C Example 1", false, C38_K, "10111213141516",
	 "0001020304050607", "20212223", "7162015b", "4dac255d"},
	{"SP 800-38C Example 2", false, C38_K, "1011121314151617",
	 "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f",
	 "d2a1f0e051ea5f62081a7792073d593d", "1fc64fbfaccd"},
	{"SP 800-38C Example 3", false, C38_K, "101112131415161718191a1b",
	 "000102030405060708090a0b0c0d0e0f10111213",
	 "202122232425262728292a2b2c2d2e2f3031323334353637",
	 "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5",
	 "484392fbc1b09951"},
	{"SP 800-38C Example 4", false, C38_K, "101112131415161718191a1b1c",
	 AAD_38C_EX4,
	 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
	 "69915dad1e84c6376a68c2967e4dab615ae0fd1faec44cc484828529463ccf72",
	 "b4ac6bec93e8598e7f0dadbcea5b"},

	/* [3610] section 8 */
	{"RFC 3610 packet vector #1", false, R3610_K,
	 "00000003020100a0a1a2a3a4a5", "0001020304050607",
	 "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
	 "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384", "17e8d12cfdf926e0"},
	{"RFC 3610 packet vector #2", false, R3610_K,
	 "00000004030201a0a1a2a3a4a5", "0001020304050607",
	 "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	 "72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3b",
	 "a091d56e10400916"},
	{"RFC 3610 packet vector #3", false, R3610_K,
	 "00000005040302a0a1a2a3a4a5", "0001020304050607",
	 "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
	 "51b1e5f44a197d1da46b0f8e2d282ae871e838bb64da859657",
	 "4adaa76fbd9fb0c5"},
	{"RFC 3610 packet vector #4", false, R3610_K,
	 "00000006050403a0a1a2a3a4a5", "000102030405060708090a0b",
	 "0c0d0e0f101112131415161718191a1b1c1d1e",
	 "a28c6865939a9a79faaa5c4c2a9d4a91cdac8c", "96c861b9c9e61ef1"},
	{"RFC 3610 packet vector #5", false, R3610_K,
	 "00000007060504a0a1a2a3a4a5", "000102030405060708090a0b",
	 "0c0d0e0f101112131415161718191a1b1c1d1e1f",
	 "dcf1fb7b5d9e23fb9d4e131253658ad86ebdca3e", "51e83f077d9c2d93"},
	{"RFC 3610 packet vector #6", false, R3610_K,
	 "00000008070605a0a1a2a3a4a5", "000102030405060708090a0b",
	 "0c0d0e0f101112131415161718191a1b1c1d1e1f20",
	 "6fc1b011f006568b5171a42d953d469b2570a4bd87", "405a0443ac91cb94"},
	{"RFC 3610 packet vector #7", false, R3610_K,
	 "00000009080706a0a1a2a3a4a5", "0001020304050607",
	 "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
	 "0135d1b2c95f41d5d1d4fec185d166b8094e999dfed96c",
	 "048c56602c97acbb7490"},
};

#define NVEC	 (sizeof(vecs) / sizeof(vecs[0]))
#define TEXT_MAX 64
#define AAD_MAX	 65536

/* One vector, decoded. */
struct kat {
	uint8_t key[32], nonce[SMB_AEAD_GCM_NONCE_MAX], tag[16];
	uint8_t pt[TEXT_MAX], ct[TEXT_MAX];
	uint8_t *aad;
	size_t klen, nlen, alen, tlen, len;
};

static void kat_load(const struct vec *v, struct kat *k)
{
	memset(k, 0, sizeof(*k));
	k->aad = malloc(AAD_MAX);
	T_ASSERT(k->aad);
	k->klen = t_unhex(v->key, k->key, sizeof(k->key));
	k->nlen = t_unhex(v->nonce, k->nonce, sizeof(k->nonce));
	if (!strcmp(v->aad, AAD_38C_EX4)) {
		for (size_t i = 0; i < AAD_MAX; i++)
			k->aad[i] = (uint8_t)i;
		k->alen = AAD_MAX;
	} else {
		k->alen = t_unhex(v->aad, k->aad, AAD_MAX);
	}
	k->len = t_unhex(v->pt, k->pt, sizeof(k->pt));
	T_ASSERT(t_unhex(v->ct, k->ct, sizeof(k->ct)) == k->len);
	k->tlen = t_unhex(v->tag, k->tag, sizeof(k->tag));
}

/* ---- segmented iterators with empty segments ----------------------------- */

enum seg_kind { SEG_KVEC, SEG_IOVEC, SEG_BVEC, SEG_NR };

static const char *const kind_name[SEG_NR] = {"KVEC", "IOVEC", "BVEC"};

struct segs {
	struct iovec *v;
	struct smbiov_bvec *bv;
	struct smbiov_iter it;
	size_t n;
};

/*
 * Cut [buf, buf + len) into segments of 1..17 bytes with empty segments
 * sprinkled in (also first and last), as @kind, direction @dir.
 */
static void segs_make(struct segs *s, enum seg_kind kind, unsigned dir,
		      uint8_t *buf, size_t len)
{
	size_t cap = 2 * len + 8, at = 0;
	int err;

	s->n = 0;
	s->v = calloc(cap, sizeof(*s->v));
	s->bv = calloc(cap, sizeof(*s->bv));
	T_ASSERT(s->v && s->bv);
	do {
		size_t seg = rnd() % 3 == 0 ? 0 : 1 + rnd() % 17;

		if (seg > len - at || s->n + 2 >= cap)
			seg = len - at;
		s->v[s->n].iov_base = buf + at;
		s->v[s->n++].iov_len = seg;
		at += seg;
	} while (at < len);
	if (rnd() % 2) /* a trailing empty segment */
		s->v[s->n++] = (struct iovec){buf + len, 0};
	for (size_t i = 0; i < s->n; i++) {
		uintptr_t a = (uintptr_t)s->v[i].iov_base;

		s->bv[i].page = (void *)(a & SMBIOV_PAGE_MASK);
		s->bv[i].offset = a & (SMBIOV_PAGE_SIZE - 1);
		s->bv[i].len = s->v[i].iov_len;
	}
	if (kind == SEG_KVEC)
		err = smbiov_iter_kvec(&s->it, dir, s->v, s->n, len);
	else if (kind == SEG_IOVEC)
		err = smbiov_iter_iovec(&s->it, dir, s->v, s->n, len);
	else
		err = smbiov_iter_bvec(&s->it, dir, s->bv, s->n, len);
	T_ASSERT(err == 0);
}

static void segs_free(struct segs *s)
{
	free(s->v);
	free(s->bv);
}

/* ---- flat OpenSSL one-shot (checks the transcription) ---------------------
 */

static void flat_encrypt(bool gcm, const struct kat *k, uint8_t *ct,
			 uint8_t *tag)
{
	static const char *const names[2][3] = {
		{"AES-128-CCM", "AES-192-CCM", "AES-256-CCM"},
		{"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"},
	};
	EVP_CIPHER *evp =
		EVP_CIPHER_fetch(NULL, names[gcm][k->klen / 8 - 2], NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int outl;

	T_ASSERT(evp && x);
	T_ASSERT(EVP_EncryptInit_ex2(x, evp, NULL, NULL, NULL));
	T_ASSERT(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)k->nlen,
				     NULL) > 0);
	if (!gcm)
		T_ASSERT(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG,
					     (int)k->tlen, NULL) > 0);
	T_ASSERT(EVP_EncryptInit_ex2(x, NULL, k->key, k->nonce, NULL));
	if (!gcm)
		T_ASSERT(EVP_EncryptUpdate(x, NULL, &outl, NULL, (int)k->len));
	if (k->alen)
		T_ASSERT(EVP_EncryptUpdate(x, NULL, &outl, k->aad,
					   (int)k->alen));
	if (k->len)
		T_ASSERT(EVP_EncryptUpdate(x, ct, &outl, k->pt, (int)k->len));
	T_ASSERT(EVP_EncryptFinal_ex(x, ct + k->len, &outl));
	T_ASSERT(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, (int)k->tlen,
				     tag) > 0);
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(evp);
}

static void test_transcription(void)
{
	for (size_t v = 0; v < NVEC; v++) {
		uint8_t ct[TEXT_MAX + 16], tag[16];
		struct kat k;

		kat_load(&vecs[v], &k);
		flat_encrypt(vecs[v].gcm, &k, ct, tag);
		if (memcmp(ct, k.ct, k.len) || memcmp(tag, k.tag, k.tlen))
			fprintf(stderr, "transcription: %s\n", vecs[v].name);
		T_EXPECT(!memcmp(ct, k.ct, k.len));
		T_EXPECT(!memcmp(tag, k.tag, k.tlen));
		free(k.aad);
	}
}

/* ---- the walker ------------------------------------------------------------
 */

/*
 * Transform @in (k->len bytes) into @res through smb_aead_run() with the
 * first @h bytes flat and the rest as @sk segments, into a @dk destination
 * or in place. @tag is the tag (out for encrypt, in for decrypt).
 */
static int walk(EVP_CIPHER_CTX *ctx, bool gcm, bool enc, const struct kat *k,
		const uint8_t *in, uint8_t *res, uint8_t *tag, size_t h,
		enum seg_kind sk, enum seg_kind dk, bool in_place)
{
	uint8_t src_buf[TEXT_MAX + 1];
	struct smb_aead_op op = {0};
	struct segs src, dst;
	int err;

	memcpy(src_buf, in, k->len);
	memcpy(res, in, h); /* the flat part is always in place */
	if (in_place)
		memcpy(res, in, k->len);
	else
		memset(res + h, 0xee, k->len - h); /* shows what is written */
	segs_make(&src, sk, SMBIOV_ITER_SOURCE, (in_place ? res : src_buf) + h,
		  k->len - h);
	if (!in_place)
		segs_make(&dst, dk, SMBIOV_ITER_DEST, res + h, k->len - h);
	op.gcm = gcm;
	op.enc = enc;
	op.nonce = k->nonce;
	op.nonce_len = k->nlen;
	op.aad = k->alen ? k->aad : NULL;
	op.aad_len = k->alen;
	op.tag = tag;
	op.tag_len = k->tlen;
	op.msg = h ? res : NULL;
	op.msg_len = h;
	op.payload = &src.it;
	op.out = in_place ? NULL : &dst.it;
	err = ctx ? smb_aead_run(ctx, &op)
		  : smb_aead_crypt(k->key, k->klen, &op);
	/* Neither iterator is advanced; a separate source is never written. */
	T_EXPECT_EQ(smbiov_iter_count(&src.it), k->len - h);
	if (!in_place) {
		T_EXPECT_EQ(smbiov_iter_count(&dst.it), k->len - h);
		T_EXPECT(!memcmp(src_buf, in, k->len));
		segs_free(&dst);
	}
	segs_free(&src);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	return err;
}

static void test_vectors_segmented(void)
{
	for (size_t v = 0; v < NVEC; v++) {
		const struct vec *vc = &vecs[v];
		size_t rounds = 0;
		struct kat k;

		kat_load(vc, &k);
		for (int sk = 0; sk < SEG_NR; sk++) {
			for (int ip = 0; ip < 2; ip++) {
				for (int round = 0; round < 8; round++) {
					uint8_t res[TEXT_MAX + 1], tag[16];
					enum seg_kind dk =
						(enum seg_kind)(rnd() % SEG_NR);
					/* Mostly all segments; sometimes a
					 * flat head of any length. */
					size_t h =
						round < 4 ? 0
							  : rnd() % (k.len + 1);
					int err;

					memset(tag, 0, sizeof(tag));
					err = walk(NULL, vc->gcm, true, &k,
						   k.pt, res, tag, h,
						   (enum seg_kind)sk, dk, ip);
					T_EXPECT_EQ(err, 0);
					if (memcmp(res, k.ct, k.len) ||
					    memcmp(tag, k.tag, k.tlen))
						fprintf(stderr,
							"%s: encrypt %s%s "
							"h=%zu\n",
							vc->name, kind_name[sk],
							ip ? " in place" : "",
							h);
					T_EXPECT(!memcmp(res, k.ct, k.len));
					T_EXPECT(!memcmp(tag, k.tag, k.tlen));

					memcpy(tag, k.tag, k.tlen);
					err = walk(NULL, vc->gcm, false, &k,
						   k.ct, res, tag, h,
						   (enum seg_kind)sk, dk, ip);
					T_EXPECT_EQ(err, 0);
					T_EXPECT(!memcmp(res, k.pt, k.len));
					rounds++;
				}
			}
		}
		T_EXPECT_EQ(rounds, SEG_NR * 2 * 8);
		free(k.aad);
	}
}

/*
 * A context keyed once and reused, as the sealer does: encrypt and
 * decrypt every vector several times on the same two contexts.
 */
static void test_context_reuse(void)
{
	for (size_t v = 0; v < NVEC; v++) {
		const struct vec *vc = &vecs[v];
		EVP_CIPHER_CTX *e, *d;
		struct kat k;

		kat_load(vc, &k);
		e = smb_aead_ctx_new(vc->gcm, k.key, k.klen, k.nlen, k.tlen,
				     true);
		d = smb_aead_ctx_new(vc->gcm, k.key, k.klen, k.nlen, k.tlen,
				     false);
		T_ASSERT(e && d);
		for (int r = 0; r < 4; r++) {
			uint8_t res[TEXT_MAX + 1], tag[16];
			enum seg_kind sk = (enum seg_kind)(r % SEG_NR);

			T_EXPECT_EQ(walk(e, vc->gcm, true, &k, k.pt, res, tag,
					 0, sk, SEG_KVEC, r & 1),
				    0);
			T_EXPECT(!memcmp(res, k.ct, k.len));
			T_EXPECT(!memcmp(tag, k.tag, k.tlen));
			T_EXPECT_EQ(walk(d, vc->gcm, false, &k, k.ct, res,
					 k.tag, 0, sk, SEG_IOVEC, r & 1),
				    0);
			T_EXPECT(!memcmp(res, k.pt, k.len));
		}
		/* The wrong direction for the context is refused. */
		{
			uint8_t res[TEXT_MAX + 1], tag[16];

			T_EXPECT_EQ(walk(e, vc->gcm, false, &k, k.ct, res, tag,
					 0, SEG_KVEC, SEG_KVEC, false),
				    -EINVAL);
		}
		EVP_CIPHER_CTX_free(e);
		EVP_CIPHER_CTX_free(d);
		free(k.aad);
	}
}

/* ---- rejection
 * ---------------------------------------------------------------- */

/*
 * Flip each bit of the tag, of the ciphertext and of (up to 64 bytes of)
 * the AAD: decryption must fail with -EKEYREJECTED and leave no plaintext:
 * GCM zeroes what it wrote, CCM writes nothing.
 */
static void test_tamper(void)
{
	for (size_t v = 0; v < NVEC; v++) {
		const struct vec *vc = &vecs[v];
		size_t abits, nbits;
		struct kat k;

		kat_load(vc, &k);
		abits = (k.alen < 64 ? k.alen : 64) * 8;
		nbits = (k.tlen + k.len) * 8 + abits;
		for (size_t bit = 0; bit < nbits; bit++) {
			uint8_t ct[TEXT_MAX + 1], tag[16], res[TEXT_MAX + 1];
			bool in_place = bit & 1;
			size_t h = rnd() % (k.len + 1), at = bit / 8;
			uint8_t flip = (uint8_t)(1u << (bit % 8));
			struct kat t = k;
			int err;

			memcpy(ct, k.ct, k.len);
			memcpy(tag, k.tag, k.tlen);
			if (at < k.tlen)
				tag[at] ^= flip;
			else if (at < k.tlen + k.len)
				ct[at - k.tlen] ^= flip;
			else
				t.aad[at - k.tlen - k.len] ^= flip;
			err = walk(NULL, vc->gcm, false, &t, ct, res, tag, h,
				   (enum seg_kind)(bit % SEG_NR),
				   (enum seg_kind)((bit / 3) % SEG_NR),
				   in_place);
			T_EXPECT_EQ(err, -EKEYREJECTED);
			if (vc->gcm) {
				for (size_t i = 0; i < k.len; i++)
					T_EXPECT(res[i] == 0);
			} else {
				/* Flat head and in-place text stay
				 * ciphertext; a destination stays 0xee. */
				for (size_t i = 0; i < k.len; i++)
					T_EXPECT(res[i] == ((i < h || in_place)
								    ? ct[i]
								    : 0xee));
			}
			if (at >= k.tlen + k.len)
				t.aad[at - k.tlen - k.len] ^= flip; /* undo */
		}
		free(k.aad);
	}
}

/* ---- argument checks
 * ----------------------------------------------------------- */

static void test_misuse(void)
{
	uint8_t key[16] = {0}, nonce[16] = {0}, tag[16] = {0}, buf[32] = {0};
	struct smb_aead_op op = {0};
	struct segs s, d;
	EVP_CIPHER_CTX *ctx;

	op.nonce = nonce;
	op.tag = tag;
	op.msg = buf;
	op.msg_len = sizeof(buf);
	op.enc = true;
	/* CCM: nonce 7..13, tag even 4..16. */
	op.tag_len = 16;
	for (size_t n = 0; n <= 16; n++) {
		op.nonce_len = n;
		T_EXPECT_EQ(smb_aead_crypt(key, 16, &op),
			    n >= 7 && n <= 13 ? 0 : -EINVAL);
	}
	op.nonce_len = 11;
	for (size_t t = 0; t <= 17; t++) {
		op.tag_len = t;
		T_EXPECT_EQ(smb_aead_crypt(key, 16, &op),
			    t >= 4 && t <= 16 && !(t & 1) ? 0 : -EINVAL);
	}
	/* GCM: tag 4, 8 or 12..16; any nonce length from 1. */
	op.gcm = true;
	op.nonce_len = 12;
	for (size_t t = 0; t <= 17; t++) {
		op.tag_len = t;
		T_EXPECT_EQ(smb_aead_crypt(key, 16, &op),
			    t == 4 || t == 8 || (t >= 12 && t <= 16) ? 0
								     : -EINVAL);
	}
	op.tag_len = 16;
	op.nonce_len = 0;
	T_EXPECT_EQ(smb_aead_crypt(key, 16, &op), -EINVAL);
	op.nonce_len = 1;
	T_EXPECT_EQ(smb_aead_crypt(key, 16, &op), 0);
	op.nonce_len = 12;
	T_EXPECT_EQ(smb_aead_crypt(key, 15, &op), -EINVAL);
	T_EXPECT_EQ(smb_aead_crypt(NULL, 16, &op), -EINVAL);
	T_EXPECT_EQ(smb_aead_crypt(key, 16, NULL), -EINVAL);

	/* A context made for another nonce length or mode is refused. */
	ctx = smb_aead_ctx_new(true, key, 16, 12, 16, true);
	T_ASSERT(ctx);
	op.nonce_len = 11;
	T_EXPECT_EQ(smb_aead_run(ctx, &op), -EINVAL);
	op.nonce_len = 12;
	op.gcm = false;
	T_EXPECT_EQ(smb_aead_run(ctx, &op), -EINVAL);
	op.gcm = true;
	T_EXPECT_EQ(smb_aead_run(ctx, &op), 0);
	EVP_CIPHER_CTX_free(ctx);
	T_EXPECT(smb_aead_ctx_new(false, key, 16, 6, 16, true) == NULL);
	T_EXPECT(smb_aead_ctx_new(false, key, 16, 11, 5, true) == NULL);
	T_EXPECT(smb_aead_ctx_new(true, key, 20, 12, 16, true) == NULL);

	/* Destination: a SOURCE, or too short, is refused. */
	op.msg = NULL;
	op.msg_len = 0;
	segs_make(&s, SEG_KVEC, SMBIOV_ITER_SOURCE, buf, sizeof(buf));
	segs_make(&d, SEG_KVEC, SMBIOV_ITER_SOURCE, buf, sizeof(buf));
	op.payload = &s.it;
	op.out = &d.it;
	T_EXPECT_EQ(smb_aead_crypt(key, 16, &op), -EINVAL);
	segs_free(&d);
	segs_make(&d, SEG_KVEC, SMBIOV_ITER_DEST, buf, sizeof(buf) - 1);
	T_EXPECT_EQ(smb_aead_crypt(key, 16, &op), -EINVAL);
	segs_free(&d);
	segs_free(&s);
	/* Flat text length without a pointer. */
	op.payload = NULL;
	op.out = NULL;
	op.msg_len = 1;
	T_EXPECT_EQ(smb_aead_crypt(key, 16, &op), -EINVAL);
}

int main(void)
{
	T_RUN(test_transcription);
	T_RUN(test_vectors_segmented);
	T_RUN(test_context_reuse);
	T_RUN(test_tamper);
	T_RUN(test_misuse);
	return t_done();
}
