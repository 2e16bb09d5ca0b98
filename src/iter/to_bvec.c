// SPDX-License-Identifier: MIT
/*
 * Iterator -> BVEC conversion (kernel-iov-iter-design.md §2.1).
 *
 * An async request must not refer to the caller's iovec array once the
 * submitting call has returned, and the caller's pages must stay borrowed
 * until the I/O completes. Converting to an owned BVEC solves both: the
 * element array is ours, and each caller page in it carries a pin.
 */
#include "iter/convert_internal.h"

#include <smbiov/mem.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

ssize_t smbiov_conv_extract_user(struct smbiov_iter *it, size_t maxsize,
				 size_t maxpages, void **pages,
				 smbiov_conv_page_fn emit, void *priv)
{
	size_t done = 0, used = 0;

	while (done < maxsize && used < maxpages) {
		void **p = pages;
		size_t off0 = 0, left, npages, k;
		ssize_t ret;

		ret = smbiov_iter_extract_pages(it, &p, maxsize - done,
						maxpages - used, &off0);
		if (ret < 0)
			return ret;
		/* 0 = a hole or nothing left: stop, never retry. */
		if (ret == 0)
			break;

		npages = (off0 + (size_t)ret + SMBIOV_PAGE_SIZE - 1) >>
			 SMBIOV_PAGE_SHIFT;
		if (p != pages || off0 >= SMBIOV_PAGE_SIZE ||
		    (size_t)ret > maxsize - done || npages > maxpages - used) {
			/*
			 * The extractor broke its contract; we cannot know
			 * what it pinned beyond what fits, so release what
			 * we can see and fail rather than guess.
			 */
			if (p == pages)
				smbiov_unpin_pages(pages,
						   npages < maxpages - used
							   ? npages
							   : maxpages - used);
			return -EIO;
		}

		left = (size_t)ret;
		for (k = 0; k < npages; k++) {
			size_t off = k ? 0 : off0;
			size_t len = SMBIOV_PAGE_SIZE - off;

			if (len > left)
				len = left;
			emit(priv, pages[k], off, len);
			left -= len;
		}
		used += npages;
		done += (size_t)ret;
	}
	return (ssize_t)done;
}

static void bvec_emit_page(void *priv, void *page, size_t offset, size_t len)
{
	struct smbiov_bvec_list *list = priv;
	struct smbiov_bvec *bv = &list->bv[list->nr++];

	bv->page = page;
	bv->offset = offset;
	bv->len = len;
	list->npinned++;
}

/* First pass over library memory: how many spans will we record? */
static size_t bvec_count_step(void *base, size_t progress, size_t len,
			      void *priv, void *priv2)
{
	size_t *nr = priv;

	(void)base;
	(void)progress;
	(void)priv2;
	if (len)
		(*nr)++;
	return 0;
}

static size_t bvec_record_step(void *base, size_t progress, size_t len,
			       void *priv, void *priv2)
{
	struct smbiov_bvec_list *list = priv;
	const size_t *cap = priv2;
	struct smbiov_bvec *bv;

	(void)progress;
	if (!len)
		return 0;
	/* The two walks disagree: stop here rather than overrun. */
	if (list->nr >= *cap)
		return len;
	bv = &list->bv[list->nr++];
	bv->page = smbiov_conv_page_of(base);
	bv->offset = smbiov_conv_offset_in_page(base);
	bv->len = len;
	return 0;
}

static ssize_t to_bvec_user(struct smbiov_iter *it, size_t maxsize,
			    struct smbiov_bvec_list *list)
{
	struct smbiov_iter view = *it;
	void **pages;
	size_t npages;
	ssize_t ret;

	smbiov_iter_truncate(&view, maxsize);
	npages = smbiov_iter_npages(&view, SIZE_MAX);
	if (!npages)
		return 0;

	list->bv = calloc(npages, sizeof(*list->bv));
	if (!list->bv)
		return -ENOMEM;
	pages = calloc(npages, sizeof(*pages));
	if (!pages)
		return -ENOMEM; /* the caller frees list->bv */

