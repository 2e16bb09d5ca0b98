/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 <-> UTF-16LE: round trips across the 1-4 byte UTF-8 forms and
 * surrogate pairs, and every rejection (bug class 6).
 */
#include <errno.h>
#include <string.h>

#include "proto/utf16.h"
#include "t.h"

static void roundtrip(const char *s, size_t want16)
{
	uint8_t u[64];
	char back[64];
	size_t n16, n8;

	T_ASSERT(utf16_from_utf8(s, strlen(s), u, sizeof(u), &n16) == 0);
	T_EXPECT_EQ(n16, want16);
	T_ASSERT(utf16_from_utf8(s, strlen(s), NULL, 0, &n8) == 0);
	T_EXPECT_EQ(n8, want16);
	T_ASSERT(utf16_to_utf8(u, n16, back, sizeof(back), &n8) == 0);
	T_EXPECT_EQ(n8, strlen(s));
	T_EXPECT(memcmp(back, s, n8) == 0);
	/* Every smaller output buffer fails cleanly. */
	for (size_t k = 0; k < n16; k++)
		T_EXPECT_EQ(utf16_from_utf8(s, strlen(s), u, k, &n8), -ENOSPC);
	for (size_t k = 0; k < strlen(s); k++)
		T_EXPECT_EQ(utf16_to_utf8(u, n16, back, k, &n8), -ENOSPC);
}

static void test_roundtrip(void)
{
	size_t n;

	roundtrip("share", 10);
	roundtrip("\xC3\xA9", 2);	    /* U+00E9 */
	roundtrip("\xE2\x82\xAC", 2);	    /* U+20AC */
	roundtrip("\xEF\xBF\xBD", 2);	    /* U+FFFD */
	roundtrip("\xF0\x9F\x98\x80", 4);   /* U+1F600 */
	roundtrip("\xF4\x8F\xBF\xBF", 4);   /* U+10FFFF */
	roundtrip("a\xF0\x90\x80\x80z", 8); /* U+10000 */
	T_EXPECT_EQ(utf16_from_utf8("", 0, NULL, 0, &n), 0);
	T_EXPECT_EQ(n, 0);
}

static void test_bad_utf8(void)
{
	static const char *bad[] = {
		"\xC0\xAF",		/* overlong '/' */
		"\xE0\x80\xAF",		/* overlong '/' */
		"\xF0\x80\x80\xAF",	/* overlong '/' */
		"\xED\xA0\x80",		/* encoded surrogate U+D800 */
		"\xF4\x90\x80\x80",	/* U+110000 */
		"\xF8\x88\x80\x80\x80", /* 5-byte form */
		"\x80",			/* stray continuation */
		"\xE2\x82",		/* truncated */
		"\xC3(",		/* bad continuation */
	};
	uint8_t u[16];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EXPECT_EQ(utf16_from_utf8(bad[i], strlen(bad[i]), u,
					    sizeof(u), &n),
			    -EINVAL);
	T_EXPECT_EQ(utf16_from_utf8("a\0b", 3, u, sizeof(u), &n), -EINVAL);
}

static void test_bad_utf16(void)
{
	static const struct {
		uint8_t b[6];
		size_t len;
	} bad[] = {
		{{'a', 0, 'b'}, 3},		     /* odd length */
		{{'a'}, 1},			     /* odd length */
		{{0x00, 0xD8}, 2},		     /* lone high at end */
		{{0x00, 0xD8, 'a', 0}, 4},	     /* high + non-low */
		{{0x00, 0xD8, 0x00, 0xD8}, 4},	     /* high + high */
		{{0x00, 0xDC, 'a', 0}, 4},	     /* lone low */
		{{'a', 0, 0, 0}, 4},		     /* NUL */
		{{0x3D, 0xD8, 0x00, 0xDE, 0x00}, 5}, /* pair + odd byte */
	};
	char out[16];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EXPECT_EQ(utf16_to_utf8(bad[i].b, bad[i].len, out,
					  sizeof(out), &n),
			    -EBADMSG);
	T_EXPECT_EQ(utf16_to_utf8(NULL, 2, out, sizeof(out), &n), -EINVAL);
}

/* Exact code units, measuring, -ENOSPC with the size needed, rejects. */
static void test_from_utf8_known_units(void)
{
	uint8_t out[16];
	size_t n = 0;

	T_EXPECT_EQ(utf16_from_utf8("Ab", 2, out, sizeof(out), &n), 0);
	T_EXPECT_EQ(n, 4);
	T_EXPECT(memcmp(out, "\x41\x00\x62\x00", 4) == 0);
	/* U+00E9, U+20AC, U+1F600 (surrogate pair). */
	T_EXPECT_EQ(utf16_from_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
				    out, sizeof(out), &n),
		    0);
	T_EXPECT_EQ(n, 8);
	T_EXPECT(memcmp(out, "\xe9\x00\xac\x20\x3d\xd8\x00\xde", 8) == 0);
	/* Measuring only, and a too-small buffer. */
	T_EXPECT_EQ(utf16_from_utf8("abc", 3, NULL, 0, &n), 0);
	T_EXPECT_EQ(n, 6);
	T_EXPECT_EQ(utf16_from_utf8("abc", 3, out, 5, &n), -ENOSPC);
	T_EXPECT_EQ(n, 6);
	/* Refused: overlong '/', surrogate, > U+10FFFF, truncated, bare
	 * continuation, embedded NUL. */
	T_EXPECT_EQ(utf16_from_utf8("\xc0\xaf", 2, out, 16, &n), -EINVAL);
	T_EXPECT_EQ(utf16_from_utf8("\xed\xa0\x80", 3, out, 16, &n), -EINVAL);
	T_EXPECT_EQ(utf16_from_utf8("\xf4\x90\x80\x80", 4, out, 16, &n),
		    -EINVAL);
	T_EXPECT_EQ(utf16_from_utf8("\xe2\x82", 2, out, 16, &n), -EINVAL);
	T_EXPECT_EQ(utf16_from_utf8("\x80", 1, out, 16, &n), -EINVAL);
	T_EXPECT_EQ(utf16_from_utf8("a\0b", 3, out, 16, &n), -EINVAL);
}

int main(void)
{
	T_RUN(test_from_utf8_known_units);
	T_RUN(test_roundtrip);
	T_RUN(test_bad_utf8);
	T_RUN(test_bad_utf16);
	return t_done();
}
