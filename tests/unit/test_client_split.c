// SPDX-License-Identifier: MIT
/*
 * The READ/WRITE splitter without a server (src/client/split.c): every
 * iterator type is carved into credit-sized views, all views are carved
 * before any is used (as when they are all in flight together), filled or
 * drained in reverse order (completions arrive in any order), and the
 * memory the caller's iterator describes must end up exactly right.
 * DESIGN.md §2 pitfall: the kernel's limiter only understood BVEC.
 */
#include "client/split.h"
#include "conv_fixture.h"

#include <errno.h>

#define MAX_SUBS 1024

static struct fx fx;
static struct smb_subreq subs[MAX_SUBS];

static void test_credit_charge(void)
{
	T_EXPECT_EQ(smb_credit_charge(0), 1);
	T_EXPECT_EQ(smb_credit_charge(1), 1);
	T_EXPECT_EQ(smb_credit_charge(65536), 1);
	T_EXPECT_EQ(smb_credit_charge(65537), 2);
	T_EXPECT_EQ(smb_credit_charge(8 << 20), 128);
	T_EXPECT_EQ(smb_credit_charge((8 << 20) + 1), 129);
}

/* Carve the whole fixture iterator; returns the number of pieces. */
static size_t carve(size_t max_chunk, size_t budget)
{
	struct smb_split s;
	size_t n = 0, sum = 0, len;
	uint64_t off = 1000;

	smb_split_init(&s, &fx.it, off, max_chunk);
	while ((len = smb_split_next(&s, budget, &subs[n])) != 0) {
		T_ASSERT(n + 1 < MAX_SUBS);
		T_EXPECT_EQ(subs[n].offset, off + sum);
		T_EXPECT_EQ(smbiov_iter_count(&subs[n].iter), len);
		T_EXPECT(len <= max_chunk || max_chunk == 0);
		if (budget)
			T_EXPECT(len <= budget);
		T_EXPECT_EQ(subs[n].charge, smb_credit_charge(len));
		sum += len;
		n++;
	}
	T_EXPECT_EQ(sum, fx.len);
	T_EXPECT_EQ(smbiov_iter_count(&s.rest), 0);
	/* The caller's iterator itself is not consumed by carving. */
	T_EXPECT_EQ(smbiov_iter_count(&fx.it), fx.len);
	return n;
}

/* Wipe what the fixture iterator describes (through its own spans). */
static void wipe(void)
{
	for (size_t e = 0; e < fx.nexp; e++)
		memset((void *)fx.exp[e].addr, 0xEE, fx.exp[e].len);
}

static const struct {
	size_t max_chunk, budget;
} shapes[] = {
	{65536, 0},	    /* one credit per piece */
	{3 * 65536, 0},	    /* multi-credit pieces */
	{8 << 20, 0},	    /* one piece holds it all */
	{8 << 20, 131072},  /* credits, not MaxReadSize, limit */
	{4096 + 7, 0},	    /* odd small chunk: pieces cross segments */
	{100000, 0},	    /* rounded down to whole credits inside */
	{65536 * 2, 65536}, /* budget below max */
};

static void test_dest_every_type(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		for (size_t row = 0; row < fx_nrows(kind); row++) {
			for (size_t sh = 0;
			     sh < sizeof(shapes) / sizeof(*shapes); sh++) {
				size_t n, k;

				T_ASSERT(fx_build(&fx, kind, row,
						  SMBIOV_ITER_DEST) == 0);
				wipe();
				n = carve(shapes[sh].max_chunk,
					  shapes[sh].budget);
				/* Completions in reverse order. */
				for (k = n; k-- > 0;) {
					size_t at = subs[k].offset - 1000;
					size_t got = smbiov_copy_to_iter(
						fx.bytes + at, subs[k].len,
						&subs[k].iter);

					T_EXPECT_EQ(got, subs[k].len);
					T_EXPECT_EQ(smbiov_iter_count(
							    &subs[k].iter),
						    0);
				}
				struct fx_ent *ents =
					malloc(sizeof(*ents) * (fx.nexp + 1));
				T_ASSERT(ents);
				for (k = 0; k < fx.nexp; k++)
					ents[k] = (struct fx_ent){
						fx.exp[k].addr, fx.exp[k].len};
				if (!fx_check_ents(&fx, ents, fx.nexp, 0,
						   fx.len)) {
					fprintf(stderr,
						"%s row %zu shape %zu: wrong\n",
						fx_kind_name[kind], row, sh);
					T_EXPECT(0);
				}
				free(ents);
				/* Restore the pattern for the next case. */
				{
					struct smbiov_iter w = fx.it;

					smbiov_copy_to_iter(fx.bytes, fx.len,
							    &w);
				}
			}
		}
	}
}

