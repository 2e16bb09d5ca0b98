/* SPDX-License-Identifier: MIT */
/*
 * NEGOTIATE: a response hand-built from the MS-SMB2 2.2.4 / 2.2.3.1
 * layout, request and response round trips, the offer check, and every
 * malformed-context class (bug class 4 and 5).
 */
#include <errno.h>

#include "proto/le.h"
#include "proto/negotiate.h"
#include "t.h"

/*
 * Response body (after a 64-byte header), dialect 3.1.1:
 *   128: 8-byte security blob "NTLMSSP\0"-like
 *   136: preauth ctx  (type 1, len 38: count 1, salt 32, SHA-512, salt)
 *   184: unknown ctx  (type 0x0100 reserved, len 0)
 *   192: encryption   (type 2, len 4: count 1, AES-128-GCM)
 *   208: signing      (type 8, len 4: count 1, AES-GMAC) -> ends at 220
 */
static size_t build_known(uint8_t *m)
{
	struct smb2_hdr h;
	uint8_t *b = m + 64;

	memset(m, 0, 256);
	smb2_hdr_init_req(&h, SMB2_NEGOTIATE, 0, 1, 1);
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	smb2_hdr_encode(m, &h);
	le16_put(b + 0, 65);	 /* StructureSize */
	le16_put(b + 2, 0x0003); /* signing enabled+required */
	le16_put(b + 4, 0x0311); /* DialectRevision */
	le16_put(b + 6, 4);	 /* NegotiateContextCount */
	for (int i = 0; i < 16; i++)
		b[8 + i] = (uint8_t)(0x10 + i);	 /* ServerGuid */
	le32_put(b + 24, 0x0000007F);		 /* Capabilities */
	le32_put(b + 28, 8u << 20);		 /* MaxTransactSize */
	le32_put(b + 32, 4u << 20);		 /* MaxReadSize */
	le32_put(b + 36, 2u << 20);		 /* MaxWriteSize */
	le64_put(b + 40, 0x01D9000000000001ull); /* SystemTime */
	le64_put(b + 48, 0);			 /* ServerStartTime */
	le16_put(b + 56, 128);			 /* SecurityBufferOffset */
	le16_put(b + 58, 8);			 /* SecurityBufferLength */
	le32_put(b + 60, 136);			 /* NegotiateContextOffset */
	memcpy(m + 128, "NTLMSSP", 8);
	le16_put(m + 136, 1);
	le16_put(m + 138, 38);
	le16_put(m + 144, 1);  /* HashAlgorithmCount */
	le16_put(m + 146, 32); /* SaltLength */
	le16_put(m + 148, 1);  /* SHA-512 */
	for (int i = 0; i < 32; i++)
		m[150 + i] = (uint8_t)(0xC0 + i);
	/* 182..183 padding */
	le16_put(m + 184, 0x0100); /* reserved type, length 0 */
	le16_put(m + 192, 2);
	le16_put(m + 194, 4);
	le16_put(m + 200, 1); /* CipherCount */
	le16_put(m + 202, 2); /* AES-128-GCM */
	/* 204..207 padding */
	le16_put(m + 208, 8);
	le16_put(m + 210, 4);
	le16_put(m + 216, 1);
	le16_put(m + 218, 2); /* AES-GMAC */
	return 220;
}

static struct smb2_negotiate_req offer_all(void)
{
	struct smb2_negotiate_req r;

