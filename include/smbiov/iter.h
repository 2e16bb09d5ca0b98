/* SPDX-License-Identifier: MIT */
/*
 * The I/O iterator: one description of "where the bytes are" that travels
 * from the caller's buffer to the transport (DESIGN.md §2). Semantics follow
 * the Linux kernel's iov_iter (shared/reference/kernel-iov-iter-design.md §1):
 * counts clamp, short copies happen only at the end, revert may only undo
 * what was advanced, truncate/reexpand make cheap views of a struct copy.
 *
 * Memory ownership is the one thing every user must get right:
 *  - UBUF and IOVEC describe the *caller's* memory. Extracting pages from them
 *    pins those pages in the pin registry; the caller may not free or reuse
 *    the memory until every pin is released (smbiov_unpin_pages()).
 *  - KVEC, BVEC, XARRAY and BVECQ describe library memory whose lifetime the
 *    creator of the iterator already guarantees; extraction takes nothing.
 *  - DISCARD has no memory: it swallows bytes (padding, unwanted payload).
 * smbiov_iter_extract_will_pin() is the single source of truth for which
 * cleanup an extraction owes.
 *
 * Functions returning size_t report bytes processed (short is normal at the
 * end). Functions returning int or ssize_t return a negative errno on error.
 */
#ifndef SMBIOV_ITER_H
#define SMBIOV_ITER_H

#include <smbiov/common.h>

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

SMBIOV_BEGIN_DECLS

struct smbiov_xarray;
struct smbiov_bvecq;

enum smbiov_iter_type {
	SMBIOV_ITER_UBUF = 1,
	SMBIOV_ITER_IOVEC,
	SMBIOV_ITER_KVEC,
	SMBIOV_ITER_BVEC,
	SMBIOV_ITER_XARRAY,
	SMBIOV_ITER_BVECQ,
	SMBIOV_ITER_DISCARD,
};

/* Direction: a DEST receives data (copy_to_iter), a SOURCE supplies it. */
#define SMBIOV_ITER_DEST   0u
#define SMBIOV_ITER_SOURCE 1u

/*
 * One page fragment. @page is a page-aligned address; the fragment is the
 * virtually contiguous range [page + offset, page + offset + len). @offset
 * may exceed SMBIOV_PAGE_SIZE: an element may span several consecutive pages
 * of one mapping (as a kernel bio_vec may span a compound page).
 */
struct smbiov_bvec {
	void *page;
	size_t offset;
	size_t len;
};

/*
 * The iterator. Plain data: a struct copy is a cheap "view" (copy, then
 * truncate) that may be advanced independently. Fields are public so that
 * tests and inline helpers can read them; modify only through the API.
 */
struct smbiov_iter {
	uint8_t type; /* enum smbiov_iter_type */
	bool source;  /* SMBIOV_ITER_SOURCE or _DEST */
	/*
	 * Offset into the current segment (IOVEC/KVEC/BVEC/BVECQ), or into
	 * the whole range (UBUF: from ubuf; XARRAY: from xarray_start).
	 */
	size_t iov_offset;
	size_t count; /* bytes remaining */
	/*
	 * Bytes advanced since construction and bytes the segments hold from
	 * the construction point; they bound revert and reexpand so that bad
	 * calls fail instead of walking off the segment array.
	 */
	size_t advanced;
	size_t span;
	union {
		void *ubuf;
		const struct iovec *iov; /* IOVEC and KVEC */
		const struct smbiov_bvec *bvec;
		struct smbiov_xarray *xarray;
		const struct smbiov_bvecq *bvecq; /* current segment */
	};
	union {
		size_t nr_segs; /* IOVEC/KVEC/BVEC: segments left incl. current
				 */
		int64_t xarray_start; /* XARRAY: file position of byte 0 */
		size_t bvecq_slot;    /* BVECQ: index in the current segment */
	};
};

/* Snapshot for smbiov_iter_save_state()/smbiov_iter_restore(). */
struct smbiov_iter_state {
	size_t iov_offset;
	size_t count;
	size_t advanced;
	size_t nr_segs;
	const void *seg;
};

