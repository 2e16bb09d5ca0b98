/* SPDX-License-Identifier: MIT */
/*
 * Page extraction with the ownership rule (DESIGN.md §2): pages of caller
 * memory (UBUF/IOVEC) come back pinned in the pin registry; library memory
 * comes back with nothing taken. One call yields one run of pages in which
 * only the first may start mid-page and every page but the last is used to
 * its end.
 */
#include "iter/iter_internal.h"

#include <errno.h>
#include <stdlib.h>

/* Make sure *pages can hold @want entries, allocating if the caller asked. */
static int want_pages_array(void ***pages, size_t want)
{
	if (*pages)
		return 0;
	*pages = calloc(want, sizeof(void *));
	return *pages ? 0 : -ENOMEM;
}

/*
 * UBUF, IOVEC, KVEC: the current element only (the kernel's rule), from
 * the first non-empty one.
 */
static ssize_t extract_linear(struct smbiov_iter *i, void ***pages,
			      size_t maxsize, size_t maxpages, size_t *offset0)
{
	uintptr_t addr;
	size_t len, npages, k;
	int ret;

	if (i->type == SMBIOV_ITER_UBUF) {
		addr = (uintptr_t)i->ubuf + i->iov_offset;
		len = maxsize;
	} else {
		/*
		 * Start at the first non-empty element; the iterator itself
		 * moves only on success (advance skips the empty ones).
		 */
		size_t seg = 0, skip = i->iov_offset;

		while (seg < i->nr_segs && skip >= iter_seg_len(i, seg)) {
			seg++;
			skip = 0;
		}
		if (seg == i->nr_segs)
			return 0;
		addr = (uintptr_t)iter_seg_base(i, seg) + skip;
		len = iter_min(maxsize, iter_seg_len(i, seg) - skip);
	}
	*offset0 = addr % SMBIOV_PAGE_SIZE;
	npages = iter_min(maxpages, iter_pages_spanned(addr, len));
	len = iter_min(len, npages * SMBIOV_PAGE_SIZE - *offset0);
	ret = want_pages_array(pages, npages);
	if (ret)
		return ret;
	for (k = 0; k < npages; k++)
		(*pages)[k] = (void *)((addr & SMBIOV_PAGE_MASK) +
				       k * SMBIOV_PAGE_SIZE);
	if (smbiov_iter_extract_will_pin(i)) {
		ret = smbiov_pin_pages(*pages, npages);
		if (ret)
			return ret;
	}
	smbiov_iter_advance(i, len);
	return (ssize_t)len;
}

/* Cursor over the (page-granular) elements of BVEC and BVECQ. */
struct bv_cursor {
	const struct smbiov_bvec *bv; /* current element, NULL at the end */
	size_t skip;
	const struct smbiov_bvec *arr;
	size_t idx, nr;
	const struct smbiov_bvecq *q;
};

static void cursor_settle(struct bv_cursor *c)
{
	for (;;) {
		if (c->idx < c->nr) {
			c->bv = &c->arr[c->idx];
			if (c->skip < c->bv->len)
				return;
			c->idx++;
			c->skip = 0;
			continue;
		}
		if (!c->q || !c->q->next) {
			c->bv = NULL;
			return;
		}
		c->q = c->q->next;
		c->arr = c->q->bv;
		c->nr = c->q->nr_segs;
		c->idx = 0;
		c->skip = 0;
	}
}

/*
 * BVEC, BVECQ: gather across elements while each one ends on a page end
 * and the next starts on a page start, so the run stays "first page may be
 * offset, the rest are whole".
 */
