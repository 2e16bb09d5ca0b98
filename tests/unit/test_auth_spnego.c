// SPDX-License-Identifier: MIT
/*
 * SPNEGO: known DER bytes for our NegTokenInit and a NegTokenResp,
 * encode -> decode round trips, a server NegTokenInit2, and hostile BER:
 * lengths past the input, long forms of 5+ bytes, indefinite lengths,
 * deep nesting, field order, truncation at every length.
 */
#include "auth/spnego.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

/* InitialContextToken { SPNEGO, NegTokenInit { [NTLMSSP], "abcd" } }. */
static const uint8_t init_abcd[] = {
	0x60, 0x24,					/* [APPLICATION 0] */
	0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, /* 1.3.6.1.5.5.2 */
	0xa0, 0x1a,					/* negTokenInit [0] */
	0x30, 0x18,					/* SEQUENCE */
	0xa0, 0x0e,					/* mechTypes [0] */
	0x30, 0x0c,					/* SEQUENCE OF */
	0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,	/* 1.3.6.1.4.1. */
	0x82, 0x37, 0x02, 0x02, 0x0a,			/* 311.2.2.10 */
	0xa2, 0x06,					/* mechToken [2] */
	0x04, 0x04, 'a',  'b',	'c',  'd',		/* OCTET STRING */
};

/* NegTokenResp { negState accept-completed }: a server's last word. */
static const uint8_t resp_completed[] = {0xa1, 0x07, 0x30, 0x05, 0xa0,
					 0x03, 0x0a, 0x01, 0x00};

/* A server NegTokenInit2 (SMB2 NEGOTIATE response): mechTypes [NTLMSSP]
 * and negHints { hintName "not_defined_in_RFC4178@please_ignore" }. */
static const uint8_t init2_hints[] = {
	0x60, 0x48, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0,
	0x3e, 0x30, 0x3c, 0xa0, 0x0e, 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06,
	0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a, 0xa3, 0x2a, 0x30,
	0x28, 0xa0, 0x26, 0x1b, 0x24, 'n',  'o',  't',	'_',  'd',  'e',
	'f',  'i',  'n',  'e',	'd',  '_',  'i',  'n',	'_',  'R',  'F',
	'C',  '4',  '1',  '7',	'8',  '@',  'p',  'l',	'e',  'a',  's',
	'e',  '_',  'i',  'g',	'n',  'o',  'r',  'e',
};

static void test_init_known_bytes(void)
{
	uint8_t out[64];
	size_t n;

	T_EXPECT_EQ(spnego_encode_init((const uint8_t *)"abcd", 4, NULL, 0, &n),
		    -ENOSPC);
	T_EXPECT_EQ(n, sizeof(init_abcd));
	T_EXPECT_EQ(spnego_encode_init((const uint8_t *)"abcd", 4, out,
				       sizeof(init_abcd) - 1, &n),
		    -ENOSPC);
	T_EXPECT_EQ(spnego_encode_init((const uint8_t *)"abcd", 4, out,
				       sizeof(out), &n),
		    0);
	T_EXPECT_EQ(n, sizeof(init_abcd));
	T_EXPECT(memcmp(out, init_abcd, sizeof(init_abcd)) == 0);
	T_EXPECT_EQ(spnego_token_kind(out, n), SPNEGO_KIND_INIT);
}