/* ---- constructors ---------------------------------------------------------
 * All return 0 or -EINVAL (bad direction, NULL array with segments, NULL
 * base with a non-zero length, count larger than the segments hold) or
 * -EOVERFLOW (segment lengths add up past SMBIOV_MAX_RW_COUNT or size_t).
 * @count may be less than the segments hold: that is how truncation is
 * expressed. The segment array is borrowed, not copied: it must outlive the
 * iterator (smbiov_iter_dup() makes an owned copy).
 */
SMBIOV_API int smbiov_iter_ubuf(struct smbiov_iter *i, unsigned dir, void *buf,
				size_t count);
SMBIOV_API int smbiov_iter_iovec(struct smbiov_iter *i, unsigned dir,
				 const struct iovec *iov, size_t nr_segs,
				 size_t count);
SMBIOV_API int smbiov_iter_kvec(struct smbiov_iter *i, unsigned dir,
				const struct iovec *kvec, size_t nr_segs,
				size_t count);
SMBIOV_API int smbiov_iter_bvec(struct smbiov_iter *i, unsigned dir,
				const struct smbiov_bvec *bvec, size_t nr_segs,
				size_t count);
/*
 * XARRAY: bytes [start, start + count) of the file whose page cache is @xa.
 * The folios must be present and held (locked, or under writeback) by the
 * caller for the life of the iterator; a walk stops at the first hole.
 */
SMBIOV_API int smbiov_iter_xarray(struct smbiov_iter *i, unsigned dir,
				  struct smbiov_xarray *xa, int64_t start,
				  size_t count);
/*
 * BVECQ: @count bytes starting @offset bytes into slot @slot of segment @q.
 * The iterator borrows the queue; hold a reference (smbiov_bvecq_get())
 * while it is in use.
 */
SMBIOV_API int smbiov_iter_bvecq(struct smbiov_iter *i, unsigned dir,
				 const struct smbiov_bvecq *q, size_t slot,
				 size_t offset, size_t count);
/* DISCARD: destination only (-EINVAL for a source). */
SMBIOV_API int smbiov_iter_discard(struct smbiov_iter *i, unsigned dir,
				   size_t count);

/* ---- small queries --------------------------------------------------------
 */
static inline size_t smbiov_iter_count(const struct smbiov_iter *i)
{
	return i->count;
}
static inline bool smbiov_iter_is_source(const struct smbiov_iter *i)
{
	return i->source;
}
/* Caller's memory (UBUF/IOVEC): extraction pins it. */
static inline bool smbiov_iter_user_backed(const struct smbiov_iter *i)
{
	return i->type == SMBIOV_ITER_UBUF || i->type == SMBIOV_ITER_IOVEC;
}

/**
 * smbiov_iter_extract_will_pin - which cleanup an extraction owes
 * @i: the iterator extraction is (or was) performed on
 *
 * Returns true when pages extracted from @i carry a pin that must be released
 * with smbiov_unpin_pages() once the I/O has completed (UBUF, IOVEC: the
 * caller's memory, which the library borrows). Returns false when extraction
 * takes nothing and the iterator's creator keeps the memory alive (KVEC,
 * BVEC, XARRAY, BVECQ). Ask the original iterator; the answer does not change
 * as it advances.
 */
static inline bool smbiov_iter_extract_will_pin(const struct smbiov_iter *i)
{
	return smbiov_iter_user_backed(i);
}

static inline enum smbiov_cleanup
smbiov_iter_extract_cleanup(const struct smbiov_iter *i)
{
	return smbiov_iter_extract_will_pin(i) ? SMBIOV_CLEANUP_UNPIN
					       : SMBIOV_CLEANUP_NONE;
}

/* ---- the segment walker ---------------------------------------------------
 * A step processes one virtually contiguous span: @base, the bytes done
 * before it in this walk (@progress), its length, and two private pointers.
 * It returns the number of bytes it did NOT process (0 = all), which stops
 * the walk there.
 */
typedef size_t (*smbiov_iter_step_fn)(void *base, size_t progress, size_t len,
				      void *priv, void *priv2);

