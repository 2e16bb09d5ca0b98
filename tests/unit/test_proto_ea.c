// SPDX-License-Identifier: MIT
/*
 * Extended attributes (proto/ea.c): FILE_FULL_EA_INFORMATION and
 * FILE_GET_EA_INFORMATION (MS-FSCC 2.4.15, 2.4.15.1) encoded at their
 * limits (255-byte names, 65535-byte values) and decoded from malformed
 * server replies: entries past the buffer, a missing name terminator, a
 * NUL inside a name, a NextEntryOffset that points back, into the entry
 * itself, past the end, or leaves no room for the next fixed part.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ea.h"
#include "proto/le.h"
#include "t.h"

static void test_name_ok(void)
{
	char n[300];

	memset(n, 'a', sizeof(n));
	T_EXPECT(smb2_ea_name_ok("a", 1));
	T_EXPECT(smb2_ea_name_ok(n, 255));
	T_EXPECT(!smb2_ea_name_ok(n, 256));
	T_EXPECT(!smb2_ea_name_ok(n, 0));
	T_EXPECT(!smb2_ea_name_ok("a\0b", 3));
	T_EXPECT(!smb2_ea_name_ok(NULL, 1));
}

static void test_full_ea_encode(void)
{
	/* clang-format off */
	static const uint8_t want[] = {
		0, 0, 0, 0,	/* NextEntryOffset: the only one */
		0,		/* Flags */
		3,		/* EaNameLength */
		2, 0,		/* EaValueLength */
		'F', 'o', 'o', 0, /* name and its NUL */
		'h', 'i',
	};
	/* clang-format on */
	uint8_t *big = malloc(SMB2_FULL_EA_MAX + 1);
	uint8_t *val = malloc(65536);
	char name[256];
	uint8_t b[32];
	struct smb2_ea ea;
	size_t pos = 0;

	T_ASSERT(big && val);
	T_EXPECT_EQ(smb2_full_ea_encode(b, sizeof(b), "Foo", 3, "hi", 2), 14);
	T_EXPECT(memcmp(b, want, sizeof(want)) == 0);
	/* an empty value: the entry that removes the EA */
	T_EXPECT_EQ(smb2_full_ea_encode(b, sizeof(b), "Foo", 3, NULL, 0), 12);
	T_EXPECT_EQ(le16_get(b + 6), 0);
	T_EXPECT_EQ(smb2_full_ea_encode(b, 11, "Foo", 3, NULL, 0), -ENOSPC);
	T_EXPECT_EQ(smb2_full_ea_encode(b, 32, "", 0, "x", 1), -EINVAL);
	T_EXPECT_EQ(smb2_full_ea_encode(b, 32, "a", 1, NULL, 1), -EINVAL);
	/* the limits: a 255-byte name, a 65535-byte value, and one past */
	memset(name, 'n', sizeof(name));
	memset(val, 'v', 65536);
	T_EXPECT_EQ(smb2_full_ea_encode(big, SMB2_FULL_EA_MAX, name, 255, val,
					65535),
		    SMB2_FULL_EA_MAX);
	T_ASSERT(smb2_full_ea_next(big, SMB2_FULL_EA_MAX, &pos, &ea) == 1);
	T_EXPECT_EQ(ea.name_len, 255);
	T_EXPECT_EQ(ea.value_len, 65535);
	T_EXPECT_EQ(pos, SMB2_FULL_EA_MAX);
	T_EXPECT_EQ(smb2_full_ea_encode(big, SMB2_FULL_EA_MAX + 1, name, 256,
					"x", 1),
		    -EINVAL);
	T_EXPECT_EQ(smb2_full_ea_encode(big, SMB2_FULL_EA_MAX + 1, name, 1, val,
					65536),
		    -E2BIG);
	free(val);
	free(big);
}

static void test_get_ea_encode(void)
{
	static const uint8_t want[] = {0, 0, 0, 0, 2, 'a', 'b', 0};
	uint8_t b[16];

	T_EXPECT_EQ(smb2_get_ea_encode(b, sizeof(b), "ab", 2), 8);
	T_EXPECT(memcmp(b, want, sizeof(want)) == 0);
	T_EXPECT_EQ(smb2_get_ea_encode(b, 7, "ab", 2), -ENOSPC);
	T_EXPECT_EQ(smb2_get_ea_encode(b, 16, "", 0), -EINVAL);
}