static void test_init_roundtrip(void)
{
	static const size_t sizes[] = {
		0, 1, 40, 127, 128, 255, 256, 1000, SPNEGO_MAX_TOKEN_LEN};
	uint8_t *tok = malloc(SPNEGO_MAX_TOKEN_LEN);
	uint8_t *out = malloc(SPNEGO_MAX_TOKEN_LEN + 64);

	T_ASSERT(tok && out);
	for (size_t i = 0; i < SPNEGO_MAX_TOKEN_LEN; i++)
		tok[i] = t_pattern(i);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct spnego_init in;
		size_t n;

		T_EXPECT_EQ(spnego_encode_init(tok, sizes[i], out,
					       SPNEGO_MAX_TOKEN_LEN + 64, &n),
			    0);
		T_EXPECT_EQ(spnego_decode_init(out, n, &in), 0);
		T_EXPECT(in.has_ntlmssp && in.ntlmssp_first);
		T_EXPECT_EQ(in.mech_token_len, sizes[i]);
		if (sizes[i])
			T_EXPECT(in.mech_token &&
				 memcmp(in.mech_token, tok, sizes[i]) == 0);
		else
			T_EXPECT(in.mech_token == NULL);
	}
	T_EXPECT_EQ(spnego_encode_init(tok, SPNEGO_MAX_TOKEN_LEN + 1, out,
				       SPNEGO_MAX_TOKEN_LEN + 64, NULL),
		    -EINVAL);
	free(out);
	free(tok);
}

static void test_init2_hints(void)
{
	struct spnego_init in;

	T_EXPECT_EQ(spnego_decode_init(init2_hints, sizeof(init2_hints), &in),
		    0);
	T_EXPECT(in.has_ntlmssp && in.ntlmssp_first);
	T_EXPECT(in.mech_token == NULL);
	T_EXPECT_EQ(in.mech_types_len, 12);
}

/* mechTypes { MS-krb5, krb5, NTLMSSP }: NTLMSSP offered, not preferred. */
static void test_init_mech_order(void)
{
	static const uint8_t tok[] =
		{
			0x60, 0x32, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05,
			0x05, 0x02, 0xa0, 0x28, 0x30, 0x26, 0xa0, 0x24,
			0x30, 0x22, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82,
			0xf7, 0x12, 0x01, 0x02, 0x02, /* 1.2.840.48018.1.2.2
							 (MS krb5)
						       */
			0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12,
			0x01, 0x02, 0x02, /* 1.2.840.113554.1.2.2 (krb5) */
			0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82,
			0x37, 0x02, 0x02, 0x0a,
		};
	struct spnego_init in;

	T_EXPECT_EQ(spnego_decode_init(tok, sizeof(tok), &in), 0);
	T_EXPECT(in.has_ntlmssp);
	T_EXPECT(!in.ntlmssp_first);
}

static void test_resp_known_bytes(void)
{
	struct spnego_resp r = {0};
	uint8_t out[32];
	size_t n;

	r.has_neg_state = true;
	r.neg_state = SPNEGO_ACCEPT_COMPLETED;
	T_EXPECT_EQ(spnego_encode_resp(&r, out, sizeof(out), &n), 0);
	T_EXPECT_EQ(n, sizeof(resp_completed));
	T_EXPECT(memcmp(out, resp_completed, n) == 0);
	memset(&r, 0xff, sizeof(r));
	T_EXPECT_EQ(
		spnego_decode_resp(resp_completed, sizeof(resp_completed), &r),
		0);
	T_EXPECT(r.has_neg_state && r.neg_state == SPNEGO_ACCEPT_COMPLETED);
	T_EXPECT(r.supported_mech == NULL && r.response_token == NULL &&
		 r.mech_list_mic == NULL);
	T_EXPECT_EQ(spnego_token_kind(resp_completed, sizeof(resp_completed)),
		    SPNEGO_KIND_RESP);
}

