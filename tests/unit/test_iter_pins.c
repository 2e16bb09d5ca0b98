// SPDX-License-Identifier: MIT
/*
 * Pin accounting for extraction (DESIGN.md §2, kernel-iov-iter-design.md
 * §1.5 "Cleanup rule"): UBUF/IOVEC extraction pins every page it returns
 * and the caller unpins them; library memory (KVEC, BVEC, XARRAY, BVECQ) is
 * never pinned; smbiov_iter_extract_will_pin()/_cleanup() say which. Also
 * the error-unwind flow (extract several runs, the I/O fails, unpin all)
 * and KVEC through a subrequest splitter (DESIGN.md §2 pitfall: the
 * kernel's splitter only understood BVEC, so KVEC direct I/O failed).
 */
#include <smbiov/iter.h>
#include <smbiov/mem.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#define PG	    SMBIOV_PAGE_SIZE
#define ARENA_PAGES 16
#define ARENA_SIZE  (ARENA_PAGES * PG)
#define MAX_COLLECT 256

static unsigned char *arena;

static size_t run_pages(size_t off0, size_t len)
{
	return (off0 + len + PG - 1) / PG;
}

/* Pages collected from many extractions, in order. */
struct collected {
	void *pages[MAX_COLLECT];
	size_t n;
	size_t bytes;
	unsigned calls;
};

/*
 * Extract until empty (or @max_calls), appending every page to @c.
 * @pinning: whether each call must raise the pin total by its page count.
 */
static void extract_all(struct smbiov_iter *it, struct collected *c,
			size_t maxsize, size_t maxpages, bool pinning,
			unsigned max_calls)
{
	while (smbiov_iter_count(it) > 0 && c->calls < max_calls) {
		void **pp = c->pages + c->n;
		size_t before = smbiov_pins_outstanding(), off0 = 0, npg;
		ssize_t len;

		T_ASSERT(c->n + maxpages <= MAX_COLLECT);
		len = smbiov_iter_extract_pages(it, &pp, maxsize, maxpages,
						&off0);
		T_EXPECT(len > 0);
		if (len <= 0)
			break;
		npg = run_pages(off0, (size_t)len);
		T_EXPECT(npg <= maxpages);
		T_EXPECT_EQ(smbiov_pins_outstanding(),
			    before + (pinning ? npg : 0));
		c->n += npg;
		c->bytes += (size_t)len;
		c->calls++;
	}
}

/* How often @p occurs in @c: the pins it must hold. */
static size_t occurrences(const struct collected *c, const void *p)
{
	size_t n = 0;

	for (size_t k = 0; k < c->n; k++)
		n += c->pages[k] == p;
	return n;
}

/*
 * UBUF: runs that end mid-page (maxsize 0x1800 from offset 0x123) make
 * neighbouring runs share a page, which then holds two pins. Everything
 * taken is released by one unpin over the collected list.
 */
static void test_ubuf_pins_released(void)
{
	struct collected c = {.n = 0};
	struct smbiov_iter it;

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, arena + 0x123,
				  5 * PG) == 0);
	T_EXPECT(smbiov_iter_extract_will_pin(&it));
	extract_all(&it, &c, 0x1800, 3, true, 100);
	T_EXPECT_EQ(c.bytes, 5 * PG);
	T_EXPECT_EQ(it.count, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), c.n);
	/* 5 pages of data from 0x123 touch pages 0..5. */
	for (size_t p = 0; p <= 5; p++) {
		T_EXPECT(occurrences(&c, arena + p * PG) >= 1);
		T_EXPECT_EQ(smbiov_pin_count(arena + p * PG),
			    occurrences(&c, arena + p * PG));
	}
	T_EXPECT(c.n > 6); /* some page was shared by two runs */
	T_EXPECT_EQ(smbiov_pin_count(arena + 6 * PG), 0); /* untouched */
	smbiov_unpin_pages(c.pages, c.n);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(smbiov_pin_count(arena + PG), 0);
}

/*
 * IOVEC: two segments in the same page give two runs (never across an
 * IOVEC element) and that page two pins.
 */