/* An entry at @p: @next, @name, @vlen bytes of 'v'; returns its size. */
static size_t put_ea(uint8_t *p, uint32_t next, const char *name, uint16_t vlen)
{
	size_t nl = strlen(name);

	le32_put(p, next);
	p[4] = 0;
	p[5] = (uint8_t)nl;
	le16_put(p + 6, vlen);
	memcpy(p + 8, name, nl + 1);
	memset(p + 8 + nl + 1, 'v', vlen);
	return 8 + nl + 1 + vlen;
}

static void test_chain(void)
{
	uint8_t b[128];
	struct smb2_ea ea;
	size_t pos = 0, len;

	/* three entries, 4-byte aligned as servers send them */
	put_ea(b, 16, "a", 3);	     /* 13 bytes, padded to 16 */
	put_ea(b + 16, 20, "bb", 0); /* empty value: no EA, still walked */
	len = 36 + put_ea(b + 36, 0, "ccc", 5);
	T_ASSERT(smb2_full_ea_next(b, len, &pos, &ea) == 1);
	T_EXPECT(ea.name_len == 1 && !memcmp(ea.name, "a", 2));
	T_EXPECT(ea.value_len == 3 && ea.value == b + 10);
	T_EXPECT_EQ(pos, 16);
	T_ASSERT(smb2_full_ea_next(b, len, &pos, &ea) == 1);
	T_EXPECT(ea.value_len == 0 && ea.value == NULL);
	T_ASSERT(smb2_full_ea_next(b, len, &pos, &ea) == 1);
	T_EXPECT(ea.name_len == 3 && ea.value_len == 5);
	T_EXPECT_EQ(pos, len);
	T_EXPECT_EQ(smb2_full_ea_next(b, len, &pos, &ea), 0);
	/* bytes after the last entry (NextEntryOffset 0) are ignored */
	pos = 36;
	T_EXPECT_EQ(smb2_full_ea_next(b, len + 7, &pos, &ea), 1);
	T_EXPECT_EQ(pos, len + 7);
	/* nothing at all */
	pos = 0;
	T_EXPECT_EQ(smb2_full_ea_next(NULL, 0, &pos, &ea), 0);
}

static void test_chain_bad(void)
{
	static const struct {
		uint32_t next;
		const char *name;
		uint16_t vlen;
		int cut;   /* bytes short of the entry */
		int patch; /* 1: no NUL after the name; 2: NUL inside */
		const char *why;
	} bad[] = {
		{0, "abc", 4, 1, 0, "value one byte past the buffer"},
		{0, "abc", 0, 1, 0, "name's NUL past the buffer"},
		{0, "abc", 4, 0, 1, "no NUL after the name"},
		{0, "abc", 4, 0, 2, "a NUL inside the name"},
		{4, "abc", 4, 0, 0, "next entry inside this one"},
		{12, "abc", 4, 0, 0, "next entry before this value ends"},
		{0xFFFFFFF0u, "abc", 4, 0, 0, "next entry past the buffer"},
		{16, "abc", 4, -4, 0, "no room for the next fixed part"},
	};
	uint8_t b[64];
	struct smb2_ea ea;
	size_t pos, len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(b, 0, sizeof(b));
		len = put_ea(b, bad[i].next, bad[i].name, bad[i].vlen);
		len -= (size_t)bad[i].cut;
		if (bad[i].patch == 1)
			b[8 + 3] = 'x';
		if (bad[i].patch == 2)
			b[9] = 0;
		pos = 0;
		if (smb2_full_ea_next(b, len, &pos, &ea) != -EBADMSG)
			fprintf(stderr, "accepted: %s\n", bad[i].why);
		pos = 0;
		T_EXPECT_EQ(smb2_full_ea_next(b, len, &pos, &ea), -EBADMSG);
		T_EXPECT_EQ(pos, 0);
	}
	/* a name length of 0 */
	len = put_ea(b, 0, "a", 1);
	b[5] = 0;
	pos = 0;
	T_EXPECT_EQ(smb2_full_ea_next(b, len, &pos, &ea), -EBADMSG);
	/* shorter than a fixed part, at the start and after an entry */
	for (len = 1; len < 8; len++) {
		pos = 0;
		T_EXPECT_EQ(smb2_full_ea_next(b, len, &pos, &ea), -EBADMSG);
	}
	put_ea(b, 12, "a", 2); /* 12: room for 8 more, then only 4 */
	pos = 0;
	T_EXPECT_EQ(smb2_full_ea_next(b, 20, &pos, &ea), 1);
	T_EXPECT_EQ(smb2_full_ea_next(b, 20, &pos, &ea), -EBADMSG);
}

int main(void)
{
	T_RUN(test_name_ok);
	T_RUN(test_full_ea_encode);
	T_RUN(test_get_ea_encode);
	T_RUN(test_chain);
	T_RUN(test_chain_bad);
	return t_done();
}
