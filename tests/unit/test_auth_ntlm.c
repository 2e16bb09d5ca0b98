// SPDX-License-Identifier: MIT
/*
 * NTLM: primitives against RFC 1320 / RFC 2202 known answers, the NTLMv2
 * chain against MS-NLMP 4.2.4 (including the whole AUTHENTICATE_MESSAGE),
 * CHALLENGE decoding of the spec's bytes and of hostile variants, and a
 * negotiate -> challenge -> authenticate round trip verified the way a
 * server would (NTProofStr, MIC, key exchange).
 */
#include "auth/ntlm_crypto.h"
#include "auth/ntlmssp.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/le.h"
#include "t.h"

/* @got starts with the bytes @hex spells. */
static int hex_eq(const uint8_t *got, const char *hex)
{
	uint8_t want[512];
	size_t n = t_unhex(hex, want, sizeof(want));

	return memcmp(got, want, n) == 0;
}

/* ---- MS-NLMP 4.2.1 / 4.2.4 values ---------------------------------------- */

static const uint8_t server_chal[8] = {0x01, 0x23, 0x45, 0x67,
				       0x89, 0xab, 0xcd, 0xef};
static const uint8_t client_chal[8] = {0xaa, 0xaa, 0xaa, 0xaa,
				       0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t random_key[16] = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
				       0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
				       0x55, 0x55, 0x55, 0x55};

/* 4.2.4: the CHALLENGE_MESSAGE (0x68 bytes). */
static const char spec_challenge_hex[] =
	"4e544c4d53535000 02000000 0c000c00 38000000 33828ae2"
	"0123456789abcdef 0000000000000000 24002400 44000000"
	"060070170000000f"
	"530065007200760065007200"
	"02000c00 44006f006d00610069006e00"
	"01000c00 530065007200760065007200 00000000";

/* 4.2.4.3: the AUTHENTICATE_MESSAGE (0xe8 bytes). */
static const char spec_auth_hex[] =
	"4e544c4d53535000 03000000 18001800 6c000000 54005400 84000000"
	"0c000c00 48000000 08000800 54000000 10001000 5c000000"
	"10001000 d8000000 358288e2 0501280a0000000f"
	"44006f006d00610069006e00 5500730065007200"
	"43004f004d0050005500540045005200"
	"86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"
	"68cd0ab851e51c96aabc927bebef6a1c 0101000000000000"
	"0000000000000000 aaaaaaaaaaaaaaaa 00000000"
	"02000c0044006f006d00610069006e00 01000c00530065007200760065007200"
	"00000000 00000000"
	"c5dad2544fc9799094ce1ce90bc9d03e";

/* The AV pairs of the spec's TargetInfo: NbDomain, NbComputer, EOL. */
static const char spec_target_info_hex[] =
	"02000c0044006f006d00610069006e00"
	"01000c00530065007200760065007200 00000000";

static size_t spec_challenge(uint8_t *buf, size_t cap)
{
	size_t n = t_unhex(spec_challenge_hex, buf, cap);

	T_ASSERT(n == 0x68);
	return n;
}

/* ---- primitives ---------------------------------------------------------- */

