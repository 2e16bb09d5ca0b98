// SPDX-License-Identifier: MIT
/*
 * Iterator operations other than bulk copy (kernel-iov-iter-design.md §1.4):
 * advance, revert, truncate/reexpand, the struct-copy "view", save/restore,
 * the geometry queries (single_seg_count, nsegs, npages, alignment,
 * is_aligned, gap_alignment), zero-fill, copy_from_iter_full, direction
 * checks, DISCARD, dup, and extraction into an allocated page array.
 *
 * Most checks run one small layout through every type. The layout has empty
 * segments and page-straddling ones, and BVEC elements whose offset is at or
 * beyond a page (virtually contiguous ranges). Positions are checked through
 * the data ("peek": copy, compare, revert) as well as through the fields the
 * kernel defines.
 */
#include <smbiov/iter.h>
#include <smbiov/mem.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#define PG	    SMBIOV_PAGE_SIZE
#define ARENA_PAGES 8
#define ARENA_SIZE  (ARENA_PAGES * PG)
#define MAX_SEGS    8

static unsigned char *arena; /* page-aligned; page N = arena + N * PG */
static struct smbiov_xarray
	*xa; /* file bytes [0, ARENA_SIZE), order-1 folios */

/* Position-identifying content: byte x of the arena and of the file. */
static unsigned char content(size_t x)
{
	return (unsigned char)((x * 2654435761u) >> 11);
}

struct seg {
	size_t off; /* in the arena (or file position for XARRAY) */
	size_t len;
};

/*
 * Layout A, in iterator order (0x60 bytes):
 *   seg0 0x10 at 0xff8: straddles pages 0/1
 *   seg1 empty
 *   seg2 0x20 at 0x2ff0: straddles pages 2/3 (BVEC: page 1, offset 0x1ff0)
 *   seg3, seg4 empty (two in a row)
 *   seg5 0x30 at 0x5000: page aligned (BVEC: page 4, offset exactly 0x1000)
 */
static const struct seg layout_a[] = {
	{0xff8, 0x10}, {0x100, 0}, {0x2ff0, 0x20},
	{0x200, 0},    {0x300, 0}, {0x5000, 0x30},
};
#define NA (sizeof(layout_a) / sizeof(layout_a[0]))
#define TA ((size_t)0x60)
/* For UBUF and XARRAY: one range, same length. */
static const struct seg flat_a[] = {{0xff8, TA}};

static const int array_types[] = {SMBIOV_ITER_IOVEC, SMBIOV_ITER_KVEC,
				  SMBIOV_ITER_BVEC, SMBIOV_ITER_BVECQ};
static const int all_types[] = {SMBIOV_ITER_UBUF,   SMBIOV_ITER_IOVEC,
				SMBIOV_ITER_KVEC,   SMBIOV_ITER_BVEC,
				SMBIOV_ITER_XARRAY, SMBIOV_ITER_BVECQ,
				SMBIOV_ITER_DISCARD};
