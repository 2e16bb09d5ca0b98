/* SPDX-License-Identifier: MIT */
/*
 * Differential engine for the iterator core, shared by test_iter_diff.c
 * (fixed pseudo-random inputs) and fuzz/fuzz_iter_diff.c (libFuzzer).
 *
 * One input byte string drives one run. The first bytes choose the iterator
 * type, direction and a random segmentation of an 8-page arena (or, for
 * XARRAY, a file of folios of mixed orders, maybe with a hole); the rest is
 * a sequence of operations. Every operation is applied both to the real
 * iterator and to a flat reference model - the same bytes as one linear
 * sequence (logical byte k lives at a known address), a position (bytes
 * advanced since construction) and a count - and the results, the moved
 * bytes and the arena contents are compared after every step.
 *
 * diff_run() returns true when the iterator matched the model throughout;
 * otherwise false with a message in d->msg.
 */
#ifndef SMBIOV_TEST_ITER_DIFF_H
#define SMBIOV_TEST_ITER_DIFF_H

#include <smbiov/iter.h>
#include <smbiov/mem.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_PG	      SMBIOV_PAGE_SIZE
#define DIFF_PAGES    8
#define DIFF_ARENA    (DIFF_PAGES * DIFF_PG)
#define DIFF_MAX_SEGS 12
#define DIFF_MAX_OPS  64
#define DIFF_POISON   ((void *)(uintptr_t)0xaa55aa55aa55aa55ull)

struct diff_seg {
	size_t off; /* arena offset (XARRAY: file position) */
	size_t len;
};

struct diff {
	/* the input */
	const uint8_t *in;
	size_t in_len, in_at;
	uint32_t rng;

	/* the result */
	char msg[512];
	unsigned op_no;
	int op;

	/* the memory */
	unsigned char *arena;  /* page aligned, DIFF_ARENA bytes */
	unsigned char *shadow; /* what arena (or the file) must hold */
	struct smbiov_xarray *xa;
	size_t hole_lo, hole_hi; /* XARRAY file range with no folio */

	/* the layout */
	int type;
	unsigned dir;
	struct diff_seg segs[DIFF_MAX_SEGS]; /* logical order */
	size_t nsegs;
	struct iovec *iov;	/* IOVEC/KVEC array (heap: exact size) */
	struct smbiov_bvec *bv; /* BVEC array */
	struct smbiov_bvecq *q;
	void *dups[DIFF_MAX_OPS]; /* arrays from smbiov_iter_dup() */
	size_t ndups;
	size_t span;   /* bytes the segments hold */
	size_t count0; /* count at construction */

	/* the model */
	size_t pos; /* bytes advanced since construction */
	size_t count;
	size_t floor; /* revert may not go below this position */

	struct smbiov_iter it;
};

/* ---- input -----------------------------------------------------------------
 */

static inline unsigned diff_u8(struct diff *d)
{
	return d->in_at < d->in_len ? d->in[d->in_at++] : 0;
}

static inline size_t diff_u16(struct diff *d)
{
	size_t v = diff_u8(d);

	return v | (size_t)diff_u8(d) << 8;
}

static inline uint32_t diff_rand(struct diff *d)
{
	uint32_t x = d->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return d->rng = x;
}

/* A size for an operation: empty, tiny, small, page-ish, large or huge. */
static inline size_t diff_size(struct diff *d)
{
	unsigned c = diff_u8(d);

	switch (c % 8) {
	case 0:
		return 0;
	case 1:
		return 1 + c / 8 % 16;
	case 2:
		return diff_u16(d) % 512;
	case 3:
		return diff_u16(d) % (2 * DIFF_PG + 1);
	case 4:
		return (diff_u8(d) % 4) * DIFF_PG; /* whole pages */
	case 5:
		return diff_u16(d) % (DIFF_ARENA + 1);
	case 6:
		return d->count; /* exactly what is left */
	default:
		return c & 8 ? SIZE_MAX : d->count + 1 + c / 16;
	}
}

/* ---- failure ------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static inline bool
diff_fail(struct diff *d, int line, const char *fmt, ...)
{
	static const char *const names[] = {"?",     "ubuf",   "iovec",
					    "kvec",  "bvec",   "xarray",
					    "bvecq", "discard"};
	va_list ap;
	int n;

	n = snprintf(
		d->msg, sizeof(d->msg),
		"iter_diff.h:%d: %s %s, op #%u (kind %d), pos %zu count %zu: ",
		line, d->type >= 1 && d->type <= 7 ? names[d->type] : "?",
		d->dir ? "source" : "dest", d->op_no, d->op, d->pos, d->count);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(d->msg))
		vsnprintf(d->msg + n, sizeof(d->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

#define DCHECK(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			return diff_fail(d, __LINE__, "%s", #c);               \
	} while (0)
#define DCHECK_EQ(a, b)                                                        \
	do {                                                                   \
		unsigned long long a_ = (unsigned long long)(a);               \
		unsigned long long b_ = (unsigned long long)(b);               \
		if (a_ != b_)                                                  \
			return diff_fail(d, __LINE__,                          \
					 "%s == %s: %#llx != %#llx", #a, #b,   \
					 a_, b_);                              \
	} while (0)

/* ---- the model -------------------------------------------------------------
 */

