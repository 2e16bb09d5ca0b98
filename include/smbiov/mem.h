/* SPDX-License-Identifier: MIT */
/*
 * Library memory: pages and folios, the per-file folio index the XARRAY
 * iterator walks, folio state and the completion helpers the I/O paths use,
 * and BVECQ, the segmented refcounted queue request buffers are built from.
 *
 * Pages and folios are private anonymous memory (never MAP_SHARED; see
 * DESIGN.md §2 "Fork"): a child process gets its own copy-on-write view and
 * can never observe or disturb the parent's in-flight I/O buffers.
 */
#ifndef SMBIOV_MEM_H
#define SMBIOV_MEM_H

#include <smbiov/common.h>
#include <smbiov/iter.h>

#include <stdbool.h>

SMBIOV_BEGIN_DECLS

/* ---- pages ----------------------------------------------------------------
 */
/* One zeroed, page-aligned page, or NULL. Release with smbiov_page_free(). */
SMBIOV_API void *smbiov_page_alloc(void);
SMBIOV_API void smbiov_page_free(void *page);

/* ---- folios ---------------------------------------------------------------
 * A folio is 2^order contiguous pages with one state word and a refcount.
 */
#define SMBIOV_FOLIO_MAX_ORDER 9 /* 2 MiB */

enum smbiov_folio_flag {
	SMBIOV_FOLIO_LOCKED = 1u << 0,
	SMBIOV_FOLIO_UPTODATE = 1u << 1,
	SMBIOV_FOLIO_DIRTY = 1u << 2,
	SMBIOV_FOLIO_WRITEBACK = 1u << 3,
	SMBIOV_FOLIO_ERROR = 1u << 4,
};

struct smbiov_folio {
	void *addr;	/* first byte; page aligned */
	uint64_t index; /* page index in the file; multiple of 2^order */
	unsigned order;
	unsigned flags;	   /* enum smbiov_folio_flag; atomic access only */
	unsigned refcount; /* atomic access only */
	void *priv; /* the owner's (the page cache's); src/mem never reads it */
};

static inline size_t smbiov_folio_size(const struct smbiov_folio *f)
{
	return SMBIOV_PAGE_SIZE << f->order;
}
static inline size_t smbiov_folio_nr_pages(const struct smbiov_folio *f)
{
	return (size_t)1 << f->order;
}

/*
 * A new folio of 2^@order zeroed pages with refcount 1 and no flags.
 * Returns NULL on failure (or @order > SMBIOV_FOLIO_MAX_ORDER).
 */
SMBIOV_API struct smbiov_folio *smbiov_folio_alloc(unsigned order);
SMBIOV_API void smbiov_folio_get(struct smbiov_folio *f);
/* Drop a reference; the last one unmaps the memory. */
SMBIOV_API void smbiov_folio_put(struct smbiov_folio *f);

SMBIOV_API bool smbiov_folio_test(const struct smbiov_folio *f, unsigned flag);
SMBIOV_API void smbiov_folio_set(struct smbiov_folio *f, unsigned flag);
SMBIOV_API void smbiov_folio_clear(struct smbiov_folio *f, unsigned flag);
/* true if this call took the lock. */
SMBIOV_API bool smbiov_folio_trylock(struct smbiov_folio *f);
/* Sleep until the lock is ours. */
SMBIOV_API void smbiov_folio_lock(struct smbiov_folio *f);
/* Release the lock and wake waiters. Unlocking an unlocked folio is a bug. */
SMBIOV_API void smbiov_folio_unlock(struct smbiov_folio *f);
/* Sleep until the folio is not locked. */
SMBIOV_API void smbiov_folio_wait_unlocked(struct smbiov_folio *f);
/* Sleep until the folio is not under writeback. */
SMBIOV_API void smbiov_folio_wait_writeback(struct smbiov_folio *f);
/*
 * Move a locked, dirty folio to writeback: clear DIRTY, set WRITEBACK.
 * Returns false (nothing changed) if it was not dirty.
 */
SMBIOV_API bool smbiov_folio_start_writeback(struct smbiov_folio *f);

/* ---- the folio index (xarray-like) ----------------------------------------
 * Maps page index -> folio. A folio of order n occupies the 2^n indices
 * starting at its (aligned) index. The index holds one reference on each
 * folio it stores. Not internally locked: the page cache that owns it
 * serialises changes; lookups may run concurrently with each other, and
 * with changes while the folio looked up stays in the index (xarray.c).
 */
struct smbiov_xarray;

