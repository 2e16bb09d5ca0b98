// SPDX-License-Identifier: MIT
/*
 * smbiov_extract_iter_to_sg(): entries describe the iterator's bytes in
 * order, one per page (and pinned) for caller memory, one per element or
 * folio otherwise; plus regressions for the kernel's 2023 builder bugs
 * (DESIGN.md §2): entry lengths, loop end at a full table, unpin on the
 * error path, and a 0-byte extraction that must not spin.
 */
#include "conv_fixture.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static struct fx fx;
static struct fx_ent ents[FX_NPAGES * 2];

static size_t sg_ents(const struct smbiov_sg_table *t, size_t from,
		      struct fx_ent *out)
{
	for (size_t k = from; k < t->nents; k++)
		out[k - from] = (struct fx_ent){
			.addr = (uintptr_t)t->sgl[k].page + t->sgl[k].offset,
			.len = t->sgl[k].len,
		};
	return t->nents - from;
}

static bool kind_pins(int kind)
{
	return kind == FX_UBUF || kind == FX_IOVEC;
}

/* Whole iterator of every type into a roomy table. */
static void test_sg_all_types(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		for (size_t row = 0; row < fx_nrows(kind); row++) {
			struct smbiov_sg_table t;
			size_t pins0 = smbiov_pins_outstanding();
			size_t n;
			ssize_t ret;

			T_ASSERT(smbiov_sg_table_init(&t, 1024) == 0);
			T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) ==
				 0);
			ret = smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &t);
			T_EXPECT_EQ(ret, fx.len);
			T_EXPECT_EQ(fx.it.count, 0);
			n = sg_ents(&t, 0, ents);
			T_EXPECT(fx_check_ents(&fx, ents, n, 0, fx.len));
			if (kind_pins(kind)) {
				/*
				 * One entry per page with that page's share
				 * of the bytes, never the run's total.
				 */
				T_EXPECT_EQ(t.nents, fx.npages);
				T_EXPECT(fx_ents_per_page(ents, n));
				T_EXPECT_EQ(smbiov_pins_outstanding() - pins0,
					    t.nents);
				if (t.nents)
					T_EXPECT_EQ(t.cleanup,
						    SMBIOV_CLEANUP_UNPIN);
			} else {
				/* Entries span pages: one per element/folio. */
				T_EXPECT_EQ(t.nents, fx.nspans);
				T_EXPECT_EQ(t.cleanup, SMBIOV_CLEANUP_NONE);
				T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
			}
			smbiov_sg_table_release(&t);
			T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
			T_EXPECT(t.sgl == NULL && t.nents == 0);
		}
	}
	/* The multi-page entries really span pages. */
	{
		struct smbiov_sg_table t;

		T_ASSERT(smbiov_sg_table_init(&t, 16) == 0);
		T_ASSERT(fx_build(&fx, FX_BVEC, 0, SMBIOV_ITER_SOURCE) == 0);
		T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &t),
			    fx.len);
		T_EXPECT_EQ(t.nents, 4);
		/* the merged pages 3-6 element */
		T_EXPECT_EQ(t.sgl[2].len, 0x3ffb);
		smbiov_sg_table_release(&t);
	}
}

/*
 * Pitfall "looped wrongly": a table that fills mid-iterator returns the
 * bytes it took and stops; the iterator is advanced by exactly those, a
 * further call on the full table returns 0 at once, and a new table
 * carries on from the next byte.
 */
static void test_sg_table_limit(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		size_t row = fx_nrows(kind) > 1 ? 6 : 0; /* the long row */
		size_t pins0 = smbiov_pins_outstanding();
		struct smbiov_sg_table a, b;
		struct smbiov_iter before;
		size_t n, want = 0;
		ssize_t ret;

		T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) == 0);
		T_ASSERT(smbiov_sg_table_init(&a, 3) == 0);
		ret = smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &a);
		T_EXPECT_EQ(a.nents, 3);
		n = sg_ents(&a, 0, ents);
		for (size_t k = 0; k < n; k++)
			want += ents[k].len;
		T_EXPECT(ret > 0 && (size_t)ret < fx.len);
		T_EXPECT_EQ(ret, want);
		T_EXPECT_EQ(fx.it.count, fx.len - (size_t)ret);
		T_EXPECT(fx_check_ents(&fx, ents, n, 0, (size_t)ret));
		if (kind_pins(kind))
			T_EXPECT_EQ(smbiov_pins_outstanding() - pins0, 3);

		alarm(10);
		before = fx.it;
		T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &a), 0);
		T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
		alarm(0);

		T_ASSERT(smbiov_sg_table_init(&b, 1024) == 0);
		T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &b),
			    fx.len - (size_t)ret);
		n = sg_ents(&b, 0, ents);
		T_EXPECT(fx_check_ents(&fx, ents, n, (size_t)ret,
				       fx.len - (size_t)ret));
		smbiov_sg_table_release(&a);
		smbiov_sg_table_release(&b);
		T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
	}
}