static inline bool diff_is_array(int type)
{
	return type == SMBIOV_ITER_IOVEC || type == SMBIOV_ITER_KVEC ||
	       type == SMBIOV_ITER_BVEC || type == SMBIOV_ITER_BVECQ;
}

static inline bool diff_user(int type)
{
	return type == SMBIOV_ITER_UBUF || type == SMBIOV_ITER_IOVEC;
}

/*
 * Where logical byte @k is: *@loc is its arena offset (or file position)
 * and the return value the bytes left in its segment/folio from there.
 * Only called for k < span.
 */
static inline size_t diff_locate(const struct diff *d, size_t k, size_t *loc)
{
	if (d->type == SMBIOV_ITER_XARRAY) {
		*loc = d->segs[0].off + k;
		return DIFF_PG - *loc % DIFF_PG; /* at least to the page end */
	}
	for (size_t s = 0; s < d->nsegs; s++) {
		if (k < d->segs[s].len) {
			*loc = d->segs[s].off + k;
			return d->segs[s].len - k;
		}
		k -= d->segs[s].len;
	}
	*loc = 0;
	return 0;
}

/* Address of logical byte @k in real memory (NULL in an XARRAY hole). */
static inline unsigned char *diff_addr(const struct diff *d, size_t k)
{
	size_t loc;

	diff_locate(d, k, &loc);
	if (d->type == SMBIOV_ITER_XARRAY) {
		struct smbiov_folio *f;

		if (loc >= d->hole_lo && loc < d->hole_hi)
			return NULL;
		f = smbiov_xarray_load(d->xa, loc / DIFF_PG);
		if (!f)
			return NULL;
		return (unsigned char *)f->addr + (loc - f->index * DIFF_PG);
	}
	return d->arena + loc;
}

/* Bytes a walk can cover from the current position (XARRAY: to a hole). */
static inline size_t diff_walkable(const struct diff *d)
{
	size_t p;

	if (d->type != SMBIOV_ITER_XARRAY || d->hole_lo == d->hole_hi)
		return d->count;
	p = d->segs[0].off + d->pos;
	if (p >= d->hole_hi)
		return d->count;
	if (p >= d->hole_lo)
		return 0;
	return d->hole_lo - p < d->count ? d->hole_lo - p : d->count;
}

static inline size_t diff_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

static inline size_t diff_pages(size_t addr, size_t len)
{
	return (addr % DIFF_PG + len + DIFF_PG - 1) / DIFF_PG;
}

/*
 * Visit the remaining non-empty pieces (one per segment, clipped to the
 * count) of a segment type or UBUF: fn(addr, len).
 */
#define DIFF_FOR_PIECES(d, addr, plen, body)                                   \
	do {                                                                   \
		size_t k_ = (d)->pos, left_ = (d)->count;                      \
		while (left_) {                                                \
			size_t loc_,                                           \
				plen = diff_min(diff_locate(d, k_, &loc_),     \
						left_);                        \
			uintptr_t addr = (uintptr_t)((d)->arena + loc_);       \
			if (!plen)                                             \
				break;                                         \
			body;                                                  \
			k_ += plen;                                            \
			left_ -= plen;                                         \
		}                                                              \
	} while (0)

/* Compare real memory with the shadow (everything, gaps included). */
static inline bool diff_check_memory(struct diff *d)
{
	if (d->type == SMBIOV_ITER_DISCARD)
		return true;
	if (d->type != SMBIOV_ITER_XARRAY) {
		if (memcmp(d->arena, d->shadow, DIFF_ARENA) != 0) {
			size_t k = 0;

			while (d->arena[k] == d->shadow[k])
				k++;
			return diff_fail(d, __LINE__,
					 "arena byte %#zx is %#x, want %#x", k,
					 d->arena[k], d->shadow[k]);
		}
		return true;
	}
	for (size_t p = 0; p < DIFF_PAGES; p++) {
		struct smbiov_folio *f = smbiov_xarray_load(d->xa, p);
		const unsigned char *a;

		if (!f)
			continue;
		a = (const unsigned char *)f->addr + (p - f->index) * DIFF_PG;
		if (memcmp(a, d->shadow + p * DIFF_PG, DIFF_PG) != 0)
			return diff_fail(d, __LINE__, "file page %zu differs",
					 p);
	}
	return true;
}

static inline bool diff_same_iter(const struct smbiov_iter *a,
				  const struct smbiov_iter *b)
{
	return a->type == b->type && a->source == b->source &&
	       a->iov_offset == b->iov_offset && a->count == b->count &&
	       a->advanced == b->advanced && a->span == b->span &&
	       a->ubuf == b->ubuf && a->nr_segs == b->nr_segs;
}

/* ---- setup ------------------------------------------------------------------
 */