	memset(&r, 0, sizeof(r));
	r.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED;
	r.capabilities = SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_ENCRYPTION;
	for (int i = 0; i < 16; i++)
		r.client_guid[i] = (uint8_t)i;
	r.dialects[0] = SMB2_DIALECT_202;
	r.dialects[1] = SMB2_DIALECT_210;
	r.dialects[2] = SMB2_DIALECT_300;
	r.dialects[3] = SMB2_DIALECT_302;
	r.dialects[4] = SMB2_DIALECT_311;
	r.nr_dialects = 5;
	for (int i = 0; i < 32; i++)
		r.salt[i] = (uint8_t)(0x50 + i);
	r.ciphers[0] = SMB2_ENCRYPTION_AES256_GCM;
	r.ciphers[1] = SMB2_ENCRYPTION_AES128_GCM;
	r.ciphers[2] = SMB2_ENCRYPTION_AES256_CCM;
	r.ciphers[3] = SMB2_ENCRYPTION_AES128_CCM;
	r.nr_ciphers = 4;
	r.signing_algs[0] = SMB2_SIGNING_AES_GMAC;
	r.signing_algs[1] = SMB2_SIGNING_AES_CMAC;
	r.signing_algs[2] = SMB2_SIGNING_HMAC_SHA256;
	r.nr_signing_algs = 3;
	return r;
}

static void test_known_rsp(void)
{
	uint8_t m[256];
	size_t n = build_known(m);
	struct smb2_negotiate_rsp r;
	struct smb2_negotiate_req offer = offer_all();

	T_ASSERT(smb2_negotiate_rsp_decode(m, n, &r) == 0);
	T_EXPECT_EQ(r.security_mode, 3);
	T_EXPECT_EQ(r.dialect, SMB2_DIALECT_311);
	T_EXPECT_EQ(r.server_guid[15], 0x1F);
	T_EXPECT_EQ(r.capabilities, 0x7F);
	T_EXPECT_EQ(r.max_transact_size, 8u << 20);
	T_EXPECT_EQ(r.max_read_size, 4u << 20);
	T_EXPECT_EQ(r.max_write_size, 2u << 20);
	T_EXPECT(r.system_time == 0x01D9000000000001ull);
	T_EXPECT(r.sec_buf == m + 128);
	T_EXPECT_EQ(r.sec_len, 8);
	T_EXPECT_EQ(r.context_count, 4);
	T_EXPECT(r.has_preauth && r.has_encryption && r.has_signing);
	T_EXPECT_EQ(r.preauth_hash, SMB2_PREAUTH_INTEGRITY_SHA512);
	T_EXPECT_EQ(r.preauth_salt_len, 32);
	T_EXPECT(r.preauth_salt == m + 150);
	T_EXPECT_EQ(r.cipher, SMB2_ENCRYPTION_AES128_GCM);
	T_EXPECT_EQ(r.signing_alg, SMB2_SIGNING_AES_GMAC);
	T_EXPECT_EQ(r.unknown_contexts, 1);
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &r), 0);

	/* Truncated at every length: error, never a read past the end. */
	for (size_t k = 0; k < n; k++)
		T_EXPECT_EQ(smb2_negotiate_rsp_decode(m, k, &r), -EBADMSG);
}

static int dec(uint8_t *m, size_t n)
{
	struct smb2_negotiate_rsp r;

	return smb2_negotiate_rsp_decode(m, n, &r);
}

