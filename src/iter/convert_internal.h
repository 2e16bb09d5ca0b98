/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the iterator conversions (to_bvec.c, to_sg.c, to_sge.c,
 * hash.c). Private to the library: nothing here is exported.
 */
#ifndef SMBIOV_ITER_CONVERT_INTERNAL_H
#define SMBIOV_ITER_CONVERT_INTERNAL_H

#include <smbiov/iter.h>

#include <stdint.h>
#include <sys/types.h>

/* Page-aligned start of the page holding @p. */
static inline void *smbiov_conv_page_of(const void *p)
{
	return (void *)((uintptr_t)p & SMBIOV_PAGE_MASK);
}

/* Offset of @p inside its page. */
static inline size_t smbiov_conv_offset_in_page(const void *p)
{
	return (uintptr_t)p & (SMBIOV_PAGE_SIZE - 1);
}

/*
 * Receives one pinned page of caller memory: the data is
 * [page + offset, page + offset + len), never crossing the page end.
 */
typedef void (*smbiov_conv_page_fn)(void *priv, void *page, size_t offset,
				    size_t len);

/**
 * smbiov_conv_extract_user - pin caller pages and hand them out one by one
 * @it: UBUF or IOVEC iterator; advanced by the bytes returned
 * @maxsize: at most this many bytes
 * @maxpages: at most this many pages; @pages must hold that many pointers
 * @pages: scratch page array (its contents are meaningless afterwards)
 * @emit: called once per pinned page, in order
 * @priv: passed to @emit
 *
 * Loops smbiov_iter_extract_pages() until @maxsize bytes or @maxpages pages
 * are done, or extraction returns 0 (which means "stop": looping on it would
 * spin forever). Every page passed to @emit carries one pin that the owner
 * of @priv must release; on error the pages already emitted stay pinned
 * and the caller unwinds them from its own list, since only it knows where
 * they went.
 *
 * Returns the bytes extracted, or the negative errno extraction failed with
 * (-EIO if extraction broke its own contract).
 */
ssize_t smbiov_conv_extract_user(struct smbiov_iter *it, size_t maxsize,
				 size_t maxpages, void **pages,
				 smbiov_conv_page_fn emit, void *priv);

#endif