static void test_md4_rfc1320(void)
{
	static const struct {
		const char *msg, *md;
	} v[] = {
		{"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
		{"a", "bde52cb31de33e46245e05fbdbd6fb24"},
		{"abc", "a448017aaf21d8525fc10ae87aa6729d"},
		{"message digest", "d9130a8164549fe818874806e1c7014b"},
		{"abcdefghijklmnopqrstuvwxyz",
		 "d79e1c308aa5bbcdeea8ed63df412da9"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		 "0123456789",
		 "043f8582f241db351ce627e153e7f0e4"},
		{"1234567890123456789012345678901234567890"
		 "1234567890123456789012345678901234567890",
		 "e33b4ddc9c38f2199c3e7b164fcc0536"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t md[16];

		T_EXPECT_EQ(ntlm_md4(v[i].msg, strlen(v[i].msg), md), 0);
		T_EXPECT(hex_eq(md, v[i].md));
	}
}

static void test_hmac_md5_rfc2202(void)
{
	uint8_t key[80], data[50], mac[16];
	struct ntlm_buf parts[3];

	/* Test case 1. */
	memset(key, 0x0b, 16);
	T_EXPECT_EQ(ntlm_hmac_md5(key, 16, "Hi There", 8, mac), 0);
	T_EXPECT(hex_eq(mac, "9294727a3638bb1c13f48ef8158bfc9d"));
	/* Test case 2: a key shorter than the block. */
	T_EXPECT_EQ(ntlm_hmac_md5((const uint8_t *)"Jefe", 4,
				  "what do ya want for nothing?", 28, mac),
		    0);
	T_EXPECT(hex_eq(mac, "750c783e6ab0b503eaa86e310a5db738"));
	/* Test case 3. */
	memset(key, 0xaa, 16);
	memset(data, 0xdd, 50);
	T_EXPECT_EQ(ntlm_hmac_md5(key, 16, data, 50, mac), 0);
	T_EXPECT(hex_eq(mac, "56be34521d144c88dbb8c733f0e8b3f6"));
	/* Same message fed in three uneven pieces (one empty). */
	parts[0].p = data;
	parts[0].len = 7;
	parts[1].p = data;
	parts[1].len = 0;
	parts[2].p = data + 7;
	parts[2].len = 43;
	T_EXPECT_EQ(ntlm_hmac_md5v(key, 16, parts, 3, mac), 0);
	T_EXPECT(hex_eq(mac, "56be34521d144c88dbb8c733f0e8b3f6"));
	/* Test case 6: a key longer than the block is hashed first. */
	memset(key, 0xaa, 80);
	T_EXPECT_EQ(ntlm_hmac_md5(key, 80,
				  "Test Using Larger Than Block-Size Key - "
				  "Hash Key First",
				  54, mac),
		    0);
	T_EXPECT(hex_eq(mac, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"));
}

static void test_rc4_roundtrip(void)
{
	uint8_t key[16], msg[40], ct[40], pt[40];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = t_pattern(i * 7);
	T_EXPECT_EQ(ntlm_rc4(key, msg, sizeof(msg), ct), 0);
	T_EXPECT(memcmp(ct, msg, sizeof(msg)) != 0);
	T_EXPECT_EQ(ntlm_rc4(key, ct, sizeof(ct), pt), 0);
	T_EXPECT(memcmp(pt, msg, sizeof(msg)) == 0);
	/* In place. */
	T_EXPECT_EQ(ntlm_rc4(key, pt, sizeof(pt), pt), 0);
	T_EXPECT(memcmp(pt, ct, sizeof(ct)) == 0);
}

/* ---- MS-NLMP 4.2.4 known answers ----------------------------------------- */

static const uint8_t u16_user[] = {'U', 0, 's', 0, 'e', 0, 'r', 0};
static const uint8_t u16_domain[] = {'D', 0, 'o', 0, 'm', 0,
				     'a', 0, 'i', 0, 'n', 0};

static void test_nlmp_ntlmv2_keys(void)
{
	uint8_t nt[16], key[16], key2[16], proof[16], sbk[16], ek[16];
	uint8_t lm[24], temp[128], ti[64];
	uint8_t lower_user[8];
	size_t ti_len, temp_len;

	/* 4.2.2.1.2 NTOWFv1("Password"). */
	T_EXPECT_EQ(ntlm_nt_hash("Password", nt), 0);
	T_EXPECT(hex_eq(nt, "a4f49c406510bdcab6824ee7c30fd852"));
	/* 4.2.4.1.1 NTOWFv2 = ResponseKeyNT. */
	T_EXPECT_EQ(ntlm_ntowfv2(nt, u16_user, sizeof(u16_user), u16_domain,
				 sizeof(u16_domain), key),
		    0);
	T_EXPECT(hex_eq(key, "0c868a403bfd7a93a3001ef22ef02e3f"));
	/* The user name is upper-cased, the domain is not. */
	for (size_t i = 0; i < sizeof(lower_user); i++)
		lower_user[i] = (uint8_t)(u16_user[i] | (i % 2 ? 0 : 0x20));
	T_EXPECT_EQ(ntlm_ntowfv2(nt, lower_user, sizeof(lower_user), u16_domain,
				 sizeof(u16_domain), key2),
		    0);
	T_EXPECT(memcmp(key, key2, 16) == 0);
	T_EXPECT_EQ(ntlm_ntowfv2(nt, u16_user, 3, u16_domain, 12, key2),
		    -EINVAL);

	/* 4.2.4.2.1 LMv2 response. */
	T_EXPECT_EQ(ntlm_lmv2_response(key, server_chal, client_chal, lm), 0);
	T_EXPECT(hex_eq(lm, "86c35097ac9cec102554764a57cccc19"
			    "aaaaaaaaaaaaaaaa"));

	/* 4.2.4.2.2: temp = 0101 Z(6) Time(0) ClientChallenge Z(4)
	 * TargetInfo Z(4); NTProofStr = HMAC(key, ServerChallenge||temp). */
	ti_len = t_unhex(spec_target_info_hex, ti, sizeof(ti));
	memset(temp, 0, sizeof(temp));
	temp[0] = 1;
	temp[1] = 1;
	memcpy(temp + 16, client_chal, 8);
	memcpy(temp + 28, ti, ti_len);
	temp_len = 28 + ti_len + 4;
	T_EXPECT_EQ(ntlm_ntproofstr(key, server_chal, temp, temp_len, proof),
		    0);
	T_EXPECT(hex_eq(proof, "68cd0ab851e51c96aabc927bebef6a1c"));

	/* 4.2.4.1.2 SessionBaseKey, = KeyExchangeKey for NTLMv2. */
	T_EXPECT_EQ(ntlm_session_base_key(key, proof, sbk), 0);
	T_EXPECT(hex_eq(sbk, "8de40ccadbc14a82f15cb0ad0de95ca3"));

	/* 4.2.4.2.3 EncryptedRandomSessionKey = RC4(KXKEY, 0x55 * 16). */
	T_EXPECT_EQ(ntlm_encrypt_session_key(sbk, random_key, ek), 0);
	T_EXPECT(hex_eq(ek, "c5dad2544fc9799094ce1ce90bc9d03e"));
}

static void test_nlmp_challenge_decode(void)
{
	uint8_t buf[0x68], ti[64];
	struct ntlmssp_challenge c;
	size_t ti_len;

	spec_challenge(buf, sizeof(buf));
	ti_len = t_unhex(spec_target_info_hex, ti, sizeof(ti));
	T_EXPECT_EQ(ntlmssp_challenge_decode(buf, sizeof(buf), &c), 0);
	T_EXPECT_EQ(c.flags, 0xe28a8233u);
	T_EXPECT(memcmp(c.server_challenge, server_chal, 8) == 0);
	T_EXPECT_EQ(c.target_name_len, 12);
	T_EXPECT(c.target_name == buf + 0x38);
	T_EXPECT(memcmp(c.target_name, "S\0e\0r\0v\0e\0r\0", 12) == 0);
	T_EXPECT_EQ(c.target_info_len, ti_len);
	T_EXPECT(c.target_info == buf + 0x44);
	T_EXPECT(memcmp(c.target_info, ti, ti_len) == 0);
	T_EXPECT(!c.has_timestamp);
	T_EXPECT(!c.has_av_flags);
	T_EXPECT(c.msg == buf && c.msg_len == sizeof(buf));
}

static const uint8_t spec_version[8] = {0x05, 0x01, 0x28, 0x0a,
					0x00, 0x00, 0x00, 0x0f};

/* 4.2.4.3: the whole AUTHENTICATE_MESSAGE, byte for byte. */
static void test_nlmp_authenticate_message(void)
{
	uint8_t chal_buf[0x68], want[0xe8], out[512], neg[64], key[16];
	struct ntlmssp_challenge c;
	struct ntlmssp_ctx ctx;
	size_t n, want_len;

	spec_challenge(chal_buf, sizeof(chal_buf));
	want_len = t_unhex(spec_auth_hex, want, sizeof(want));
	T_ASSERT(want_len == 0xe8);

	T_ASSERT(ntlmssp_ctx_init(&ctx, "User", "Domain", "Password",
				  "COMPUTER") == 0);
	memcpy(ctx.version, spec_version, 8);
	ntlmssp_ctx_set_test_values(&ctx, client_chal, 0, random_key);
	/* Our default flags are the example's AUTHENTICATE flags. */
	T_EXPECT_EQ(ctx.flags, 0xe2888235u);

	T_EXPECT_EQ(ntlmssp_session_key(&ctx, key), -EINVAL);
	T_EXPECT_EQ(ntlmssp_authenticate_encode(&ctx, &c, out, sizeof(out), &n),
		    -EINVAL); /* before NEGOTIATE */
	T_EXPECT_EQ(ntlmssp_negotiate_encode(&ctx, neg, sizeof(neg), &n), 0);
	T_EXPECT_EQ(n, NTLMSSP_NEGOTIATE_LEN);
	T_EXPECT_EQ(ntlmssp_challenge_decode(chal_buf, sizeof(chal_buf), &c),
		    0);

	/* Sizing call, then the real one. */
	T_EXPECT_EQ(ntlmssp_authenticate_encode(&ctx, &c, NULL, 0, &n),
		    -ENOSPC);
	T_EXPECT_EQ(n, want_len);
	T_EXPECT_EQ(
		ntlmssp_authenticate_encode(&ctx, &c, out, want_len - 1, &n),
		-ENOSPC);
	T_EXPECT_EQ(ntlmssp_authenticate_encode(&ctx, &c, out, sizeof(out), &n),
		    0);
	T_EXPECT_EQ(n, want_len);
	T_EXPECT(memcmp(out, want, want_len) == 0);
	for (size_t i = 0; i < want_len; i++) {
		if (out[i] != want[i]) {
			fprintf(stderr, "first difference at 0x%zx\n", i);
			break;
		}
	}
	/* Exported session key = RandomSessionKey under KEY_EXCH. */
	T_EXPECT_EQ(ntlmssp_session_key(&ctx, key), 0);
	T_EXPECT(memcmp(key, random_key, 16) == 0);
	/* One AUTHENTICATE per context. */
	T_EXPECT_EQ(ntlmssp_authenticate_encode(&ctx, &c, out, sizeof(out), &n),
		    -EINVAL);
	ntlmssp_ctx_release(&ctx);
}

static void test_negotiate_message(void)
{
	struct ntlmssp_ctx ctx;
	uint8_t out[64];
	size_t n;

	T_ASSERT(ntlmssp_ctx_init(&ctx, "u", NULL, "", NULL) == 0);
	T_EXPECT_EQ(ntlmssp_negotiate_encode(&ctx, out, 39, &n), -ENOSPC);
	T_EXPECT_EQ(n, 40);
	T_EXPECT_EQ(ntlmssp_negotiate_encode(&ctx, out, sizeof(out), &n), 0);
	T_EXPECT_EQ(n, 40);
	T_EXPECT(memcmp(out, "NTLMSSP\0", 8) == 0);
	T_EXPECT_EQ(le32_get(out + 8), 1);
	T_EXPECT_EQ(le32_get(out + 12), NTLMSSP_CLIENT_FLAGS);
	T_EXPECT_EQ(le16_get(out + 16), 0); /* no domain */
	T_EXPECT_EQ(le16_get(out + 24), 0); /* no workstation */
	T_EXPECT_EQ(out[32], 10);
	T_EXPECT_EQ(out[39], 0x0f);
	T_EXPECT(memcmp(out, ctx.negotiate, 40) == 0);
	/* Only once per context. */
	T_EXPECT_EQ(ntlmssp_negotiate_encode(&ctx, out, sizeof(out), &n),
		    -EINVAL);
	ntlmssp_ctx_release(&ctx);
}

static void test_ctx_init_args(void)
{
	struct ntlmssp_ctx ctx;

	T_EXPECT_EQ(ntlmssp_ctx_init(&ctx, NULL, "d", "p", NULL), -EINVAL);
	T_EXPECT_EQ(ntlmssp_ctx_init(&ctx, "", "d", "p", NULL), -EINVAL);
	T_EXPECT_EQ(ntlmssp_ctx_init(&ctx, "u", "d", NULL, NULL), -EINVAL);
	T_EXPECT_EQ(ntlmssp_ctx_init(&ctx, "u\xff", "d", "p", NULL), -EINVAL);
	T_EXPECT_EQ(ntlmssp_ctx_init(&ctx, "u", "d", "p\xc0\xaf", NULL),
		    -EINVAL);
	T_EXPECT_EQ(ntlmssp_ctx_init(NULL, "u", "d", "p", NULL), -EINVAL);
	/* Releasing a failed (or twice-released) context is harmless. */
	ntlmssp_ctx_release(&ctx);
	ntlmssp_ctx_release(&ctx);
	ntlmssp_ctx_release(NULL);
}

/* The secrets live in the caller's struct: after release all of it is 0. */
static void test_release_wipes(void)
{
	static const uint8_t zero[sizeof(struct ntlmssp_ctx)];
	uint8_t nt[16];
	struct ntlmssp_ctx ctx;

	T_ASSERT(ntlmssp_ctx_init(&ctx, "User", "Domain", "Password", "WS") ==
		 0);
	T_EXPECT_EQ(ntlm_nt_hash("Password", nt), 0);
	T_EXPECT(memcmp(ctx.nt_hash, nt, 16) == 0);
	T_EXPECT(ctx.user != NULL && ctx.user_len == 8);
	ntlmssp_ctx_release(&ctx);
	T_EXPECT(memcmp(&ctx, zero, sizeof(ctx)) == 0);
}

/* ---- CHALLENGE decoding of hostile input --------------------------------- */

static void test_challenge_truncated(void)
{
	uint8_t buf[0x68];
	struct ntlmssp_challenge c;

	spec_challenge(buf, sizeof(buf));
	for (size_t len = 0; len < sizeof(buf); len++) {
		/* A fresh heap copy of exactly @len bytes, so ASan sees any
		 * read past the end. */
		uint8_t *p = malloc(len ? len : 1);

		T_ASSERT(p != NULL);
		memcpy(p, buf, len);
		T_EXPECT_EQ(ntlmssp_challenge_decode(p, len, &c), -EBADMSG);
		T_EXPECT(c.msg == NULL && c.target_info == NULL);
		free(p);
	}
	T_EXPECT_EQ(ntlmssp_challenge_decode(NULL, 0, &c), -EBADMSG);
	T_EXPECT_EQ(ntlmssp_challenge_decode(buf, sizeof(buf), NULL), -EINVAL);
}

static void test_challenge_bad_header(void)
{
	uint8_t buf[0x68];
	struct ntlmssp_challenge c;

	spec_challenge(buf, sizeof(buf));
	buf[7] = 'X'; /* signature */
	T_EXPECT_EQ(ntlmssp_challenge_decode(buf, sizeof(buf), &c), -EBADMSG);
	spec_challenge(buf, sizeof(buf));
	le32_put(buf + 8, 3); /* an AUTHENTICATE type */
	T_EXPECT_EQ(ntlmssp_challenge_decode(buf, sizeof(buf), &c), -EBADMSG);
	spec_challenge(buf, sizeof(buf));
	le32_put(buf + 8, 0x102); /* type with junk in the high bytes */
	T_EXPECT_EQ(ntlmssp_challenge_decode(buf, sizeof(buf), &c), -EBADMSG);
}

/* Each row rewrites one (len, off) pair of the spec message. */
static void test_challenge_bad_spans(void)
{
	static const struct {
		size_t field; /* 12: TargetName, 40: TargetInfo */
		uint16_t len;
		uint32_t off;
		int ret;
	} rows[] = {
		{40, 0x24, 0x45, -EBADMSG},	  /* one past: ends at 0x69 */
		{40, 0x24, 0x68, -EBADMSG},	  /* starts at the end */
		{40, 0x24, 0xffffffff, -EBADMSG}, /* u32 + len would wrap */
		{40, 0x24, 0xffffffe0, -EBADMSG}, /* wraps to a small value */
		{40, 0x24, 0x00, -EBADMSG},	  /* inside the header */
		{40, 0x24, 0x2f, -EBADMSG},	  /* overlaps the header */
		{40, 0xffff, 0x44, -EBADMSG},	  /* length past the end */
		{12, 0x0c, 0x5d, -EBADMSG},	  /* name past the end */
		{12, 0x0c, 0xfffffffc, -EBADMSG}, /* name offset wraps */
		{12, 0x00, 0xffffffff, 0},	  /* empty: offset ignored */
		{40, 0x00, 0xffffffff, 0},	  /* no TargetInfo at all */
		{12, 0x0c, 0x5c, 0},		  /* the last 12 bytes */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t buf[0x68];
		struct ntlmssp_challenge c;
		int ret;

		spec_challenge(buf, sizeof(buf));
		le16_put(buf + rows[i].field, rows[i].len);
		le16_put(buf + rows[i].field + 2, rows[i].len);
		le32_put(buf + rows[i].field + 4, rows[i].off);
		ret = ntlmssp_challenge_decode(buf, sizeof(buf), &c);
		if (ret != rows[i].ret)
			fprintf(stderr, "row %zu\n", i);
		T_EXPECT_EQ(ret, rows[i].ret);
	}
}

/*
 * Build a CHALLENGE with the given flags and TargetInfo bytes (TargetName
 * "Server"). Returns the length.
 */
static size_t build_challenge(uint8_t *buf, size_t cap, uint32_t flags,
			      const uint8_t *ti, size_t ti_len)
{
	static const uint8_t name[12] = "S\0e\0r\0v\0e\0r";
	size_t len = 56 + sizeof(name) + ti_len;

	T_ASSERT(len <= cap);
	memset(buf, 0, len);
	memcpy(buf, "NTLMSSP\0", 8);
	le32_put(buf + 8, 2);
	le16_put(buf + 12, sizeof(name));
	le16_put(buf + 14, sizeof(name));
	le32_put(buf + 16, 56);
	le32_put(buf + 20, flags);
	memcpy(buf + 24, server_chal, 8);
	le16_put(buf + 40, (uint16_t)ti_len);
	le16_put(buf + 42, (uint16_t)ti_len);
	le32_put(buf + 44, (uint32_t)(56 + sizeof(name)));
	memcpy(buf + 48, "\x06\x01\xb1\x1d\0\0\0\x0f", 8);
	memcpy(buf + 56, name, sizeof(name));
	memcpy(buf + 56 + sizeof(name), ti, ti_len);
	return len;
}

static int decode_ti(const char *ti_hex, struct ntlmssp_challenge *c,
		     uint8_t *buf, size_t cap)
{
	uint8_t ti[256];
	size_t ti_len = t_unhex(ti_hex, ti, sizeof(ti));
	size_t len = build_challenge(buf, cap, 0xe28a8233u, ti, ti_len);

	return ntlmssp_challenge_decode(buf, len, c);
}

static void test_challenge_av_walk(void)
{
	static const struct {
		const char *ti;
		int ret;
		const char *why;
	} rows[] = {
		{"00000000", 0, "EOL only"},
		{"", 0, "no TargetInfo"},
		{"01000200 4100 00", -EBADMSG, "pair, 1 stray byte, no EOL"},
		{"010002004100", -EBADMSG, "pair, no EOL"},
		{"01000400 4100", -EBADMSG, "AvLen 4 but 2 bytes left"},
		{"0100ffff 41000000", -EBADMSG, "AvLen 0xffff"},
		{"000001 00 00", -EBADMSG, "EOL with AvLen 1"},
		{"000000", -EBADMSG, "3-byte EOL"},
		{"0700 0800 0000000000000000 0700 0800 0100000000000000"
		 " 00000000",
		 -EBADMSG, "duplicate MsvAvTimestamp"},
		{"0700 0400 00000000 00000000", -EBADMSG,
		 "MsvAvTimestamp of 4 bytes"},
		{"0600 0800 0000000000000000 00000000", -EBADMSG,
		 "MsvAvFlags of 8 bytes"},
		{"0600 0400 01000000 0600 0400 01000000 00000000", -EBADMSG,
		 "duplicate MsvAvFlags"},
		{"0100 0000 0100 0000 00000000", 0,
		 "duplicate empty names are opaque"},
		{"ffff 0200 4142 00000000 deadbeef", 0,
		 "unknown AvId kept; bytes after EOL ignored"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t buf[512];
		struct ntlmssp_challenge c;
		int ret = decode_ti(rows[i].ti, &c, buf, sizeof(buf));

		if (ret != rows[i].ret)
			fprintf(stderr, "row %zu: %s\n", i, rows[i].why);
		T_EXPECT_EQ(ret, rows[i].ret);
	}
}

static void test_challenge_av_values(void)
{
	uint8_t buf[512];
	struct ntlmssp_challenge c;

	T_EXPECT_EQ(decode_ti("0700 0800 0807060504030201 0600 0400 01000000"
			      " 00000000 ffffffff",
			      &c, buf, sizeof(buf)),
		    0);
	T_EXPECT(c.has_timestamp);
	T_EXPECT_EQ(c.timestamp, 0x0102030405060708ull);
	T_EXPECT(c.has_av_flags);
	T_EXPECT_EQ(c.av_flags, 1);
	T_EXPECT_EQ(c.target_info_len, 12 + 8 + 4); /* through EOL */
}

/* ---- round trip, verified as a server would ------------------------------ */

struct auth_fields {
	const uint8_t *lm, *nt, *dom, *user, *ws, *ek;
	size_t lm_len, nt_len, dom_len, user_len, ws_len, ek_len;
	uint32_t flags;
};

static int get_field(const uint8_t *m, size_t len, size_t at, const uint8_t **p,
		     size_t *n)
{
	uint16_t l = le16_get(m + at);
	uint32_t off = le32_get(m + at + 4);

	if (le16_get(m + at + 2) != l || (uint64_t)off + l > len)
		return -1;
	*p = m + off;
	*n = l;
	return 0;
}

static void parse_auth(const uint8_t *m, size_t len, struct auth_fields *a)
{
	T_ASSERT(len >= 72 && memcmp(m, "NTLMSSP\0", 8) == 0);
	T_ASSERT(le32_get(m + 8) == 3);
	T_ASSERT(get_field(m, len, 12, &a->lm, &a->lm_len) == 0);
	T_ASSERT(get_field(m, len, 20, &a->nt, &a->nt_len) == 0);
	T_ASSERT(get_field(m, len, 28, &a->dom, &a->dom_len) == 0);
	T_ASSERT(get_field(m, len, 36, &a->user, &a->user_len) == 0);
	T_ASSERT(get_field(m, len, 44, &a->ws, &a->ws_len) == 0);
	T_ASSERT(get_field(m, len, 52, &a->ek, &a->ek_len) == 0);
	a->flags = le32_get(m + 60);
}

/* Find an AV pair in a blob's AvPairs; returns its value or NULL. */
static const uint8_t *find_av(const uint8_t *p, size_t len, uint16_t id,
			      size_t *vlen)
{
	size_t pos = 0;

	while (pos + 4 <= len) {
		uint16_t aid = le16_get(p + pos), alen = le16_get(p + pos + 2);

		if (pos + 4 + alen > len)
			return NULL;
		if (aid == id) {
			*vlen = alen;
			return p + pos + 4;
		}
		if (aid == MSV_AV_EOL)
			return NULL;
		pos += 4 + (size_t)alen;
	}
	return NULL;
}

static void roundtrip(const char *ti_hex, uint32_t server_flags,
		      bool expect_mic, uint32_t expect_av_flags)
{
	uint8_t chal[512], neg[64], out[1024], ti[256], mic[16], zero[24];
	uint8_t nt[16], key[16], proof[16], sbk[16], exported[16], got[16];
	uint8_t zmic[1024];
	struct ntlmssp_challenge c;
	struct auth_fields a;
	struct ntlmssp_ctx ctx;
	size_t chal_len, n, neg_len, ti_len, vlen;
	const uint8_t *v;

	memset(zero, 0, sizeof(zero));
	ti_len = t_unhex(ti_hex, ti, sizeof(ti));
	chal_len =
		build_challenge(chal, sizeof(chal), server_flags, ti, ti_len);
	T_ASSERT(ntlmssp_ctx_init(&ctx, "alice", "Wonderland", "s3cr\xc3\xa9t",
				  "HOST") == 0);
	ntlmssp_ctx_set_test_values(&ctx, client_chal, 0x1122334455667788ull,
				    random_key);
	T_ASSERT(ntlmssp_negotiate_encode(&ctx, neg, sizeof(neg), &neg_len) ==
		 0);
	T_ASSERT(ntlmssp_challenge_decode(chal, chal_len, &c) == 0);
	T_ASSERT(ntlmssp_authenticate_encode(&ctx, &c, out, sizeof(out), &n) ==
		 0);
	parse_auth(out, n, &a);

	/* Client-only bits (REQUEST_TARGET, NTLM, VERSION) always stay. */
	T_EXPECT_EQ(a.flags,
		    NTLMSSP_CLIENT_FLAGS & (server_flags | 0x02000204u));
	T_EXPECT(a.user_len == 10 &&
		 memcmp(a.user, "a\0l\0i\0c\0e\0", 10) == 0);
	T_EXPECT_EQ(a.dom_len, 20);
	T_EXPECT(a.ws_len == 8 && memcmp(a.ws, "H\0O\0S\0T\0", 8) == 0);
	T_EXPECT_EQ(a.lm_len, 24);
	/* With a server timestamp: Z(24) LM response and a MIC. */
	T_EXPECT_EQ(memcmp(a.lm, zero, 24) == 0, expect_mic);
	T_EXPECT_EQ(a.dom - out, expect_mic ? 88 : 72);

	/* Server side: recompute NTProofStr from the blob we sent. */
	T_ASSERT(a.nt_len > 16 + 28 + 4);
	T_EXPECT_EQ(a.nt[16], 1);
	T_EXPECT_EQ(a.nt[17], 1);
	T_EXPECT(memcmp(a.nt + 32, client_chal, 8) == 0);
	T_EXPECT(memcmp(a.nt + a.nt_len - 4, zero, 4) == 0); /* Z(4) */
	v = find_av(a.nt + 44, a.nt_len - 44, MSV_AV_TIMESTAMP, &vlen);
	if (c.has_timestamp) {
		T_EXPECT(v && vlen == 8 && le64_get(v) == c.timestamp);
		T_EXPECT_EQ(le64_get(a.nt + 24), c.timestamp);
	} else {
		T_EXPECT_EQ(le64_get(a.nt + 24), 0x1122334455667788ull);
	}
	v = find_av(a.nt + 44, a.nt_len - 44, MSV_AV_FLAGS, &vlen);
	if (expect_av_flags) {
		T_EXPECT(v && vlen == 4 && le32_get(v) == expect_av_flags);
	} else {
		T_EXPECT(v == NULL);
	}
	T_EXPECT_EQ(ntlm_nt_hash("s3cr\xc3\xa9t", nt), 0);
	T_EXPECT_EQ(ntlm_ntowfv2(nt, a.user, a.user_len, a.dom, a.dom_len, key),
		    0);
	T_EXPECT_EQ(ntlm_ntproofstr(key, server_chal, a.nt + 16, a.nt_len - 16,
				    proof),
		    0);
	T_EXPECT(memcmp(proof, a.nt, 16) == 0);
	T_EXPECT_EQ(ntlm_session_base_key(key, proof, sbk), 0);

	/* Key exchange: decrypt what we sent. */
	if (server_flags & NTLMSSP_NEGOTIATE_KEY_EXCH) {
		T_ASSERT(a.ek_len == 16);
		T_EXPECT_EQ(ntlm_rc4(sbk, a.ek, 16, exported), 0);
		T_EXPECT(memcmp(exported, random_key, 16) == 0);
	} else {
		T_EXPECT_EQ(a.ek_len, 0);
		memcpy(exported, sbk, 16);
	}
	T_EXPECT_EQ(ntlmssp_session_key(&ctx, got), 0);
	T_EXPECT(memcmp(got, exported, 16) == 0);

	/* MIC over NEGOTIATE || CHALLENGE || AUTHENTICATE(MIC zeroed). */
	if (expect_mic) {
		memcpy(zmic, out, n);
		memset(zmic + 72, 0, 16);
		T_EXPECT_EQ(ntlm_mic(exported, neg, neg_len, chal, chal_len,
				     zmic, n, mic),
			    0);
		T_EXPECT(memcmp(out + 72, mic, 16) == 0);
	}
	ntlmssp_ctx_release(&ctx);
}

static void test_roundtrip(void)
{
	/* Timestamp, no MsvAvFlags from the server: we add MIC-present. */
	roundtrip("01000400 5300 5600 0700 0800 00c0b0a090807060 00000000",
		  0xe28a8233u, true, MSV_AV_FLAG_MIC_PRESENT);
	/* Timestamp and MsvAvFlags=1 (constrained): we OR in MIC-present. */
	roundtrip("0600 0400 01000000 0700 0800 0102030405060708 00000000",
		  0xe28a8233u, true, 1 | MSV_AV_FLAG_MIC_PRESENT);
	/* No timestamp: LMv2, no MIC, MsvAvFlags echoed untouched. */
	roundtrip("0600 0400 01000000 00000000", 0xe28a8233u, false, 1);
	/* No KEY_EXCH, no SEAL: exported key is the SessionBaseKey. */
	roundtrip("0700 0800 0102030405060708 00000000", 0x22888215u, true,
		  MSV_AV_FLAG_MIC_PRESENT);
	/* No TargetInfo at all. */
	roundtrip("", 0xe28a8233u, false, 0);
}

static void test_auth_refusals(void)
{
	uint8_t chal[256], neg[64], out[512];
	struct ntlmssp_challenge c;
	struct ntlmssp_ctx ctx;
	size_t len, n;

	/* OEM-only server. */
	len = build_challenge(chal, sizeof(chal), 0xe28a8232u,
			      (const uint8_t *)"\0\0\0", 4);
	T_ASSERT(ntlmssp_ctx_init(&ctx, "u", "d", "p", NULL) == 0);
	T_ASSERT(ntlmssp_negotiate_encode(&ctx, neg, sizeof(neg), &n) == 0);
	T_ASSERT(ntlmssp_challenge_decode(chal, len, &c) == 0);
	T_EXPECT_EQ(ntlmssp_authenticate_encode(&ctx, &c, out, sizeof(out), &n),
		    -EOPNOTSUPP);
	T_EXPECT_EQ(
		ntlmssp_authenticate_encode(&ctx, NULL, out, sizeof(out), &n),
		-EINVAL);
	ntlmssp_ctx_release(&ctx);
}

/* A TargetInfo near 64 KiB would overflow the 16-bit NtChallengeResponse
 * length: refused instead of truncated. */
static void test_auth_oversized_target_info(void)
{
	size_t ti_len = 0xffff - 56 - 12 - 3, len, n;
	uint8_t *chal = calloc(1, 0x10000), *ti = calloc(1, ti_len);
	uint8_t *out = malloc(0x20000), neg[64];
	struct ntlmssp_challenge c;
	struct ntlmssp_ctx ctx;

	T_ASSERT(chal && ti && out);
	/* One big opaque pair, then EOL, then 3 spare bytes. */
	le16_put(ti, MSV_AV_DNS_TREE_NAME);
	le16_put(ti + 2, (uint16_t)(ti_len - 8 - 3));
	len = build_challenge(chal, 0x10000, 0xe28a8233u, ti, ti_len);
	T_ASSERT(ntlmssp_challenge_decode(chal, len, &c) == 0);
	T_ASSERT(ntlmssp_ctx_init(&ctx, "u", "d", "p", NULL) == 0);
	T_ASSERT(ntlmssp_negotiate_encode(&ctx, neg, sizeof(neg), &n) == 0);
	T_EXPECT_EQ(ntlmssp_authenticate_encode(&ctx, &c, out, 0x20000, &n),
		    -EBADMSG);
	ntlmssp_ctx_release(&ctx);
	free(out);
	free(ti);
	free(chal);
}

int main(void)
{
	int ret = ntlm_crypto_init();

	if (ret == -ENOPKG)
		return t_skip("OpenSSL legacy provider (MD4/RC4) unavailable");
	T_ASSERT(ret == 0);
	T_RUN(test_md4_rfc1320);
	T_RUN(test_hmac_md5_rfc2202);
	T_RUN(test_rc4_roundtrip);
	T_RUN(test_nlmp_ntlmv2_keys);
	T_RUN(test_nlmp_challenge_decode);
	T_RUN(test_nlmp_authenticate_message);
	T_RUN(test_negotiate_message);
	T_RUN(test_ctx_init_args);
	T_RUN(test_release_wipes);
	T_RUN(test_challenge_truncated);
	T_RUN(test_challenge_bad_header);
	T_RUN(test_challenge_bad_spans);
	T_RUN(test_challenge_av_walk);
	T_RUN(test_challenge_av_values);
	T_RUN(test_roundtrip);
	T_RUN(test_auth_refusals);
	T_RUN(test_auth_oversized_target_info);
	return t_done();
}
