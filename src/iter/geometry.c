/* SPDX-License-Identifier: MIT */
/*
 * Questions about the shape of what an iterator has left: segments, pages
 * and alignment. All are answered by walking a copy with a step function.
 */
#include "iter/iter_internal.h"

SMBIOV_API size_t smbiov_iter_single_seg_count(const struct smbiov_iter *i)
{
	if (!i->count)
		return 0;
	if (iter_is_array(i))
		return i->nr_segs ? iter_min(i->count,
					     iter_seg_len(i, 0) - i->iov_offset)
				  : 0;
	if (i->type == SMBIOV_ITER_BVECQ && i->bvecq_slot < i->bvecq->nr_segs)
		return iter_min(i->count, i->bvecq->bv[i->bvecq_slot].len -
						  i->iov_offset);
	return i->count;
}

static size_t step_count_segs(void *base, size_t progress, size_t len,
			      void *priv, void *priv2)
{
	(void)base;
	(void)progress;
	(void)len;
	(void)priv2;
	(*(size_t *)priv)++;
	return 0;
}

SMBIOV_API size_t smbiov_iter_nsegs(const struct smbiov_iter *i)
{
	size_t n = 0;

	if (i->type == SMBIOV_ITER_DISCARD)
		return 0;
	iter_walk_const(i, i->count, &n, NULL, step_count_segs);
	return n;
}

struct npages_ctx {
	size_t pages;
	size_t max;
};

static size_t step_npages(void *base, size_t progress, size_t len, void *priv,
			  void *priv2)
{
	struct npages_ctx *c = priv;

	(void)progress;
	(void)priv2;
	c->pages += iter_pages_spanned((uintptr_t)base, len);
	if (c->pages >= c->max) {
		c->pages = c->max;
		return len; /* stop the walk: the cap is reached */
	}
	return 0;
}

SMBIOV_API size_t smbiov_iter_npages(const struct smbiov_iter *i,
				     size_t maxpages)
{
	struct npages_ctx c = {.pages = 0, .max = maxpages};

	if (!i->count || !maxpages)
		return 0;
	switch (i->type) {
	case SMBIOV_ITER_DISCARD:
		return 0;
	case SMBIOV_ITER_XARRAY: {
		/* The range, not the folios: holes still count as pages. */
		uint64_t pos = (uint64_t)i->xarray_start + i->iov_offset;

		return iter_min(
			maxpages,
			iter_pages_spanned((uintptr_t)(pos % SMBIOV_PAGE_SIZE),
					   i->count));
	}
	default:
		iter_walk_const(i, i->count, &c, NULL, step_npages);
		return c.pages;
	}
}

static size_t step_alignment(void *base, size_t progress, size_t len,
			     void *priv, void *priv2)
{
	(void)progress;
	(void)priv2;
	*(unsigned long *)priv |= (unsigned long)(uintptr_t)base | len;
	return 0;
}

SMBIOV_API unsigned long smbiov_iter_alignment(const struct smbiov_iter *i)
{
	unsigned long res = 0;

	if (!i->count)
		return 0;
	switch (i->type) {
	case SMBIOV_ITER_DISCARD:
		return 0; /* no memory, so nothing to be misaligned */
	case SMBIOV_ITER_XARRAY:
		return (unsigned long)((uint64_t)i->xarray_start +
				       i->iov_offset) |
		       i->count;
	default:
		iter_walk_const(i, i->count, &res, NULL, step_alignment);
		return res;
	}
}

struct aligned_ctx {
	unsigned long addr_mask;
	unsigned long len_mask;
};

static size_t step_aligned(void *base, size_t progress, size_t len, void *priv,
			   void *priv2)
{
	const struct aligned_ctx *c = priv;

	(void)progress;
	(void)priv2;
	if (((uintptr_t)base & c->addr_mask) || (len & c->len_mask))
		return len;
	return 0;
}

SMBIOV_API bool smbiov_iter_is_aligned(const struct smbiov_iter *i,
				       unsigned long addr_mask,
				       unsigned long len_mask)
{
	struct aligned_ctx c = {addr_mask, len_mask};

	if (i->count & len_mask)
		return false;
	switch (i->type) {
	case SMBIOV_ITER_DISCARD:
		return true;
	case SMBIOV_ITER_XARRAY:
		return !(((uint64_t)i->xarray_start + i->iov_offset) &
			 addr_mask);
	default:
		return iter_walk_const(i, i->count, &c, NULL, step_aligned) ==
		       i->count;
	}
}

struct gap_ctx {
	unsigned long res;
	uintptr_t prev_end; /* 0 until the first span */
};

static size_t step_gap(void *base, size_t progress, size_t len, void *priv,
		       void *priv2)
{
	struct gap_ctx *c = priv;

	(void)progress;
	(void)priv2;
	if (c->prev_end)
		c->res |= (unsigned long)((uintptr_t)base | c->prev_end);
	c->prev_end = (uintptr_t)base + len;
	return 0;
}

SMBIOV_API unsigned long smbiov_iter_gap_alignment(const struct smbiov_iter *i)
{
	struct gap_ctx c = {0, 0};

	if (i->type == SMBIOV_ITER_UBUF)
		return 0;
	if (i->type != SMBIOV_ITER_IOVEC && i->type != SMBIOV_ITER_KVEC)
		return ~0UL;
	iter_walk_const(i, i->count, &c, NULL, step_gap);
	return c.res;
}