static void test_bad_rsp(void)
{
	uint8_t m[256];
	size_t n;

	/* Security buffer in the fixed part, past the end, wrapping. */
	n = build_known(m);
	le16_put(m + 120, 120);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le16_put(m + 120, (uint16_t)(n - 4));
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le16_put(m + 120, 0xFFFF);
	le16_put(m + 122, 0xFFFF);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* Length 0 ignores the offset (peers send 0/0). */
	le16_put(m + 120, 0);
	le16_put(m + 122, 0);
	T_EXPECT_EQ(dec(m, n), 0);

	/* Context offset unaligned, in the fixed part, past the end. */
	n = build_known(m);
	le32_put(m + 124, 140);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le32_put(m + 124, 120);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le32_put(m + 124, 0xFFFFFFF8u);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* More contexts than the data holds. */
	n = build_known(m);
	le16_put(m + 70, 5);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le16_put(m + 70, 0xFFFF);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* Fewer is fine: the rest is never looked at. */
	le16_put(m + 70, 1);
	T_EXPECT_EQ(dec(m, n), 0);
	/* Not 3.1.1: count/offset are Reserved and ignored. */
	n = build_known(m);
	le16_put(m + 68, SMB2_DIALECT_302);
	le32_put(m + 124, 0xFFFFFFFF);
	T_EXPECT_EQ(dec(m, n), 0);

	/* DataLength running past the message. */
	n = build_known(m);
	le16_put(m + 210, 5);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le16_put(m + 210, 0xFFFF);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* Zero-length known contexts: no room for their count. */
	n = build_known(m);
	le16_put(m + 194, 0);
	T_EXPECT_EQ(dec(m, n), -EBADMSG); /* also misaligns the next one */
	n = build_known(m);
	le16_put(m + 138, 0);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* HashAlgorithmCount 0, and larger than DataLength. */
	n = build_known(m);
	le16_put(m + 144, 0);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le16_put(m + 144, 18);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* SaltLength larger than what is left. */
	n = build_known(m);
	le16_put(m + 146, 33);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le16_put(m + 146, 0xFFFF);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* CipherCount / SigningAlgorithmCount 0 or too large. */
	n = build_known(m);
	le16_put(m + 200, 0);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	le16_put(m + 200, 2);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	n = build_known(m);
	le16_put(m + 216, 0x8000);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* A second preauth context (replacing the reserved one). */
	n = build_known(m);
	le16_put(m + 184, 2);
	le16_put(m + 186, 4);
	T_EXPECT_EQ(dec(m, n), -EBADMSG); /* overlaps: bad walk */
	n = build_known(m);
	le16_put(m + 208, 2); /* signing ctx becomes a 2nd encryption ctx */
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
	/* Wrong StructureSize. */
	n = build_known(m);
	le16_put(m + 64, 64);
	T_EXPECT_EQ(dec(m, n), -EBADMSG);
}

static void test_unknown_skipped(void)
{
	uint8_t m[256];
	size_t n = build_known(m);
	struct smb2_negotiate_rsp r;

	/* Turn the encryption context into an unknown 4-byte one. */
	le16_put(m + 192, 0x0042);
	T_ASSERT(smb2_negotiate_rsp_decode(m, n, &r) == 0);
	T_EXPECT_EQ(r.unknown_contexts, 2);
	T_EXPECT(!r.has_encryption);
	T_EXPECT(r.has_signing);
	/* Netname-style unknown context with odd length, then aligned. */
	le16_put(m + 194, 3);
	T_ASSERT(smb2_negotiate_rsp_decode(m, n, &r) == 0);
	T_EXPECT(r.has_signing);
}

static void test_check(void)
{
	uint8_t m[256];
	size_t n = build_known(m);
	struct smb2_negotiate_rsp r, bad;
	struct smb2_negotiate_req offer = offer_all();

	T_ASSERT(smb2_negotiate_rsp_decode(m, n, &r) == 0);
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &r), 0);

	bad = r;
	bad.dialect = SMB2_DIALECT_WILDCARD;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	bad.dialect = 0x0312;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	offer.nr_dialects = 4; /* 3.1.1 not offered */
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &r), -EPROTO);
	offer = offer_all();
	bad = r;
	bad.has_preauth = false;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	bad = r;
	bad.preauth_hash = 2;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	bad = r;
	bad.preauth_hash_count = 2;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	bad = r;
	bad.cipher = 5;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	bad.cipher = SMB2_ENCRYPTION_NONE; /* no common cipher: allowed */
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), 0);
	bad = r;
	bad.cipher_count = 2;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	offer.nr_ciphers = 1; /* only AES-256-GCM offered */
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &r), -EPROTO);
	offer.nr_ciphers = 0; /* no encryption context sent at all */
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &r), -EPROTO);
	offer = offer_all();
	offer.nr_signing_algs = 0;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &r), -EPROTO);
	offer = offer_all();
	bad = r;
	bad.signing_alg = 3;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	bad = r;
	bad.max_read_size = 65535;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), -EPROTO);
	/* 3.0.2 needs no contexts. */
	bad = r;
	bad.dialect = SMB2_DIALECT_302;
	bad.has_preauth = bad.has_encryption = bad.has_signing = false;
	T_EXPECT_EQ(smb2_negotiate_check(&offer, &bad), 0);
}