#define FOR_EACH(t, arr)                                                       \
	for (size_t t##_i = 0; t##_i < sizeof(arr) / sizeof(arr[0]); t##_i++)  \
		for (int t = arr[t##_i], t##_once = 1; t##_once; t##_once = 0)

static const char *tname(int type)
{
	static const char *const n[] = {"?",	"ubuf",	  "iovec", "kvec",
					"bvec", "xarray", "bvecq", "discard"};
	return type >= 1 && type <= 7 ? n[type] : "?";
}

struct built {
	int type;
	struct smbiov_iter it;
	struct iovec iov[MAX_SEGS];
	struct smbiov_bvec bv[MAX_SEGS];
	struct smbiov_bvecq *q;
	struct seg segs[MAX_SEGS];
	size_t nsegs;
};

static void fill_all(void)
{
	for (size_t x = 0; x < ARENA_SIZE; x++)
		arena[x] = content(x);
	for (size_t p = 0; p < ARENA_PAGES; p++) {
		struct smbiov_folio *f = smbiov_xarray_load(xa, p);
		unsigned char *a;

		T_ASSERT(f);
		a = (unsigned char *)f->addr + (p - f->index) * PG;
		for (size_t j = 0; j < PG; j++)
			a[j] = content(p * PG + j);
	}
}

/*
 * Build @type over @segs with @count bytes. UBUF and XARRAY take segs[0]
 * only; DISCARD takes just the count. BVEC/BVECQ elements are expressed
 * from the page before the data's page when there is one, so offsets reach
 * or pass PAGE_SIZE. BVECQ holds two elements per queue segment.
 */
static int build(struct built *b, int type, unsigned dir,
		 const struct seg *segs, size_t nsegs, size_t count)
{
	memset(b, 0, sizeof(*b));
	b->type = type;
	b->nsegs = nsegs;
	memcpy(b->segs, segs, nsegs * sizeof(*segs));
	for (size_t k = 0; k < nsegs; k++) {
		size_t pg = segs[k].off & SMBIOV_PAGE_MASK;

		if (pg >= PG)
			pg -= PG;
		b->iov[k].iov_base = arena + segs[k].off;
		b->iov[k].iov_len = segs[k].len;
		b->bv[k].page = arena + pg;
		b->bv[k].offset = segs[k].off - pg;
		b->bv[k].len = segs[k].len;
	}
	switch (type) {
	case SMBIOV_ITER_UBUF:
		return smbiov_iter_ubuf(&b->it, dir, arena + segs[0].off,
					count);
	case SMBIOV_ITER_IOVEC:
		return smbiov_iter_iovec(&b->it, dir, b->iov, nsegs, count);
	case SMBIOV_ITER_KVEC:
		return smbiov_iter_kvec(&b->it, dir, b->iov, nsegs, count);
	case SMBIOV_ITER_BVEC:
		return smbiov_iter_bvec(&b->it, dir, b->bv, nsegs, count);
	case SMBIOV_ITER_XARRAY:
		return smbiov_iter_xarray(&b->it, dir, xa, (int64_t)segs[0].off,
					  count);
	case SMBIOV_ITER_BVECQ:
		b->q = smbiov_bvecq_new(2, SMBIOV_CLEANUP_NONE);
		T_ASSERT(b->q);
		for (size_t k = 0; k < nsegs; k++)
			T_ASSERT(smbiov_bvecq_append(b->q, b->bv[k].page,
						     b->bv[k].offset,
						     b->bv[k].len) == 0);
		return smbiov_iter_bvecq(&b->it, dir, b->q, 0, 0, count);
	case SMBIOV_ITER_DISCARD:
		return smbiov_iter_discard(&b->it, dir, count);
	}
	return -EINVAL;
}

/* Build layout A (array types) or its one-range twin (UBUF/XARRAY). */
static void build_a(struct built *b, int type, unsigned dir)
{
	bool flat = type == SMBIOV_ITER_UBUF || type == SMBIOV_ITER_XARRAY ||
		    type == SMBIOV_ITER_DISCARD;
	int err = flat ? build(b, type, dir, flat_a, 1, TA)
		       : build(b, type, dir, layout_a, NA, TA);

	if (err)
		fprintf(stderr, "build %s: %d\n", tname(type), err);
	T_ASSERT(err == 0);
}

static void unbuild(struct built *b)
{
	if (b->q)
		smbiov_bvecq_put(b->q);
	b->q = NULL;
}

/* Address of logical byte @k of the built iterator (from construction). */
static unsigned char *addr_of(const struct built *b, size_t k)
{
	if (b->type == SMBIOV_ITER_XARRAY) {
		size_t pos = b->segs[0].off + k;
		struct smbiov_folio *f = smbiov_xarray_load(xa, pos / PG);

		T_ASSERT(f);
		return (unsigned char *)f->addr + (pos - f->index * PG);
	}
	if (b->type == SMBIOV_ITER_UBUF)
		return arena + b->segs[0].off + k;
	for (size_t s = 0; s < b->nsegs; s++) {
		if (k < b->segs[s].len)
			return arena + b->segs[s].off + k;
		k -= b->segs[s].len;
	}
	T_ASSERT(0);
	return NULL;
}

/* What logical byte @k held before anything wrote to it (fill_all()). */
static unsigned char orig(const struct built *b, size_t k)
{
	if (b->type == SMBIOV_ITER_XARRAY)
		return content(b->segs[0].off + k);
	return content((size_t)(addr_of(b, k) - arena));
}

static bool same_iter(const struct smbiov_iter *a, const struct smbiov_iter *b)
{
	return a->type == b->type && a->source == b->source &&
	       a->iov_offset == b->iov_offset && a->count == b->count &&
	       a->advanced == b->advanced && a->span == b->span &&
	       a->ubuf == b->ubuf && a->nr_segs == b->nr_segs;
}

/*
 * Non-destructive look at the next @n bytes of a SOURCE iterator: they must
 * be the logical bytes [@pos, @pos + n) of the layout. Copy, compare, revert.
 */
static void peek(const char *what, struct built *b, size_t pos, size_t n)
{
	unsigned char tmp[0x100];
	size_t got, before = smbiov_iter_count(&b->it);

	T_ASSERT(n <= sizeof(tmp));
	if (b->type == SMBIOV_ITER_DISCARD)
		return;
	got = smbiov_copy_from_iter(tmp, n, &b->it);
	T_EXPECT_EQ(got, n);
	for (size_t k = 0; k < got; k++) {
		if (tmp[k] != *addr_of(b, pos + k)) {
			fprintf(stderr, "%s (%s): byte %zu of peek at %#zx\n",
				what, tname(b->type), k, pos);
			T_EXPECT(0);
			break;
		}
	}
	T_EXPECT_EQ(smbiov_iter_revert(&b->it, got), 0);
	T_EXPECT_EQ(smbiov_iter_count(&b->it), before);
}

static bool has_nr_segs(int type)
{
	return type == SMBIOV_ITER_IOVEC || type == SMBIOV_ITER_KVEC ||
	       type == SMBIOV_ITER_BVEC;
}

/* ---- advance ------------------------------------------------------------- */

/*
 * Advancing lands exactly on segment ends and walks across empty segments:
 * the kernel subtracts whole segments while size >= their length, so an
 * exact landing moves to the next non-empty segment with offset 0.
 */
static void test_advance_segments(void)
{
	FOR_EACH(type, array_types)
	{
		struct built b;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_SOURCE);
		smbiov_iter_advance(&b.it, 0); /* no-op */
		T_EXPECT_EQ(b.it.count, TA);
		peek("start", &b, 0, 0x18);

		/* End of seg0: skips empty seg1, now at seg2 offset 0. */
		smbiov_iter_advance(&b.it, 0x10);
		T_EXPECT_EQ(b.it.count, TA - 0x10);
		if (has_nr_segs(type)) {
			T_EXPECT_EQ(b.it.nr_segs, 4);
			T_EXPECT_EQ(b.it.iov_offset, 0);
		}
		/* The current segment is seg2 (0x20), not the empty seg1. */
		T_EXPECT_EQ(smbiov_iter_single_seg_count(&b.it), 0x20);
		peek("seg2 start", &b, 0x10, 0x28);

		/* End of seg2: skips empty seg3 and seg4, lands in seg5. */
		smbiov_iter_advance(&b.it, 0x20);
		T_EXPECT_EQ(b.it.count, 0x30);
		if (has_nr_segs(type)) {
			T_EXPECT_EQ(b.it.nr_segs, 1);
			T_EXPECT_EQ(b.it.iov_offset, 0);
		}
		T_EXPECT_EQ(smbiov_iter_single_seg_count(&b.it), 0x30);
		peek("seg5 start", &b, 0x30, 0x30);

		/* Inside seg5. */
		smbiov_iter_advance(&b.it, 5);
		T_EXPECT_EQ(b.it.count, 0x2b);
		if (has_nr_segs(type))
			T_EXPECT_EQ(b.it.iov_offset, 5);
		peek("seg5+5", &b, 0x35, 0x2b);

		/* Clamped to count: ends with nothing left. */
		smbiov_iter_advance(&b.it, 0x100000);
		T_EXPECT_EQ(b.it.count, 0);
		if (has_nr_segs(type))
			T_EXPECT_EQ(b.it.nr_segs, 0);
		smbiov_iter_advance(&b.it, 1); /* nothing to do */
		T_EXPECT_EQ(b.it.count, 0);
		/* Everything was advanced, so it all reverts. */
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, TA), 0);
		T_EXPECT_EQ(b.it.count, TA);
		peek("reverted to start", &b, 0, TA);
		unbuild(&b);
	}
}