SMBIOV_API struct smbiov_xarray *smbiov_xarray_new(void);
/* Drops every folio the index holds and frees it. NULL is a no-op. */
SMBIOV_API void smbiov_xarray_free(struct smbiov_xarray *xa);
/*
 * Insert @f at f->index (takes a reference). Returns 0, -EEXIST if any of
 * its indices is occupied, -EINVAL if f->index is not aligned to its order,
 * -ENOMEM.
 */
SMBIOV_API int smbiov_xarray_insert(struct smbiov_xarray *xa,
				    struct smbiov_folio *f);
/* Folio covering page @index, or NULL. No reference is taken. */
SMBIOV_API struct smbiov_folio *
smbiov_xarray_load(const struct smbiov_xarray *xa, uint64_t index);
/*
 * Remove the folio covering @index and return it with the index's
 * reference transferred to the caller (put it when done), or NULL.
 */
SMBIOV_API struct smbiov_folio *smbiov_xarray_erase(struct smbiov_xarray *xa,
						    uint64_t index);
/*
 * The first folio touching page indices [@index, @last] (it may start
 * before @index), or NULL; holes are skipped a subtree at a time. No
 * reference is taken.
 */
SMBIOV_API struct smbiov_folio *
smbiov_xarray_find(const struct smbiov_xarray *xa, uint64_t index,
		   uint64_t last);
/* Number of folios stored. */
SMBIOV_API size_t smbiov_xarray_nr_folios(const struct smbiov_xarray *xa);
/*
 * Allocate and insert order-@order folios covering the file range
 * [start, start + len). Folios already present are kept. Returns 0 or a
 * negative errno (what was inserted before the failure stays).
 */
SMBIOV_API int smbiov_xarray_populate(struct smbiov_xarray *xa, int64_t start,
				      size_t len, unsigned order);

/* ---- completion helpers for I/O over an XARRAY range ----------------------
 * Each walks the folios touching the file range [start, start + len).
 * Folios missing from the index are skipped. Return the folios visited.
 */
/* After a read: on @err == 0 mark uptodate, else set ERROR; unlock each. */
SMBIOV_API size_t smbiov_folios_read_done(struct smbiov_xarray *xa,
					  int64_t start, size_t len, int err);
/* After a write: on @err == 0 clear WRITEBACK (written back); on a transient
 * error (-EAGAIN, -EINTR, -ENOMEM) mark dirty again and end writeback (so it
 * is retried); on any other error set ERROR and end writeback. */
SMBIOV_API size_t smbiov_folios_write_done(struct smbiov_xarray *xa,
					   int64_t start, size_t len, int err);
/* Unlock every locked folio in the range (issue-failure unwind). */
SMBIOV_API size_t smbiov_folios_unlock(struct smbiov_xarray *xa, int64_t start,
				       size_t len);

/* ---- BVECQ -----------------------------------------------------------------
 * A segmented queue of bvec arrays. Each segment has its own refcount and
 * records what its pages need when the segment dies (cleanup): nothing,
 * unpin (caller memory), or free (our pages, smbiov_page_free() per page;
 * each element must then be exactly one page from smbiov_page_alloc()).
 * A segment holds a reference on its successor, so a reference on any
 * segment keeps the rest of the queue alive: a request carves a
 * subrequest by taking a reference on the segment it starts in.
 */
struct smbiov_bvecq {
	struct smbiov_bvecq *next; /* owned reference */
	struct smbiov_bvecq *prev; /* weak */
	unsigned refcount;	   /* atomic access only */
	enum smbiov_cleanup cleanup;
	bool discontig; /* not file-contiguous with prev */
	int64_t fpos;	/* file position of bv[0], or -1 */
	size_t nr_segs;
	size_t max_segs;
	struct smbiov_bvec bv[];
};

/* New empty segment with room for @max_segs elements; refcount 1. */
SMBIOV_API struct smbiov_bvecq *smbiov_bvecq_new(size_t max_segs,
						 enum smbiov_cleanup cleanup);
/*
 * Append one element to the last segment of the queue that starts at
 * @q; when it is full a new segment with the same capacity and cleanup
 * is linked after it. Returns 0, -EINVAL (NULL page, offset/len overflow),
 * -ENOMEM.
 */
SMBIOV_API int smbiov_bvecq_append(struct smbiov_bvecq *q, void *page,
				   size_t offset, size_t len);
SMBIOV_API struct smbiov_bvecq *smbiov_bvecq_get(struct smbiov_bvecq *q);
/* Drop a reference; the last one runs the cleanup and puts the successor. */
SMBIOV_API void smbiov_bvecq_put(struct smbiov_bvecq *q);
/* Bytes held from @q to the end of the queue. */
SMBIOV_API size_t smbiov_bvecq_bytes(const struct smbiov_bvecq *q);

SMBIOV_END_DECLS

#endif
