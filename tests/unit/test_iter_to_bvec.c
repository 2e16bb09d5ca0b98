// SPDX-License-Identifier: MIT
/*
 * smbiov_iter_to_bvec(): every iterator type converted to an owned BVEC
 * describes the same bytes in the same order, caller memory comes back
 * pinned one page per element, and every failure leaves nothing pinned
 * and the source iterator where it was.
 */
#include "conv_fixture.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static struct fx fx;

static size_t bvec_ents(const struct smbiov_bvec_list *l, struct fx_ent *ents)
{
	for (size_t k = 0; k < l->nr; k++)
		ents[k] = (struct fx_ent){
			.addr = (uintptr_t)l->bv[k].page + l->bv[k].offset,
			.len = l->bv[k].len,
		};
	return l->nr;
}

static struct fx_ent ents[FX_NPAGES * 2];

/* Whole iterator of every type: bytes, order, pins, the BVEC iterator. */
static void test_to_bvec_all_types(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		for (size_t row = 0; row < fx_nrows(kind); row++) {
			struct smbiov_bvec_list list;
			struct smbiov_iter out;
			size_t pins0 = smbiov_pins_outstanding();
			bool pin = kind == FX_UBUF || kind == FX_IOVEC;
			uint8_t *copy;
			ssize_t ret;
			size_t n;

			T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) ==
				 0);
			ret = smbiov_iter_to_bvec(&fx.it, SIZE_MAX, &list,
						  &out);
			T_EXPECT_EQ(ret, fx.len);
			T_EXPECT_EQ(fx.it.count, 0);
			T_EXPECT_EQ(fx.it.advanced, fx.len);
			n = bvec_ents(&list, ents);
			T_EXPECT(fx_check_ents(&fx, ents, n, 0, fx.len));
			if (pin) {
				/* One element, one pin per page touched. */
				T_EXPECT_EQ(list.cleanup, SMBIOV_CLEANUP_UNPIN);
				T_EXPECT_EQ(list.nr, fx.npages);
				T_EXPECT_EQ(list.npinned, list.nr);
				T_EXPECT(fx_ents_per_page(ents, n));
				T_EXPECT_EQ(smbiov_pins_outstanding() - pins0,
					    list.nr);
				for (size_t k = 0; k < list.nr; k++)
					T_EXPECT((uintptr_t)list.bv[k].page %
							 SMBIOV_PAGE_SIZE ==
						 0);
			} else {
				/* As it is: one element per span. */
				T_EXPECT_EQ(list.cleanup, SMBIOV_CLEANUP_NONE);
				T_EXPECT_EQ(list.nr, fx.nspans);
				T_EXPECT_EQ(list.npinned, 0);
				T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
			}

			/* The BVEC iterator reads back the same bytes. */
			T_EXPECT_EQ(out.type, SMBIOV_ITER_BVEC);
			T_EXPECT(out.source);
			T_EXPECT_EQ(out.count, fx.len);
			copy = malloc(fx.len + 1);
			T_ASSERT(copy);
			T_EXPECT_EQ(smbiov_copy_from_iter(copy, fx.len, &out),
				    fx.len);
			T_EXPECT(memcmp(copy, fx.bytes, fx.len) == 0);
			free(copy);

			smbiov_bvec_list_release(&list);
			T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
			T_EXPECT(list.bv == NULL && list.nr == 0);
		}
	}
}

/*
 * @maxsize cuts the conversion: the source advances by exactly what was
 * converted, and a second call picks up at the next byte.
 */
static void test_to_bvec_partial(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		/* Row 2 is the many-page midpage-to-midpage row. */
		size_t row = fx_nrows(kind) > 1 ? 2 : 0;
		struct smbiov_bvec_list a, b;
		struct smbiov_iter oa, ob;
		size_t pins0 = smbiov_pins_outstanding();
		size_t cut, n;
		ssize_t ret;

		T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) == 0);
		cut = fx.len / 2 + 3;
		ret = smbiov_iter_to_bvec(&fx.it, cut, &a, &oa);
		T_EXPECT_EQ(ret, cut);
		T_EXPECT_EQ(fx.it.count, fx.len - cut);
		T_EXPECT_EQ(oa.count, cut);
		n = bvec_ents(&a, ents);
		T_EXPECT(fx_check_ents(&fx, ents, n, 0, cut));

		ret = smbiov_iter_to_bvec(&fx.it, SIZE_MAX, &b, &ob);
		T_EXPECT_EQ(ret, fx.len - cut);
		T_EXPECT_EQ(fx.it.count, 0);
		n = bvec_ents(&b, ents);
		T_EXPECT(fx_check_ents(&fx, ents, n, cut, fx.len - cut));

		smbiov_bvec_list_release(&a);
		smbiov_bvec_list_release(&b);
		T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
	}
}

