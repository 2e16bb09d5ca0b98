/* SPDX-License-Identifier: MIT */
/*
 * The one segment walker (DESIGN.md §6.1). Each type has a walker that
 * hands contiguous spans to a step function and moves the iterator by
 * exactly what the step processed; copy and zero are step functions. No
 * consumer switches on the iterator type.
 */
#include "iter/iter_internal.h"

#include <string.h>

/* UBUF: one span, no segment array. */
static size_t walk_ubuf(struct smbiov_iter *i, size_t len, void *priv,
			void *priv2, smbiov_iter_step_fn step)
{
	size_t remain =
		step((char *)i->ubuf + i->iov_offset, 0, len, priv, priv2);
	size_t done = len - remain;

	i->iov_offset += done;
	return done;
}

/*
 * IOVEC, KVEC, BVEC: one span per element piece; empty elements are
 * skipped. An element consumed to its end moves the pointer on, so after a
 * complete walk nr_segs counts only what is left.
 */
static size_t walk_array(struct smbiov_iter *i, size_t len, void *priv,
			 void *priv2, smbiov_iter_step_fn step)
{
	size_t progress = 0, skip = i->iov_offset, k = 0;

	while (len && k < i->nr_segs) {
		size_t seglen = iter_seg_len(i, k);
		size_t part = iter_min(len, seglen - skip);

		if (part) {
			size_t remain = step(iter_seg_base(i, k) + skip,
					     progress, part, priv, priv2);
			size_t consumed = part - remain;

			progress += consumed;
			skip += consumed;
			len -= consumed;
			if (skip < seglen)
				break;
		}
		k++;
		skip = 0;
	}
	if (i->type == SMBIOV_ITER_BVEC)
		i->bvec += k;
	else
		i->iov += k;
	i->nr_segs -= k;
	i->iov_offset = skip;
	return progress;
}

/*
 * XARRAY: one span per folio, found by index from the running position (not
 * from the iterator's start: the kernel's 2023 sg builder got that wrong for
 * every folio after the first). Stops at a hole.
 */
static size_t walk_xarray(struct smbiov_iter *i, size_t len, void *priv,
			  void *priv2, smbiov_iter_step_fn step)
{
	size_t progress = 0;

	while (len) {
		uint64_t pos = (uint64_t)i->xarray_start + i->iov_offset;
		struct smbiov_folio *f =
			smbiov_xarray_load(i->xarray, pos >> SMBIOV_PAGE_SHIFT);
		size_t off, part, remain;

		if (!f)
			break;
		off = (size_t)(pos - (f->index << SMBIOV_PAGE_SHIFT));
		part = iter_min(len, smbiov_folio_size(f) - off);
		remain = step((char *)f->addr + off, progress, part, priv,
			      priv2);
		part -= remain;
		progress += part;
		i->iov_offset += part;
		len -= part;
		if (remain)
			break;
	}
	return progress;
}

/*
 * BVECQ: one span per element; an exhausted segment hands over to the
 * next one lazily, so a walk that ends on a segment end leaves the
 * iterator there (slot == nr_segs) rather than needing the successor.
 */
static size_t walk_bvecq(struct smbiov_iter *i, size_t len, void *priv,
			 void *priv2, smbiov_iter_step_fn step)
{
	const struct smbiov_bvecq *q = i->bvecq;
	size_t progress = 0, slot = i->bvecq_slot, skip = i->iov_offset;

	while (len) {
		const struct smbiov_bvec *bv;
		size_t part;

		if (slot >= q->nr_segs) {
			if (!q->next)
				break;
			q = q->next;
			slot = 0;
			skip = 0;
			continue;
		}
		bv = &q->bv[slot];
		part = iter_min(len, bv->len - skip);
		if (part) {
			size_t remain =
				step((char *)bv->page + bv->offset + skip,
				     progress, part, priv, priv2);
			size_t consumed = part - remain;

			progress += consumed;
			skip += consumed;
			len -= consumed;
			if (skip < bv->len)
				break;
		}
		slot++;
		skip = 0;
	}
	i->bvecq = q;
	i->bvecq_slot = slot;
	i->iov_offset = skip;
	return progress;
}

SMBIOV_API size_t smbiov_iterate_and_advance(struct smbiov_iter *i, size_t len,
					     void *priv, void *priv2,
					     smbiov_iter_step_fn step)
{
	size_t done;

	len = iter_min(len, i->count);
	if (!len)
		return 0;
	switch (i->type) {
	case SMBIOV_ITER_UBUF:
		done = walk_ubuf(i, len, priv, priv2, step);
		break;
	case SMBIOV_ITER_IOVEC:
	case SMBIOV_ITER_KVEC:
	case SMBIOV_ITER_BVEC:
		done = walk_array(i, len, priv, priv2, step);
		break;
	case SMBIOV_ITER_XARRAY:
		done = walk_xarray(i, len, priv, priv2, step);
		break;
	case SMBIOV_ITER_BVECQ:
		done = walk_bvecq(i, len, priv, priv2, step);
		break;
	case SMBIOV_ITER_DISCARD:
		done = len;
		break;
	default:
		return 0;
	}
	i->count -= done;
	i->advanced += done;
	return done;
}

/* ---- copy and zero as step functions ------------------------------------- */

static size_t step_copy_to(void *base, size_t progress, size_t len, void *priv,
			   void *priv2)
{
	(void)priv2;
	memcpy(base, (const char *)priv + progress, len);
	return 0;
}

static size_t step_copy_from(void *base, size_t progress, size_t len,
			     void *priv, void *priv2)
{
	(void)priv2;
	memcpy((char *)priv + progress, base, len);
	return 0;
}

static size_t step_zero(void *base, size_t progress, size_t len, void *priv,
			void *priv2)
{
	(void)progress;
	(void)priv;
	(void)priv2;
	memset(base, 0, len);
	return 0;
}

SMBIOV_API size_t smbiov_copy_to_iter(const void *addr, size_t bytes,
				      struct smbiov_iter *i)
{
	if (i->source || (bytes && !addr))
		return 0;
	return smbiov_iterate_and_advance(i, bytes, (void *)addr, NULL,
					  step_copy_to);
}

SMBIOV_API size_t smbiov_copy_from_iter(void *addr, size_t bytes,
					struct smbiov_iter *i)
{
	if (!i->source || (bytes && !addr))
		return 0;
	return smbiov_iterate_and_advance(i, bytes, addr, NULL, step_copy_from);
}

SMBIOV_API bool smbiov_copy_from_iter_full(void *addr, size_t bytes,
					   struct smbiov_iter *i)
{
	size_t copied = smbiov_copy_from_iter(addr, bytes, i);

	if (copied == bytes)
		return true;
	/* Only what this call advanced is unwound, which revert allows. */
	smbiov_iter_revert(i, copied);
	return false;
}

SMBIOV_API size_t smbiov_iter_zero(size_t bytes, struct smbiov_iter *i)
{
	if (i->source)
		return 0;
	return smbiov_iterate_and_advance(i, bytes, NULL, NULL, step_zero);
}