/* UBUF/XARRAY: offset is from the start of the range; DISCARD: count only. */
static void test_advance_flat(void)
{
	static const int types[] = {SMBIOV_ITER_UBUF, SMBIOV_ITER_XARRAY,
				    SMBIOV_ITER_DISCARD};

	FOR_EACH(type, types)
	{
		struct built b;

		fill_all();
		build_a(&b, type,
			type == SMBIOV_ITER_DISCARD ? SMBIOV_ITER_DEST
						    : SMBIOV_ITER_SOURCE);
		smbiov_iter_advance(&b.it, 7);
		T_EXPECT_EQ(b.it.count, TA - 7);
		if (type != SMBIOV_ITER_DISCARD)
			T_EXPECT_EQ(b.it.iov_offset, 7);
		peek("flat+7", &b, 7, TA - 7);
		smbiov_iter_advance(&b.it, (size_t)-1); /* clamped */
		T_EXPECT_EQ(b.it.count, 0);
		if (type != SMBIOV_ITER_DISCARD)
			T_EXPECT_EQ(b.it.iov_offset, TA);
		unbuild(&b);
	}
}

/* ---- revert -------------------------------------------------------------- */

/*
 * Reverting walks segments backwards (over empty ones) until the unroll
 * fits, leaving iov_offset = segment length - remainder.
 */
static void test_revert_segments(void)
{
	FOR_EACH(type, array_types)
	{
		struct built b;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_SOURCE);
		smbiov_iter_advance(&b.it, 0x35); /* seg5 offset 5 */
		/* Back across seg5, seg4, seg3, seg2 into seg0 offset 0xb. */
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 0x2a), 0);
		T_EXPECT_EQ(b.it.count, TA - 0xb);
		if (has_nr_segs(type)) {
			T_EXPECT_EQ(b.it.nr_segs, NA);
			T_EXPECT_EQ(b.it.iov_offset, 0xb);
		}
		T_EXPECT_EQ(smbiov_iter_single_seg_count(&b.it), 0x10 - 0xb);
		peek("reverted into seg0", &b, 0xb, TA - 0xb);

		/* Within the current segment. */
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 0xb), 0);
		T_EXPECT_EQ(b.it.count, TA);
		peek("back at start", &b, 0, TA);

		/* From seg2 offset 0 back by one byte: seg0 offset 0xf. */
		smbiov_iter_advance(&b.it, 0x10);
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 1), 0);
		T_EXPECT_EQ(b.it.count, TA - 0xf);
		if (has_nr_segs(type)) {
			T_EXPECT_EQ(b.it.nr_segs, NA);
			T_EXPECT_EQ(b.it.iov_offset, 0xf);
		}
		peek("one byte before seg2", &b, 0xf, 2);

		/* Exactly one whole segment back: seg2 offset 0. */
		smbiov_iter_advance(&b.it,
				    0x21); /* 0xf + 0x21: seg5 offset 0 */
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 0x20), 0);
		T_EXPECT_EQ(b.it.count, TA - 0x10);
		if (has_nr_segs(type)) {
			T_EXPECT_EQ(b.it.nr_segs, NA - 2);
			T_EXPECT_EQ(b.it.iov_offset, 0);
		}
		peek("seg2 again", &b, 0x10, 0x50);
		unbuild(&b);
	}
}

static void test_revert_flat(void)
{
	static const int types[] = {SMBIOV_ITER_UBUF, SMBIOV_ITER_XARRAY};

	FOR_EACH(type, types)
	{
		struct built b;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_SOURCE);
		smbiov_iter_advance(&b.it, 0x40);
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 0x28), 0);
		T_EXPECT_EQ(b.it.iov_offset, 0x18);
		T_EXPECT_EQ(b.it.count, TA - 0x18);
		peek("flat revert", &b, 0x18, TA - 0x18);
		unbuild(&b);
	}
}

/*
 * Reverting more than was advanced since construction is -EINVAL and
 * leaves the iterator exactly as it was (the kernel BUGs or walks off the
 * array; we refuse).
 */
static void test_revert_past_start(void)
{
	FOR_EACH(type, all_types)
	{
		unsigned dir = type == SMBIOV_ITER_DISCARD ? SMBIOV_ITER_DEST
							   : SMBIOV_ITER_SOURCE;
		struct smbiov_iter saved;
		struct built b;

		fill_all();
		build_a(&b, type, dir);
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 0), 0); /* no-op */
		saved = b.it;
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 1), -EINVAL);
		T_EXPECT(same_iter(&b.it, &saved));
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, (size_t)-1), -EINVAL);
		T_EXPECT(same_iter(&b.it, &saved));

		smbiov_iter_advance(&b.it, 0x20);
		saved = b.it;
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 0x21), -EINVAL);
		T_EXPECT(same_iter(&b.it, &saved));
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 0x20), 0);
		T_EXPECT_EQ(b.it.count, TA);
		peek("after full revert", &b, 0, TA);
		T_EXPECT_EQ(smbiov_iter_revert(&b.it, 1), -EINVAL);
		T_EXPECT_EQ(b.it.count, TA);
		unbuild(&b);
	}
}

/* ---- truncate / reexpand ------------------------------------------------- */