static void test_resp_roundtrip(void)
{
	uint8_t tok[300], mic[16], out[512];

	for (size_t i = 0; i < sizeof(tok); i++)
		tok[i] = t_pattern(i + 3);
	memset(mic, 0x5a, sizeof(mic));
	/* Every subset of the four fields (bit i = field [i]). */
	for (unsigned int m = 0; m < 16; m++) {
		struct spnego_resp r = {0}, d;
		size_t n;

		if (m & 1) {
			r.has_neg_state = true;
			r.neg_state = SPNEGO_ACCEPT_INCOMPLETE;
		}
		if (m & 2) {
			r.supported_mech = spnego_oid_ntlmssp;
			r.supported_mech_len = sizeof(spnego_oid_ntlmssp);
		}
		if (m & 4) {
			r.response_token = tok;
			r.response_token_len = sizeof(tok); /* long form */
		}
		if (m & 8) {
			r.mech_list_mic = mic;
			r.mech_list_mic_len = sizeof(mic);
		}
		T_EXPECT_EQ(spnego_encode_resp(&r, out, sizeof(out), &n), 0);
		T_EXPECT_EQ(spnego_decode_resp(out, n, &d), 0);
		T_EXPECT_EQ(d.has_neg_state, !!(m & 1));
		if (m & 1)
			T_EXPECT_EQ(d.neg_state, SPNEGO_ACCEPT_INCOMPLETE);
		T_EXPECT_EQ(spnego_mech_is_ntlmssp(d.supported_mech,
						   d.supported_mech_len),
			    !!(m & 2));
		T_EXPECT_EQ(d.response_token_len, (m & 4) ? sizeof(tok) : 0);
		if (m & 4)
			T_EXPECT(memcmp(d.response_token, tok, sizeof(tok)) ==
				 0);
		T_EXPECT_EQ(d.mech_list_mic_len, (m & 8) ? sizeof(mic) : 0);
		/* The decoder must not depend on the exact buffer end. */
		T_EXPECT_EQ(spnego_decode_resp(out, n + 1, &d), -EBADMSG);
	}
	{
		struct spnego_resp r = {0};
		size_t n;

		r.has_neg_state = true;
		r.neg_state = (enum spnego_neg_state)4;
		T_EXPECT_EQ(spnego_encode_resp(&r, out, sizeof(out), &n),
			    -EINVAL);
	}
}

static void test_token_kind(void)
{
	static const uint8_t raw[] = "NTLMSSP\0\x02\0\0\0";

	T_EXPECT_EQ(spnego_token_kind(raw, sizeof(raw)),
		    SPNEGO_KIND_RAW_NTLMSSP);
	T_EXPECT_EQ(spnego_token_kind(init_abcd, sizeof(init_abcd)),
		    SPNEGO_KIND_INIT);
	T_EXPECT_EQ(spnego_token_kind((const uint8_t *)"NTLMSSP", 7), -EBADMSG);
	T_EXPECT_EQ(spnego_token_kind((const uint8_t *)"\x30\x00", 2),
		    -EBADMSG);
	T_EXPECT_EQ(spnego_token_kind(init_abcd, 1), -EBADMSG);
	T_EXPECT_EQ(spnego_token_kind(NULL, 0), -EBADMSG);
}

static int resp(const uint8_t *p, size_t n)
{
	struct spnego_resp r;

	return spnego_decode_resp(p, n, &r);
}

static int init(const uint8_t *p, size_t n)
{
	struct spnego_init in;

	return spnego_decode_init(p, n, &in);
}

