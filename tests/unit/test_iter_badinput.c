// SPDX-License-Identifier: MIT
/*
 * Bad input gets a clear error, not a walk off the end of memory later:
 * constructors validate (iter.h: -EINVAL for a bad direction, a NULL array
 * with segments, a NULL base with a length, a count larger than the
 * segments; -EOVERFLOW for lengths past SMBIOV_MAX_RW_COUNT or size_t),
 * revert refuses to go past the start, extraction refuses maxpages 0 and
 * DISCARD. After every failure nothing may be left pinned.
 */
#include <smbiov/iter.h>
#include <smbiov/mem.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#define PG  SMBIOV_PAGE_SIZE
#define MAX SMBIOV_MAX_RW_COUNT

/* Never dereferenced: constructors must not touch the memory. */
static unsigned char dummy[64] __attribute__((aligned(4096)));

#define EXPECT_NO_PINS() T_EXPECT_EQ(smbiov_pins_outstanding(), 0)

/*
 * Segment lengths adding up past SMBIOV_MAX_RW_COUNT, or past SIZE_MAX
 * (which would wrap to a small total if summed naively), are -EOVERFLOW.
 */
static void test_count_overflow(void)
{
	struct smbiov_iter it;
	/* Each half fits; together they are 0x2000 past the limit. */
	struct iovec big[2] = {{dummy, MAX / 2 + 0x1000},
			       {dummy, MAX / 2 + 0x1000}};
	/* SIZE_MAX + 2 wraps to 1: a naive sum would accept count 1. */
	struct iovec wrap[2] = {{dummy, SIZE_MAX}, {dummy, 2}};
	/* Exactly the limit is fine. */
	struct iovec edge[2] = {{dummy, MAX - 1}, {dummy, 1}};
	struct smbiov_bvec bbig[2] = {{dummy, 0, MAX / 2 + 0x1000},
				      {dummy, 0, MAX / 2 + 0x1000}};
	struct smbiov_bvec bwrap[2] = {{dummy, 0, SIZE_MAX}, {dummy, 0, 2}};

	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, big, 2, 0),
		    -EOVERFLOW);
	T_EXPECT_EQ(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, big, 2, 0),
		    -EOVERFLOW);
	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, wrap, 2, 1),
		    -EOVERFLOW);
	T_EXPECT_EQ(smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, wrap, 2, 1),
		    -EOVERFLOW);
	T_EXPECT_EQ(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, bbig, 2, 0),
		    -EOVERFLOW);
	T_EXPECT_EQ(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, bwrap, 2, 1),
		    -EOVERFLOW);
	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, edge, 2, MAX), 0);
	T_EXPECT_EQ(it.count, MAX);

	/* UBUF: one buffer longer than the limit. */
	T_EXPECT_EQ(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, dummy, MAX + 1),
		    -EOVERFLOW);
	T_EXPECT_EQ(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, dummy, SIZE_MAX),
		    -EOVERFLOW);
	T_EXPECT_EQ(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, dummy, MAX), 0);
	/* DISCARD too. */
	T_EXPECT_EQ(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, MAX + 1),
		    -EOVERFLOW);
	EXPECT_NO_PINS();
}

/* XARRAY: the byte range [start, start + count) must fit in int64_t. */
static void test_xarray_range(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_iter it;

	T_ASSERT(xa);
	T_EXPECT_EQ(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa,
				       INT64_MAX - 10, 100),
		    -EOVERFLOW);
	/* Ends exactly at INT64_MAX: representable. */
	T_EXPECT_EQ(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa,
				       INT64_MAX - 100, 100),
		    0);
	T_EXPECT_EQ(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa, 0, MAX + 1),
		    -EOVERFLOW);
	/* A negative file position is no position. */
	T_EXPECT(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa, -1, 1) < 0);
	/* No index at all. */
	T_EXPECT_EQ(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, NULL, 0, 1),
		    -EINVAL);
	smbiov_xarray_free(xa);
}