static void test_truncate_reexpand(void)
{
	FOR_EACH(type, all_types)
	{
		unsigned dir = type == SMBIOV_ITER_DISCARD ? SMBIOV_ITER_DEST
							   : SMBIOV_ITER_SOURCE;
		struct smbiov_iter saved;
		struct built b;

		fill_all();
		build_a(&b, type, dir);
		smbiov_iter_truncate(&b.it, 0x20);
		T_EXPECT_EQ(b.it.count, 0x20);
		smbiov_iter_truncate(&b.it, 0x40); /* never grows */
		T_EXPECT_EQ(b.it.count, 0x20);
		smbiov_iter_truncate(&b.it, UINT64_MAX); /* > any size_t */
		T_EXPECT_EQ(b.it.count, 0x20);
		peek("truncated", &b, 0, 0x20);

		/* Operations clamp to the truncated count. */
		smbiov_iter_advance(&b.it, 0x30);
		T_EXPECT_EQ(b.it.count, 0);

		/* Back to everything the segments hold from here: 0x40. */
		T_EXPECT_EQ(smbiov_iter_reexpand(&b.it, TA - 0x20), 0);
		T_EXPECT_EQ(b.it.count, TA - 0x20);
		peek("reexpanded", &b, 0x20, TA - 0x20);
		saved = b.it;
		T_EXPECT_EQ(smbiov_iter_reexpand(&b.it, TA - 0x20 + 1),
			    -EINVAL);
		T_EXPECT(same_iter(&b.it, &saved));

		/* Shrinking with reexpand is allowed (count = n). */
		T_EXPECT_EQ(smbiov_iter_reexpand(&b.it, 3), 0);
		T_EXPECT_EQ(b.it.count, 3);
		smbiov_iter_truncate(&b.it, 0);
		T_EXPECT_EQ(b.it.count, 0);
		T_EXPECT_EQ(smbiov_iter_reexpand(&b.it, TA - 0x20), 0);
		peek("reexpanded again", &b, 0x20, TA - 0x20);
		unbuild(&b);
	}
}

/*
 * iter.h: "@count may be less than the segments hold: that is how
 * truncation is expressed", and reexpand fails only "if @n is more than the
 * segments hold from the current position". So an array iterator built with
 * count 0x50 over 0x60 bytes of segments can be reexpanded up to 0x60 from
 * its start, not further.
 */
static void test_reexpand_past_built_count(void)
{
	FOR_EACH(type, array_types)
	{
		struct built b;

		fill_all();
		T_ASSERT(build(&b, type, SMBIOV_ITER_SOURCE, layout_a, NA,
			       0x50) == 0);
		T_EXPECT_EQ(b.it.count, 0x50);
		peek("built short", &b, 0, 0x50);
		smbiov_iter_advance(&b.it, 0x12);
		T_EXPECT_EQ(smbiov_iter_reexpand(&b.it, TA - 0x12), 0);
		peek("reexpanded past built count", &b, 0x12, TA - 0x12);
		T_EXPECT_EQ(smbiov_iter_reexpand(&b.it, TA - 0x11), -EINVAL);
		T_EXPECT_EQ(b.it.count, TA - 0x12);
		unbuild(&b);
	}
}

/* ---- the "view" pattern ----------------------------------------------------
 */

/*
 * sub = *parent; truncate(&sub, chunk); use sub; advance(parent, chunk).
 * The view never disturbs the parent, and the chunks tile the data.
 */
static void test_view(void)
{
	static const int types[] = {SMBIOV_ITER_UBUF,	SMBIOV_ITER_IOVEC,
				    SMBIOV_ITER_KVEC,	SMBIOV_ITER_BVEC,
				    SMBIOV_ITER_XARRAY, SMBIOV_ITER_BVECQ};

	FOR_EACH(type, types)
	{
		unsigned char out[TA];
		size_t done = 0, chunk = 0x11, rounds = 0;
		struct built b;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_SOURCE);
		memset(out, 0, sizeof(out));
		while (smbiov_iter_count(&b.it) > 0) {
			struct smbiov_iter sub = b.it;
			size_t left = smbiov_iter_count(&b.it);
			size_t want = left < chunk ? left : chunk, got;

			smbiov_iter_truncate(&sub, chunk);
			got = smbiov_copy_from_iter(out + done, sizeof(out),
						    &sub);
			T_EXPECT_EQ(got, want);
			T_EXPECT_EQ(sub.count, 0);
			T_EXPECT_EQ(b.it.count, left); /* parent untouched */
			smbiov_iter_advance(&b.it, chunk);
			done += want;
			T_ASSERT(++rounds <= TA);
		}
		T_EXPECT_EQ(done, TA);
		T_EXPECT_EQ(rounds, (TA + chunk - 1) / chunk);
		for (size_t k = 0; k < TA; k++) {
			if (out[k] != *addr_of(&b, k)) {
				fprintf(stderr, "view %s: byte %zu\n",
					tname(type), k);
				T_EXPECT(0);
				break;
			}
		}
		unbuild(&b);
	}

	/* The same through views of a DEST: the writes tile the layout. */
	FOR_EACH(type, array_types)
	{
		unsigned char src[TA];
		struct built b;

		for (size_t k = 0; k < TA; k++)
			src[k] = (unsigned char)(0x80 ^ k);
		fill_all();
		build_a(&b, type, SMBIOV_ITER_DEST);
		for (size_t done = 0; smbiov_iter_count(&b.it) > 0;) {
			struct smbiov_iter sub = b.it;

			smbiov_iter_truncate(&sub, 0x17);
			done += smbiov_copy_to_iter(src + done, TA, &sub);
			smbiov_iter_advance(&b.it, 0x17);
			T_ASSERT(done <= TA);
		}
		for (size_t k = 0; k < TA; k++) {
			if (*addr_of(&b, k) != src[k]) {
				fprintf(stderr, "dest view %s: byte %zu\n",
					tname(type), k);
				T_EXPECT(0);
				break;
			}
		}
		unbuild(&b);
	}
}

/* ---- save / restore ------------------------------------------------------ */