/* A random non-overlapping segmentation of the arena, in shuffled order. */
static inline void diff_make_segments(struct diff *d, size_t nsegs)
{
	size_t cur = diff_u16(d) % DIFF_PG;

	d->nsegs = 0;
	for (size_t s = 0; s < nsegs; s++) {
		unsigned c = diff_u8(d), g = diff_u8(d);
		size_t len, gap;

		switch (c % 8) {
		case 0:
			len = 0;
			break;
		case 1:
			len = 1 + c / 8 % 16;
			break;
		case 2:
			len = diff_u16(d) % 256 + 1;
			break;
		case 3:
			len = diff_u16(d) % DIFF_PG + 1;
			break;
		case 4:
			len = DIFF_PG;
			break;
		case 5:
			len = diff_u16(d) % (3 * DIFF_PG) + 1;
			break;
		default:
			len = diff_u16(d) % 2048 + 1;
			break;
		}
		switch (g % 4) {
		case 0:
			gap = 0; /* adjacent to the previous one */
			break;
		case 1:
			gap = g / 4; /* a little */
			break;
		case 2: /* to the next page start */
			gap = (DIFF_PG - cur % DIFF_PG) % DIFF_PG;
			break;
		default: /* to 8 bytes before a page end */
			gap = (2 * DIFF_PG - 8 - cur % DIFF_PG) % DIFF_PG;
			break;
		}
		if (cur + gap > DIFF_ARENA)
			gap = DIFF_ARENA - cur;
		cur += gap;
		if (len > DIFF_ARENA - cur)
			len = DIFF_ARENA - cur;
		d->segs[d->nsegs].off = cur;
		d->segs[d->nsegs].len = len;
		d->nsegs++;
		cur += len;
	}
	/* Logical order need not follow address order. */
	if (diff_u8(d) & 1) {
		for (size_t s = d->nsegs; s > 1; s--) {
			size_t j = diff_u8(d) % s;
			struct diff_seg t = d->segs[s - 1];

			d->segs[s - 1] = d->segs[j];
			d->segs[j] = t;
		}
	}
}

/* BVEC element for a segment: sometimes expressed from an earlier page, so
 * the offset reaches or passes PAGE_SIZE. */
static inline struct smbiov_bvec diff_bvec_of(struct diff *d,
					      const struct diff_seg *s)
{
	size_t pg = s->off / DIFF_PG, back = diff_u8(d) % 3;
	struct smbiov_bvec bv;

	if (back > pg)
		back = pg;
	bv.page = d->arena + (pg - back) * DIFF_PG;
	bv.offset = s->off - (pg - back) * DIFF_PG;
	bv.len = s->len;
	return bv;
}

