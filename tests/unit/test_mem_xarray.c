// SPDX-License-Identifier: MIT
/*
 * The folio index: insert/load/erase of order-0 and large folios, overlap
 * and alignment errors, sparse and extreme indices, populate, the
 * reference the index holds, and a randomised comparison against a flat
 * model.
 */
#include <smbiov/mem.h>

#include <errno.h>
#include <stdint.h>

#include "t.h"

#define PG SMBIOV_PAGE_SIZE

static struct smbiov_folio *folio_at(uint64_t index, unsigned order)
{
	struct smbiov_folio *f = smbiov_folio_alloc(order);

	T_ASSERT(f);
	f->index = index;
	return f;
}

static void test_insert_load_erase(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_folio *a = folio_at(0, 0);
	struct smbiov_folio *b = folio_at(3, 0);
	struct smbiov_folio *c = folio_at(8, 3);

	T_ASSERT(xa);
	T_EXPECT(smbiov_xarray_load(xa, 0) == NULL);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, a), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, b), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, c), 0);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 3);
	/* The index holds its own reference. */
	T_EXPECT_EQ(a->refcount, 2);
	T_EXPECT_EQ(c->refcount, 2);

	T_EXPECT(smbiov_xarray_load(xa, 0) == a);
	T_EXPECT(smbiov_xarray_load(xa, 1) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, 3) == b);
	/* Every one of the 8 indices of the order-3 folio finds it. */
	for (uint64_t i = 8; i < 16; i++)
		T_EXPECT(smbiov_xarray_load(xa, i) == c);
	T_EXPECT(smbiov_xarray_load(xa, 7) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, 16) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, UINT64_MAX) == NULL);

	/* Erase by an interior index returns the whole folio. */
	T_EXPECT(smbiov_xarray_erase(xa, 13) == c);
	T_EXPECT_EQ(c->refcount, 2); /* transferred to us, not dropped */
	T_EXPECT(smbiov_xarray_load(xa, 8) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, 15) == NULL);
	T_EXPECT(smbiov_xarray_erase(xa, 13) == NULL);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 2);
	smbiov_folio_put(c);
	T_EXPECT_EQ(c->refcount, 1);

	/* Its slots are free again, for any shape. */
	T_EXPECT_EQ(smbiov_xarray_insert(xa, c), 0);
	T_EXPECT(smbiov_xarray_erase(xa, 8) == c);
	smbiov_folio_put(c);

	T_EXPECT(smbiov_xarray_erase(xa, 0) == a);
	T_EXPECT(smbiov_xarray_erase(xa, 3) == b);
	smbiov_folio_put(a);
	smbiov_folio_put(b);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 0);
	T_EXPECT(smbiov_xarray_load(xa, 3) == NULL);
	T_EXPECT_EQ(a->refcount, 1);
	smbiov_folio_put(a);
	smbiov_folio_put(b);
	smbiov_folio_put(c);
	smbiov_xarray_free(xa);
	smbiov_xarray_free(NULL);
}

static void test_large_orders(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_folio *f6 = folio_at(64, 6);
	struct smbiov_folio *f9 = folio_at(512, 9);
	struct smbiov_folio *f7 = folio_at(1024 + 128, 7);
	struct smbiov_folio *small = folio_at(1, 0);
	uint64_t i;
	size_t bad = 0;

	T_ASSERT(xa);
	/* A small folio first, so large ones force the tree to grow. */
	T_EXPECT_EQ(smbiov_xarray_insert(xa, small), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f6), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f9), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f7), 0);
	T_EXPECT(smbiov_xarray_load(xa, 1) == small);
	for (i = 0; i < 2048; i++) {
		struct smbiov_folio *want = NULL;

		if (i == 1)
			want = small;
		else if (i >= 64 && i < 128)
			want = f6;
		else if (i >= 512 && i < 1024)
			want = f9;
		else if (i >= 1152 && i < 1280)
			want = f7;
		bad += smbiov_xarray_load(xa, i) != want;
	}
	T_EXPECT_EQ(bad, 0);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 4);
	T_EXPECT(smbiov_xarray_erase(xa, 1023) == f9);
	T_EXPECT(smbiov_xarray_load(xa, 512) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, 1152) == f7);
	T_EXPECT_EQ(f9->refcount, 2);
	smbiov_folio_put(f9); /* the index's reference, handed to us */
	smbiov_folio_put(f9); /* ours */
	/* Drop our references: the index keeps the rest alive. */
	smbiov_folio_put(f6);
	smbiov_folio_put(f7);
	smbiov_folio_put(small);
	T_EXPECT_EQ(f6->refcount, 1);
	smbiov_xarray_free(xa);
}