static void test_save_restore(void)
{
	static const int ok_types[] = {SMBIOV_ITER_UBUF, SMBIOV_ITER_IOVEC,
				       SMBIOV_ITER_KVEC, SMBIOV_ITER_BVEC};
	static const int bad_types[] = {SMBIOV_ITER_XARRAY, SMBIOV_ITER_BVECQ};

	FOR_EACH(type, ok_types)
	{
		unsigned char tmp[TA];
		struct smbiov_iter_state st;
		struct smbiov_iter saved;
		struct built b;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_SOURCE);
		smbiov_iter_advance(&b.it, 0xb);
		smbiov_iter_save_state(&b.it, &st);
		saved = b.it;
		/* Cross several segment boundaries, then go back. */
		T_EXPECT_EQ(smbiov_copy_from_iter(tmp, 0x30, &b.it), 0x30);
		T_EXPECT_EQ(smbiov_iter_restore(&b.it, &st), 0);
		T_EXPECT(same_iter(&b.it, &saved));
		peek("restored", &b, 0xb, TA - 0xb);
		/* Restore also undoes a truncate made after the save. */
		smbiov_iter_truncate(&b.it, 1);
		T_EXPECT_EQ(smbiov_iter_restore(&b.it, &st), 0);
		T_EXPECT_EQ(b.it.count, TA - 0xb);
		unbuild(&b);
	}
	FOR_EACH(type, bad_types)
	{
		struct smbiov_iter_state st;
		struct smbiov_iter saved;
		struct built b;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_SOURCE);
		smbiov_iter_save_state(&b.it, &st);
		smbiov_iter_advance(&b.it, 3);
		saved = b.it;
		T_EXPECT_EQ(smbiov_iter_restore(&b.it, &st), -EINVAL);
		T_EXPECT(same_iter(&b.it, &saved));
		unbuild(&b);
	}
}

/* ---- geometry ------------------------------------------------------------ */

static void test_single_seg_count(void)
{
	FOR_EACH(type, array_types)
	{
		struct built b;

		build_a(&b, type, SMBIOV_ITER_SOURCE);
		T_EXPECT_EQ(smbiov_iter_single_seg_count(&b.it), 0x10);
		smbiov_iter_advance(&b.it, 4);
		T_EXPECT_EQ(smbiov_iter_single_seg_count(&b.it), 0xc);
		smbiov_iter_truncate(&b.it, 3); /* clamped to count */
		T_EXPECT_EQ(smbiov_iter_single_seg_count(&b.it), 3);
		unbuild(&b);
	}
	{
		struct built b;

		/* UBUF: the one segment is everything left. */
		build_a(&b, SMBIOV_ITER_UBUF, SMBIOV_ITER_SOURCE);
		T_EXPECT_EQ(smbiov_iter_single_seg_count(&b.it), TA);
		smbiov_iter_advance(&b.it, 0x21);
		T_EXPECT_EQ(smbiov_iter_single_seg_count(&b.it), TA - 0x21);
	}
}

static void test_nsegs(void)
{
	FOR_EACH(type, array_types)
	{
		struct built b;

		build_a(&b, type, SMBIOV_ITER_SOURCE);
		/* seg0, seg2, seg5: the empty ones do not count. */
		T_EXPECT_EQ(smbiov_iter_nsegs(&b.it), 3);
		smbiov_iter_advance(&b.it, 0x12); /* seg2 offset 2 */
		T_EXPECT_EQ(smbiov_iter_nsegs(&b.it), 2);
		smbiov_iter_truncate(&b.it,
				     0x1e); /* exactly the rest of seg2 */
		T_EXPECT_EQ(smbiov_iter_nsegs(&b.it), 1);
		smbiov_iter_truncate(&b.it, 0);
		T_EXPECT_EQ(smbiov_iter_nsegs(&b.it), 0);
		unbuild(&b);
	}
	{
		struct smbiov_iter it;

		T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena, 10) ==
			 0);
		T_EXPECT_EQ(smbiov_iter_nsegs(&it), 1);
		smbiov_iter_advance(&it, 10);
		T_EXPECT_EQ(smbiov_iter_nsegs(&it), 0);
	}
}

/* npages: §1.4 formulas, page-straddling cases and the cap. */
static void test_npages(void)
{
	struct smbiov_iter it;

	/* UBUF: ceil((addr % PAGE + count) / PAGE). */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena + 0xffe, 4) ==
		 0);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 2); /* 2 bytes each side */
	T_EXPECT_EQ(smbiov_iter_npages(&it, 1), 1);   /* capped */
	smbiov_iter_advance(&it, 2); /* now page aligned, 2 bytes */
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 1);
	smbiov_iter_advance(&it, 2);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 0); /* empty */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena + PG, PG) == 0);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 1); /* exactly one page */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena + PG, PG + 1) ==
		 0);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 2); /* one byte more */

	/*
	 * Layout A: seg0 0xff8+0x10 touches 2 pages, seg2 0x2ff0+0x20 2 pages,
	 * seg5 0x5000+0x30 one page: 5. BVEC/BVECQ use (offset + skip) %
	 * PAGE with offsets >= PAGE and must agree.
	 */
	FOR_EACH(type, array_types)
	{
		struct built b;

		build_a(&b, type, SMBIOV_ITER_SOURCE);
		T_EXPECT_EQ(smbiov_iter_npages(&b.it, 100), 5);
		T_EXPECT_EQ(smbiov_iter_npages(&b.it, 3), 3); /* cap */
		smbiov_iter_advance(&b.it, 8); /* seg0 rest is page 1 only */
		T_EXPECT_EQ(smbiov_iter_npages(&b.it, 100), 4);
		smbiov_iter_truncate(&b.it, 8 + 0x10); /* seg0 rest + 2 pages */
		T_EXPECT_EQ(smbiov_iter_npages(&b.it, 100), 1 + 1);
		/* One byte more reaches seg2's second page. */
		T_EXPECT_EQ(smbiov_iter_reexpand(&b.it, 8 + 0x11), 0);
		T_EXPECT_EQ(smbiov_iter_npages(&b.it, 100), 3);
		unbuild(&b);
	}

	/* BVEC with a large offset: 4 bytes at 0x1ffe from the page. */
	{
		struct smbiov_bvec bv[2] = {
			{arena, 0x1ffe, 4},	      /* pages 1 and 2 */
			{arena + PG, 0x2000, 0x2000}, /* pages 3 and 4 */
		};

		T_ASSERT(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, bv, 2,
					  0x2004) == 0);
		T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 4);
	}

	/* XARRAY: ceil(((start + iov_offset) % PAGE + count) / PAGE). */
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa, 0xfff, 2) == 0);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 2);
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa, 0, 3 * PG) == 0);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 3);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 2), 2);
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa, 0x800, PG) == 0);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 2);
	smbiov_iter_advance(&it, 0x800); /* now [0x1000, 0x1800) */
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 1);

	/* DISCARD has no pages. */
	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, 3 * PG) == 0);
	T_EXPECT_EQ(smbiov_iter_npages(&it, 100), 0);
}