/**
 * smbiov_iterate_and_advance - walk up to @len bytes of @i through @step
 * @i: iterator; advanced by exactly the bytes processed
 * @len: bytes wanted; clamped to the iterator's count
 * @priv: passed to @step
 * @priv2: passed to @step
 * @step: processes each span
 *
 * Spans never cross a segment (IOVEC/KVEC/BVEC/BVECQ element) or a folio
 * (XARRAY); empty segments are skipped. DISCARD "processes" every byte
 * without calling @step. An XARRAY walk stops at a hole in the index.
 * Returns the bytes processed.
 */
SMBIOV_API size_t smbiov_iterate_and_advance(struct smbiov_iter *i, size_t len,
					     void *priv, void *priv2,
					     smbiov_iter_step_fn step);

/* ---- data movement --------------------------------------------------------
 */
/*
 * Copy min(@bytes, count) bytes from @addr into the destination iterator @i
 * and advance it. Returns bytes copied; 0 (and nothing done) for a source.
 */
SMBIOV_API size_t smbiov_copy_to_iter(const void *addr, size_t bytes,
				      struct smbiov_iter *i);
/* Mirror image: from the source iterator @i into @addr. */
SMBIOV_API size_t smbiov_copy_from_iter(void *addr, size_t bytes,
					struct smbiov_iter *i);
/* All-or-nothing variant: on a short copy the iterator is reverted. */
SMBIOV_API bool smbiov_copy_from_iter_full(void *addr, size_t bytes,
					   struct smbiov_iter *i);
/* Zero-fill min(@bytes, count) bytes of a destination iterator. */
SMBIOV_API size_t smbiov_iter_zero(size_t bytes, struct smbiov_iter *i);

/* ---- positioning ----------------------------------------------------------
 */
/* Advance by min(@size, count). */
SMBIOV_API void smbiov_iter_advance(struct smbiov_iter *i, size_t size);
/*
 * Undo @unroll bytes of advance, back across segment boundaries.
 * Returns 0, or -EINVAL if @unroll exceeds what was advanced since the
 * iterator was built (the iterator is left unchanged).
 */
SMBIOV_API int smbiov_iter_revert(struct smbiov_iter *i, size_t unroll);
/* Shrink count to at most @n (never grows). */
SMBIOV_API void smbiov_iter_truncate(struct smbiov_iter *i, uint64_t n);
/*
 * Set count back to @n after a truncate. Returns 0, or -EINVAL if @n is more
 * than the segments hold from the current position.
 */
SMBIOV_API int smbiov_iter_reexpand(struct smbiov_iter *i, size_t n);
SMBIOV_API void smbiov_iter_save_state(const struct smbiov_iter *i,
				       struct smbiov_iter_state *st);
/* Return to a saved state of the same iterator (not for XARRAY/BVECQ: -EINVAL).
 */
SMBIOV_API int smbiov_iter_restore(struct smbiov_iter *i,
				   const struct smbiov_iter_state *st);

/* ---- geometry -------------------------------------------------------------
 */
/* Bytes left in the current segment (clamped to count). */
SMBIOV_API size_t smbiov_iter_single_seg_count(const struct smbiov_iter *i);
/* Non-empty segments the remaining bytes touch. */
SMBIOV_API size_t smbiov_iter_nsegs(const struct smbiov_iter *i);
/* Pages the remaining bytes touch, capped at @maxpages. */
SMBIOV_API size_t smbiov_iter_npages(const struct smbiov_iter *i,
				     size_t maxpages);
/*
 * OR of every remaining segment's start address and length; test the
 * result against (blocksize - 1).
 */
SMBIOV_API unsigned long smbiov_iter_alignment(const struct smbiov_iter *i);
SMBIOV_API bool smbiov_iter_is_aligned(const struct smbiov_iter *i,
				       unsigned long addr_mask,
				       unsigned long len_mask);
/* OR of interior segment boundaries (IOVEC/KVEC); 0 for UBUF. */
SMBIOV_API unsigned long smbiov_iter_gap_alignment(const struct smbiov_iter *i);