static void test_iovec_pins_released(void)
{
	struct iovec v[3] = {
		{arena + 0x100, 0x100},	  /* page 0 */
		{arena + 0x800, 0x1000},  /* pages 0 and 1 */
		{arena + 3 * PG, 2 * PG}, /* pages 3, 4 */
	};
	struct collected c = {.n = 0};
	struct smbiov_iter it;

	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, v, 3,
				   0x1100 + 2 * PG) == 0);
	T_EXPECT(smbiov_iter_extract_will_pin(&it));
	T_EXPECT_EQ(smbiov_iter_extract_cleanup(&it), SMBIOV_CLEANUP_UNPIN);
	extract_all(&it, &c, 64 * PG, 8, true, 100);
	T_EXPECT_EQ(c.calls, 3); /* one run per segment */
	T_EXPECT_EQ(c.n, 1 + 2 + 2);
	T_EXPECT_EQ(smbiov_pin_count(arena), 2);
	T_EXPECT_EQ(smbiov_pin_count(arena + PG), 1);
	T_EXPECT_EQ(smbiov_pin_count(arena + 2 * PG), 0);
	T_EXPECT_EQ(smbiov_pin_count(arena + 4 * PG), 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 5);
	smbiov_unpin_pages(c.pages, c.n);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

/*
 * The unwind flow of an I/O that fails after extraction: several runs are
 * pinned into one page array, the "send" fails, every page is unpinned
 * (in reverse, as a goto unwind would), and the iterator is reverted so the
 * request can be retried from where it started.
 */