static inline bool diff_setup(struct diff *d)
{
	unsigned t = diff_u8(d), f = diff_u8(d);
	size_t nsegs = 1 + diff_u8(d) % DIFF_MAX_SEGS;
	int ret = -EINVAL;

	d->type = 1 + (int)(t % 7);
	d->dir = d->type == SMBIOV_ITER_DISCARD ? SMBIOV_ITER_DEST : (f & 1);
	d->rng = 0x9e3779b9u ^ (uint32_t)t << 8 ^ (uint32_t)f << 16 ^
		 (uint32_t)d->in_len;
	if (!d->rng)
		d->rng = 1;
	for (size_t k = 0; k < DIFF_ARENA; k++)
		d->arena[k] = d->shadow[k] = (unsigned char)diff_rand(d);
	d->hole_lo = d->hole_hi = 0;

	switch (d->type) {
	case SMBIOV_ITER_UBUF:
	case SMBIOV_ITER_XARRAY:
	case SMBIOV_ITER_DISCARD: {
		size_t start = diff_u16(d) % DIFF_ARENA;
		size_t len = diff_u16(d) % (DIFF_ARENA - start + 1);

		if (f & 2)
			len = DIFF_ARENA - start; /* to the end */
		d->segs[0].off = start;
		d->segs[0].len = len;
		d->nsegs = 1;
		break;
	}
	default:
		diff_make_segments(d, nsegs);
		break;
	}
	d->span = 0;
	for (size_t s = 0; s < d->nsegs; s++)
		d->span += d->segs[s].len;
	d->count0 = d->span;
	if (f & 4)
		d->count0 = d->span ? diff_u16(d) % (d->span + 1) : 0;

	switch (d->type) {
	case SMBIOV_ITER_UBUF:
		ret = smbiov_iter_ubuf(&d->it, d->dir,
				       d->arena + d->segs[0].off, d->count0);
		break;
	case SMBIOV_ITER_DISCARD:
		ret = smbiov_iter_discard(&d->it, d->dir, d->count0);
		break;
	case SMBIOV_ITER_IOVEC:
	case SMBIOV_ITER_KVEC:
		d->iov = malloc(d->nsegs * sizeof(*d->iov));
		if (!d->iov)
			return diff_fail(d, __LINE__, "malloc");
		for (size_t s = 0; s < d->nsegs; s++) {
			d->iov[s].iov_base = d->arena + d->segs[s].off;
			d->iov[s].iov_len = d->segs[s].len;
		}
		ret = d->type == SMBIOV_ITER_IOVEC
			      ? smbiov_iter_iovec(&d->it, d->dir, d->iov,
						  d->nsegs, d->count0)
			      : smbiov_iter_kvec(&d->it, d->dir, d->iov,
						 d->nsegs, d->count0);
		break;
	case SMBIOV_ITER_BVEC:
		d->bv = malloc(d->nsegs * sizeof(*d->bv));
		if (!d->bv)
			return diff_fail(d, __LINE__, "malloc");
		for (size_t s = 0; s < d->nsegs; s++)
			d->bv[s] = diff_bvec_of(d, &d->segs[s]);
		ret = smbiov_iter_bvec(&d->it, d->dir, d->bv, d->nsegs,
				       d->count0);
		break;
	case SMBIOV_ITER_BVECQ: {
		size_t skip = 0;

		d->q = smbiov_bvecq_new(1 + diff_u8(d) % 3,
					SMBIOV_CLEANUP_NONE);
		if (!d->q)
			return diff_fail(d, __LINE__, "bvecq_new");
		for (size_t s = 0; s < d->nsegs; s++) {
			struct smbiov_bvec bv = diff_bvec_of(d, &d->segs[s]);

			if (smbiov_bvecq_append(d->q, bv.page, bv.offset,
						bv.len))
				return diff_fail(d, __LINE__, "bvecq_append");
		}
		/* Start part way into the first element sometimes. */
		if ((f & 8) && d->segs[0].len)
			skip = diff_u8(d) % (d->segs[0].len + 1);
		d->segs[0].off += skip;
		d->segs[0].len -= skip;
		d->span -= skip;
		if (d->count0 > d->span)
			d->count0 = d->span;
		ret = smbiov_iter_bvecq(&d->it, d->dir, d->q, 0, skip,
					d->count0);
		break;
	}
	case SMBIOV_ITER_XARRAY:
		d->xa = smbiov_xarray_new();
		if (!d->xa)
			return diff_fail(d, __LINE__, "xarray_new");
		/* Two halves with their own folio order (1, 2 or 4 pages). */
		if (smbiov_xarray_populate(d->xa, 0, DIFF_ARENA / 2,
					   diff_u8(d) % 3) ||
		    smbiov_xarray_populate(d->xa, DIFF_ARENA / 2,
					   DIFF_ARENA / 2, diff_u8(d) % 3))
			return diff_fail(d, __LINE__, "populate");
		for (size_t p = 0; p < DIFF_PAGES; p++) {
			struct smbiov_folio *fo = smbiov_xarray_load(d->xa, p);

			if (!fo)
				return diff_fail(d, __LINE__, "no folio");
			memcpy((unsigned char *)fo->addr +
				       (p - fo->index) * DIFF_PG,
			       d->shadow + p * DIFF_PG, DIFF_PG);
		}
		if (f & 16) { /* punch a hole: one folio goes */
			struct smbiov_folio *fo = smbiov_xarray_erase(
				d->xa, diff_u8(d) % DIFF_PAGES);

			if (fo) {
				d->hole_lo = fo->index * DIFF_PG;
				d->hole_hi = d->hole_lo + smbiov_folio_size(fo);
				smbiov_folio_put(fo);
			}
		}
		ret = smbiov_iter_xarray(&d->it, d->dir, d->xa,
					 (int64_t)d->segs[0].off, d->count0);
		break;
	}
	if (ret)
		return diff_fail(d, __LINE__, "constructor: %d", ret);
	d->pos = 0;
	d->count = d->count0;
	d->floor = 0;
	if (d->type == SMBIOV_ITER_UBUF || d->type == SMBIOV_ITER_XARRAY ||
	    d->type == SMBIOV_ITER_DISCARD)
		d->span = d->count0; /* one range of exactly count bytes */
	DCHECK_EQ(smbiov_iter_count(&d->it), d->count);
	return true;
}

static inline void diff_teardown(struct diff *d)
{
	for (size_t k = 0; k < d->ndups; k++)
		free(d->dups[k]);
	d->ndups = 0;
	free(d->iov);
	free(d->bv);
	d->iov = NULL;
	d->bv = NULL;
	if (d->q)
		smbiov_bvecq_put(d->q);
	d->q = NULL;
	smbiov_xarray_free(d->xa);
	d->xa = NULL;
}

/* ---- operations
 * -------------------------------------------------------------- */

/* Model and check a data move of @got bytes at the current position. */
static inline bool diff_apply_to(struct diff *d, const unsigned char *src,
				 size_t got)
{
	for (size_t k = 0; k < got; k++) {
		size_t loc;

		diff_locate(d, d->pos + k, &loc);
		d->shadow[loc] = src ? src[k] : 0;
		if (d->type != SMBIOV_ITER_DISCARD &&
		    *diff_addr(d, d->pos + k) != d->shadow[loc])
			return diff_fail(d, __LINE__, "byte %zu of the copy",
					 k);
	}
	d->pos += got;
	d->count -= got;
	return true;
}