/* Field by field: struct padding makes memcmp of structs unreliable. */
static int req_equal(const struct smb2_negotiate_req *a,
		     const struct smb2_negotiate_req *b)
{
	return a->security_mode == b->security_mode &&
	       a->capabilities == b->capabilities &&
	       !memcmp(a->client_guid, b->client_guid, 16) &&
	       a->nr_dialects == b->nr_dialects &&
	       !memcmp(a->dialects, b->dialects, 2 * a->nr_dialects) &&
	       !memcmp(a->salt, b->salt, 32) &&
	       a->nr_ciphers == b->nr_ciphers &&
	       !memcmp(a->ciphers, b->ciphers, 2 * a->nr_ciphers) &&
	       a->nr_signing_algs == b->nr_signing_algs &&
	       !memcmp(a->signing_algs, b->signing_algs,
		       2 * a->nr_signing_algs);
}

static int rsp_equal(const struct smb2_negotiate_rsp *a,
		     const struct smb2_negotiate_rsp *b)
{
	return a->security_mode == b->security_mode &&
	       a->dialect == b->dialect &&
	       !memcmp(a->server_guid, b->server_guid, 16) &&
	       a->capabilities == b->capabilities &&
	       a->max_transact_size == b->max_transact_size &&
	       a->max_read_size == b->max_read_size &&
	       a->max_write_size == b->max_write_size &&
	       a->system_time == b->system_time &&
	       a->server_start_time == b->server_start_time &&
	       a->sec_len == b->sec_len &&
	       (!a->sec_len || !memcmp(a->sec_buf, b->sec_buf, a->sec_len)) &&
	       a->context_count == b->context_count &&
	       a->has_preauth == b->has_preauth &&
	       a->preauth_hash_count == b->preauth_hash_count &&
	       a->preauth_hash == b->preauth_hash &&
	       a->preauth_salt_len == b->preauth_salt_len &&
	       (!a->preauth_salt_len ||
		!memcmp(a->preauth_salt, b->preauth_salt,
			a->preauth_salt_len)) &&
	       a->has_encryption == b->has_encryption &&
	       a->cipher_count == b->cipher_count && a->cipher == b->cipher &&
	       a->has_signing == b->has_signing &&
	       a->signing_count == b->signing_count &&
	       a->signing_alg == b->signing_alg &&
	       a->unknown_contexts == b->unknown_contexts;
}