/* Appending in two calls continues the same table from t->nents. */
static void test_sg_append(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		size_t row = fx_nrows(kind) > 1 ? 2 : 0;
		size_t pins0 = smbiov_pins_outstanding();
		struct smbiov_sg_table t;
		size_t cut = 0x1234, n, first;

		T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) == 0);
		T_ASSERT(smbiov_sg_table_init(&t, 512) == 0);
		T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, cut, &t), cut);
		first = t.nents;
		T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &t),
			    fx.len - cut);
		T_EXPECT(t.nents > first);
		n = sg_ents(&t, 0, ents);
		T_EXPECT(fx_check_ents(&fx, ents, n, 0, fx.len));
		smbiov_sg_table_release(&t);
		T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
	}
}

/* Pinned and unpinned entries never share a table. */
static void test_sg_mixed_cleanup_refused(void)
{
	struct smbiov_sg_table t;
	struct smbiov_iter before;
	size_t pins0 = smbiov_pins_outstanding(), nents;

	/* unpinned first, then caller memory */
	T_ASSERT(smbiov_sg_table_init(&t, 64) == 0);
	T_ASSERT(fx_build(&fx, FX_KVEC, 0, SMBIOV_ITER_SOURCE) == 0);
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, 100, &t), 100);
	nents = t.nents;
	T_ASSERT(fx_build(&fx, FX_UBUF, 2, SMBIOV_ITER_SOURCE) == 0);
	before = fx.it;
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &t), -EINVAL);
	T_EXPECT_EQ(t.nents, nents);
	T_EXPECT_EQ(t.cleanup, SMBIOV_CLEANUP_NONE);
	T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
	T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
	smbiov_sg_table_release(&t);

	/* caller memory first, then unpinned */
	T_ASSERT(smbiov_sg_table_init(&t, 64) == 0);
	T_ASSERT(fx_build(&fx, FX_UBUF, 2, SMBIOV_ITER_SOURCE) == 0);
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, 0x2000, &t), 0x2000);
	nents = t.nents;
	T_EXPECT_EQ(smbiov_pins_outstanding() - pins0, nents);
	T_ASSERT(fx_build(&fx, FX_XARRAY, 2, SMBIOV_ITER_SOURCE) == 0);
	before = fx.it;
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &t), -EINVAL);
	T_EXPECT_EQ(t.nents, nents);
	T_EXPECT_EQ(t.cleanup, SMBIOV_CLEANUP_UNPIN);
	T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
	smbiov_sg_table_release(&t);
	T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
}

/*
 * Pitfall "released pinned pages with a plain put on the error path": the
 * third IOVEC element lies in page 0, which the pin registry refuses, after
 * the pages of the first two were pinned. This call's entries must be
 * unpinned and dropped; entries already in the table (same kind) and an
 * unrelated pin stay.
 */