static void test_overlap_and_alignment(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_folio *big = folio_at(16, 4);   /* 16..31 */
	struct smbiov_folio *huge = folio_at(512, 9); /* 512..1023 */
	struct smbiov_folio *f;

	T_ASSERT(xa);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, big), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, huge), 0);

	/* The same folio twice, or another at the same index. */
	T_EXPECT_EQ(smbiov_xarray_insert(xa, big), -EEXIST);
	f = folio_at(16, 4);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), -EEXIST);
	smbiov_folio_put(f);
	/* A small folio inside a large one (same level and lower level). */
	f = folio_at(23, 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), -EEXIST);
	smbiov_folio_put(f);
	f = folio_at(700, 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), -EEXIST);
	smbiov_folio_put(f);
	f = folio_at(640, 6);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), -EEXIST);
	smbiov_folio_put(f);
	/* A large folio over a small one. */
	f = folio_at(0, 5); /* 0..31 contains big */
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), -EEXIST);
	smbiov_folio_put(f);
	f = folio_at(0, 9); /* 0..511 contains big, via a lower level */
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), -EEXIST);
	smbiov_folio_put(f);

	/* Misaligned for its order. */
	f = folio_at(8, 4);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), -EINVAL);
	T_EXPECT_EQ(f->refcount, 1); /* no reference taken on failure */
	smbiov_folio_put(f);
	f = folio_at(256 + 1, 1);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), -EINVAL);
	smbiov_folio_put(f);

	/* Failures changed nothing. */
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 2);
	T_EXPECT(smbiov_xarray_load(xa, 0) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, 31) == big);
	T_EXPECT(smbiov_xarray_load(xa, 1023) == huge);
	T_EXPECT_EQ(big->refcount, 2);

	/* Neighbours that just touch are fine. */
	f = folio_at(32, 5);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), 0);
	smbiov_folio_put(f);
	f = folio_at(15, 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, f), 0);
	smbiov_folio_put(f);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 4);

	T_EXPECT_EQ(smbiov_xarray_insert(NULL, big), -EINVAL);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, NULL), -EINVAL);
	smbiov_folio_put(big);
	smbiov_folio_put(huge);
	smbiov_xarray_free(xa);
}