static inline bool diff_check_from(struct diff *d, const unsigned char *out,
				   size_t got)
{
	for (size_t k = 0; k < got; k++) {
		size_t loc;

		diff_locate(d, d->pos + k, &loc);
		if (out[k] != d->shadow[loc])
			return diff_fail(
				d, __LINE__,
				"byte %zu of the copy is %#x, want %#x", k,
				out[k], d->shadow[loc]);
	}
	d->pos += got;
	d->count -= got;
	return true;
}

static inline bool diff_op_copy_to(struct diff *d, unsigned char *tmp)
{
	size_t n = diff_size(d), want, got;

	/* n may be huge: the copy is clamped to the count (<= DIFF_ARENA). */
	for (size_t k = 0; k < diff_min(d->count, DIFF_ARENA); k++)
		tmp[k] = (unsigned char)diff_rand(d);
	want = d->dir == SMBIOV_ITER_DEST ? diff_min(n, diff_walkable(d)) : 0;
	got = smbiov_copy_to_iter(tmp, n, &d->it);
	DCHECK_EQ(got, want);
	return diff_apply_to(d, tmp, got);
}

static inline bool diff_op_copy_from(struct diff *d, unsigned char *tmp)
{
	size_t n = diff_size(d), want, got;

	want = d->dir == SMBIOV_ITER_SOURCE ? diff_min(n, diff_walkable(d)) : 0;
	got = smbiov_copy_from_iter(tmp, n, &d->it);
	DCHECK_EQ(got, want);
	return diff_check_from(d, tmp, got);
}

static inline bool diff_op_zero(struct diff *d)
{
	size_t n = diff_size(d), want, got;

	if (d->dir != SMBIOV_ITER_DEST)
		return true;
	want = diff_min(n, diff_walkable(d));
	got = smbiov_iter_zero(n, &d->it);
	DCHECK_EQ(got, want);
	return diff_apply_to(d, NULL, got);
}

static inline bool diff_op_revert(struct diff *d)
{
	unsigned c = diff_u8(d);

	if ((c & 3) && d->pos > d->floor) {
		size_t r = 1 + diff_u16(d) % (d->pos - d->floor);

		if (c & 4)
			r = d->pos - d->floor; /* all the way back */
		DCHECK_EQ(smbiov_iter_revert(&d->it, r), 0);
		d->pos -= r;
		d->count += r;
	} else {
		struct smbiov_iter saved = d->it;
		size_t r = c & 8 ? SIZE_MAX : d->pos + 1 + c / 16;

		DCHECK_EQ(smbiov_iter_revert(&d->it, r), -EINVAL);
		DCHECK(diff_same_iter(&d->it, &saved));
	}
	return true;
}

static inline bool diff_op_truncate(struct diff *d)
{
	size_t n = diff_size(d);

	smbiov_iter_truncate(&d->it, n);
	d->count = diff_min(d->count, n);
	return true;
}

static inline bool diff_op_reexpand(struct diff *d)
{
	unsigned c = diff_u8(d);
	/*
	 * Everything the segments hold from here may be given back (iter.h:
	 * -EINVAL only past that), even beyond the construction count.
	 */
	size_t room = d->span - d->pos;

	if (c & 1) {
		size_t n = c & 2 ? room : diff_u16(d) % (room + 1);

		DCHECK_EQ(smbiov_iter_reexpand(&d->it, n), 0);
		d->count = n;
	} else {
		struct smbiov_iter saved = d->it;
		size_t n = d->span - d->pos + 1 + c / 4;

		DCHECK_EQ(smbiov_iter_reexpand(&d->it, n), -EINVAL);
		DCHECK(diff_same_iter(&d->it, &saved));
	}
	return true;
}

/* npages, nsegs, alignment, is_aligned against the §1.4 formulas. */
static inline bool diff_op_geometry(struct diff *d)
{
	static const unsigned long masks[] = {0, 1, 3, 7, 511, 4095};
	size_t cap = diff_u8(d) % 12, pages = 0, segs = 0;
	unsigned long align = 0, am = masks[diff_u8(d) % 6],
		      lm = masks[diff_u8(d) % 6];
	bool aligned = true;

	if (d->type == SMBIOV_ITER_DISCARD) {
		DCHECK_EQ(smbiov_iter_npages(&d->it, 100), 0);
		return true;
	}
	if (d->type == SMBIOV_ITER_XARRAY) {
		size_t p = d->segs[0].off + d->pos;

		pages = d->count ? diff_pages(p, d->count) : 0;
		DCHECK_EQ(smbiov_iter_npages(&d->it, cap),
			  diff_min(pages, cap));
		if (d->count) {
			DCHECK_EQ(smbiov_iter_alignment(&d->it), p | d->count);
			DCHECK_EQ(smbiov_iter_is_aligned(&d->it, am, lm),
				  !(p & am) && !(d->count & lm));
		}
		return true;
	}
	if (d->type == SMBIOV_ITER_UBUF) {
		uintptr_t a = (uintptr_t)d->arena + d->segs[0].off + d->pos;

		if (d->count) {
			pages = diff_pages(a, d->count);
			segs = 1;
			align = a | d->count;
			aligned = !(a & am) && !(d->count & lm);
		}
	} else {
		DIFF_FOR_PIECES(d, a, len, {
			pages += diff_pages(a, len);
			segs++;
			align |= a | len;
			if ((a & am) || (len & lm))
				aligned = false;
		});
	}
	DCHECK_EQ(smbiov_iter_npages(&d->it, cap), diff_min(pages, cap));
	DCHECK_EQ(smbiov_iter_npages(&d->it, SIZE_MAX), pages);
	DCHECK_EQ(smbiov_iter_nsegs(&d->it), segs);
	if (d->count) {
		/* BVEC may OR offsets instead of addresses: low bits only. */
		DCHECK_EQ(smbiov_iter_alignment(&d->it) & (DIFF_PG - 1),
			  align & (DIFF_PG - 1));
		DCHECK_EQ(smbiov_iter_is_aligned(&d->it, am, lm), aligned);
	}
	return true;
}

