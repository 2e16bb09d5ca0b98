/* SPDX-License-Identifier: MIT */
/*
 * Moving an iterator without touching its memory: advance, revert,
 * truncate/reexpand, snapshots and owned duplicates.
 */
#include "iter/iter_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* @size counts from the start of the current element. */
static void advance_bvecq(struct smbiov_iter *i, size_t size)
{
	const struct smbiov_bvecq *q = i->bvecq;
	size_t slot = i->bvecq_slot;

	for (;;) {
		if (slot >= q->nr_segs) {
			if (!q->next)
				break;
			q = q->next;
			slot = 0;
			continue;
		}
		if (size < q->bv[slot].len)
			break;
		size -= q->bv[slot].len;
		slot++;
	}
	i->bvecq = q;
	i->bvecq_slot = slot;
	i->iov_offset = size;
}

SMBIOV_API void smbiov_iter_advance(struct smbiov_iter *i, size_t size)
{
	size = iter_min(size, i->count);
	if (!size)
		return;
	/*
	 * UBUF and XARRAY are a single range: moving is arithmetic, and an
	 * XARRAY advance must not stop at a hole the way a walk does.
	 */
	if (i->type == SMBIOV_ITER_UBUF || i->type == SMBIOV_ITER_XARRAY) {
		i->iov_offset += size;
		i->count -= size;
		i->advanced += size;
		return;
	}
	i->count -= size;
	i->advanced += size;
	if (i->type == SMBIOV_ITER_DISCARD)
		return;
	/*
	 * Segment types: subtract whole segments while the size reaches
	 * their end, so an exact landing moves past the finished segment and
	 * any empty ones after it (the kernel's rule).
	 */
	size += i->iov_offset;
	if (i->type == SMBIOV_ITER_BVECQ) {
		advance_bvecq(i, size);
		return;
	}
	while (i->nr_segs && size >= iter_seg_len(i, 0)) {
		size -= iter_seg_len(i, 0);
		if (i->type == SMBIOV_ITER_BVEC)
			i->bvec++;
		else
			i->iov++;
		i->nr_segs--;
	}
	i->iov_offset = size;
}

/* Step an array iterator back over whole segments until @unroll fits. */
static void revert_array(struct smbiov_iter *i, size_t unroll)
{
	for (;;) {
		size_t n;

		if (i->type == SMBIOV_ITER_BVEC)
			i->bvec--;
		else
			i->iov--;
		i->nr_segs++;
		n = iter_seg_len(i, 0);
		if (unroll <= n) {
			i->iov_offset = n - unroll;
			return;
		}
		unroll -= n;
	}
}

static void revert_bvecq(struct smbiov_iter *i, size_t unroll)
{
	const struct smbiov_bvecq *q = i->bvecq;
	size_t slot = i->bvecq_slot;

	for (;;) {
		size_t n;

		while (slot == 0) {
			q = q->prev;
			slot = q->nr_segs;
		}
		slot--;
		n = q->bv[slot].len;
		if (unroll <= n) {
			i->iov_offset = n - unroll;
			break;
		}
		unroll -= n;
	}
	i->bvecq = q;
	i->bvecq_slot = slot;
}

SMBIOV_API int smbiov_iter_revert(struct smbiov_iter *i, size_t unroll)
{
	if (!unroll)
		return 0;
	/*
	 * Only what was advanced may be unwound: memory before the
	 * construction point may not be ours (the kernel BUG()s here).
	 */
	if (unroll > i->advanced)
		return -EINVAL;
	i->count += unroll;
	i->advanced -= unroll;
	if (i->type == SMBIOV_ITER_DISCARD)
		return 0;
	if (unroll <= i->iov_offset) {
		i->iov_offset -= unroll;
		return 0;
	}
	unroll -= i->iov_offset;
	if (i->type == SMBIOV_ITER_BVECQ)
		revert_bvecq(i, unroll);
	else
		revert_array(i, unroll);
	return 0;
}

SMBIOV_API void smbiov_iter_truncate(struct smbiov_iter *i, uint64_t n)
{
	if (i->count > n)
		i->count = (size_t)n;
}

SMBIOV_API int smbiov_iter_reexpand(struct smbiov_iter *i, size_t n)
{
	/* The segments hold span - advanced bytes from here; no more. */
	if (n > i->span - i->advanced)
		return -EINVAL;
	i->count = n;
	return 0;
}

SMBIOV_API void smbiov_iter_save_state(const struct smbiov_iter *i,
				       struct smbiov_iter_state *st)
{
	st->iov_offset = i->iov_offset;
	st->count = i->count;
	st->advanced = i->advanced;
	st->nr_segs = i->nr_segs;
	st->seg = i->ubuf;
}

SMBIOV_API int smbiov_iter_restore(struct smbiov_iter *i,
				   const struct smbiov_iter_state *st)
{
	/*
	 * As in the kernel, only the array types (and UBUF) are restorable;
	 * page-cache and queue positions are re-derived, not snapshotted.
	 */
	if (i->type == SMBIOV_ITER_XARRAY || i->type == SMBIOV_ITER_BVECQ)
		return -EINVAL;
	/* The snapshot must come from this iterator's own history. */
	if (st->advanced > i->span || st->count > i->span - st->advanced)
		return -EINVAL;
	i->iov_offset = st->iov_offset;
	i->count = st->count;
	i->advanced = st->advanced;
	i->nr_segs = st->nr_segs;
	i->ubuf = (void *)st->seg;
	return 0;
}

SMBIOV_API int smbiov_iter_dup(struct smbiov_iter *dst,
			       const struct smbiov_iter *src, void **array)
{
	size_t elem, bytes;
	void *copy;

	*array = NULL;
	if (!iter_is_array(src)) {
		*dst = *src;
		return 0;
	}
	elem = src->type == SMBIOV_ITER_BVEC ? sizeof(struct smbiov_bvec)
					     : sizeof(struct iovec);
	bytes = src->nr_segs * elem;
	copy = malloc(bytes ? bytes : 1);
	if (!copy)
		return -ENOMEM;
	if (bytes)
		memcpy(copy, src->ubuf, bytes);
	*dst = *src;
	dst->ubuf = copy;
	/*
	 * The copy starts at the current segment: nothing before it exists,
	 * so the duplicate can only be reverted within the current segment.
	 */
	dst->span -= dst->advanced - iter_min(dst->advanced, dst->iov_offset);
	dst->advanced = iter_min(dst->advanced, dst->iov_offset);
	*array = copy;
	return 0;
}
