/* SPDX-License-Identifier: MIT */
/*
 * Compound chains: building with smb2_compound_link() and walking with
 * smb2_compound_next(), including every malformed-chain class (bug class
 * 3): unaligned, short/backwards, past the end, too many elements.
 */
#include <errno.h>

#include "proto/le.h"
#include "proto/smb2.h"
#include "t.h"

/* Build @n elements of @lens bytes each into @buf, linked and padded. */
static size_t build(uint8_t *buf, const size_t *lens, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		struct smb2_hdr h;

		smb2_hdr_init_req(&h, SMB2_ECHO, i, 1, 1);
		if (i)
			h.flags = SMB2_FLAGS_RELATED_OPERATIONS;
		memset(buf + off, 0, lens[i]);
		smb2_hdr_encode(buf + off, &h);
		if (i + 1 < n) {
			int pad = smb2_compound_link(buf + off, lens[i]);

			T_ASSERT(pad >= 0 && pad < 8);
			memset(buf + off + lens[i], 0, (size_t)pad);
			off += lens[i] + (size_t)pad;
		} else {
			off += lens[i];
		}
	}
	return off;
}

static void test_walk(void)
{
	static const size_t lens[] = {68, 64, 101};
	uint8_t buf[512];
	struct smb2_compound_iter it;
	size_t total = build(buf, lens, 3), off, len;

	T_EXPECT_EQ(total, 72 + 64 + 101);
	smb2_compound_iter_init(&it, buf, total, 0);
	T_ASSERT(smb2_compound_next(&it, &off, &len) == 1);
	T_EXPECT_EQ(off, 0);
	T_EXPECT_EQ(len, 72);
	T_ASSERT(smb2_compound_next(&it, &off, &len) == 1);
	T_EXPECT_EQ(off, 72);
	T_EXPECT_EQ(len, 64);
	T_ASSERT(smb2_compound_next(&it, &off, &len) == 1);
	T_EXPECT_EQ(off, 136);
	T_EXPECT_EQ(len, 101);
	T_EXPECT_EQ(smb2_compound_next(&it, &off, &len), 0);
	T_EXPECT_EQ(smb2_compound_next(&it, &off, &len), 0);

	/* A single, unchained message. */
	smb2_compound_iter_init(&it, buf + 136, 101, 0);
	T_EXPECT_EQ(smb2_compound_next(&it, &off, &len), 1);
	T_EXPECT_EQ(len, 101);
	T_EXPECT_EQ(smb2_compound_next(&it, &off, &len), 0);
}

static int walk_all(const uint8_t *buf, size_t n, unsigned int max)
{
	struct smb2_compound_iter it;
	size_t off, len;
	int ret, count = 0;

	smb2_compound_iter_init(&it, buf, n, max);
	while ((ret = smb2_compound_next(&it, &off, &len)) == 1) {
		T_ASSERT(off + len <= n && len >= SMB2_HDR_SIZE);
		count++;
	}
	return ret < 0 ? ret : count;
}

static void set_next(uint8_t *hdr, uint32_t v)
{
	le32_put(hdr + SMB2_HDR_NEXT_COMMAND_OFF, v);
}

static void test_bad_chains(void)
{
	static const size_t lens[] = {72, 72, 72};
	uint8_t buf[512];
	size_t total = build(buf, lens, 3);

	T_EXPECT_EQ(walk_all(buf, total, 0), 3);
	/* Truncation at every length before the end. */
	for (size_t k = 0; k < total; k++) {
		int r = walk_all(buf, k, 0);

		T_EXPECT(r < 0 || (k >= 144 + 64 && r == 3));
	}
	/* Unaligned. */
	set_next(buf, 76);
	T_EXPECT_EQ(walk_all(buf, total, 0), -EBADMSG);
	/* Shorter than a header, including 8 (would loop into itself). */
	set_next(buf, 8);
	T_EXPECT_EQ(walk_all(buf, total, 0), -EBADMSG);
	set_next(buf, 56);
	T_EXPECT_EQ(walk_all(buf, total, 0), -EBADMSG);
	/* "Backwards" as a 32-bit wrap: 0xFFFFFFB8 == -72. */
	set_next(buf, 0xFFFFFFB8u);
	T_EXPECT_EQ(walk_all(buf, total, 0), -EBADMSG);
	/* Past the end, and leaving less than a header. */
	set_next(buf, (uint32_t)total + 8);
	T_EXPECT_EQ(walk_all(buf, total, 0), -EBADMSG);
	set_next(buf, (uint32_t)total);
	T_EXPECT_EQ(walk_all(buf, total, 0), -EBADMSG);
	set_next(buf, 72);
	/* Last element points 8 past itself but nothing follows. */
	set_next(buf + 144, 72);
	T_EXPECT_EQ(walk_all(buf, total, 0), -EBADMSG);
	set_next(buf + 144, 0);
	/* Bad ProtocolId in a later element. */
	buf[72] = 0xFD;
	T_EXPECT_EQ(walk_all(buf, total, 0), -EBADMSG);
	buf[72] = 0xFE;
	T_EXPECT_EQ(walk_all(buf, total, 0), 3);
	/* Element bound: 3 elements with a limit of 2. */
	T_EXPECT_EQ(walk_all(buf, total, 2), -E2BIG);
	T_EXPECT_EQ(walk_all(buf, total, 3), 3);
	T_EXPECT_EQ(walk_all(NULL, 0, 0), -EBADMSG);
}