static void test_failed_io_unwind(void)
{
	struct iovec v[2] = {{arena + 0x10, 3 * PG}, {arena + 8 * PG, PG}};
	struct collected c = {.n = 0};
	struct smbiov_iter it;
	size_t total = 4 * PG;

	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, v, 2, total) == 0);
	/* Stop half way: 2 runs of at most 2 pages. */
	extract_all(&it, &c, total, 2, true, 2);
	T_EXPECT_EQ(c.calls, 2);
	T_EXPECT(smbiov_pins_outstanding() > 0);
	T_EXPECT_EQ(it.count, total - c.bytes);
	/* The I/O failed: release in reverse order. */
	for (size_t k = c.n; k-- > 0;)
		smbiov_unpin_pages(&c.pages[k], 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	/* Retry from the start. */
	T_EXPECT_EQ(smbiov_iter_revert(&it, c.bytes), 0);
	T_EXPECT_EQ(it.count, total);
	c.n = 0;
	c.bytes = 0;
	c.calls = 0;
	extract_all(&it, &c, total, 2, true, 100);
	T_EXPECT_EQ(c.bytes, total);
	smbiov_unpin_pages(c.pages, c.n);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

/* Library memory is never pinned, whatever the type. */
static void test_library_memory_unpinned(void)
{
	struct iovec v[2] = {{arena + 0x10, 3 * PG}, {arena + 8 * PG, PG}};
	struct smbiov_bvec bv[2] = {{arena, 0x10, 3 * PG},
				    {arena + 7 * PG, PG, PG}};
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_bvecq *q = smbiov_bvecq_new(1, SMBIOV_CLEANUP_NONE);
	struct smbiov_iter its[4];

	T_ASSERT(xa && q);
	T_ASSERT(smbiov_xarray_populate(xa, 0, 8 * PG, 0) == 0);
	T_ASSERT(smbiov_bvecq_append(q, bv[0].page, bv[0].offset, bv[0].len) ==
		 0);
	T_ASSERT(smbiov_bvecq_append(q, bv[1].page, bv[1].offset, bv[1].len) ==
		 0);
	T_ASSERT(smbiov_iter_kvec(&its[0], SMBIOV_ITER_DEST, v, 2, 4 * PG) ==
		 0);
	T_ASSERT(smbiov_iter_bvec(&its[1], SMBIOV_ITER_DEST, bv, 2, 4 * PG) ==
		 0);
	T_ASSERT(smbiov_iter_xarray(&its[2], SMBIOV_ITER_SOURCE, xa, 0x10,
				    4 * PG) == 0);
	T_ASSERT(smbiov_iter_bvecq(&its[3], SMBIOV_ITER_SOURCE, q, 0, 0,
				   4 * PG) == 0);
	for (size_t k = 0; k < 4; k++) {
		struct collected c = {.n = 0};

		T_EXPECT(!smbiov_iter_extract_will_pin(&its[k]));
		T_EXPECT_EQ(smbiov_iter_extract_cleanup(&its[k]),
			    SMBIOV_CLEANUP_NONE);
		extract_all(&its[k], &c, 64 * PG, 3, false, 100);
		T_EXPECT_EQ(c.bytes, 4 * PG);
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
		for (size_t p = 0; p < c.n; p++)
			T_EXPECT_EQ(smbiov_pin_count(c.pages[p]), 0);
	}
	smbiov_bvecq_put(q);
	smbiov_xarray_free(xa);
}

/* will_pin and the cleanup kind per type, and they do not change as the
 * iterator moves. */
static void test_will_pin_per_type(void)
{
	static unsigned char b[64];
	struct iovec v[1] = {{b, 64}};
	struct smbiov_bvec bv[1] = {{arena, 0, 64}};
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_bvecq *q = smbiov_bvecq_new(2, SMBIOV_CLEANUP_NONE);
	struct {
		struct smbiov_iter it;
		bool pin;
	} t[7];

	T_ASSERT(xa && q && smbiov_bvecq_append(q, arena, 0, 64) == 0);
	T_ASSERT(smbiov_xarray_populate(xa, 0, PG, 0) == 0);
	T_ASSERT(smbiov_iter_ubuf(&t[0].it, SMBIOV_ITER_DEST, b, 64) == 0);
	t[0].pin = true; /* caller memory */
	T_ASSERT(smbiov_iter_iovec(&t[1].it, SMBIOV_ITER_SOURCE, v, 1, 64) ==
		 0);
	t[1].pin = true; /* caller memory */
	T_ASSERT(smbiov_iter_kvec(&t[2].it, SMBIOV_ITER_DEST, v, 1, 64) == 0);
	t[2].pin = false; /* library memory: same layout as IOVEC, no pin */
	T_ASSERT(smbiov_iter_bvec(&t[3].it, SMBIOV_ITER_DEST, bv, 1, 64) == 0);
	t[3].pin = false;
	T_ASSERT(smbiov_iter_xarray(&t[4].it, SMBIOV_ITER_DEST, xa, 0, 64) ==
		 0);
	t[4].pin = false; /* page cache: folios held by the I/O path */
	T_ASSERT(smbiov_iter_bvecq(&t[5].it, SMBIOV_ITER_DEST, q, 0, 0, 64) ==
		 0);
	t[5].pin = false; /* cleanup recorded in the queue itself */
	T_ASSERT(smbiov_iter_discard(&t[6].it, SMBIOV_ITER_DEST, 64) == 0);
	t[6].pin = false; /* no memory */
	for (size_t k = 0; k < 7; k++) {
		enum smbiov_cleanup want =
			t[k].pin ? SMBIOV_CLEANUP_UNPIN : SMBIOV_CLEANUP_NONE;

		T_EXPECT_EQ(smbiov_iter_extract_will_pin(&t[k].it), t[k].pin);
		T_EXPECT_EQ(smbiov_iter_extract_cleanup(&t[k].it), want);
		smbiov_iter_advance(&t[k].it, 64);
		T_EXPECT_EQ(smbiov_iter_extract_will_pin(&t[k].it), t[k].pin);
		T_EXPECT_EQ(smbiov_iter_extract_cleanup(&t[k].it), want);
	}
	smbiov_bvecq_put(q);
	smbiov_xarray_free(xa);
}

/*
 * The subrequest splitter: sub = *parent; truncate(&sub, 3 pages);
 * extract runs from sub until it is empty; advance(parent, 3 pages).
 * KVEC must complete exactly like BVEC over the same memory: same number
 * of bytes, every byte's page and offset right, no 0-byte spin, no pins.
 */
static const struct {
	size_t off, len;
} split_layout[] = {
	{0x0123, 0x2000}, /* unaligned, spans 3 pages */
	{0x3000, 0},	  /* empty */
	{0x4000, 0x3000}, /* aligned, 3 pages */
	{0x7ff0, 0x20},	  /* straddles pages 7/8 */
	{0x9100, 0x4e00}, /* ends at 0xdf00 */
};
#define NSPLIT (sizeof(split_layout) / sizeof(split_layout[0]))

/* Logical byte @k -> arena offset. */
static size_t split_off(size_t k)
{
	for (size_t s = 0; s < NSPLIT; s++) {
		if (k < split_layout[s].len)
			return split_layout[s].off + k;
		k -= split_layout[s].len;
	}
	T_ASSERT(0);
	return 0;
}

static size_t run_splitter(struct smbiov_iter *parent, const char *what)
{
	size_t chunk = 3 * PG, done = 0, rounds = 0, total = parent->count;

	while (smbiov_iter_count(parent) > 0) {
		struct smbiov_iter sub = *parent;
		size_t sub_want;

		smbiov_iter_truncate(&sub, chunk);
		sub_want = sub.count;
		while (smbiov_iter_count(&sub) > 0) {
			void *list[4];
			void **pp = list;
			size_t off0 = 0, npg;
			ssize_t len = smbiov_iter_extract_pages(
				&sub, &pp, chunk, 4, &off0);

			T_EXPECT(len > 0);
			if (len <= 0) {
				fprintf(stderr, "%s: extract %zd at %zu\n",
					what, len, done);
				return done;
			}
			/* Each page and offset is where the layout says. */
			npg = run_pages(off0, (size_t)len);
			for (size_t k = 0, pos = done, left = (size_t)len;
			     k < npg; k++) {
				size_t part = (k ? PG : PG - off0);
				size_t o = split_off(pos);

				if (part > left)
					part = left;
				T_EXPECT(list[k] ==
					 arena + (o & SMBIOV_PAGE_MASK));
				if (k == 0)
					T_EXPECT_EQ(off0, o % PG);
				pos += part;
				left -= part;
			}
			T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
			done += (size_t)len;
			T_ASSERT(++rounds < 1000);
		}
		/* The view is used up; the parent has not moved. */
		T_EXPECT_EQ(parent->count, total - (done - sub_want));
		smbiov_iter_advance(parent, chunk);
		T_EXPECT_EQ(parent->count, total - done);
	}
	return done;
}

static void test_kvec_through_splitter(void)
{
	struct iovec v[NSPLIT];
	struct smbiov_bvec bv[NSPLIT];
	struct smbiov_iter kv, bvi;
	size_t total = 0, kdone, bdone;

	for (size_t s = 0; s < NSPLIT; s++) {
		v[s].iov_base = arena + split_layout[s].off;
		v[s].iov_len = split_layout[s].len;
		bv[s].page = arena + (split_layout[s].off & SMBIOV_PAGE_MASK);
		bv[s].offset = split_layout[s].off % PG;
		bv[s].len = split_layout[s].len;
		total += split_layout[s].len;
	}
	T_ASSERT(smbiov_iter_kvec(&kv, SMBIOV_ITER_SOURCE, v, NSPLIT, total) ==
		 0);
	T_ASSERT(smbiov_iter_bvec(&bvi, SMBIOV_ITER_SOURCE, bv, NSPLIT,
				  total) == 0);
	kdone = run_splitter(&kv, "kvec");
	bdone = run_splitter(&bvi, "bvec");
	T_EXPECT_EQ(kdone, total);
	T_EXPECT_EQ(bdone, total);
	T_EXPECT_EQ(kv.count, 0);
	T_EXPECT_EQ(bvi.count, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

int main(void)
{
	arena = aligned_alloc(PG, ARENA_SIZE);
	T_ASSERT(arena);
	memset(arena, 0, ARENA_SIZE);
	T_ASSERT(smbiov_pins_outstanding() == 0);

	T_RUN(test_ubuf_pins_released);
	T_RUN(test_iovec_pins_released);
	T_RUN(test_failed_io_unwind);
	T_RUN(test_library_memory_unpinned);
	T_RUN(test_will_pin_per_type);
	T_RUN(test_kvec_through_splitter);

	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	free(arena);
	return t_done();
}
