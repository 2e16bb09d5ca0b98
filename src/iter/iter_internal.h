/* SPDX-License-Identifier: MIT */
/* Private helpers shared by the src/iter/ files. */
#ifndef SMBIOV_ITER_INTERNAL_H
#define SMBIOV_ITER_INTERNAL_H

#include <smbiov/iter.h>
#include <smbiov/mem.h>

static inline size_t iter_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Length of segment @k (relative to the current one) of an array type. */
static inline size_t iter_seg_len(const struct smbiov_iter *i, size_t k)
{
	if (i->type == SMBIOV_ITER_BVEC)
		return i->bvec[k].len;
	return i->iov[k].iov_len;
}

/* Start address of segment @k of an array type. */
static inline char *iter_seg_base(const struct smbiov_iter *i, size_t k)
{
	if (i->type == SMBIOV_ITER_BVEC)
		return (char *)i->bvec[k].page + i->bvec[k].offset;
	return i->iov[k].iov_base;
}

static inline bool iter_is_array(const struct smbiov_iter *i)
{
	return i->type == SMBIOV_ITER_IOVEC || i->type == SMBIOV_ITER_KVEC ||
	       i->type == SMBIOV_ITER_BVEC;
}

static inline size_t iter_pages_spanned(uintptr_t addr, size_t len)
{
	return (addr % SMBIOV_PAGE_SIZE + len + SMBIOV_PAGE_SIZE - 1) /
	       SMBIOV_PAGE_SIZE;
}

/*
 * iter_walk_const - run @step over up to @len bytes of @i without moving it.
 * Returns the bytes the walk covered.
 */
static inline size_t iter_walk_const(const struct smbiov_iter *i, size_t len,
				     void *priv, void *priv2,
				     smbiov_iter_step_fn step)
{
	struct smbiov_iter copy = *i;

	return smbiov_iterate_and_advance(&copy, len, priv, priv2, step);
}

#endif