static void test_source_every_type(void)
{
	uint8_t *flat = malloc(FX_BUFSIZE);

	T_ASSERT(flat);
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		for (size_t row = 0; row < fx_nrows(kind); row++) {
			for (size_t sh = 0;
			     sh < sizeof(shapes) / sizeof(*shapes); sh++) {
				size_t n, k;

				T_ASSERT(fx_build(&fx, kind, row,
						  SMBIOV_ITER_SOURCE) == 0);
				memset(flat, 0, fx.len);
				n = carve(shapes[sh].max_chunk,
					  shapes[sh].budget);
				for (k = n; k-- > 0;) {
					size_t at = subs[k].offset - 1000;

					T_EXPECT_EQ(smbiov_copy_from_iter(
							    flat + at,
							    subs[k].len,
							    &subs[k].iter),
						    subs[k].len);
				}
				T_EXPECT(memcmp(flat, fx.bytes, fx.len) == 0);
			}
		}
	}
	free(flat);
}

/* Interior pieces are whole credits; only the last may be partial. */
static void test_whole_credits(void)
{
	static uint8_t buf[1000000];
	struct smbiov_iter it;
	struct smb_split s;
	struct smb_subreq sub;
	size_t len, left = sizeof(buf);

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	smb_split_init(&s, &it, 0, 300000);
	while ((len = smb_split_next(&s, 0, &sub)) != 0) {
		left -= len;
		if (left)
			T_EXPECT_EQ(len % SMB_CREDIT_BYTES, 0);
		T_EXPECT_EQ((uint8_t *)sub.iter.ubuf + sub.iter.iov_offset,
			    buf + sub.offset);
	}
	T_EXPECT_EQ(left, 0);

	/* An empty request carves nothing. */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, 0) == 0);
	smb_split_init(&s, &it, 0, 65536);
	T_EXPECT_EQ(smb_split_next(&s, 0, &sub), 0);
}

static void test_collect(void)
{
	struct smb_subreq r[4] = {
		{.len = 100, .result = 100},
		{.len = 100, .result = 100},
		{.len = 100, .result = 100},
		{.len = 50, .result = 50},
	};

	T_EXPECT_EQ(smb_split_collect(r, 4), 350);
	/* EOF inside piece 1: piece 2's and 3's bytes are not counted. */
	r[1].result = 30;
	T_EXPECT_EQ(smb_split_collect(r, 4), 130);
	/* An error after the short piece is beyond EOF: ignored. */
	r[2].result = -EIO;
	T_EXPECT_EQ(smb_split_collect(r, 4), 130);
	/* An error before it fails the request. */
	r[1].result = 100;
	T_EXPECT_EQ(smb_split_collect(r, 4), -EIO);
	r[0].result = 0;
	T_EXPECT_EQ(smb_split_collect(r, 4), 0);
	T_EXPECT_EQ(smb_split_collect(r, 0), 0);
}

int main(void)
{
	fx_init(&fx);
	T_RUN(test_credit_charge);
	T_RUN(test_dest_every_type);
	T_RUN(test_source_every_type);
	T_RUN(test_whole_credits);
	T_RUN(test_collect);
	fx_fini(&fx);
	return t_done();
}