/* A destination stays a destination: writes through it land in place. */
static void test_to_bvec_dest(void)
{
	struct smbiov_bvec_list list;
	struct smbiov_iter out;
	static uint8_t src[0x4000];
	ssize_t ret;

	T_ASSERT(fx_build(&fx, FX_UBUF, 1, SMBIOV_ITER_DEST) == 0);
	ret = smbiov_iter_to_bvec(&fx.it, 0x4000, &list, &out);
	T_EXPECT_EQ(ret, 0x3000 - 0x27);
	T_EXPECT(!out.source);
	memset(src, 0xee, sizeof(src));
	T_EXPECT_EQ(smbiov_copy_to_iter(src, sizeof(src), &out), ret);
	T_EXPECT(fx.buf[0x26] == t_pattern(0x26));
	T_EXPECT(fx.buf[0x27] == 0xee && fx.buf[0x2fff] == 0xee);
	T_EXPECT(fx.buf[0x3000] == t_pattern(0x3000));
	smbiov_bvec_list_release(&list);
	for (size_t x = 0x27; x < 0x3000; x++)
		fx.buf[x] = t_pattern(x);
}

/* 0-byte conversions: empty list, empty BVEC, source untouched. */
static void test_to_bvec_zero_bytes(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		struct smbiov_bvec_list list;
		struct smbiov_iter out, before;

		/* maxsize 0 on a non-empty iterator (row 2 is non-empty) */
		T_ASSERT(fx_build(&fx, kind, fx_nrows(kind) > 1 ? 2 : 0,
				  SMBIOV_ITER_SOURCE) == 0);
		before = fx.it;
		T_EXPECT_EQ(smbiov_iter_to_bvec(&fx.it, 0, &list, &out), 0);
		T_EXPECT(list.bv == NULL && list.nr == 0);
		T_EXPECT_EQ(out.count, 0);
		T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
		smbiov_bvec_list_release(&list);
	}
	/* count 0: row 0 is the empty range */
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		struct smbiov_bvec_list list;
		struct smbiov_iter out;

		if (fx_nrows(kind) == 1)
			continue;
		T_ASSERT(fx_build(&fx, kind, 0, SMBIOV_ITER_SOURCE) == 0);
		T_EXPECT_EQ(smbiov_iter_to_bvec(&fx.it, SIZE_MAX, &list, &out),
			    0);
		T_EXPECT_EQ(list.nr, 0);
		smbiov_bvec_list_release(&list);
	}
}

/*
 * XARRAY with a hole: conversion stops at the hole (never loops), and an
 * iterator starting at the hole converts nothing.
 */
static void test_to_bvec_xarray_hole(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_bvec_list list;
	struct smbiov_iter it, out, before;

	T_ASSERT(xa);
	/* pages 0-3 present, 4-7 a hole, 8-11 present */
	T_ASSERT(smbiov_xarray_populate(xa, 0, 0x4000, 0) == 0);
	T_ASSERT(smbiov_xarray_populate(xa, 0x8000, 0x4000, 0) == 0);

	alarm(10); /* a hang is a failure, not a stuck CI job */
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0x100,
				    0xb000) == 0);
	T_EXPECT_EQ(smbiov_iter_to_bvec(&it, SIZE_MAX, &list, &out),
		    0x4000 - 0x100);
	T_EXPECT_EQ(list.nr, 4);
	T_EXPECT_EQ(it.count, 0xb000 - (0x4000 - 0x100));
	smbiov_bvec_list_release(&list);

	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0x5000,
				    0x6000) == 0);
	before = it;
	T_EXPECT_EQ(smbiov_iter_to_bvec(&it, SIZE_MAX, &list, &out), 0);
	T_EXPECT_EQ(list.nr, 0);
	T_EXPECT(memcmp(&before, &it, sizeof(it)) == 0);
	smbiov_bvec_list_release(&list);
	alarm(0);
	smbiov_xarray_free(xa);
}