/* An inline byte array and its size, as two arguments. */
#define BYTES(...)                                                             \
	(const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void test_bad_ber(void)
{
	/* Outer length one beyond the input. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x08, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01,
			       0x00)),
		    -EBADMSG);
	/* Inner length beyond its parent. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x07, 0x30, 0x06, 0xa0, 0x03, 0x0a, 0x01,
			       0x00)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x02,
			       0x00)),
		    -EBADMSG);
	/* Long form, 1 and 4 length bytes: legal BER, accepted. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x81, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a,
			       0x01, 0x00)),
		    0);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x84, 0x00, 0x00, 0x00, 0x07, 0x30, 0x05,
			       0xa0, 0x03, 0x0a, 0x01, 0x00)),
		    0);
	/* Long form with 5 length bytes, and with 0x7f of them. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x85, 0x00, 0x00, 0x00, 0x00, 0x07, 0x30,
			       0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0xff, 0x00, 0x00)), -EBADMSG);
	/* Long form claiming 4 GiB, and one whose length bytes run out. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x84, 0x00, 0x00)), -EBADMSG);
	/* Indefinite length, outer and inner. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x80, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01,
			       0x00, 0x00, 0x00)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x09, 0x30, 0x80, 0xa0, 0x03, 0x0a, 0x01,
			       0x00, 0x00, 0x00)),
		    -EBADMSG);
	/* High-tag-number form. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x07, 0x3f, 0x05, 0xa0, 0x03, 0x0a, 0x01,
			       0x00)),
		    -EBADMSG);
	/* negState out of range, negative, oversized. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01,
			       0x04)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01,
			       0x81)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x0b, 0x30, 0x09, 0xa0, 0x07, 0x0a, 0x05,
			       0x00, 0x00, 0x00, 0x00, 0x01)),
		    -EBADMSG);
	/* Non-minimal but valid negState (2 bytes). */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x08, 0x30, 0x06, 0xa0, 0x04, 0x0a, 0x02,
			       0x00, 0x01)),
		    0);
	/* Fields out of order, duplicated, unknown; an extra element
	 * inside an explicit tag; trailing bytes after the token. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x0c, 0x30, 0x0a, 0xa2, 0x03, 0x04, 0x01,
			       0x41, 0xa0, 0x03, 0x0a, 0x01, 0x00)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x0c, 0x30, 0x0a, 0xa0, 0x03, 0x0a, 0x01,
			       0x00, 0xa0, 0x03, 0x0a, 0x01, 0x00)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x07, 0x30, 0x05, 0xa4, 0x03, 0x04, 0x01,
			       0x00)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x0a, 0x30, 0x08, 0xa0, 0x06, 0x0a, 0x01,
			       0x00, 0x04, 0x01, 0x00)),
		    -EBADMSG);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01,
			       0x00, 0x00)),
		    -EBADMSG);
	/* responseToken that is not an OCTET STRING. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x07, 0x30, 0x05, 0xa2, 0x03, 0x30, 0x01,
			       0x00)),
		    -EBADMSG);
	/* Empty token, empty sequence: legal. */
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x02, 0x30, 0x00)), 0);
	T_EXPECT_EQ(resp(BYTES(0xa1, 0x00)), -EBADMSG);
	T_EXPECT_EQ(resp(NULL, 0), -EBADMSG);
	T_EXPECT_EQ(spnego_decode_resp(resp_completed, 9, NULL), -EINVAL);
}

static void test_bad_init(void)
{
	uint8_t t[sizeof(init_abcd)];

	/* Wrong GSS mechanism OID. */
	memcpy(t, init_abcd, sizeof(t));
	t[9] = 0x03;
	T_EXPECT_EQ(init(t, sizeof(t)), -EBADMSG);
	/* A NegTokenResp choice inside the GSS wrapper is not an Init. */
	memcpy(t, init_abcd, sizeof(t));
	t[10] = 0xa1;
	T_EXPECT_EQ(init(t, sizeof(t)), -EBADMSG);
	/* A mechType that is not an OID. */
	memcpy(t, init_abcd, sizeof(t));
	t[18] = 0x04;
	T_EXPECT_EQ(init(t, sizeof(t)), -EBADMSG);
	/* mechToken not an OCTET STRING. */
	memcpy(t, init_abcd, sizeof(t));
	t[32] = 0x03;
	T_EXPECT_EQ(init(t, sizeof(t)), -EBADMSG);
	/* Empty mechTypes; no mechTypes at all. */
	T_EXPECT_EQ(init(BYTES(0x60, 0x10, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05,
			       0x05, 0x02, 0xa0, 0x06, 0x30, 0x04, 0xa0, 0x02,
			       0x30, 0x00)),
		    -EBADMSG);
	T_EXPECT_EQ(init(BYTES(0x60, 0x12, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05,
			       0x05, 0x02, 0xa0, 0x08, 0x30, 0x06, 0xa2, 0x04,
			       0x04, 0x02, 0x41, 0x42)),
		    -EBADMSG);
	/* Trailing byte after the GSS token. */
	{
		uint8_t u[sizeof(init_abcd) + 1];

		memcpy(u, init_abcd, sizeof(init_abcd));
		u[sizeof(init_abcd)] = 0;
		T_EXPECT_EQ(init(u, sizeof(u)), -EBADMSG);
	}
}