	ret = smbiov_conv_extract_user(it, maxsize, npages, pages,
				       bvec_emit_page, list);
	free(pages);
	return ret;
}

static ssize_t to_bvec_kernel(struct smbiov_iter *it, size_t maxsize,
			      struct smbiov_bvec_list *list)
{
	struct smbiov_iter view = *it;
	size_t nr = 0;

	smbiov_iterate_and_advance(&view, maxsize, &nr, NULL, bvec_count_step);
	if (!nr)
		return 0; /* e.g. an XARRAY iterator starting at a hole */

	list->bv = calloc(nr, sizeof(*list->bv));
	if (!list->bv)
		return -ENOMEM;
	return (ssize_t)smbiov_iterate_and_advance(it, maxsize, list, &nr,
						   bvec_record_step);
}

/**
 * smbiov_iter_to_bvec - convert up to @maxsize bytes of @orig into a BVEC
 * @orig: source iterator; advanced by the bytes converted
 * @maxsize: bytes wanted (clamped to the count)
 * @list: receives the owned array; release with smbiov_bvec_list_release()
 * @out: set to a BVEC iterator (same direction as @orig) over @list
 *
 * See include/smbiov/iter.h. The work happens on a copy of @orig that is
 * committed only on success, so no failure can leave @orig half advanced.
 * An XARRAY hole ends the conversion early (the return value says how far
 * it got; 0 if the iterator starts at a hole).
 */
SMBIOV_API ssize_t smbiov_iter_to_bvec(struct smbiov_iter *orig, size_t maxsize,
				       struct smbiov_bvec_list *list,
				       struct smbiov_iter *out)
{
	struct smbiov_iter it = *orig;
	unsigned dir = orig->source ? SMBIOV_ITER_SOURCE : SMBIOV_ITER_DEST;
	ssize_t ret;
	int err;

	memset(list, 0, sizeof(*list));
	err = smbiov_iter_bvec(out, dir, NULL, 0, 0);
	if (err)
		return err;

	if (orig->type == SMBIOV_ITER_DISCARD)
		return -EFAULT;
	/* Even an empty list says what kind of list it is. */
	list->cleanup = smbiov_iter_extract_cleanup(orig);
	if (maxsize > orig->count)
		maxsize = orig->count;
	if (!maxsize)
		return 0;

	if (smbiov_iter_extract_will_pin(orig))
		ret = to_bvec_user(&it, maxsize, list);
	else
		ret = to_bvec_kernel(&it, maxsize, list);
	if (ret < 0)
		goto err_release;

	err = smbiov_iter_bvec(out, dir, list->bv, list->nr, (size_t)ret);
	if (err) {
		ret = err;
		goto err_release;
	}
	*orig = it;
	return ret;

err_release:
	/* Unpins what was pinned (never a plain free of borrowed pages). */
	smbiov_bvec_list_release(list);
	return ret;
}

/**
 * smbiov_bvec_list_release - undo smbiov_iter_to_bvec()
 * @list: list to release; left empty (releasing it again is a no-op)
 *
 * Runs the cleanup recorded in @list on every element (unpin caller pages,
 * free our own pages, or nothing), then frees the element array.
 */
SMBIOV_API void smbiov_bvec_list_release(struct smbiov_bvec_list *list)
{
	size_t k;

	if (!list)
		return;
	switch (list->cleanup) {
	case SMBIOV_CLEANUP_UNPIN:
		/* One element per pinned page, each holding one pin. */
		for (k = 0; k < list->nr; k++)
			smbiov_unpin_pages(&list->bv[k].page, 1);
		break;
	case SMBIOV_CLEANUP_FREE:
		for (k = 0; k < list->nr; k++)
			smbiov_page_free(list->bv[k].page);
		break;
	case SMBIOV_CLEANUP_NONE:
		break;
	}
	free(list->bv);
	memset(list, 0, sizeof(*list));
}