/*
 * Layout B for alignment: seg lengths and starts are multiples of 0x200
 * except an empty, misaligned segment, which alignment ignores.
 */
static const struct seg layout_b[] = {
	{0x1000, 0x200}, /* 512-aligned start and length */
	{0x3, 0},	 /* empty: ignored */
	{0x2200, 0x400}, /* start only 512-aligned */
};
#define NB (sizeof(layout_b) / sizeof(layout_b[0]))

static void test_alignment(void)
{
	static const int types[] = {SMBIOV_ITER_IOVEC, SMBIOV_ITER_KVEC,
				    SMBIOV_ITER_BVEC, SMBIOV_ITER_BVECQ};
	struct smbiov_iter it;

	FOR_EACH(type, types)
	{
		struct built b;
		unsigned long a;

		T_ASSERT(build(&b, type, SMBIOV_ITER_DEST, layout_b, NB,
			       0x600) == 0);
		/* 0x000|0x200 | 0x200|0x400 in the low 12 bits. */
		a = smbiov_iter_alignment(&b.it);
		T_EXPECT_EQ(a & (PG - 1), 0x600);
		T_EXPECT((a & 0x1ff) == 0); /* 512-byte aligned */
		T_EXPECT((a & 0x3ff) != 0); /* not 1 KiB aligned */
		/* Advance: seg0 now starts at 0x1100 and is 0x100 long. */
		smbiov_iter_advance(&b.it, 0x100);
		T_EXPECT_EQ(smbiov_iter_alignment(&b.it) & (PG - 1), 0x700);
		/* Truncate: the clipped length counts, not the segment's. */
		smbiov_iter_truncate(&b.it, 0x100 + 0x80);
		T_EXPECT_EQ(smbiov_iter_alignment(&b.it) & (PG - 1), 0x380);
		unbuild(&b);
	}

	/* UBUF: addr | count, and 0 when empty. */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena + 0x200,
				  0x600) == 0);
	T_EXPECT_EQ(smbiov_iter_alignment(&it) & (PG - 1), 0x600);
	smbiov_iter_advance(&it, 0x600);
	T_EXPECT_EQ(smbiov_iter_alignment(&it), 0);

	/* XARRAY: (start + iov_offset) | count, file positions exactly. */
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa, 0x1200, 0x400) ==
		 0);
	T_EXPECT_EQ(smbiov_iter_alignment(&it), 0x1600);
	smbiov_iter_advance(&it, 0x100);
	T_EXPECT_EQ(smbiov_iter_alignment(&it), 0x1300 | 0x300);
}

/* is_aligned(addr_mask, len_mask) per segment (layout without empties). */
static void test_is_aligned(void)
{
	static const struct seg l[] = {{0x1000, 0x200}, {0x2200, 0x400}};
	struct smbiov_iter it;

	FOR_EACH(type, array_types)
	{
		struct built b;

		T_ASSERT(build(&b, type, SMBIOV_ITER_DEST, l, 2, 0x600) == 0);
		T_EXPECT(smbiov_iter_is_aligned(&b.it, 0x1ff, 0x1ff));
		T_EXPECT(!smbiov_iter_is_aligned(&b.it, 0x3ff, 0)); /* 0x2200 */
		T_EXPECT(!smbiov_iter_is_aligned(&b.it, 0, 0x3ff)); /* 0x200 */
		smbiov_iter_truncate(&b.it, 0x300); /* seg2 clipped to 0x100 */
		T_EXPECT(!smbiov_iter_is_aligned(&b.it, 0x1ff, 0x1ff));
		T_EXPECT(smbiov_iter_is_aligned(&b.it, 0x1ff, 0xff));
		smbiov_iter_reexpand(&b.it, 0x600);
		smbiov_iter_advance(&b.it, 0x10); /* start 0x1010 */
		T_EXPECT(!smbiov_iter_is_aligned(&b.it, 0x1f, 0));
		T_EXPECT(smbiov_iter_is_aligned(&b.it, 0xf, 0xf));
		unbuild(&b);
	}
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena + 0x200,
				  0x600) == 0);
	T_EXPECT(smbiov_iter_is_aligned(&it, 0x1ff, 0x1ff));
	T_EXPECT(!smbiov_iter_is_aligned(&it, 0x3ff, 0));
	T_EXPECT(!smbiov_iter_is_aligned(&it, 0, 0x3ff));
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa, 0x1200, 0x400) ==
		 0);
	T_EXPECT(smbiov_iter_is_aligned(&it, 0x1ff, 0x3ff));
	T_EXPECT(!smbiov_iter_is_aligned(&it, 0x3ff, 0)); /* start 0x1200 */
	T_EXPECT(!smbiov_iter_is_aligned(&it, 0, 0x7ff)); /* count 0x400 */
}

/*
 * gap_alignment: OR of each non-first segment's start and the previous
 * segment's end; detects interior gaps that break a block size.
 */
static void test_gap_alignment(void)
{
	static const struct seg l[] = {
		{0x1000, 0x200},  /* ends at 0x1200 */
		{0x5, 0},	  /* empty: ignored */
		{0x2200, 0x400},  /* starts 0x2200, ends 0x2600 */
		{0x3000, 0x1000}, /* starts 0x3000 */
	};
	static const struct seg c[] = {{0x1000, 0x200}, {0x1200, 0x100}};
	static const int types[] = {SMBIOV_ITER_IOVEC, SMBIOV_ITER_KVEC};
	struct smbiov_iter it;

	FOR_EACH(type, types)
	{
		struct built b;
		unsigned long g;

		T_ASSERT(build(&b, type, SMBIOV_ITER_DEST, l, 4, 0x1600) == 0);
		g = smbiov_iter_gap_alignment(&b.it);
		/* 0x1200|0x2200|0x2600|0x3000: low bits 0x600. */
		T_EXPECT_EQ(g & (PG - 1), 0x600);
		T_EXPECT((g & 0x1ff) == 0);
		unbuild(&b);

		/* Adjacent segments: the boundary 0x1200 is the only term. */
		T_ASSERT(build(&b, type, SMBIOV_ITER_DEST, c, 2, 0x300) == 0);
		T_EXPECT_EQ(smbiov_iter_gap_alignment(&b.it) & (PG - 1), 0x200);
		unbuild(&b);

		/* One segment: no interior boundary at all. */
		T_ASSERT(build(&b, type, SMBIOV_ITER_DEST, l, 1, 0x200) == 0);
		T_EXPECT_EQ(smbiov_iter_gap_alignment(&b.it), 0);
		unbuild(&b);
	}
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena + 3, 7) == 0);
	T_EXPECT_EQ(smbiov_iter_gap_alignment(&it), 0); /* UBUF: 0 */
}