/* 4000 levels of [0] { [0] { ... } }: refused at once, no recursion. */
static void test_deep_nesting(void)
{
	size_t depth = 4000, n = depth * 4 + 16;
	uint8_t *p = malloc(n), *q;
	size_t len = 0;

	T_ASSERT(p);
	/* Build inside out: innermost empty, then wrap with 4-byte long
	 * form headers (a0 82 hi lo) so every level's length is exact. */
	q = p + n;
	for (size_t i = 0; i < depth; i++) {
		q -= 4;
		q[0] = (i % 2) ? 0x30 : 0xa0;
		q[1] = 0x82;
		q[2] = (uint8_t)(len >> 8);
		q[3] = (uint8_t)len;
		len += 4;
	}
	/* Top level: a NegTokenResp / GSS wrapper over the nest. */
	q -= 4;
	q[0] = 0xa1;
	q[1] = 0x82;
	q[2] = (uint8_t)(len >> 8);
	q[3] = (uint8_t)len;
	len += 4;
	T_EXPECT_EQ(resp(q, len), -EBADMSG);
	q[0] = 0x60;
	T_EXPECT_EQ(init(q, len), -EBADMSG);
	free(p);
}

/* Every strict prefix of a valid token is malformed; each is a fresh heap
 * copy so ASan catches any read past its end. */
static void test_truncation(void)
{
	uint8_t big[600], tok[300];
	struct spnego_resp r = {0};
	size_t n;

	for (size_t i = 0; i < sizeof(tok); i++)
		tok[i] = t_pattern(i);
	r.has_neg_state = true;
	r.neg_state = SPNEGO_ACCEPT_INCOMPLETE;
	r.supported_mech = spnego_oid_ntlmssp;
	r.supported_mech_len = sizeof(spnego_oid_ntlmssp);
	r.response_token = tok;
	r.response_token_len = sizeof(tok);
	r.mech_list_mic = tok;
	r.mech_list_mic_len = 16;
	T_ASSERT(spnego_encode_resp(&r, big, sizeof(big), &n) == 0);
	for (size_t len = 0; len < n; len++) {
		uint8_t *p = malloc(len ? len : 1);

		T_ASSERT(p);
		memcpy(p, big, len);
		T_EXPECT_EQ(resp(p, len), -EBADMSG);
		free(p);
	}
	T_ASSERT(spnego_encode_init(tok, sizeof(tok), big, sizeof(big), &n) ==
		 0);
	for (size_t len = 0; len < n; len++) {
		uint8_t *p = malloc(len ? len : 1);

		T_ASSERT(p);
		memcpy(p, big, len);
		T_EXPECT_EQ(init(p, len), -EBADMSG);
		free(p);
	}
	for (size_t len = 0; len < sizeof(init2_hints); len++) {
		uint8_t *p = malloc(len ? len : 1);

		T_ASSERT(p);
		memcpy(p, init2_hints, len);
		T_EXPECT_EQ(init(p, len), -EBADMSG);
		free(p);
	}
}

int main(void)
{
	T_RUN(test_init_known_bytes);
	T_RUN(test_init_roundtrip);
	T_RUN(test_init2_hints);
	T_RUN(test_init_mech_order);
	T_RUN(test_resp_known_bytes);
	T_RUN(test_resp_roundtrip);
	T_RUN(test_token_kind);
	T_RUN(test_bad_ber);
	T_RUN(test_bad_init);
	T_RUN(test_deep_nesting);
	T_RUN(test_truncation);
	return t_done();
}
