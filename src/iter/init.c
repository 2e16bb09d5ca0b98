/* SPDX-License-Identifier: MIT */
/*
 * Iterator constructors. Unlike the kernel's, they validate: a client
 * library builds iterators from caller input, so a bad segment array must be
 * an error the caller sees, not a walk off the end of memory later.
 */
#include "iter/iter_internal.h"

#include <errno.h>

static int iter_init_common(struct smbiov_iter *i, unsigned dir, uint8_t type,
			    size_t count)
{
	if (!i || dir > SMBIOV_ITER_SOURCE)
		return -EINVAL;
	if (count > SMBIOV_MAX_RW_COUNT)
		return -EOVERFLOW;
	*i = (struct smbiov_iter){
		.type = type,
		.source = dir == SMBIOV_ITER_SOURCE,
		.count = count,
		.span = count, /* array types: what the segments hold */
	};
	return 0;
}

/*
 * Sum the lengths of an (addr, len) array, checking each element. The sum
 * is bounded by SMBIOV_MAX_RW_COUNT so it can never wrap.
 */
static int iter_check_iov(const struct iovec *v, size_t nr, size_t count,
			  size_t *total_out)
{
	size_t total = 0;

	if (nr && !v)
		return -EINVAL;
	for (size_t k = 0; k < nr; k++) {
		if (v[k].iov_len && !v[k].iov_base)
			return -EINVAL;
		if (v[k].iov_len > SMBIOV_MAX_RW_COUNT - total)
			return -EOVERFLOW;
		total += v[k].iov_len;
	}
	*total_out = total;
	return count > total ? -EINVAL : 0;
}

SMBIOV_API int smbiov_iter_ubuf(struct smbiov_iter *i, unsigned dir, void *buf,
				size_t count)
{
	int ret;

	if (count && !buf)
		return -EINVAL;
	ret = iter_init_common(i, dir, SMBIOV_ITER_UBUF, count);
	if (ret)
		return ret;
	i->ubuf = buf;
	i->nr_segs = 1;
	return 0;
}

static int iter_init_iov(struct smbiov_iter *i, unsigned dir, uint8_t type,
			 const struct iovec *v, size_t nr, size_t count)
{
	size_t total;
	int ret = iter_check_iov(v, nr, count, &total);

	if (ret)
		return ret;
	ret = iter_init_common(i, dir, type, count);
	if (ret)
		return ret;
	i->span = total;
	i->iov = v;
	i->nr_segs = nr;
	return 0;
}

SMBIOV_API int smbiov_iter_iovec(struct smbiov_iter *i, unsigned dir,
				 const struct iovec *iov, size_t nr_segs,
				 size_t count)
{
	return iter_init_iov(i, dir, SMBIOV_ITER_IOVEC, iov, nr_segs, count);
}

SMBIOV_API int smbiov_iter_kvec(struct smbiov_iter *i, unsigned dir,
				const struct iovec *kvec, size_t nr_segs,
				size_t count)
{
	return iter_init_iov(i, dir, SMBIOV_ITER_KVEC, kvec, nr_segs, count);
}

SMBIOV_API int smbiov_iter_bvec(struct smbiov_iter *i, unsigned dir,
				const struct smbiov_bvec *bvec, size_t nr_segs,
				size_t count)
{
	size_t total = 0;
	int ret;

	if (nr_segs && !bvec)
		return -EINVAL;
	for (size_t k = 0; k < nr_segs; k++) {
		const struct smbiov_bvec *bv = &bvec[k];

		if (bv->len && !bv->page)
			return -EINVAL;
		if ((uintptr_t)bv->page % SMBIOV_PAGE_SIZE)
			return -EINVAL;
		if (bv->len > SMBIOV_MAX_RW_COUNT - total ||
		    bv->offset > SMBIOV_MAX_RW_COUNT)
			return -EOVERFLOW;
		total += bv->len;
	}
	if (count > total)
		return -EINVAL;
	ret = iter_init_common(i, dir, SMBIOV_ITER_BVEC, count);
	if (ret)
		return ret;
	i->span = total;
	i->bvec = bvec;
	i->nr_segs = nr_segs;
	return 0;
}

SMBIOV_API int smbiov_iter_xarray(struct smbiov_iter *i, unsigned dir,
				  struct smbiov_xarray *xa, int64_t start,
				  size_t count)
{
	int ret;

	if (!xa || start < 0)
		return -EINVAL;
	if (count > SMBIOV_MAX_RW_COUNT)
		return -EOVERFLOW;
	if ((uint64_t)start > (uint64_t)INT64_MAX - count)
		return -EOVERFLOW;
	ret = iter_init_common(i, dir, SMBIOV_ITER_XARRAY, count);
	if (ret)
		return ret;
	i->xarray = xa;
	i->xarray_start = start;
	return 0;
}

SMBIOV_API int smbiov_iter_bvecq(struct smbiov_iter *i, unsigned dir,
				 const struct smbiov_bvecq *q, size_t slot,
				 size_t offset, size_t count)
{
	size_t total = 0;
	int ret;

	if (!q || slot > q->nr_segs ||
	    (slot == q->nr_segs ? offset != 0 : offset > q->bv[slot].len))
		return -EINVAL;
	/*
	 * Bytes available from (slot, offset) to the end of the queue; a
	 * queue may hold more than one iterator can describe, so the sum is
	 * capped rather than refused.
	 */
	for (const struct smbiov_bvecq *s = q; s; s = s->next) {
		for (size_t k = s == q ? slot : 0; k < s->nr_segs; k++) {
			size_t len = s->bv[k].len;

			if (s == q && k == slot)
				len -= offset;
			total += iter_min(len, SMBIOV_MAX_RW_COUNT - total);
		}
	}
	if (count > total)
		return -EINVAL;
	ret = iter_init_common(i, dir, SMBIOV_ITER_BVECQ, count);
	if (ret)
		return ret;
	i->span = total;
	i->bvecq = q;
	i->bvecq_slot = slot;
	i->iov_offset = offset;
	return 0;
}

SMBIOV_API int smbiov_iter_discard(struct smbiov_iter *i, unsigned dir,
				   size_t count)
{
	/* A sink can only receive. */
	if (dir != SMBIOV_ITER_DEST)
		return -EINVAL;
	return iter_init_common(i, dir, SMBIOV_ITER_DISCARD, count);
}