static void test_sparse_huge_indices(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	const uint64_t far = (uint64_t)1 << 40;
	const uint64_t top = UINT64_MAX & ~(uint64_t)511;
	struct smbiov_folio *a = folio_at(far, 0);
	struct smbiov_folio *b = folio_at(far + 512, 9);
	struct smbiov_folio *c = folio_at(top, 9);
	struct smbiov_folio *d = folio_at(5, 0);

	T_ASSERT(xa);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, a), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, b), 0);
	T_EXPECT_EQ(smbiov_xarray_insert(xa, c), 0);
	/* Low index after the tree grew tall. */
	T_EXPECT_EQ(smbiov_xarray_insert(xa, d), 0);
	T_EXPECT(smbiov_xarray_load(xa, far) == a);
	T_EXPECT(smbiov_xarray_load(xa, far + 1) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, far - 1) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, far + 1000) == b);
	T_EXPECT(smbiov_xarray_load(xa, UINT64_MAX) == c);
	T_EXPECT(smbiov_xarray_load(xa, top) == c);
	T_EXPECT(smbiov_xarray_load(xa, top - 1) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, 5) == d);
	T_EXPECT(smbiov_xarray_load(xa, 4) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, far << 10) == NULL);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 4);

	T_EXPECT(smbiov_xarray_erase(xa, UINT64_MAX) == c);
	T_EXPECT(smbiov_xarray_load(xa, top) == NULL);
	T_EXPECT(smbiov_xarray_load(xa, far) == a);
	smbiov_folio_put(c);
	T_EXPECT(smbiov_xarray_erase(xa, far) == a);
	smbiov_folio_put(a);
	T_EXPECT(smbiov_xarray_load(xa, far + 600) == b);
	T_EXPECT(smbiov_xarray_load(xa, 5) == d);

	/* Held references see the final free drop the index's ones. */
	T_EXPECT_EQ(b->refcount, 2);
	smbiov_xarray_free(xa);
	T_EXPECT_EQ(b->refcount, 1);
	T_EXPECT_EQ(d->refcount, 1);
	smbiov_folio_put(b);
	smbiov_folio_put(c);
	smbiov_folio_put(d);
	smbiov_folio_put(a);
}

static void test_free_releases_all(void)
{
	enum { N = 300 };
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_folio *fs[N];
	size_t i, bad = 0;

	T_ASSERT(xa);
	for (i = 0; i < N; i++) {
		/* Mixed orders, spread over several levels. */
		unsigned order = (unsigned)(i % 10);

		fs[i] = folio_at((uint64_t)i << 12, order);
		T_EXPECT_EQ(smbiov_xarray_insert(xa, fs[i]), 0);
	}
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), N);
	for (i = 0; i < N; i++)
		bad += fs[i]->refcount != 2;
	T_EXPECT_EQ(bad, 0);
	smbiov_xarray_free(xa);
	bad = 0;
	for (i = 0; i < N; i++) {
		bad += fs[i]->refcount != 1;
		smbiov_folio_put(fs[i]);
	}
	T_EXPECT_EQ(bad, 0);
}

static void test_populate(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_folio *f, *keep = folio_at(9, 0);
	uint64_t i;

	T_ASSERT(xa);
	/* Bytes [100, 3 pages): pages 0..2, order 0. */
	T_EXPECT_EQ(smbiov_xarray_populate(xa, 100, 3 * PG - 100, 0), 0);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 3);
	for (i = 0; i < 3; i++) {
		f = smbiov_xarray_load(xa, i);
		T_EXPECT(f && f->index == i && f->order == 0);
		T_EXPECT(f && f->refcount == 1);
	}
	T_EXPECT(smbiov_xarray_load(xa, 3) == NULL);

	/* Existing folios are kept, not replaced. */
	f = smbiov_xarray_load(xa, 1);
	T_EXPECT_EQ(smbiov_xarray_populate(xa, 0, 4 * PG, 0), 0);
	T_EXPECT(smbiov_xarray_load(xa, 1) == f);
	T_EXPECT_EQ(smbiov_xarray_nr_folios(xa), 4);

	/*
	 * Order 2 over pages 4..15 with page 9 already present: the block
	 * 8..11 cannot be one folio, so it is filled around page 9.
	 */
	T_EXPECT_EQ(smbiov_xarray_insert(xa, keep), 0);
	T_EXPECT_EQ(smbiov_xarray_populate(xa, 4 * PG, 12 * PG, 2), 0);
	for (i = 4; i < 16; i++)
		T_EXPECT(smbiov_xarray_load(xa, i) != NULL);
	T_EXPECT(smbiov_xarray_load(xa, 9) == keep);
	f = smbiov_xarray_load(xa, 4);
	T_EXPECT(f && f->order == 2 && f->index == 4);
	f = smbiov_xarray_load(xa, 12);
	T_EXPECT(f && f->order == 2 && f->index == 12);
	T_EXPECT(smbiov_xarray_load(xa, 16) == NULL);

	/* Start is rounded down to the order: one folio covers 40..63. */
	T_EXPECT_EQ(smbiov_xarray_populate(xa, 40 * PG + 7, 10, 5), 0);
	f = smbiov_xarray_load(xa, 40);
	T_EXPECT(f && f->order == 5 && f->index == 32);

	/* Far out and order 9, then argument checks. */
	T_EXPECT_EQ(smbiov_xarray_populate(xa, (int64_t)1 << 45, PG, 9), 0);
	f = smbiov_xarray_load(xa, ((uint64_t)1 << 45) >> 12);
	T_EXPECT(f && f->order == 9);
	T_EXPECT_EQ(smbiov_xarray_populate(xa, -1, PG, 0), -EINVAL);
	T_EXPECT_EQ(smbiov_xarray_populate(xa, 0, PG, 10), -EINVAL);
	T_EXPECT_EQ(smbiov_xarray_populate(xa, INT64_MAX - 10, 100, 0),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_xarray_populate(xa, 0, 0, 0), 0);
	smbiov_folio_put(keep);
	smbiov_xarray_free(xa);
}