/* A count larger than the segments hold is -EINVAL for every array type. */
static void test_count_too_large(void)
{
	struct iovec v[3] = {{dummy, 10}, {dummy, 0}, {dummy + 10, 5}};
	struct smbiov_bvec bv[2] = {{dummy, 0, 10}, {dummy, 10, 5}};
	struct smbiov_bvecq *q = smbiov_bvecq_new(1, SMBIOV_CLEANUP_NONE);
	struct smbiov_iter it;

	T_ASSERT(q);
	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, v, 3, 16), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, v, 3, 16),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, bv, 2, 16),
		    -EINVAL);
	/* Exactly what they hold, and less, are fine. */
	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, v, 3, 15), 0);
	T_EXPECT_EQ(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, bv, 2, 14), 0);

	/* BVECQ: two one-element segments, 15 bytes. */
	T_ASSERT(smbiov_bvecq_append(q, dummy, 0, 10) == 0);
	T_ASSERT(smbiov_bvecq_append(q, dummy, 10, 5) == 0);
	T_EXPECT(q->next != NULL);
	T_EXPECT_EQ(smbiov_iter_bvecq(&it, SMBIOV_ITER_DEST, q, 0, 0, 16),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvecq(&it, SMBIOV_ITER_DEST, q, 0, 0, 15), 0);
	/* From offset 3 of slot 0 only 12 bytes remain. */
	T_EXPECT_EQ(smbiov_iter_bvecq(&it, SMBIOV_ITER_DEST, q, 0, 3, 13),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvecq(&it, SMBIOV_ITER_DEST, q, 0, 3, 12), 0);
	/* Slot past the segment, offset past the element. */
	T_EXPECT_EQ(smbiov_iter_bvecq(&it, SMBIOV_ITER_DEST, q, 5, 0, 1),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvecq(&it, SMBIOV_ITER_DEST, q, 0, 11, 1),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvecq(&it, SMBIOV_ITER_DEST, NULL, 0, 0, 1),
		    -EINVAL);
	smbiov_bvecq_put(q);
}

/* NULL arrays and NULL bases. */
static void test_null_pointers(void)
{
	struct iovec v[2] = {{dummy, 4}, {NULL, 4}};
	struct iovec empty_null[2] = {{dummy, 4}, {NULL, 0}};
	struct smbiov_bvec bv[1] = {{NULL, 0, 4}};
	struct smbiov_iter it;

	/* NULL array that claims segments. */
	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, NULL, 1, 0),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, NULL, 2, 0),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, NULL, 1, 0),
		    -EINVAL);
	/* No segments, no bytes: a valid empty iterator. */
	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, NULL, 0, 0), 0);
	T_EXPECT_EQ(it.count, 0);
	/* NULL base with a length. */
	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, v, 2, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, v, 2, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, bv, 1, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, NULL, 1), -EINVAL);
	/* NULL base of an empty segment is harmless. */
	T_EXPECT_EQ(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, empty_null, 2, 4),
		    0);
	T_EXPECT_EQ(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, NULL, 0), 0);
	EXPECT_NO_PINS();
}

