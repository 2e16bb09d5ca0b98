// SPDX-License-Identifier: MIT
/*
 * Iterator -> RDMA scatter/gather elements (kernel-iov-iter-design.md
 * §2.3). The kernel's version unwound one SGE too few on failure; here the
 * walk runs on a copy of the iterator and the list's length is simply put
 * back, so a failure cannot leave anything half done.
 */
#include "iter/convert_internal.h"

#include <infiniband/verbs.h>

#include <errno.h>
#include <stdint.h>

struct sge_walk {
	struct smbiov_sge_list *l;
	smbiov_lkey_lookup_fn lookup;
	void *ctx;
	int err;
};

/*
 * Describe one contiguous span, cutting it wherever the registered region
 * holding it ends and wherever an SGE would exceed its 32-bit length.
 */
static size_t sge_span_step(void *base, size_t progress, size_t len, void *priv,
			    void *priv2)
{
	struct sge_walk *w = priv;
	uint64_t addr = (uintptr_t)base;
	size_t left = len;

	(void)progress;
	(void)priv2;
	while (left) {
		struct ibv_sge *sge;
		size_t covered = 0, n;
		uint32_t lkey = 0;
		int err;

		if (w->l->nr >= w->l->max) {
			w->err = -E2BIG;
			break;
		}
		err = w->lookup(w->ctx, addr, left, &lkey, &covered);
		if (err) {
			w->err = err < 0 ? err : -EINVAL;
			break;
		}
		/* A region covering nothing would make us spin. */
		if (!covered) {
			w->err = -EINVAL;
			break;
		}
		n = left < covered ? left : covered;
		if (n > UINT32_MAX)
			n = UINT32_MAX;

		sge = &w->l->sge[w->l->nr++];
		sge->addr = addr;
		sge->length = (uint32_t)n;
		sge->lkey = lkey;
		addr += n;
		left -= n;
	}
	return left;
}

/**
 * smbiov_extract_iter_to_sge - append RDMA SGEs for @len bytes of @i
 * @i: KVEC, BVEC, XARRAY or BVECQ iterator
 * @len: bytes to describe (clamped to the count)
 * @l: list to append to
 * @lookup: region lookup; SGEs are split at region ends and at 4 GiB
 * @ctx: passed to @lookup
 *
 * See include/smbiov/iter.h. All or nothing: on failure l->nr and @i are as
 * they were on entry (entries past l->nr may have been scribbled on). A
 * hole in an XARRAY range cannot be described and fails with -ENODATA.
 * Returns the bytes described, -EIO for UBUF/IOVEC/DISCARD (caller memory
 * must be pinned into a BVEC first), -EINVAL for a bad list or lookup,
 * -E2BIG when the list has too few free slots, or the lookup's error.
 */
SMBIOV_API ssize_t smbiov_extract_iter_to_sge(struct smbiov_iter *i, size_t len,
					      struct smbiov_sge_list *l,
					      smbiov_lkey_lookup_fn lookup,
					      void *ctx)
{
	struct smbiov_iter it = *i;
	struct sge_walk w = {
		.l = l,
		.lookup = lookup,
		.ctx = ctx,
	};
	size_t nr0, done;

	switch (i->type) {
	case SMBIOV_ITER_KVEC:
	case SMBIOV_ITER_BVEC:
	case SMBIOV_ITER_XARRAY:
	case SMBIOV_ITER_BVECQ:
		break;
	default:
		return -EIO;
	}
	if (!l || !lookup || l->nr > l->max || (!l->sge && l->max))
		return -EINVAL;
	if (len > i->count)
		len = i->count;
	if (!len)
		return 0;

	nr0 = l->nr;
	done = smbiov_iterate_and_advance(&it, len, &w, NULL, sge_span_step);
	if (!w.err && done != len)
		w.err = -ENODATA;
	if (w.err) {
		l->nr = nr0;
		return w.err;
	}
	*i = it;
	return (ssize_t)done;
}
