// SPDX-License-Identifier: MIT
/*
 * Iterator -> scatterlist (kernel-iov-iter-design.md §2.2), the segment list
 * the AEAD code encrypts and decrypts over.
 *
 * The kernel's 2023 version of this builder gave each page entry the total
 * length instead of the page's share, released pinned pages with a plain put
 * on its error path, and spun forever when extraction returned 0. Each has a
 * regression test in tests/unit/test_iter_to_sg.c.
 */
#include "iter/convert_internal.h"

#include <smbiov/mem.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/**
 * smbiov_sg_table_init - allocate an empty scatterlist table
 * @t: table to initialise
 * @max: capacity in entries (> 0)
 *
 * Returns 0, -EINVAL (@max 0 or too large) or -ENOMEM; on error @t is
 * zeroed, so smbiov_sg_table_release() on it is harmless.
 */
SMBIOV_API int smbiov_sg_table_init(struct smbiov_sg_table *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	if (!max || max > SIZE_MAX / sizeof(*t->sgl))
		return -EINVAL;
	t->sgl = calloc(max, sizeof(*t->sgl));
	if (!t->sgl)
		return -ENOMEM;
	t->max = max;
	t->cleanup = SMBIOV_CLEANUP_NONE;
	return 0;
}

/* Run the table's cleanup on entries [from, t->nents) and drop them. */
static void sg_release_entries(struct smbiov_sg_table *t, size_t from)
{
	size_t k;

	switch (t->cleanup) {
	case SMBIOV_CLEANUP_UNPIN:
		/* Pinned entries are one page each, one pin per entry. */
		for (k = from; k < t->nents; k++)
			smbiov_unpin_pages(&t->sgl[k].page, 1);
		break;
	case SMBIOV_CLEANUP_FREE:
		for (k = from; k < t->nents; k++)
			smbiov_page_free(t->sgl[k].page);
		break;
	case SMBIOV_CLEANUP_NONE:
		break;
	}
	t->nents = from;
}

/**
 * smbiov_sg_table_release - release every entry of @t and free it
 * @t: table; left zeroed (releasing it again is a no-op)
 *
 * Switches on the table's recorded cleanup: pinned entries are unpinned,
 * owned pages freed, borrowed memory left alone.
 */
SMBIOV_API void smbiov_sg_table_release(struct smbiov_sg_table *t)
{
	if (!t)
		return;
	if (t->sgl)
		sg_release_entries(t, 0);
	free(t->sgl);
	memset(t, 0, sizeof(*t));
}

static void sg_emit_page(void *priv, void *page, size_t offset, size_t len)
{
	struct smbiov_sg_table *t = priv;
	struct smbiov_sg *sg = &t->sgl[t->nents++];

	/* The page's own share, not the run's total (the 2023 bug). */
	sg->page = page;
	sg->offset = offset;
	sg->len = len;
}

/*
 * One entry per span the walker hands us: a whole KVEC/BVEC/BVECQ element
 * or XARRAY folio (clipped to the range). A full table stops the walk, so
 * the iterator advances by exactly what got an entry.
 */
static size_t sg_span_step(void *base, size_t progress, size_t len, void *priv,
			   void *priv2)
{
	struct smbiov_sg_table *t = priv;
	struct smbiov_sg *sg;

	(void)progress;
	(void)priv2;
	if (!len)
		return 0;
	if (t->nents >= t->max)
		return len;
	sg = &t->sgl[t->nents++];
	sg->page = smbiov_conv_page_of(base);
	sg->offset = smbiov_conv_offset_in_page(base);
	sg->len = len;
	return 0;
}

static ssize_t sg_extract_user(struct smbiov_iter *it, size_t maxsize,
			       struct smbiov_sg_table *t)
{
	struct smbiov_iter view = *it;
	size_t room = t->max - t->nents;
	size_t npages;
	void **pages;
	ssize_t ret;

	/* Size the scratch array by what the range needs, not the table. */
	smbiov_iter_truncate(&view, maxsize);
	npages = smbiov_iter_npages(&view, room);
	if (!npages)
		return 0;
	pages = calloc(npages, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	ret = smbiov_conv_extract_user(it, maxsize, npages, pages, sg_emit_page,
				       t);
	free(pages);
	return ret;
}

/**
 * smbiov_extract_iter_to_sg - append up to @maxsize bytes of @i to @t
 * @i: iterator; advanced by the bytes appended
 * @maxsize: bytes wanted
 * @t: table; entries are appended from t->nents, at most t->max in all
 *
 * See include/smbiov/iter.h. An empty table takes the cleanup kind of the
 * first iterator appended to it; a non-empty one only accepts iterators of
 * the same kind (-EINVAL otherwise, before anything is pinned). Stops when
 * the bytes are done, the table is full, or extraction returns 0 (XARRAY
 * hole), and returns the bytes appended so far. On error the entries this
 * call added are unpinned and dropped and @i is unchanged.
 */
SMBIOV_API ssize_t smbiov_extract_iter_to_sg(struct smbiov_iter *i,
					     size_t maxsize,
					     struct smbiov_sg_table *t)
{
	struct smbiov_iter it = *i;
	enum smbiov_cleanup want, old;
	size_t nents0;
	ssize_t ret;

	if (i->type == SMBIOV_ITER_DISCARD)
		return -EFAULT;
	if (!t || !t->sgl || t->nents > t->max)
		return -EINVAL;
	want = smbiov_iter_extract_cleanup(i);
	if (t->nents && t->cleanup != want)
		return -EINVAL;

	if (maxsize > i->count)
		maxsize = i->count;
	if (!maxsize || t->nents == t->max)
		return 0;

	nents0 = t->nents;
	old = t->cleanup;
	/* Set first, so an unwind releases our entries the right way. */
	t->cleanup = want;
	if (smbiov_iter_extract_will_pin(i))
		ret = sg_extract_user(&it, maxsize, t);
	else
		ret = (ssize_t)smbiov_iterate_and_advance(&it, maxsize, t, NULL,
							  sg_span_step);
	if (ret < 0)
		goto err_unwind;

	if (t->nents == nents0)
		t->cleanup = old;
	*i = it;
	return ret;

err_unwind:
	sg_release_entries(t, nents0);
	t->cleanup = old;
	return ret;
}