/*
 * extract_pages: expected length (exact, except that BVEC/BVECQ may gather
 * into following elements that start on a page), every listed page is the
 * one holding the corresponding byte, entries past the run untouched, pins
 * exactly for UBUF/IOVEC and all released again.
 */
static inline bool diff_op_extract(struct diff *d)
{
	void *list[16];
	void **pp = list;
	size_t maxsize = diff_size(d), maxpages = 1 + diff_u8(d) % 8;
	size_t ms = diff_min(maxsize, d->count), off0 = 7777, lo = 0, hi = 0;
	size_t before = smbiov_pins_outstanding(), npg = 0;
	ssize_t ret;
	bool ok = true;

	for (size_t k = 0; k < 16; k++)
		list[k] = DIFF_POISON;
	ret = smbiov_iter_extract_pages(&d->it, &pp, maxsize, maxpages, &off0);
	/* Nothing asked (maxsize or count 0) is 0, as in the kernel, even
	 * for DISCARD; otherwise DISCARD has no memory: -EFAULT. */
	if (ms == 0) {
		DCHECK_EQ(ret, 0);
		DCHECK_EQ(smbiov_pins_outstanding(), before);
		return true;
	}
	if (d->type == SMBIOV_ITER_DISCARD) {
		DCHECK_EQ(ret, -EFAULT);
		return true;
	}
	DCHECK(ret >= 0);
	DCHECK(pp == list);

	/* What the model says one call may return. */
	if (d->type == SMBIOV_ITER_XARRAY) {
		size_t p = d->segs[0].off + d->pos, want, np = 0;

		want = diff_min(maxpages, diff_pages(p, ms));
		while (np < want) {
			size_t idx = p / DIFF_PG + np;

			if (idx * DIFF_PG >= d->hole_lo &&
			    idx * DIFF_PG < d->hole_hi)
				break;
			np++;
		}
		lo = hi = np ? diff_min(ms, np * DIFF_PG - p % DIFF_PG) : 0;
	} else {
		size_t k = d->pos, left = ms, pages = 0;
		bool first = true;

		/* lo: the current element only; hi: gathering on. */
		while (left) {
			size_t loc, seg = diff_locate(d, k, &loc);
			uintptr_t a = (uintptr_t)d->arena + loc;
			size_t part, n;

			if (d->type == SMBIOV_ITER_UBUF)
				seg = left;
			part = diff_min(seg, left);
			if (!part)
				break;
			if (!first && a % DIFF_PG)
				break;
			n = diff_min(maxpages - pages, diff_pages(a, part));
			part = diff_min(part, n * DIFF_PG - a % DIFF_PG);
			hi += part;
			if (first)
				lo = part;
			pages += n;
			left -= part;
			k += part;
			first = false;
			if ((a + part) % DIFF_PG || pages == maxpages ||
			    (d->type != SMBIOV_ITER_BVEC &&
			     d->type != SMBIOV_ITER_BVECQ))
				break;
		}
	}
	if ((size_t)ret < lo || (size_t)ret > hi)
		ok = diff_fail(d, __LINE__,
			       "extract %zd, want %zu..%zu (max %zu/%zu)", ret,
			       lo, hi, maxsize, maxpages);
	if (ok && ret > 0) {
		size_t a0;

		npg = diff_pages(off0, (size_t)ret);
		if (npg > maxpages) {
			ok = diff_fail(d, __LINE__, "%zu pages > %zu", npg,
				       maxpages);
			npg = maxpages;
		}
		a0 = (size_t)(uintptr_t)diff_addr(d, d->pos);
		if (ok && off0 != a0 % DIFF_PG)
			ok = diff_fail(d, __LINE__, "offset0 %zu, want %zu",
				       off0, a0 % DIFF_PG);
		for (size_t k = 0; ok && k < npg; k++) {
			size_t b = d->pos + (k ? k * DIFF_PG - off0 : 0);
			uintptr_t want = (uintptr_t)diff_addr(d, b) &
					 ~(uintptr_t)(DIFF_PG - 1);

			if ((uintptr_t)list[k] != want)
				ok = diff_fail(d, __LINE__,
					       "page %zu of %zu is %p, want %p",
					       k, npg, list[k], (void *)want);
		}
		for (size_t k = npg; ok && k < 16; k++)
			if (list[k] != DIFF_POISON)
				ok = diff_fail(d, __LINE__,
					       "entry %zu past the run written",
					       k);
	} else if (ok && ret == 0 && list[0] != DIFF_POISON) {
		ok = diff_fail(d, __LINE__, "0-byte run wrote the page list");
	}
	if (ok && smbiov_pins_outstanding() !=
			  before + (diff_user(d->type) ? npg : 0))
		ok = diff_fail(d, __LINE__, "pins %zu, want %zu",
			       smbiov_pins_outstanding(),
			       before + (diff_user(d->type) ? npg : 0));
	if (diff_user(d->type) && ret > 0)
		smbiov_unpin_pages(list, npg);
	if (!ok)
		return false;
	DCHECK_EQ(smbiov_pins_outstanding(), before);
	d->pos += (size_t)ret;
	d->count -= (size_t)ret;
	return true;
}