static void test_to_bvec_discard(void)
{
	struct smbiov_bvec_list list;
	struct smbiov_iter it, out, before;

	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, 100) == 0);
	before = it;
	T_EXPECT_EQ(smbiov_iter_to_bvec(&it, SIZE_MAX, &list, &out), -EFAULT);
	T_EXPECT(list.bv == NULL && list.nr == 0);
	T_EXPECT(memcmp(&before, &it, sizeof(it)) == 0);
	smbiov_bvec_list_release(&list);
}

/*
 * DESIGN §2 pitfall "released pinned pages with a plain put on the error
 * path": the second IOVEC element lies in page 0, which the pin registry
 * refuses, so the failure comes after the first element's pages were
 * pinned. They must be unpinned (not forgotten, not over-released), the
 * list left empty and the source untouched.
 */
static void test_to_bvec_unpin_on_error(void)
{
	struct iovec v[3] = {
		{fx.buf + 0x27, 3 * SMBIOV_PAGE_SIZE}, /* 4 pages pinned */
		{fx.buf + 0x8000, 0x10},	  /* one more page pinned */
		{(void *)(uintptr_t)0x100, 0x10}, /* page 0: pin fails */
	};
	struct smbiov_bvec_list list;
	struct smbiov_iter it, out, before;
	size_t pins0;
	ssize_t ret;

	/* An unrelated pin on the first page must survive the unwind. */
	void *first = fx.buf;

	T_ASSERT(smbiov_pin_pages(&first, 1) == 0);
	pins0 = smbiov_pins_outstanding();

	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, v, 3,
				   3 * SMBIOV_PAGE_SIZE + 0x20) == 0);
	before = it;
	ret = smbiov_iter_to_bvec(&it, SIZE_MAX, &list, &out);
	T_EXPECT_EQ(ret, -EINVAL);
	T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
	T_EXPECT_EQ(smbiov_pin_count(fx.buf), 1);
	T_EXPECT_EQ(smbiov_pin_count(fx.buf + 0x8000), 0);
	T_EXPECT(list.bv == NULL && list.nr == 0 && list.npinned == 0);
	T_EXPECT(memcmp(&before, &it, sizeof(it)) == 0);
	smbiov_bvec_list_release(&list);

	/* Without the bad element the same iterator converts fine. */
	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, v, 2,
				   3 * SMBIOV_PAGE_SIZE + 0x10) == 0);
	ret = smbiov_iter_to_bvec(&it, SIZE_MAX, &list, &out);
	T_EXPECT_EQ(ret, 3 * SMBIOV_PAGE_SIZE + 0x10);
	T_EXPECT_EQ(list.nr, 5);
	T_EXPECT_EQ(smbiov_pins_outstanding(), pins0 + 5);
	T_EXPECT_EQ(smbiov_pin_count(fx.buf), 2);
	smbiov_bvec_list_release(&list);
	T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);

	smbiov_unpin_pages(&first, 1);
}

/* Releasing twice, or releasing a zeroed list, is harmless. */
static void test_to_bvec_release_twice(void)
{
	struct smbiov_bvec_list list = {0};
	struct smbiov_iter out;
	size_t pins0 = smbiov_pins_outstanding();

	smbiov_bvec_list_release(&list);
	smbiov_bvec_list_release(NULL);
	T_ASSERT(fx_build(&fx, FX_UBUF, 2, SMBIOV_ITER_SOURCE) == 0);
	T_EXPECT_EQ(smbiov_iter_to_bvec(&fx.it, SIZE_MAX, &list, &out), fx.len);
	smbiov_bvec_list_release(&list);
	smbiov_bvec_list_release(&list);
	T_EXPECT_EQ(smbiov_pins_outstanding(), pins0);
}

int main(void)
{
	fx_init(&fx);
	T_RUN(test_to_bvec_all_types);
	T_RUN(test_to_bvec_partial);
	T_RUN(test_to_bvec_dest);
	T_RUN(test_to_bvec_zero_bytes);
	T_RUN(test_to_bvec_xarray_hole);
	T_RUN(test_to_bvec_discard);
	T_RUN(test_to_bvec_unpin_on_error);
	T_RUN(test_to_bvec_release_twice);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	fx_fini(&fx);
	return t_done();
}