/* ---- randomised comparison against a flat model -------------------------- */

#define MODEL_PAGES 4096
#define MODEL_OPS   20000

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_random_model(void)
{
	static struct smbiov_folio *model[MODEL_PAGES];
	/* Run at two bases: a shallow tree and one reaching 1 << 40. */
	static const uint64_t bases[] = {0, (uint64_t)1 << 40};
	size_t b, op, i, bad = 0, nr = 0;

	for (b = 0; b < 2; b++) {
		struct smbiov_xarray *xa = smbiov_xarray_new();
		uint64_t base = bases[b];

		T_ASSERT(xa);
		memset(model, 0, sizeof(model));
		nr = 0;
		for (op = 0; op < MODEL_OPS; op++) {
			uint64_t r = rng();
			unsigned order = (unsigned)(r % 10);
			uint64_t idx = (r >> 8) % MODEL_PAGES;
			struct smbiov_folio *f;
			bool free_run = true;

			if (r & (1ull << 60)) {
				/* Erase whatever covers a random index. */
				f = smbiov_xarray_erase(xa, base + idx);
				bad += f != model[idx];
				if (!f)
					continue;
				for (i = 0; i < smbiov_folio_nr_pages(f); i++)
					model[f->index - base + i] = NULL;
				smbiov_folio_put(f);
				nr--;
				continue;
			}
			idx &= ~(((uint64_t)1 << order) - 1);
			for (i = 0; i < ((size_t)1 << order); i++)
				free_run &= model[idx + i] == NULL;
			f = folio_at(base + idx, order);
			bad += smbiov_xarray_insert(xa, f) !=
			       (free_run ? 0 : -EEXIST);
			if (free_run) {
				for (i = 0; i < ((size_t)1 << order); i++)
					model[idx + i] = f;
				nr++;
			}
			smbiov_folio_put(f);
			if (op % 512)
				continue;
			for (i = 0; i < MODEL_PAGES; i++)
				bad += smbiov_xarray_load(xa, base + i) !=
				       model[i];
		}
		for (i = 0; i < MODEL_PAGES; i++)
			bad += smbiov_xarray_load(xa, base + i) != model[i];
		bad += smbiov_xarray_nr_folios(xa) != nr;
		smbiov_xarray_free(xa);
	}
	T_EXPECT_EQ(bad, 0);
	T_EXPECT(nr > 0);
}

int main(void)
{
	T_RUN(test_insert_load_erase);
	T_RUN(test_large_orders);
	T_RUN(test_overlap_and_alignment);
	T_RUN(test_sparse_huge_indices);
	T_RUN(test_free_releases_all);
	T_RUN(test_populate);
	T_RUN(test_random_model);
	return t_done();
}