/* sub = *it; truncate(&sub, k); move data through sub; advance(it, k). */
static inline bool diff_op_view(struct diff *d, unsigned char *tmp)
{
	size_t k = diff_size(d), want, got, vis;
	struct smbiov_iter sub = d->it, saved = d->it;

	smbiov_iter_truncate(&sub, k);
	vis = diff_min(k, d->count);
	DCHECK_EQ(sub.count, vis);
	want = diff_min(vis, diff_walkable(d));
	if (d->dir == SMBIOV_ITER_DEST) {
		for (size_t j = 0; j < want; j++)
			tmp[j] = (unsigned char)diff_rand(d);
		got = smbiov_copy_to_iter(tmp, DIFF_ARENA, &sub);
	} else {
		got = smbiov_copy_from_iter(tmp, DIFF_ARENA, &sub);
	}
	DCHECK_EQ(got, want);
	DCHECK_EQ(sub.count, vis - got);
	DCHECK(diff_same_iter(&d->it, &saved)); /* the parent did not move */
	{
		size_t pos = d->pos, count = d->count;
		bool ok = d->dir == SMBIOV_ITER_DEST
				  ? diff_apply_to(d, tmp, got)
				  : diff_check_from(d, tmp, got);

		if (!ok)
			return false;
		d->pos = pos;
		d->count = count;
	}
	smbiov_iter_advance(&d->it, k);
	d->pos += vis;
	d->count -= vis;
	return true;
}

/* save, move (copy or advance or truncate), restore: back where it was. */
static inline bool diff_op_save_restore(struct diff *d, unsigned char *tmp)
{
	struct smbiov_iter_state st;
	struct smbiov_iter saved = d->it;
	size_t n = diff_size(d);

	if (d->type == SMBIOV_ITER_XARRAY || d->type == SMBIOV_ITER_BVECQ ||
	    d->type == SMBIOV_ITER_DISCARD)
		return true; /* restore is only promised for these four */
	smbiov_iter_save_state(&d->it, &st);
	if (d->dir == SMBIOV_ITER_SOURCE)
		smbiov_copy_from_iter(tmp, diff_min(n, DIFF_ARENA), &d->it);
	else
		smbiov_iter_advance(&d->it, n);
	if (n & 1)
		smbiov_iter_truncate(&d->it, n / 3);
	DCHECK_EQ(smbiov_iter_restore(&d->it, &st), 0);
	DCHECK(diff_same_iter(&d->it, &saved));
	return true;
}

static inline bool diff_op_copy_full(struct diff *d, unsigned char *tmp)
{
	size_t n = diff_min(diff_size(d), DIFF_ARENA);
	struct smbiov_iter saved = d->it;
	bool want =
		d->dir == SMBIOV_ITER_SOURCE ? diff_walkable(d) >= n : n == 0;
	bool got = smbiov_copy_from_iter_full(tmp, n, &d->it);

	DCHECK_EQ(got, want);
	if (!got || d->dir != SMBIOV_ITER_SOURCE) {
		/*
		 * Reverted to the same position. The representation may
		 * differ (a revert lands after leading empty segments the
		 * walk stepped over), so compare the position, and let the
		 * following operations prove the bytes.
		 */
		DCHECK_EQ(d->it.count, saved.count);
		DCHECK_EQ(d->it.advanced, saved.advanced);
		return true;
	}
	return diff_check_from(d, tmp, n);
}