static void test_req_roundtrip(void)
{
	struct smb2_negotiate_req q = offer_all(), d;
	struct smb2_hdr h;
	uint8_t m[512];
	ssize_t n;

	smb2_hdr_init_req(&h, 0, 0, 0, 31);
	n = smb2_negotiate_req_encode(m, sizeof(m), &h, &q);
	T_ASSERT(n > 0);
	/* 100 + 10 dialects = 110 -> contexts at 112, 8-aligned. */
	T_EXPECT_EQ(le16_get(m + 64), 36);
	T_EXPECT_EQ(le16_get(m + 66), 5);
	T_EXPECT_EQ(le32_get(m + 92), 112);
	T_EXPECT_EQ(le16_get(m + 96), 3);
	T_EXPECT_EQ(le16_get(m + 112), SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
	T_EXPECT_EQ(le16_get(m + 114), 38);
	/* preauth 112+8+38 = 158 -> encryption at 160 (ends 178) ->
	 * signing at 184 */
	T_EXPECT_EQ(le16_get(m + 160), SMB2_ENCRYPTION_CAPABILITIES);
	T_EXPECT_EQ(le16_get(m + 162), 10);
	T_EXPECT_EQ(le16_get(m + 184), SMB2_SIGNING_CAPABILITIES);
	T_EXPECT_EQ(le16_get(m + 186), 8);
	T_EXPECT_EQ(n, 184 + 8 + 8);
	T_ASSERT(smb2_negotiate_req_decode(m, (size_t)n, &d) == 0);
	T_EXPECT(req_equal(&d, &q));
	for (ssize_t k = 0; k < n; k++)
		T_EXPECT(smb2_negotiate_req_decode(m, (size_t)k, &d) < 0);
	for (ssize_t k = 0; k < n; k++)
		T_EXPECT_EQ(smb2_negotiate_req_encode(m, (size_t)k, &h, &q),
			    -ENOSPC);

	/* Without 3.1.1: no contexts, ClientStartTime 0. */
	q.nr_dialects = 2;
	n = smb2_negotiate_req_encode(m, sizeof(m), &h, &q);
	T_EXPECT_EQ(n, 100 + 4);
	T_EXPECT(le64_get(m + 92) == 0);
	T_ASSERT(smb2_negotiate_req_decode(m, (size_t)n, &d) == 0);
	T_EXPECT_EQ(d.nr_dialects, 2);
	T_EXPECT_EQ(d.nr_ciphers, 0);

	q.nr_dialects = 0;
	T_EXPECT_EQ(smb2_negotiate_req_encode(m, sizeof(m), &h, &q), -EINVAL);
	q.nr_dialects = SMB2_MAX_DIALECTS + 1;
	T_EXPECT_EQ(smb2_negotiate_req_encode(m, sizeof(m), &h, &q), -EINVAL);
}

static void test_rsp_roundtrip(void)
{
	static const uint8_t blob[5] = {1, 2, 3, 4, 5};
	uint8_t salt[32], m[512];
	struct smb2_negotiate_rsp r, d;
	struct smb2_hdr h;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	memset(salt, 0x77, sizeof(salt));
	r.security_mode = 1;
	r.dialect = SMB2_DIALECT_311;
	r.server_guid[3] = 9;
	r.capabilities = SMB2_GLOBAL_CAP_LEASING;
	r.max_transact_size = r.max_read_size = r.max_write_size = 1 << 23;
	r.system_time = 12345;
	r.server_start_time = 678;
	r.sec_buf = blob;
	r.sec_len = sizeof(blob);
	r.has_preauth = true;
	r.preauth_hash_count = 1;
	r.preauth_hash = SMB2_PREAUTH_INTEGRITY_SHA512;
	r.preauth_salt = salt;
	r.preauth_salt_len = sizeof(salt);
	r.has_encryption = true;
	r.cipher_count = 1;
	r.cipher = SMB2_ENCRYPTION_AES256_GCM;
	r.has_signing = true;
	r.signing_count = 1;
	r.signing_alg = SMB2_SIGNING_AES_CMAC;
	r.context_count = 3;
	smb2_hdr_init_req(&h, 0, 0, 1, 1);
	n = smb2_negotiate_rsp_encode(m, sizeof(m), &h, &r);
	T_ASSERT(n > 0);
	T_ASSERT(smb2_negotiate_rsp_decode(m, (size_t)n, &d) == 0);
	T_EXPECT(d.sec_buf != blob && d.preauth_salt != salt); /* borrowed */
	T_EXPECT(rsp_equal(&d, &r));
	for (ssize_t k = 0; k < n; k++)
		T_EXPECT_EQ(smb2_negotiate_rsp_decode(m, (size_t)k, &d),
			    -EBADMSG);

	/* 2.1: no contexts written or parsed. */
	r.dialect = SMB2_DIALECT_210;
	n = smb2_negotiate_rsp_encode(m, sizeof(m), &h, &r);
	T_EXPECT_EQ(n, 128 + 5);
	T_ASSERT(smb2_negotiate_rsp_decode(m, (size_t)n, &d) == 0);
	T_EXPECT(!d.has_preauth && d.context_count == 0);
}

int main(void)
{
	T_RUN(test_known_rsp);
	T_RUN(test_bad_rsp);
	T_RUN(test_unknown_skipped);
	T_RUN(test_check);
	T_RUN(test_req_roundtrip);
	T_RUN(test_rsp_roundtrip);
	return t_done();
}