static ssize_t extract_bvecs(struct smbiov_iter *i, void ***pages,
			     size_t maxsize, size_t maxpages, size_t *offset0)
{
	struct bv_cursor c = {.skip = i->iov_offset};
	size_t npages = 0, len = 0, want;
	uintptr_t addr;
	int ret;

	if (i->type == SMBIOV_ITER_BVEC) {
		c.arr = i->bvec;
		c.nr = i->nr_segs;
	} else {
		c.q = i->bvecq;
		c.arr = c.q->bv;
		c.nr = c.q->nr_segs;
		c.idx = i->bvecq_slot;
	}
	cursor_settle(&c);
	if (!c.bv)
		return 0;
	addr = (uintptr_t)c.bv->page + c.bv->offset + c.skip;
	*offset0 = addr % SMBIOV_PAGE_SIZE;
	want = iter_min(maxpages, iter_pages_spanned(addr, maxsize));
	ret = want_pages_array(pages, want);
	if (ret)
		return ret;
	while (c.bv && len < maxsize && npages < want) {
		size_t part = iter_min(c.bv->len - c.skip, maxsize - len);
		size_t n;

		addr = (uintptr_t)c.bv->page + c.bv->offset + c.skip;
		if (len && addr % SMBIOV_PAGE_SIZE)
			break; /* would leave a hole inside the run */
		n = iter_min(want - npages, iter_pages_spanned(addr, part));
		part = iter_min(part,
				n * SMBIOV_PAGE_SIZE - addr % SMBIOV_PAGE_SIZE);
		for (size_t k = 0; k < n; k++)
			(*pages)[npages + k] =
				(void *)((addr & SMBIOV_PAGE_MASK) +
					 k * SMBIOV_PAGE_SIZE);
		npages += n;
		len += part;
		c.skip += part;
		if ((addr + part) % SMBIOV_PAGE_SIZE)
			break; /* ended mid-page: the run ends here */
		cursor_settle(&c);
	}
	smbiov_iter_advance(i, len);
	return (ssize_t)len;
}

/* XARRAY: consecutive page indices up to the first hole. */
static ssize_t extract_xarray(struct smbiov_iter *i, void ***pages,
			      size_t maxsize, size_t maxpages, size_t *offset0)
{
	uint64_t pos = (uint64_t)i->xarray_start + i->iov_offset;
	uint64_t index = pos >> SMBIOV_PAGE_SHIFT;
	size_t want, npages = 0, len;
	int ret;

	*offset0 = pos % SMBIOV_PAGE_SIZE;
	want = iter_min(maxpages, iter_pages_spanned(pos, maxsize));
	ret = want_pages_array(pages, want);
	if (ret)
		return ret;
	while (npages < want) {
		struct smbiov_folio *f = smbiov_xarray_load(i->xarray, index);

		if (!f)
			break;
		(*pages)[npages++] = (char *)f->addr +
				     ((index - f->index) << SMBIOV_PAGE_SHIFT);
		index++;
	}
	if (!npages)
		return 0;
	len = iter_min(maxsize, npages * SMBIOV_PAGE_SIZE - *offset0);
	smbiov_iter_advance(i, len);
	return (ssize_t)len;
}

SMBIOV_API ssize_t smbiov_iter_extract_pages(struct smbiov_iter *i,
					     void ***pages, size_t maxsize,
					     size_t maxpages, size_t *offset0)
{
	size_t off = 0;
	ssize_t ret;
	bool allocated;

	if (!i || !pages || !offset0 || !maxpages)
		return -EINVAL;
	allocated = *pages == NULL;
	maxsize = iter_min(iter_min(maxsize, i->count), SMBIOV_MAX_RW_COUNT);
	*offset0 = 0;
	if (!maxsize)
		return 0;
	switch (i->type) {
	case SMBIOV_ITER_UBUF:
	case SMBIOV_ITER_IOVEC:
	case SMBIOV_ITER_KVEC:
		ret = extract_linear(i, pages, maxsize, maxpages, &off);
		break;
	case SMBIOV_ITER_BVEC:
	case SMBIOV_ITER_BVECQ:
		ret = extract_bvecs(i, pages, maxsize, maxpages, &off);
		break;
	case SMBIOV_ITER_XARRAY:
		ret = extract_xarray(i, pages, maxsize, maxpages, &off);
		break;
	default:
		return -EFAULT; /* DISCARD has no memory to describe */
	}
	if (ret > 0) {
		*offset0 = off;
	} else if (allocated) {
		/* Nothing to hand back: don't leave the caller an array to
		 * free. */
		free(*pages);
		*pages = NULL;
	}
	return ret;
}