/**
 * smbiov_iter_dup - give an iterator its own copy of the segment array
 * @dst: receives the copy (may be @src)
 * @src: IOVEC, KVEC or BVEC iterator (others are copied as they are)
 * @array: set to the allocated array the caller must free(), or NULL
 *
 * Only the remaining segments are copied. Use it when an async request
 * outlives the caller's (possibly on-stack) segment array.
 * Returns 0 or -ENOMEM.
 */
SMBIOV_API int smbiov_iter_dup(struct smbiov_iter *dst,
			       const struct smbiov_iter *src, void **array);

/* ---- extraction -----------------------------------------------------------
 */
/**
 * smbiov_iter_extract_pages - take a contiguous run of pages off the front
 * @i: iterator; advanced by the bytes returned
 * @pages: page array to fill; if *@pages is NULL an array is malloc()ed and
 *	returned there (the caller frees it)
 * @maxsize: at most this many bytes
 * @maxpages: at most this many pages (must be > 0)
 * @offset0: set to the offset of the data in the first page
 *
 * One call returns one run of pages in which only the first may start
 * mid-page and every page but the last is used to its end: never across an
 * IOVEC/KVEC element; BVEC/BVECQ elements are joined where one ends on a
 * page end and the next starts at a page start (the pages need not be
 * adjacent in memory, as with the kernel's bio_vecs); XARRAY pages only
 * while the index has no hole. UBUF/IOVEC pages are pinned (see
 * smbiov_iter_extract_will_pin()); nothing is taken for other types.
 * If the array was allocated here and the call returns 0 or an error,
 * it is freed again and *@pages is NULL.
 *
 * Returns bytes covered (0 when @maxsize or the count is 0 or an XARRAY hole
 * is reached: callers must treat 0 as "stop", not "retry"), -EINVAL for
 * @maxpages 0, -EFAULT for DISCARD, -ENOMEM.
 */
SMBIOV_API ssize_t smbiov_iter_extract_pages(struct smbiov_iter *i,
					     void ***pages, size_t maxsize,
					     size_t maxpages, size_t *offset0);

/* ---- pin registry ----------------------------------------------------------
 * A process-wide count of pins per page of caller memory. A pin means "the
 * library has borrowed this page for an I/O that has not completed"; the
 * caller must not free or reuse it. Thread-safe.
 */
SMBIOV_API int smbiov_pin_pages(void *const *pages, size_t npages);
SMBIOV_API void smbiov_unpin_pages(void *const *pages, size_t npages);
/* Pins held on the page containing @addr. */
SMBIOV_API size_t smbiov_pin_count(const void *addr);
/* Sum of all pins held in the process: 0 when every pin was released. */
SMBIOV_API size_t smbiov_pins_outstanding(void);

/* ---- conversions -----------------------------------------------------------
 * Each list records its cleanup beside its entries and has one release
 * function that switches on it (DESIGN.md §6.2).
 */

/* An owned BVEC array built from any iterator. */
struct smbiov_bvec_list {
	struct smbiov_bvec *bv;
	size_t nr;	/* elements used */
	size_t npinned; /* pages pinned (cleanup UNPIN) */
	enum smbiov_cleanup cleanup;
};

/**
 * smbiov_iter_to_bvec - convert up to @maxsize bytes of @orig into a BVEC
 * @orig: source iterator; advanced by the bytes converted
 * @maxsize: bytes wanted (clamped to the count)
 * @list: receives the owned array; release with smbiov_bvec_list_release()
 * @out: set to a BVEC iterator (same direction as @orig) over @list
 *
 * Caller memory (UBUF/IOVEC) is pinned page by page, one element per page,
 * so the I/O can be completed by another thread after the submitting call
 * returned and nothing refers to the caller's iovec array any more. Library
 * memory is described as it is, one element per contiguous span, unpinned.
 * Returns the bytes converted, or -EFAULT (DISCARD), -ENOMEM; on error
 * nothing is pinned, @list is empty and @orig is unchanged.
 */
SMBIOV_API ssize_t smbiov_iter_to_bvec(struct smbiov_iter *orig, size_t maxsize,
				       struct smbiov_bvec_list *list,
				       struct smbiov_iter *out);