/* ---- zero, copy_from_iter_full, direction -------------------------------- */

static void test_zero(void)
{
	FOR_EACH(type, all_types)
	{
		struct built b;
		size_t n;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_DEST);
		smbiov_iter_advance(&b.it, 3);
		/* 0x15 bytes from 3: the rest of seg0 and 8 bytes of seg2. */
		n = smbiov_iter_zero(0x15, &b.it);
		T_EXPECT_EQ(n, 0x15);
		T_EXPECT_EQ(b.it.count, TA - 0x18);
		if (type != SMBIOV_ITER_DISCARD) {
			for (size_t k = 0; k < TA; k++) {
				unsigned char w =
					k >= 3 && k < 0x18 ? 0 : orig(&b, k);

				if (*addr_of(&b, k) != w) {
					fprintf(stderr, "zero %s: byte %zu\n",
						tname(type), k);
					T_EXPECT(0);
					break;
				}
			}
			/* Nothing outside the layout was touched. */
			if (type != SMBIOV_ITER_XARRAY)
				T_EXPECT(arena[0xff7] == content(0xff7) &&
					 arena[0x3010] == content(0x3010));
		}
		/* Clamped to what is left. */
		T_EXPECT_EQ(smbiov_iter_zero(0x1000, &b.it), TA - 0x18);
		T_EXPECT_EQ(b.it.count, 0);
		unbuild(&b);
	}
}

static void test_copy_from_full(void)
{
	static const int types[] = {SMBIOV_ITER_UBUF,	SMBIOV_ITER_IOVEC,
				    SMBIOV_ITER_KVEC,	SMBIOV_ITER_BVEC,
				    SMBIOV_ITER_XARRAY, SMBIOV_ITER_BVECQ};

	FOR_EACH(type, types)
	{
		unsigned char tmp[TA + 1];
		struct smbiov_iter saved;
		struct built b;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_SOURCE);
		smbiov_iter_advance(&b.it, 3);
		saved = b.it;
		/* One byte too many: short, so reverted, iterator unchanged. */
		T_EXPECT(!smbiov_copy_from_iter_full(tmp, TA - 3 + 1, &b.it));
		T_EXPECT(same_iter(&b.it, &saved));
		peek("after failed full", &b, 3, TA - 3);
		/* Exactly what is left: all of it. */
		T_EXPECT(smbiov_copy_from_iter_full(tmp, TA - 3, &b.it));
		T_EXPECT_EQ(b.it.count, 0);
		for (size_t k = 0; k < TA - 3; k++)
			if (tmp[k] != *addr_of(&b, 3 + k)) {
				T_EXPECT(0);
				break;
			}
		unbuild(&b);
	}
}

/*
 * copy_to_iter needs a DEST and copy_from_iter a SOURCE: the wrong one
 * copies nothing and leaves both iterator and memory alone.
 */
static void test_direction(void)
{
	FOR_EACH(type, all_types)
	{
		unsigned char tmp[TA];
		struct smbiov_iter saved;
		struct built b;

		if (type != SMBIOV_ITER_DISCARD) {
			fill_all();
			build_a(&b, type, SMBIOV_ITER_SOURCE);
			saved = b.it;
			memset(tmp, 0x5a, sizeof(tmp));
			T_EXPECT_EQ(smbiov_copy_to_iter(tmp, TA, &b.it), 0);
			T_EXPECT(same_iter(&b.it, &saved));
			T_EXPECT(*addr_of(&b, 0) == content(0xff8));
			unbuild(&b);
		}
		build_a(&b, type, SMBIOV_ITER_DEST);
		saved = b.it;
		memset(tmp, 0x5a, sizeof(tmp));
		T_EXPECT_EQ(smbiov_copy_from_iter(tmp, TA, &b.it), 0);
		T_EXPECT(same_iter(&b.it, &saved));
		T_EXPECT(tmp[0] == 0x5a && tmp[TA - 1] == 0x5a);
		unbuild(&b);
	}
}

/* ---- DISCARD
 * ----------------------------------------------------------------- */

static void test_discard(void)
{
	unsigned char src[256], dst[16];
	void *list[4];
	void **pp = list;
	size_t off0 = 0;
	struct smbiov_iter it;

	memset(src, 1, sizeof(src));
	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, 100) == 0);
	T_EXPECT(!smbiov_iter_extract_will_pin(&it));
	/* Bytes are swallowed: the count goes down, nothing is written. */
	T_EXPECT_EQ(smbiov_copy_to_iter(src, 30, &it), 30);
	T_EXPECT_EQ(it.count, 70);
	smbiov_iter_advance(&it, 20);
	T_EXPECT_EQ(it.count, 50);
	T_EXPECT_EQ(smbiov_iter_revert(&it, 10), 0);
	T_EXPECT_EQ(it.count, 60);
	/* 40 advanced in all: 41 is too many. */
	T_EXPECT_EQ(smbiov_iter_revert(&it, 41), -EINVAL);
	T_EXPECT_EQ(it.count, 60);
	/* Nothing to read out of a sink. */
	T_EXPECT_EQ(smbiov_copy_from_iter(dst, sizeof(dst), &it), 0);
	/* No memory to extract. */
	T_EXPECT_EQ(smbiov_iter_extract_pages(&it, &pp, 100, 4, &off0),
		    -EFAULT);
	T_EXPECT_EQ(it.count, 60);
	T_EXPECT_EQ(smbiov_copy_to_iter(src, sizeof(src), &it), 60); /* clamp */
	T_EXPECT_EQ(it.count, 0);
	/* A sink can only be a destination. */
	T_EXPECT_EQ(smbiov_iter_discard(&it, SMBIOV_ITER_SOURCE, 10), -EINVAL);
}

