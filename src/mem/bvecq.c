// SPDX-License-Identifier: MIT
/*
 * BVECQ: a segmented, refcounted queue of bvec arrays.
 *
 * Producers append without ever reallocating (a full segment gets a
 * successor), so pointers into earlier segments stay valid while a request
 * is carved into subrequests. Each segment owns a reference on its
 * successor: holding any segment keeps the tail of the queue alive, and the
 * head can be dropped as soon as the I/O has moved past it. What the pages
 * need when a segment dies is recorded in the segment itself.
 */
#include <smbiov/mem.h>

#include <errno.h>
#include <stdlib.h>

/* Pages unpinned per smbiov_unpin_pages() call when a segment dies. */
#define BVECQ_UNPIN_BATCH 32

struct smbiov_bvecq *smbiov_bvecq_new(size_t max_segs,
				      enum smbiov_cleanup cleanup)
{
	struct smbiov_bvecq *q;

	if (max_segs == 0 || cleanup > SMBIOV_CLEANUP_FREE)
		return NULL;
	if (max_segs > (SIZE_MAX - sizeof(*q)) / sizeof(q->bv[0]))
		return NULL;
	q = malloc(sizeof(*q) + max_segs * sizeof(q->bv[0]));
	if (!q)
		return NULL;
	q->next = NULL;
	q->prev = NULL;
	q->refcount = 1;
	q->cleanup = cleanup;
	q->discontig = false;
	q->fpos = -1;
	q->nr_segs = 0;
	q->max_segs = max_segs;
	return q;
}

static size_t bvecq_seg_bytes(const struct smbiov_bvecq *q)
{
	size_t i, n = 0;

	for (i = 0; i < q->nr_segs; i++)
		n += q->bv[i].len;
	return n;
}

/**
 * smbiov_bvecq_append - add one page fragment at the end of a queue
 * @q: any segment of the queue; the element goes into the last one
 * @page: page-aligned address of the fragment's first page
 * @offset: offset of the data from @page (may exceed a page)
 * @len: bytes
 *
 * A full last segment gets a successor with the same capacity and cleanup;
 * the queue's reference on it is the one smbiov_bvecq_new() returned. The
 * new segment continues the file position of its predecessor when that is
 * known. For a FREE queue an element must lie inside its one page.
 * Returns 0, -EINVAL (NULL or unaligned page, offset + len overflowing, a
 * FREE element leaving its page), or -ENOMEM.
 */
int smbiov_bvecq_append(struct smbiov_bvecq *q, void *page, size_t offset,
			size_t len)
{
	struct smbiov_bvecq *seg;

	if (!q || !page || ((uintptr_t)page & ~SMBIOV_PAGE_MASK))
		return -EINVAL;
	if (len > SMBIOV_MAX_RW_COUNT || offset > SIZE_MAX - len)
		return -EINVAL;
	if (q->cleanup == SMBIOV_CLEANUP_FREE &&
	    offset + len > SMBIOV_PAGE_SIZE)
		return -EINVAL;

	while (q->next)
		q = q->next;
	if (q->nr_segs == q->max_segs) {
		seg = smbiov_bvecq_new(q->max_segs, q->cleanup);
		if (!seg)
			return -ENOMEM;
		if (q->fpos >= 0)
			seg->fpos = q->fpos + (int64_t)bvecq_seg_bytes(q);
		seg->prev = q;
		q->next = seg;
		q = seg;
	}
	q->bv[q->nr_segs].page = page;
	q->bv[q->nr_segs].offset = offset;
	q->bv[q->nr_segs].len = len;
	q->nr_segs++;
	return 0;
}

struct smbiov_bvecq *smbiov_bvecq_get(struct smbiov_bvecq *q)
{
	if (q)
		__atomic_add_fetch(&q->refcount, 1, __ATOMIC_RELAXED);
	return q;
}

/* Unpin every page each element touches, in batches. */
static void bvecq_unpin(const struct smbiov_bvecq *q)
{
	void *batch[BVECQ_UNPIN_BATCH];
	size_t i, n = 0;

	for (i = 0; i < q->nr_segs; i++) {
		const struct smbiov_bvec *bv = &q->bv[i];
		uintptr_t p, last;

		if (!bv->len)
			continue;
		p = ((uintptr_t)bv->page + bv->offset) & SMBIOV_PAGE_MASK;
		last = ((uintptr_t)bv->page + bv->offset + bv->len - 1) &
		       SMBIOV_PAGE_MASK;
		for (;; p += SMBIOV_PAGE_SIZE) {
			batch[n++] = (void *)p;
			if (n == BVECQ_UNPIN_BATCH) {
				smbiov_unpin_pages(batch, n);
				n = 0;
			}
			if (p == last)
				break;
		}
	}
	if (n)
		smbiov_unpin_pages(batch, n);
}

static void bvecq_release_pages(const struct smbiov_bvecq *q)
{
	size_t i;

	switch (q->cleanup) {
	case SMBIOV_CLEANUP_NONE:
		break;
	case SMBIOV_CLEANUP_UNPIN:
		bvecq_unpin(q);
		break;
	case SMBIOV_CLEANUP_FREE:
		for (i = 0; i < q->nr_segs; i++)
			smbiov_page_free(q->bv[i].page);
		break;
	}
}

/**
 * smbiov_bvecq_put - drop a reference on a segment
 * @q: segment (NULL is a no-op)
 *
 * The last reference releases the segment's pages as its cleanup says,
 * frees it and drops its reference on the successor. That cascade is a
 * loop, not recursion, so a queue of any length is safe to drop.
 */
void smbiov_bvecq_put(struct smbiov_bvecq *q)
{
	struct smbiov_bvecq *next;

	while (q) {
		if (__atomic_sub_fetch(&q->refcount, 1, __ATOMIC_ACQ_REL))
			return;
		next = q->next;
		bvecq_release_pages(q);
		/* The successor may live on: it must not point back at us. */
		if (next)
			__atomic_store_n(&next->prev, NULL, __ATOMIC_RELEASE);
		free(q);
		q = next;
	}
}

size_t smbiov_bvecq_bytes(const struct smbiov_bvecq *q)
{
	size_t n = 0;

	for (; q; q = q->next)
		n += bvecq_seg_bytes(q);
	return n;
}