/* Direction must be SMBIOV_ITER_DEST (0) or SMBIOV_ITER_SOURCE (1). */
static void test_bad_direction(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_bvecq *q = smbiov_bvecq_new(2, SMBIOV_CLEANUP_NONE);
	struct iovec v[1] = {{dummy, 4}};
	struct smbiov_bvec bv[1] = {{dummy, 0, 4}};
	struct smbiov_iter it;

	T_ASSERT(xa && q);
	T_ASSERT(smbiov_bvecq_append(q, dummy, 0, 4) == 0);
	T_EXPECT_EQ(smbiov_iter_ubuf(&it, 2, dummy, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_iovec(&it, 2, v, 1, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_kvec(&it, 2, v, 1, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvec(&it, 2, bv, 1, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_xarray(&it, 2, xa, 0, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_bvecq(&it, 2, q, 0, 0, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_discard(&it, 2, 4), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_ubuf(&it, ~0u, dummy, 4), -EINVAL);
	/* DISCARD is a destination only. */
	T_EXPECT_EQ(smbiov_iter_discard(&it, SMBIOV_ITER_SOURCE, 4), -EINVAL);
	smbiov_bvecq_put(q);
	smbiov_xarray_free(xa);
}

/* Revert past the start fails and changes nothing. */
static void test_revert_past_start(void)
{
	unsigned char buf[32];
	struct iovec v[2] = {{buf, 8}, {buf + 16, 8}};
	struct smbiov_iter it, saved;

	T_ASSERT(smbiov_iter_kvec(&it, SMBIOV_ITER_SOURCE, v, 2, 16) == 0);
	smbiov_iter_advance(&it, 12);
	saved = it;
	T_EXPECT_EQ(smbiov_iter_revert(&it, 13), -EINVAL);
	T_EXPECT(memcmp(&it, &saved, sizeof(it)) == 0);
	T_EXPECT_EQ(smbiov_iter_revert(&it, SIZE_MAX), -EINVAL);
	T_EXPECT(memcmp(&it, &saved, sizeof(it)) == 0);
	/* A copy that is then truncated can revert no further either. */
	T_EXPECT_EQ(smbiov_iter_revert(&it, 12), 0);
	T_EXPECT_EQ(it.count, 16);
	T_EXPECT_EQ(smbiov_iter_revert(&it, 1), -EINVAL);
}

/* Extraction: maxpages 0, maxsize 0, DISCARD, empty iterators. */
static void test_extract_bad(void)
{
	unsigned char *mem = aligned_alloc(PG, 4 * PG);
	struct iovec v[1];
	void *list[4] = {NULL, NULL, NULL, NULL};
	void **pp = list;
	size_t off0 = 12345;
	struct smbiov_iter it, saved;

	T_ASSERT(mem);
	v[0].iov_base = mem + 100;
	v[0].iov_len = 3 * PG;

	/* maxpages 0 is a caller bug, even for user memory: -EINVAL, and
	 * nothing pinned, nothing advanced. */
	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, v, 1, 3 * PG) == 0);
	saved = it;
	T_EXPECT_EQ(smbiov_iter_extract_pages(&it, &pp, PG, 0, &off0), -EINVAL);
	T_EXPECT(memcmp(&it, &saved, sizeof(it)) == 0);
	EXPECT_NO_PINS();
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, mem, PG) == 0);
	T_EXPECT_EQ(smbiov_iter_extract_pages(&it, &pp, PG, 0, &off0), -EINVAL);
	EXPECT_NO_PINS();

	/* maxsize 0: nothing to do, 0, nothing pinned or advanced. */
	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, v, 1, 3 * PG) == 0);
	saved = it;
	T_EXPECT_EQ(smbiov_iter_extract_pages(&it, &pp, 0, 4, &off0), 0);
	T_EXPECT(memcmp(&it, &saved, sizeof(it)) == 0);
	EXPECT_NO_PINS();
	/* maxsize 0 with *pages NULL must not hand back an array to leak. */
	{
		void **np = NULL;

		T_EXPECT_EQ(smbiov_iter_extract_pages(&it, &np, 0, 4, &off0),
			    0);
		free(np);
	}

	/* Empty iterator: 0 ("stop"). */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, mem, 0) == 0);
	T_EXPECT_EQ(smbiov_iter_extract_pages(&it, &pp, PG, 4, &off0), 0);
	EXPECT_NO_PINS();

	/* DISCARD has no memory: -EFAULT, count unchanged. */
	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, PG) == 0);
	T_EXPECT_EQ(smbiov_iter_extract_pages(&it, &pp, PG, 4, &off0), -EFAULT);
	T_EXPECT_EQ(it.count, PG);
	{
		void **np = NULL;

		T_EXPECT_EQ(smbiov_iter_extract_pages(&it, &np, PG, 4, &off0),
			    -EFAULT);
		T_EXPECT(np == NULL); /* nothing allocated on failure */
	}
	EXPECT_NO_PINS();
	free(mem);
}

/* reexpand beyond what remains, restore of another iterator's state. */
static void test_reexpand_restore_bad(void)
{
	unsigned char buf[64];
	struct smbiov_iter it, saved;

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, buf, 64) == 0);
	smbiov_iter_advance(&it, 10);
	smbiov_iter_truncate(&it, 5);
	saved = it;
	/* 54 remain in the buffer: 55 is too many. */
	T_EXPECT_EQ(smbiov_iter_reexpand(&it, 55), -EINVAL);
	T_EXPECT(memcmp(&it, &saved, sizeof(it)) == 0);
	T_EXPECT_EQ(smbiov_iter_reexpand(&it, SIZE_MAX), -EINVAL);
	T_EXPECT_EQ(smbiov_iter_reexpand(&it, 54), 0);
}

int main(void)
{
	T_RUN(test_count_overflow);
	T_RUN(test_xarray_range);
	T_RUN(test_count_too_large);
	T_RUN(test_null_pointers);
	T_RUN(test_bad_direction);
	T_RUN(test_revert_past_start);
	T_RUN(test_extract_bad);
	T_RUN(test_reexpand_restore_bad);
	EXPECT_NO_PINS();
	return t_done();
}