/* dup and carry on with the duplicate; the original array is wiped. */
static inline bool diff_op_dup(struct diff *d)
{
	struct smbiov_iter dup;
	void *array = (void *)1;

	DCHECK_EQ(smbiov_iter_dup(&dup, &d->it, &array), 0);
	DCHECK_EQ(dup.count, d->count);
	if (d->type == SMBIOV_ITER_IOVEC || d->type == SMBIOV_ITER_KVEC ||
	    d->type == SMBIOV_ITER_BVEC) {
		DCHECK(array != NULL);
		d->dups[d->ndups++] = array;
		/* Whatever the original array said is gone. */
		if (d->iov)
			memset(d->iov, 0, d->nsegs * sizeof(*d->iov));
		if (d->bv)
			memset(d->bv, 0, d->nsegs * sizeof(*d->bv));
		d->floor = d->pos; /* nothing before this point was copied */
	} else {
		DCHECK(array == NULL);
	}
	d->it = dup;
	return true;
}

struct diff_walk {
	struct diff *d;
	size_t budget; /* bytes the step will still accept */
	bool bad;
	size_t calls;
};

/* A step that checks every span and stops (short) when its budget ends. */
static size_t diff_step(void *base, size_t progress, size_t len, void *priv,
			void *priv2)
{
	struct diff_walk *w = priv;
	struct diff *d = w->d;
	size_t loc, seg, take;

	(void)priv2;
	w->calls++;
	seg = diff_locate(d, d->pos + progress, &loc);
	if (d->type == SMBIOV_ITER_UBUF)
		seg = SIZE_MAX;
	if (d->type == SMBIOV_ITER_XARRAY) {
		struct smbiov_folio *f =
			smbiov_xarray_load(d->xa, loc / DIFF_PG);

		seg = f ? f->index * DIFF_PG + smbiov_folio_size(f) - loc : 0;
	}
	/* Right start, never across a segment or folio, never empty. */
	if (!len || base != diff_addr(d, d->pos + progress) || len > seg) {
		if (!w->bad)
			diff_fail(d, __LINE__,
				  "span %p+%zu at progress %zu, want %p (seg "
				  "%zu)",
				  base, len, progress,
				  (void *)diff_addr(d, d->pos + progress), seg);
		w->bad = true;
		return len;
	}
	take = diff_min(len, w->budget);
	w->budget -= take;
	return len - take;
}

static inline bool diff_op_walk(struct diff *d)
{
	struct diff_walk w = {d, diff_size(d), false, 0};
	size_t n = diff_size(d), want, got;

	want = diff_min(n, diff_walkable(d));
	if (d->type != SMBIOV_ITER_DISCARD)
		want = diff_min(want, w.budget);
	got = smbiov_iterate_and_advance(&d->it, n, &w, NULL, diff_step);
	if (w.bad)
		return false;
	DCHECK_EQ(got, want);
	if (d->type == SMBIOV_ITER_DISCARD)
		DCHECK_EQ(w.calls, 0);
	d->pos += got;
	d->count -= got;
	return true;
}

/* ---- the run
 * ------------------------------------------------------------------ */

/*
 * Run one input. @arena: DIFF_ARENA page-aligned bytes, @shadow and @tmp:
 * DIFF_ARENA bytes each (scratch owned by the caller).
 */
static inline bool diff_run(struct diff *d, const uint8_t *in, size_t len,
			    unsigned char *arena, unsigned char *shadow,
			    unsigned char *tmp)
{
	bool ok;

	memset(d, 0, sizeof(*d));
	d->in = in;
	d->in_len = len;
	d->arena = arena;
	d->shadow = shadow;
	d->op = -1;
	ok = diff_setup(d);
	for (d->op_no = 0;
	     ok && d->in_at < d->in_len && d->op_no < DIFF_MAX_OPS;
	     d->op_no++) {
		d->op = (int)(diff_u8(d) % 14);
		switch (d->op) {
		case 0:
			ok = diff_op_copy_to(d, tmp);
			break;
		case 1:
			ok = diff_op_copy_from(d, tmp);
			break;
		case 2: {
			size_t n = diff_size(d);

			smbiov_iter_advance(&d->it, n);
			n = diff_min(n, d->count);
			d->pos += n;
			d->count -= n;
			break;
		}
		case 3:
			ok = diff_op_revert(d);
			break;
		case 4:
			ok = diff_op_truncate(d);
			break;
		case 5:
			ok = diff_op_reexpand(d);
			break;
		case 6:
			ok = diff_op_zero(d);
			break;
		case 7:
			ok = diff_op_geometry(d);
			break;
		case 8:
		case 9:
			ok = diff_op_extract(d);
			break;
		case 10:
			ok = diff_op_view(d, tmp);
			break;
		case 11:
			ok = diff_op_save_restore(d, tmp);
			break;
		case 12:
			ok = diff_op_copy_full(d, tmp);
			break;
		default:
			if (diff_u8(d) & 1)
				ok = diff_op_dup(d);
			else
				ok = diff_op_walk(d);
			break;
		}
		if (ok && smbiov_iter_count(&d->it) != d->count)
			ok = diff_fail(d, __LINE__, "count %zu, model %zu",
				       smbiov_iter_count(&d->it), d->count);
		if (ok && (d->op_no % 4 == 3 || d->op == 0 || d->op == 6))
			ok = diff_check_memory(d);
	}
	if (ok)
		ok = diff_check_memory(d);
	diff_teardown(d);
	return ok;
}

#endif