SMBIOV_API void smbiov_bvec_list_release(struct smbiov_bvec_list *list);

/* Scatterlist entry: the contiguous range page + offset, len. */
struct smbiov_sg {
	void *page;
	size_t offset;
	size_t len;
};

struct smbiov_sg_table {
	struct smbiov_sg *sgl;
	size_t nents; /* entries in use */
	size_t max;   /* capacity of sgl */
	enum smbiov_cleanup cleanup;
};

/* Allocate a table of @max entries. Returns 0 or -ENOMEM/-EINVAL. */
SMBIOV_API int smbiov_sg_table_init(struct smbiov_sg_table *t, size_t max);
/* Unpin (if the entries were pinned) and free the table. */
SMBIOV_API void smbiov_sg_table_release(struct smbiov_sg_table *t);

/**
 * smbiov_extract_iter_to_sg - append up to @maxsize bytes of @i to @t
 * @i: iterator; advanced by the bytes appended
 * @maxsize: bytes wanted
 * @t: table; entries are appended from t->nents, at most t->max in all
 *
 * Entries span pages where the type allows (one per KVEC/BVEC/BVECQ element,
 * one per XARRAY folio); UBUF/IOVEC get one pinned entry per page. Mixing
 * pinned and unpinned entries in one table is refused (-EINVAL).
 * Returns bytes appended (0 when the table is full or the count is 0),
 * -EFAULT for DISCARD; on error the entries it added are released and @i is
 * unchanged.
 */
SMBIOV_API ssize_t smbiov_extract_iter_to_sg(struct smbiov_iter *i,
					     size_t maxsize,
					     struct smbiov_sg_table *t);

struct ibv_sge;

/*
 * Region lookup for RDMA: report the lkey of the registered region holding
 * @addr and how many bytes from @addr it covers (>= 1). Return 0, or a
 * negative errno when @addr is not in a registered region.
 */
typedef int (*smbiov_lkey_lookup_fn)(void *ctx, uint64_t addr, size_t len,
				     uint32_t *lkey, size_t *covered);

struct smbiov_sge_list {
	struct ibv_sge *sge;
	size_t nr;  /* entries in use */
	size_t max; /* capacity */
};

/**
 * smbiov_extract_iter_to_sge - append RDMA SGEs for @len bytes of @i
 * @i: KVEC, BVEC, XARRAY or BVECQ iterator (caller memory must have been
 *	converted to pinned BVEC first: -EIO otherwise)
 * @len: bytes to describe (clamped to the count)
 * @l: list to append to
 * @lookup: region lookup; SGEs are split at region ends and at 4 GiB
 * @ctx: passed to @lookup
 *
 * All or nothing: returns @len (clamped) and advances @i, or fails with the
 * lookup's error (a segment outside any registered region), -E2BIG (not
 * enough SGE slots) or -EIO, leaving l->nr and @i exactly as they were.
 */
SMBIOV_API ssize_t smbiov_extract_iter_to_sge(struct smbiov_iter *i, size_t len,
					      struct smbiov_sge_list *l,
					      smbiov_lkey_lookup_fn lookup,
					      void *ctx);

/*
 * Hash update callback: feed @len bytes at @data; return 0 or a negative
 * errno (which stops the walk and is returned).
 */
typedef int (*smbiov_hash_update_fn)(void *ctx, const void *data, size_t len);

/**
 * smbiov_iter_hash - feed up to @maxsize bytes of @i to @update, in order
 * @i: iterator (any type but DISCARD); NOT advanced
 * @maxsize: bytes to hash (clamped to the count)
 * @update: called once per contiguous span, never with a flattened copy
 * @ctx: passed to @update
 *
 * Returns 0, -EFAULT (DISCARD), -ENODATA (an XARRAY hole cut the walk
 * short) or the error @update returned.
 */
SMBIOV_API int smbiov_iter_hash(const struct smbiov_iter *i, size_t maxsize,
				smbiov_hash_update_fn update, void *ctx);

SMBIOV_END_DECLS

#endif