static void test_many_elements(void)
{
	static uint8_t buf[(SMB2_COMPOUND_MAX_ELEMS + 2) * 64];
	size_t lens[SMB2_COMPOUND_MAX_ELEMS + 2];

	for (size_t i = 0; i < SMB2_COMPOUND_MAX_ELEMS + 2; i++)
		lens[i] = 64;
	/* An OPLOCK_BREAK-style flood: one more than the default bound. */
	T_EXPECT_EQ(
		walk_all(buf, build(buf, lens, SMB2_COMPOUND_MAX_ELEMS + 1), 0),
		-E2BIG);
	T_EXPECT_EQ(walk_all(buf, build(buf, lens, SMB2_COMPOUND_MAX_ELEMS), 0),
		    SMB2_COMPOUND_MAX_ELEMS);
}

static void test_link(void)
{
	uint8_t h[64] = {0};

	T_EXPECT_EQ(smb2_compound_pad(64), 0);
	T_EXPECT_EQ(smb2_compound_pad(65), 7);
	T_EXPECT_EQ(smb2_compound_pad(71), 1);
	T_EXPECT_EQ(smb2_compound_link(h, 99), 5);
	T_EXPECT_EQ(le32_get(h + SMB2_HDR_NEXT_COMMAND_OFF), 104);
	T_EXPECT_EQ(smb2_compound_link(h, 63), -EINVAL);
	T_EXPECT_EQ(smb2_compound_link(h, (size_t)UINT32_MAX), -EINVAL);
	T_EXPECT_EQ(smb2_compound_link(NULL, 64), -EINVAL);
}

/*
 * The streaming step sees only the next header and how much of the
 * message is left: it must bound each element exactly as the walk does.
 */
static void test_step(void)
{
	static const size_t lens[] = {100, 64, 80};
	uint8_t buf[512];
	size_t total = build(buf, lens, 3), off = 0, elen = 0, n = 0;
	uint8_t h[64];
	int ret;

	/* Walk using only a 64-byte copy of each header, as a receiver does. */
	do {
		memcpy(h, buf + off, sizeof(h));
		ret = smb2_compound_step(h, sizeof(h), total - off, &elen);
		T_ASSERT(ret >= 0);
		T_EXPECT(elen >= 64 && elen <= total - off);
		off += elen;
		n++;
	} while (ret == 1);
	T_EXPECT_EQ(n, 3);
	T_EXPECT_EQ(off, total);
	/* 100 bytes padded to 104: NextCommand of the first element. */
	T_EXPECT_EQ(smb2_compound_step(buf, 64, total, &elen), 1);
	T_EXPECT_EQ(elen, 104);
	/* Last element: the rest of the message, whatever its length. */
	T_EXPECT_EQ(smb2_compound_step(buf + 168, 64, 99, &elen), 0);
	T_EXPECT_EQ(elen, 99);
	/* Too little left for the header itself, or too little header. */
	T_EXPECT_EQ(smb2_compound_step(buf, 64, 63, &elen), -EBADMSG);
	T_EXPECT_EQ(smb2_compound_step(buf, 63, total, &elen), -EBADMSG);
	T_EXPECT_EQ(smb2_compound_step(NULL, 64, total, &elen), -EBADMSG);
	/* NextCommand past the message, or leaving less than a header. */
	T_EXPECT_EQ(smb2_compound_step(buf, 64, 104, &elen), -EBADMSG);
	T_EXPECT_EQ(smb2_compound_step(buf, 64, 104 + 63, &elen), -EBADMSG);
	T_EXPECT_EQ(smb2_compound_step(buf, 64, 104 + 64, &elen), 1);
	/* Unaligned, shorter than a header, zero-length loop guard. */
	memcpy(h, buf, 64);
	le32_put(h + SMB2_HDR_NEXT_COMMAND_OFF, 100);
	T_EXPECT_EQ(smb2_compound_step(h, 64, total, &elen), -EBADMSG);
	le32_put(h + SMB2_HDR_NEXT_COMMAND_OFF, 56);
	T_EXPECT_EQ(smb2_compound_step(h, 64, total, &elen), -EBADMSG);
	le32_put(h + SMB2_HDR_NEXT_COMMAND_OFF, 0xFFFFFFF8u);
	T_EXPECT_EQ(smb2_compound_step(h, 64, total, &elen), -EBADMSG);
	/* Not SMB2. */
	h[0] = 0xFD;
	le32_put(h + SMB2_HDR_NEXT_COMMAND_OFF, 0);
	T_EXPECT_EQ(smb2_compound_step(h, 64, total, &elen), -EBADMSG);
}

int main(void)
{
	T_RUN(test_walk);
	T_RUN(test_bad_chains);
	T_RUN(test_many_elements);
	T_RUN(test_link);
	T_RUN(test_step);
	return t_done();
}