static void test_sg_unpin_on_error(void)
{
	struct iovec v[3] = {
		{fx.buf + 0x10027, 2 * SMBIOV_PAGE_SIZE}, /* 3 pages */
		{fx.buf + 0x18000, 0x10},		  /* 1 page */
		{(void *)(uintptr_t)0x100, 0x10},	  /* page 0: refused */
	};
	struct smbiov_sg_table t;
	struct smbiov_iter it, before;
	void *mine = fx.buf + 0x10000;
	size_t pins0, nents;
	struct smbiov_sg saved[2];

	T_ASSERT(smbiov_pin_pages(&mine, 1) == 0);
	T_ASSERT(smbiov_sg_table_init(&t, 64) == 0);
	/* Two pinned entries from an earlier call. */
	T_ASSERT(fx_build(&fx, FX_UBUF, 1, SMBIOV_ITER_SOURCE) == 0);
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, 0x1000, &t), 0x1000);
	nents = t.nents;
	T_EXPECT_EQ(nents, 2);
	memcpy(saved, t.sgl, sizeof(saved));
	pins0 = smbiov_pins_outstanding();

	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, v, 3,
				   2 * SMBIOV_PAGE_SIZE + 0x20) == 0);
	before = it;
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&it, SIZE_MAX, &t), -EINVAL);
	T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
	T_EXPECT_EQ(smbiov_pin_count(mine), 1);
	T_EXPECT_EQ(smbiov_pin_count(fx.buf + 0x18000), 0);
	T_EXPECT_EQ(t.nents, nents);
	T_EXPECT(memcmp(saved, t.sgl, sizeof(saved)) == 0);
	T_EXPECT_EQ(t.cleanup, SMBIOV_CLEANUP_UNPIN);
	T_EXPECT(memcmp(&before, &it, sizeof(it)) == 0);

	smbiov_sg_table_release(&t);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 1);
	smbiov_unpin_pages(&mine, 1);
}

/*
 * Pitfall "spun forever on a 0-byte extraction": count 0, maxsize 0, a
 * full table and an XARRAY iterator starting at a hole all return 0 at
 * once and leave the iterator alone. alarm() turns a hang into a failure.
 */
static void test_sg_zero_byte(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_sg_table t;
	struct smbiov_iter it, before;

	T_ASSERT(xa);
	alarm(10);
	T_ASSERT(smbiov_sg_table_init(&t, 8) == 0);
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		size_t row = fx_nrows(kind) > 1 ? 2 : 0;

		T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) == 0);
		before = fx.it;
		T_EXPECT_EQ(smbiov_extract_iter_to_sg(&fx.it, 0, &t), 0);
		T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
		if (fx_nrows(kind) > 1) {
			/* row 0: the empty range, count 0 */
			T_ASSERT(fx_build(&fx, kind, 0, SMBIOV_ITER_SOURCE) ==
				 0);
			T_EXPECT_EQ(
				smbiov_extract_iter_to_sg(&fx.it, SIZE_MAX, &t),
				0);
		}
	}
	T_EXPECT_EQ(t.nents, 0);

	/* pages 0-1 present, 2-3 a hole, 4 present */
	T_ASSERT(smbiov_xarray_populate(xa, 0, 0x2000, 0) == 0);
	T_ASSERT(smbiov_xarray_populate(xa, 0x4000, 0x1000, 0) == 0);
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0x2800,
				    0x2000) == 0);
	before = it;
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&it, SIZE_MAX, &t), 0);
	T_EXPECT(memcmp(&before, &it, sizeof(it)) == 0);
	T_EXPECT_EQ(t.nents, 0);
	/* up to the hole, then stop */
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0x800,
				    0x4000) == 0);
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&it, SIZE_MAX, &t), 0x1800);
	T_EXPECT_EQ(t.nents, 2);
	T_EXPECT_EQ(it.count, 0x4000 - 0x1800);
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&it, SIZE_MAX, &t), 0);
	alarm(0);
	smbiov_sg_table_release(&t);
	smbiov_xarray_free(xa);
}

static void test_sg_discard_and_init(void)
{
	struct smbiov_sg_table t;
	struct smbiov_iter it;

	T_EXPECT_EQ(smbiov_sg_table_init(&t, 0), -EINVAL);
	T_EXPECT(t.sgl == NULL);
	smbiov_sg_table_release(&t);
	smbiov_sg_table_release(NULL);

	T_ASSERT(smbiov_sg_table_init(&t, 4) == 0);
	T_EXPECT_EQ(t.max, 4);
	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, 100) == 0);
	T_EXPECT_EQ(smbiov_extract_iter_to_sg(&it, SIZE_MAX, &t), -EFAULT);
	T_EXPECT_EQ(it.count, 100);
	T_EXPECT_EQ(t.nents, 0);
	smbiov_sg_table_release(&t);
}

int main(void)
{
	fx_init(&fx);
	T_RUN(test_sg_all_types);
	T_RUN(test_sg_table_limit);
	T_RUN(test_sg_append);
	T_RUN(test_sg_mixed_cleanup_refused);
	T_RUN(test_sg_unpin_on_error);
	T_RUN(test_sg_zero_byte);
	T_RUN(test_sg_discard_and_init);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	fx_fini(&fx);
	return t_done();
}