/* ---- dup ------------------------------------------------------------------
 */

/*
 * The duplicate owns its segment array: it keeps working after the caller's
 * array is overwritten (pointing at decoy memory with other bytes).
 */
static void test_dup(void)
{
	static const int types[] = {SMBIOV_ITER_IOVEC, SMBIOV_ITER_KVEC,
				    SMBIOV_ITER_BVEC};
	static unsigned char decoy[0x100];

	memset(decoy, 0xdd, sizeof(decoy));
	FOR_EACH(type, types)
	{
		unsigned char tmp[TA], tmp2[TA];
		struct smbiov_iter d, inplace;
		void *array = (void *)1, *array2 = (void *)1;
		struct built b;

		fill_all();
		build_a(&b, type, SMBIOV_ITER_SOURCE);
		smbiov_iter_advance(&b.it, 0x12); /* seg2 offset 2 */
		T_EXPECT_EQ(smbiov_iter_dup(&d, &b.it, &array), 0);
		T_EXPECT(array != NULL);
		inplace = b.it;
		T_EXPECT_EQ(smbiov_iter_dup(&inplace, &inplace, &array2), 0);
		T_EXPECT(array2 != NULL && array2 != array);
		T_EXPECT_EQ(d.count, TA - 0x12);
		for (size_t k = 0; k < NA; k++) {
			b.iov[k].iov_base = decoy;
			b.bv[k].page = decoy;
			b.bv[k].offset = 0;
		}
		memset(tmp, 0, sizeof(tmp));
		T_EXPECT_EQ(smbiov_copy_from_iter(tmp, TA, &d), TA - 0x12);
		T_EXPECT_EQ(smbiov_copy_from_iter(tmp2, TA, &inplace),
			    TA - 0x12);
		T_EXPECT(memcmp(tmp, tmp2, TA - 0x12) == 0);
		for (size_t k = 0; k < TA - 0x12; k++) {
			unsigned char w = *addr_of(&b, 0x12 + k);

			if (tmp[k] != w) {
				fprintf(stderr, "dup %s: byte %zu\n",
					tname(type), k);
				T_EXPECT(0);
				break;
			}
		}
		/* The copy holds the segments from seg2 on; before that
		 * there is nothing to revert into. */
		T_EXPECT_EQ(smbiov_iter_revert(&d, TA - 0x12 + 3), -EINVAL);
		free(array);
		free(array2);
		unbuild(&b);
	}
	/* Types without an array: nothing to allocate. */
	{
		struct smbiov_iter it, d;
		void *array = (void *)1;

		fill_all();
		T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, arena, 8) ==
			 0);
		T_EXPECT_EQ(smbiov_iter_dup(&d, &it, &array), 0);
		T_EXPECT(array == NULL);
		T_EXPECT(same_iter(&d, &it));
		T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0,
					    8) == 0);
		array = (void *)1;
		T_EXPECT_EQ(smbiov_iter_dup(&d, &it, &array), 0);
		T_EXPECT(array == NULL);
		T_EXPECT_EQ(d.count, 8);
	}
}

/* ---- extraction basics
 * ------------------------------------------------------- */

static void test_extract_alloc(void)
{
	struct built b;
	void **pp = NULL;
	void *list[2];
	size_t off0 = 0;
	ssize_t n;

	/* *pages == NULL: an array is allocated for the caller. */
	build_a(&b, SMBIOV_ITER_KVEC, SMBIOV_ITER_DEST);
	n = smbiov_iter_extract_pages(&b.it, &pp, 0x1000, 8, &off0);
	T_EXPECT_EQ(n, 0x10); /* seg0 only: never across a KVEC element */
	T_ASSERT(pp != NULL);
	T_EXPECT_EQ(off0, 0xff8);
	T_EXPECT(pp[0] == arena && pp[1] == arena + PG);
	free(pp);
	/* maxsize limits; the empty seg1 is skipped to reach seg2. */
	pp = list;
	n = smbiov_iter_extract_pages(&b.it, &pp, 5, 8, &off0);
	T_EXPECT_EQ(n, 5);
	T_EXPECT_EQ(off0, 0xff0);
	T_EXPECT(list[0] == arena + 2 * PG);
	T_EXPECT_EQ(b.it.count, TA - 0x15);
	unbuild(&b);

	/* maxpages limits: 2 pages from offset 0x800 is 0x1800 bytes. */
	{
		struct smbiov_iter it;

		T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena + 0x800,
					  3 * PG) == 0);
		pp = list;
		n = smbiov_iter_extract_pages(&it, &pp, 3 * PG, 2, &off0);
		T_EXPECT_EQ(n, 0x1800);
		T_EXPECT_EQ(off0, 0x800);
		T_EXPECT_EQ(smbiov_pins_outstanding(), 2);
		smbiov_unpin_pages(list, 2);
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	}
}

int main(void)
{
	arena = aligned_alloc(PG, ARENA_SIZE);
	T_ASSERT(arena);
	xa = smbiov_xarray_new();
	T_ASSERT(xa);
	/* Order-1 folios: walks must honour folio != page. */
	T_ASSERT(smbiov_xarray_populate(xa, 0, ARENA_SIZE, 1) == 0);
	fill_all();

	T_RUN(test_advance_segments);
	T_RUN(test_advance_flat);
	T_RUN(test_revert_segments);
	T_RUN(test_revert_flat);
	T_RUN(test_revert_past_start);
	T_RUN(test_truncate_reexpand);
	T_RUN(test_reexpand_past_built_count);
	T_RUN(test_view);
	T_RUN(test_save_restore);
	T_RUN(test_single_seg_count);
	T_RUN(test_nsegs);
	T_RUN(test_npages);
	T_RUN(test_alignment);
	T_RUN(test_is_aligned);
	T_RUN(test_gap_alignment);
	T_RUN(test_zero);
	T_RUN(test_copy_from_full);
	T_RUN(test_direction);
	T_RUN(test_discard);
	T_RUN(test_dup);
	T_RUN(test_extract_alloc);

	smbiov_xarray_free(xa);
	free(arena);
	return t_done();
}
