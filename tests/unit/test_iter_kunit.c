// SPDX-License-Identifier: MIT
/*
 * The kernel's iov_iter KUnit cases (kernel-iov-iter-design.md §5), run on
 * every iterator type of smbiov: copy_to/copy_from and extract_pages over the
 * same page-straddling range tables, on a 1 MiB page-aligned buffer whose
 * "page N" is base + N * 4096.
 *
 * The kernel can only test the kernel-backed types; in userspace UBUF and
 * IOVEC are the same memory, so they run the same tables (and extraction
 * from them must pin). BVECQ is loaded with two elements per segment so every
 * walk crosses queue segments.
 */
#include <smbiov/iter.h>
#include <smbiov/mem.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#define BUFSIZE		 ((size_t)0x100000) /* 1 MiB, as in the kernel suite */
#define PG		 SMBIOV_PAGE_SIZE
#define NPAGES		 (BUFSIZE / PG) /* 256 */
#define POISON		 ((void *)(uintptr_t)0xaa55aa55aa55aa55ull)
#define EXTRACT_MAXSIZE	 ((size_t)100 * 1024)
#define EXTRACT_MAXPAGES 8
#define MAX_ELEMS	 8

/*
 * KVEC ranges: [from, to) byte offsets into the buffer, in iterator order.
 * Total 0xF45D7 (1,000,919) bytes.
 */
struct kvec_range {
	size_t from, to;
};

static const struct kvec_range kvec_ranges[] = {
	{0x00002, 0x00002}, /* empty, unaligned: must be skipped */
	{0x00027, 0x03000}, /* odd start, ends exactly on page 3's start */
	{0x05193, 0x18794}, /* odd start and end, spans 20 pages */
	{0x20000, 0x20000}, /* empty, page-aligned */
	{0x20000, 0x24000}, /* exactly pages 32..35 */
	{0x24000, 0x27001}, /* starts where the previous ended (not merged
			     * for KVEC), one byte into page 39 */
	{0x29000, 0xffffb}, /* nearly everything else: forces many
			     * maxpages-limited extractions */
	{0xffffd, 0xffffe}, /* one byte, 3 bytes before the end */
};
#define NR_KVEC_RANGES (sizeof(kvec_ranges) / sizeof(kvec_ranges[0]))
#define KVEC_TOTAL     ((size_t)0xF45D7)

/*
 * BVEC ranges: (page, from, to) within that page. A non-empty range that
 * starts at offset 0 of the page right after where the previous element
 * ended on a page end is merged into that element: with a virtually
 * contiguous buffer that gives 5 elements and 0x4E69 bytes.
 */
struct bvec_range {
	size_t page, from, to;
};

static const struct bvec_range bvec_ranges[] = {
	{0, 0x002, 0x002},  /* empty element {p0, 2, 0} */
	{1, 0x027, 0x893},  /* {p1, 0x27, 0x86c} */
	{2, 0x193, 0x794},  /* {p2, 0x193, 0x601} */
	{3, 0x000, 0x1000}, /* whole page 3: new element (p2 ended at 0x794) */
	{4, 0x000, 0x1000}, /* merged: element grows to 2 pages */
	{5, 0x000, 0x1000}, /* merged: 3 pages */
	{6, 0x000, 0xffb},  /* merged: {p3, 0, 0x3ffb} spans pages 3..6 */
	{6, 0xffd, 0xffe},  /* not at offset 0: new element {p6, 0xffd, 1} */
};
#define NR_BVEC_RANGES (sizeof(bvec_ranges) / sizeof(bvec_ranges[0]))
#define BVEC_TOTAL     ((size_t)0x4E69)

/*
 * A layout: the elements an iterator is built from, as (page, offset, len)
 * in the buffer. KVEC/IOVEC use page + offset as the base.
 */
struct layout {
	const char *name;
	struct smbiov_bvec el[MAX_ELEMS];
	size_t nr;
	size_t total;
};

static unsigned char *buf;     /* the 1 MiB buffer under test */
static unsigned char *scratch; /* the flat side of each copy */
static unsigned char *want;    /* the expected image */
static struct layout kvec_layout, bvec_layout;

static size_t el_from(const struct smbiov_bvec *e)
{
	return (size_t)((unsigned char *)e->page - buf) + e->offset;
}

static void load_kvec_layout(struct layout *l)
{
	l->name = "kvec ranges";
	l->nr = 0;
	l->total = 0;
	for (size_t r = 0; r < NR_KVEC_RANGES; r++) {
		size_t from = kvec_ranges[r].from, to = kvec_ranges[r].to;

		T_ASSERT(to >= from && to <= BUFSIZE);
		l->el[l->nr].page = buf + (from & SMBIOV_PAGE_MASK);
		l->el[l->nr].offset = from & (PG - 1);
		l->el[l->nr].len = to - from;
		l->nr++;
		l->total += to - from;
	}
	/* One element per range, empty ones included. */
	T_EXPECT_EQ(l->nr, 8);
	T_EXPECT_EQ(l->total, KVEC_TOTAL);
	T_ASSERT(l->total <= BUFSIZE);
}

static void load_bvec_layout(struct layout *l)
{
	l->name = "bvec ranges";
	l->nr = 0;
	l->total = 0;
	for (size_t r = 0; r < NR_BVEC_RANGES; r++) {
		const struct bvec_range *br = &bvec_ranges[r];
		unsigned char *page = buf + br->page * PG;

		T_ASSERT(br->to >= br->from && br->to <= PG);
		if (l->nr > 0 && br->from == 0 && br->to > br->from) {
			struct smbiov_bvec *prev = &l->el[l->nr - 1];
			unsigned char *end = (unsigned char *)prev->page +
					     prev->offset + prev->len;

			if (end == page) {
				prev->len += br->to;
				l->total += br->to;
				continue;
			}
		}
		T_ASSERT(l->nr < MAX_ELEMS);
		l->el[l->nr].page = page;
		l->el[l->nr].offset = br->from;
		l->el[l->nr].len = br->to - br->from;
		l->nr++;
		l->total += br->to - br->from;
	}
	/* The merged shape §5 describes for a virtually contiguous buffer. */
	T_ASSERT(l->nr == 5);
	T_EXPECT(l->el[0].page == buf && l->el[0].offset == 2 &&
		 l->el[0].len == 0);
	T_EXPECT(l->el[1].page == buf + PG && l->el[1].offset == 0x27 &&
		 l->el[1].len == 0x86c);
	T_EXPECT(l->el[2].page == buf + 2 * PG && l->el[2].offset == 0x193 &&
		 l->el[2].len == 0x601);
	T_EXPECT(l->el[3].page == buf + 3 * PG && l->el[3].offset == 0 &&
		 l->el[3].len == 0x3ffb);
	T_EXPECT(l->el[4].page == buf + 6 * PG && l->el[4].offset == 0xffd &&
		 l->el[4].len == 1);
	T_EXPECT_EQ(l->total, BVEC_TOTAL);
}

/* ---- building iterators over a layout ----------------------------------- */

struct built {
	struct smbiov_iter it;
	struct iovec iov[MAX_ELEMS];
	struct smbiov_bvecq *q;
};

/*
 * Build an iterator of @type over all of @l. BVECQ gets two elements per
 * segment (4 segments for the kvec layout, 3 for the bvec one).
 */
static int build(struct built *b, int type, unsigned dir,
		 const struct layout *l)
{
	b->q = NULL;
	for (size_t k = 0; k < l->nr; k++) {
		b->iov[k].iov_base =
			(unsigned char *)l->el[k].page + l->el[k].offset;
		b->iov[k].iov_len = l->el[k].len;
	}
	switch (type) {
	case SMBIOV_ITER_IOVEC:
		return smbiov_iter_iovec(&b->it, dir, b->iov, l->nr, l->total);
	case SMBIOV_ITER_KVEC:
		return smbiov_iter_kvec(&b->it, dir, b->iov, l->nr, l->total);
	case SMBIOV_ITER_BVEC:
		return smbiov_iter_bvec(&b->it, dir, l->el, l->nr, l->total);
	case SMBIOV_ITER_BVECQ:
		b->q = smbiov_bvecq_new(2, SMBIOV_CLEANUP_NONE);
		T_ASSERT(b->q);
		for (size_t k = 0; k < l->nr; k++)
			T_ASSERT(smbiov_bvecq_append(b->q, l->el[k].page,
						     l->el[k].offset,
						     l->el[k].len) == 0);
		/* 2 per segment: the queue really is segmented. */
		T_EXPECT(b->q->next != NULL);
		T_EXPECT_EQ(smbiov_bvecq_bytes(b->q), l->total);
		return smbiov_iter_bvecq(&b->it, dir, b->q, 0, 0, l->total);
	}
	return -EINVAL;
}

static void unbuild(struct built *b)
{
	if (b->q)
		smbiov_bvecq_put(b->q);
	b->q = NULL;
}

static const char *type_name(int type)
{
	switch (type) {
	case SMBIOV_ITER_UBUF:
		return "ubuf";
	case SMBIOV_ITER_IOVEC:
		return "iovec";
	case SMBIOV_ITER_KVEC:
		return "kvec";
	case SMBIOV_ITER_BVEC:
		return "bvec";
	case SMBIOV_ITER_XARRAY:
		return "xarray";
	case SMBIOV_ITER_BVECQ:
		return "bvecq";
	}
	return "?";
}

static size_t first_mismatch(const unsigned char *a, const unsigned char *b,
			     size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (a[k] != b[k])
			return k;
	return n;
}

/* Compare the whole of @got with @want; report the first bad byte. */
static void expect_image(const char *what, const char *tname,
			 const unsigned char *got)
{
	size_t bad = first_mismatch(got, want, BUFSIZE);

	if (bad != BUFSIZE)
		fprintf(stderr, "%s (%s): byte %#zx is %#x, want %#x\n", what,
			tname, bad, got[bad], want[bad]);
	T_EXPECT_EQ(bad, BUFSIZE);
}

/* Segment-array types end with no segments left (kernel: nr_segs == 0). */
static bool has_nr_segs(int type)
{
	return type == SMBIOV_ITER_IOVEC || type == SMBIOV_ITER_KVEC ||
	       type == SMBIOV_ITER_BVEC;
}

/*
 * Cases 1 and 3 (and their IOVEC/BVECQ twins): copy a pattern into the
 * layout's ranges. The source is laid out consecutively: range bytes get
 * pattern(k) with k counting across ranges; everything else stays zero.
 */
static void copy_to_layout(int type, const struct layout *l)
{
	struct built b;
	size_t copied, k = 0;

	for (size_t x = 0; x < BUFSIZE; x++)
		scratch[x] = t_pattern(x);
	memset(buf, 0, BUFSIZE);
	T_ASSERT(build(&b, type, SMBIOV_ITER_DEST, l) == 0);
	T_EXPECT_EQ(smbiov_iter_count(&b.it), l->total);

	copied = smbiov_copy_to_iter(scratch, smbiov_iter_count(&b.it), &b.it);
	T_EXPECT_EQ(copied, l->total);
	T_EXPECT_EQ(b.it.count, 0);
	if (has_nr_segs(type))
		T_EXPECT_EQ(b.it.nr_segs, 0);

	memset(want, 0, BUFSIZE);
	for (size_t r = 0; r < l->nr; r++)
		for (size_t j = 0; j < l->el[r].len; j++)
			want[el_from(&l->el[r]) + j] = t_pattern(k++);
	expect_image(l->name, type_name(type), buf);
	unbuild(&b);
}

/*
 * Cases 2 and 4: copy out of the layout's ranges. The flat result is the
 * concatenation of the source bytes of each range, pattern(absolute offset).
 */
static void copy_from_layout(int type, const struct layout *l)
{
	struct built b;
	size_t copied, size, k = 0;

	for (size_t x = 0; x < BUFSIZE; x++)
		buf[x] = t_pattern(x);
	memset(scratch, 0, BUFSIZE);
	T_ASSERT(build(&b, type, SMBIOV_ITER_SOURCE, l) == 0);

	size = smbiov_iter_count(&b.it);
	if (size > BUFSIZE)
		size = BUFSIZE;
	copied = smbiov_copy_from_iter(scratch, size, &b.it);
	T_EXPECT_EQ(copied, size);
	T_EXPECT_EQ(b.it.count, 0);
	if (has_nr_segs(type))
		T_EXPECT_EQ(b.it.nr_segs, 0);

	memset(want, 0, BUFSIZE);
	for (size_t r = 0; r < l->nr; r++)
		for (size_t j = 0; j < l->el[r].len; j++)
			want[k++] = t_pattern(el_from(&l->el[r]) + j);
	expect_image(l->name, type_name(type), scratch);
	unbuild(&b);
}

static void test_copy_to_kvec(void)
{
	copy_to_layout(SMBIOV_ITER_KVEC, &kvec_layout);
}

static void test_copy_from_kvec(void)
{
	copy_from_layout(SMBIOV_ITER_KVEC, &kvec_layout);
}

static void test_copy_to_iovec(void)
{
	copy_to_layout(SMBIOV_ITER_IOVEC, &kvec_layout);
}

static void test_copy_from_iovec(void)
{
	copy_from_layout(SMBIOV_ITER_IOVEC, &kvec_layout);
}

static void test_copy_to_bvec(void)
{
	copy_to_layout(SMBIOV_ITER_BVEC, &bvec_layout);
}

static void test_copy_from_bvec(void)
{
	copy_from_layout(SMBIOV_ITER_BVEC, &bvec_layout);
}

/* BVECQ over both tables: 4 and 3 queue segments of 2 elements. */
static void test_copy_to_bvecq(void)
{
	copy_to_layout(SMBIOV_ITER_BVECQ, &kvec_layout);
	copy_to_layout(SMBIOV_ITER_BVECQ, &bvec_layout);
}

static void test_copy_from_bvecq(void)
{
	copy_from_layout(SMBIOV_ITER_BVECQ, &kvec_layout);
	copy_from_layout(SMBIOV_ITER_BVECQ, &bvec_layout);
}

/*
 * UBUF has one range per iterator, so like the XARRAY cases it builds one
 * iterator per kvec range; iov_offset is relative to the buffer start and
 * so ends equal to the range size.
 */
static void test_copy_to_ubuf(void)
{
	size_t k = 0;

	for (size_t x = 0; x < BUFSIZE; x++)
		scratch[x] = t_pattern(x);
	memset(buf, 0, BUFSIZE);
	for (size_t r = 0; r < NR_KVEC_RANGES; r++) {
		size_t from = kvec_ranges[r].from,
		       size = kvec_ranges[r].to - from;
		struct smbiov_iter it;

		T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf + from,
					  size) == 0);
		T_EXPECT_EQ(smbiov_copy_to_iter(scratch + k, size, &it), size);
		T_EXPECT_EQ(it.count, 0);
		T_EXPECT_EQ(it.iov_offset, size);
		k += size;
	}
	/* Same image as case 1. */
	memset(want, 0, BUFSIZE);
	k = 0;
	for (size_t r = 0; r < NR_KVEC_RANGES; r++)
		for (size_t j = kvec_ranges[r].from; j < kvec_ranges[r].to; j++)
			want[j] = t_pattern(k++);
	expect_image("kvec ranges", "ubuf", buf);
}

static void test_copy_from_ubuf(void)
{
	size_t k = 0;

	for (size_t x = 0; x < BUFSIZE; x++)
		buf[x] = t_pattern(x);
	memset(scratch, 0, BUFSIZE);
	for (size_t r = 0; r < NR_KVEC_RANGES; r++) {
		size_t from = kvec_ranges[r].from,
		       size = kvec_ranges[r].to - from;
		struct smbiov_iter it;

		T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, buf + from,
					  size) == 0);
		T_EXPECT_EQ(smbiov_copy_from_iter(scratch + k, size, &it),
			    size);
		T_EXPECT_EQ(it.count, 0);
		T_EXPECT_EQ(it.iov_offset, size);
		k += size;
	}
	memset(want, 0, BUFSIZE);
	k = 0;
	for (size_t r = 0; r < NR_KVEC_RANGES; r++)
		for (size_t j = kvec_ranges[r].from; j < kvec_ranges[r].to; j++)
			want[k++] = t_pattern(j);
	expect_image("kvec ranges", "ubuf", scratch);
}

/* ---- XARRAY: 256 order-0 folios at indices 0..255 ------------------------ */

static struct smbiov_xarray *xa;

static unsigned char *xa_byte_addr(size_t pos)
{
	struct smbiov_folio *f = smbiov_xarray_load(xa, pos / PG);

	T_ASSERT(f != NULL);
	return (unsigned char *)f->addr + (pos - f->index * PG);
}

static void *xa_page(size_t pos)
{
	struct smbiov_folio *f = smbiov_xarray_load(xa, pos / PG);

	T_ASSERT(f != NULL);
	return (unsigned char *)f->addr + (pos / PG - f->index) * PG;
}

/* Gather the file bytes [0, 1 MiB) into @out, a page at a time. */
static void xa_read_all(unsigned char *out)
{
	for (size_t p = 0; p < NPAGES; p++)
		memcpy(out + p * PG, xa_byte_addr(p * PG), PG);
}

static void xa_fill(int zero)
{
	for (size_t p = 0; p < NPAGES; p++) {
		unsigned char *a = xa_byte_addr(p * PG);

		for (size_t j = 0; j < PG; j++)
			a[j] = zero ? 0 : t_pattern(p * PG + j);
	}
}

/* Case 5: one XARRAY iterator per kvec range; image as in case 1. */
static void test_copy_to_xarray(void)
{
	size_t k = 0;

	for (size_t x = 0; x < BUFSIZE; x++)
		scratch[x] = t_pattern(x);
	xa_fill(1);
	for (size_t r = 0; r < NR_KVEC_RANGES; r++) {
		size_t from = kvec_ranges[r].from,
		       size = kvec_ranges[r].to - from;
		struct smbiov_iter it;

		T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa,
					    (int64_t)from, size) == 0);
		T_EXPECT_EQ(smbiov_copy_to_iter(scratch + k, size, &it), size);
		T_EXPECT_EQ(it.count, 0);
		/* XARRAY's offset is relative to xarray_start. */
		T_EXPECT_EQ(it.iov_offset, size);
		k += size;
	}
	memset(want, 0, BUFSIZE);
	k = 0;
	for (size_t r = 0; r < NR_KVEC_RANGES; r++)
		for (size_t j = kvec_ranges[r].from; j < kvec_ranges[r].to; j++)
			want[j] = t_pattern(k++);
	xa_read_all(buf);
	expect_image("kvec ranges", "xarray", buf);
}

/* Case 6: mirror of case 5. */
static void test_copy_from_xarray(void)
{
	size_t k = 0;

	xa_fill(0);
	memset(scratch, 0, BUFSIZE);
	for (size_t r = 0; r < NR_KVEC_RANGES; r++) {
		size_t from = kvec_ranges[r].from,
		       size = kvec_ranges[r].to - from;
		struct smbiov_iter it;

		T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa,
					    (int64_t)from, size) == 0);
		T_EXPECT_EQ(smbiov_copy_from_iter(scratch + k, size, &it),
			    size);
		T_EXPECT_EQ(it.count, 0);
		T_EXPECT_EQ(it.iov_offset, size);
		k += size;
	}
	memset(want, 0, BUFSIZE);
	k = 0;
	for (size_t r = 0; r < NR_KVEC_RANGES; r++)
		for (size_t j = kvec_ranges[r].from; j < kvec_ranges[r].to; j++)
			want[k++] = t_pattern(j);
	expect_image("kvec ranges", "xarray", scratch);
}

/* ---- extraction (cases 7-9) --------------------------------------------- */

struct span {
	size_t from, to;
};

typedef void *(*page_of_fn)(size_t pos);

static void *buf_page(size_t pos)
{
	return buf + (pos & SMBIOV_PAGE_MASK);
}

/*
 * The §5 case 7 loop: extract until the iterator is empty, and walk a
 * cursor through @spans in step with the returned pages. Every page must be
 * the one holding the cursor byte, offset0 must be its offset in the page
 * for the first entry (the rest start at 0), and entries past the run must
 * keep their poison. @pins: UBUF/IOVEC, where every returned page carries
 * one pin until it is unpinned.
 */
static void extract_and_check(const char *what, struct smbiov_iter *it,
			      const struct span *spans, size_t nspans,
			      page_of_fn page_of, bool pins)
{
	size_t size = smbiov_iter_count(it), r = 0, from = spans[0].from;
	unsigned calls = 0;

	while (smbiov_iter_count(it) > 0) {
		void *list[EXTRACT_MAXPAGES];
		void **pp = list;
		size_t offset0 = (size_t)LONG_MAX, npg, before;
		ssize_t len;

		for (size_t k = 0; k < EXTRACT_MAXPAGES; k++)
			list[k] = POISON;
		before = smbiov_pins_outstanding();
		len = smbiov_iter_extract_pages(it, &pp, EXTRACT_MAXSIZE,
						EXTRACT_MAXPAGES, &offset0);
		T_EXPECT(len >= 0);
		if (len < 0) {
			fprintf(stderr, "%s: extract: %zd\n", what, len);
			break;
		}
		/* Our array is filled, not replaced. */
		T_EXPECT(pp == list);
		T_EXPECT(offset0 < PG);
		T_EXPECT((size_t)len <= size);
		T_EXPECT_EQ(smbiov_iter_count(it), size - (size_t)len);
		size -= (size_t)len;
		if (len == 0)
			break; /* "stop", not "retry" */
		/* maxpages (8 pages = 32 KiB), not the 100 KiB maxsize, binds.
		 */
		npg = (offset0 + (size_t)len + PG - 1) / PG;
		T_EXPECT(npg <= EXTRACT_MAXPAGES);
		if (npg > EXTRACT_MAXPAGES)
			npg = EXTRACT_MAXPAGES;
		/* Pages past the run were not written. */
		for (size_t k = npg; k < EXTRACT_MAXPAGES; k++)
			T_EXPECT(list[k] == POISON);
		if (pins) {
			T_EXPECT_EQ(smbiov_pins_outstanding(), before + npg);
			for (size_t k = 0; k < npg; k++)
				T_EXPECT(smbiov_pin_count(list[k]) >= 1);
		} else {
			T_EXPECT_EQ(smbiov_pins_outstanding(), before);
		}

		for (size_t k = 0, left = (size_t)len; k < EXTRACT_MAXPAGES;
		     k++) {
			size_t part = PG - offset0;

			if (part > left)
				part = left;
			while (from == spans[r].to) {
				if (++r == nspans)
					break;
				from = spans[r].from;
			}
			T_ASSERT(r < nspans);
			if (list[k] != page_of(from) || offset0 != from % PG) {
				fprintf(stderr,
					"%s: call %u entry %zu: page %p off "
					"%#zx, want %p off %#zx\n",
					what, calls, k, list[k], offset0,
					page_of(from), from % PG);
				T_EXPECT(0);
				break;
			}
			from += part;
			left -= part;
			if (left == 0)
				break;
			offset0 = 0;
		}
		if (pins) {
			smbiov_unpin_pages(list, npg);
			T_EXPECT_EQ(smbiov_pins_outstanding(), before);
		}
		calls++;
		T_ASSERT(calls < 100000); /* no 0-progress spinning */
	}
	T_EXPECT_EQ(size, 0);
	T_EXPECT_EQ(smbiov_iter_count(it), 0);
}

static void extract_layout(int type, unsigned dir, const struct layout *l)
{
	struct span spans[MAX_ELEMS];
	struct built b;
	char what[64];

	for (size_t k = 0; k < l->nr; k++) {
		spans[k].from = el_from(&l->el[k]);
		spans[k].to = spans[k].from + l->el[k].len;
	}
	T_ASSERT(build(&b, type, dir, l) == 0);
	snprintf(what, sizeof(what), "extract %s/%s", type_name(type), l->name);
	extract_and_check(what, &b.it, spans, l->nr, buf_page,
			  type == SMBIOV_ITER_IOVEC);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	unbuild(&b);
}

/* Case 7: KVEC (DEST) over the kvec ranges. */
static void test_extract_pages_kvec(void)
{
	extract_layout(SMBIOV_ITER_KVEC, SMBIOV_ITER_DEST, &kvec_layout);
}

/* Case 8: BVEC (DEST) over the merged bvec elements. */
static void test_extract_pages_bvec(void)
{
	extract_layout(SMBIOV_ITER_BVEC, SMBIOV_ITER_DEST, &bvec_layout);
}

/* BVECQ over both tables, crossing queue segments. */
static void test_extract_pages_bvecq(void)
{
	extract_layout(SMBIOV_ITER_BVECQ, SMBIOV_ITER_DEST, &kvec_layout);
	extract_layout(SMBIOV_ITER_BVECQ, SMBIOV_ITER_SOURCE, &bvec_layout);
}

/* IOVEC: same walk, and every page is pinned until unpinned. */
static void test_extract_pages_iovec(void)
{
	extract_layout(SMBIOV_ITER_IOVEC, SMBIOV_ITER_DEST, &kvec_layout);
	extract_layout(SMBIOV_ITER_IOVEC, SMBIOV_ITER_SOURCE, &bvec_layout);
}

/* UBUF: one iterator per kvec range, pinned; iov_offset ends at size. */
static void test_extract_pages_ubuf(void)
{
	for (size_t r = 0; r < NR_KVEC_RANGES; r++) {
		struct span sp = {kvec_ranges[r].from, kvec_ranges[r].to};
		size_t size = sp.to - sp.from;
		struct smbiov_iter it;
		char what[64];

		T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf + sp.from,
					  size) == 0);
		snprintf(what, sizeof(what), "extract ubuf range %zu", r);
		extract_and_check(what, &it, &sp, 1, buf_page, true);
		T_EXPECT_EQ(it.iov_offset, size);
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	}
}

/*
 * Case 9: one XARRAY (SOURCE) iterator per kvec range; the expected page is
 * the folio page at index from / PAGE; iov_offset ends at to - from.
 */
static void test_extract_pages_xarray(void)
{
	for (size_t r = 0; r < NR_KVEC_RANGES; r++) {
		struct span sp = {kvec_ranges[r].from, kvec_ranges[r].to};
		size_t size = sp.to - sp.from;
		struct smbiov_iter it;
		char what[64];

		T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa,
					    (int64_t)sp.from, size) == 0);
		snprintf(what, sizeof(what), "extract xarray range %zu", r);
		extract_and_check(what, &it, &sp, 1, xa_page, false);
		T_EXPECT_EQ(it.iov_offset, size);
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	}
}

int main(void)
{
	buf = aligned_alloc(PG, BUFSIZE);
	scratch = aligned_alloc(PG, BUFSIZE);
	want = malloc(BUFSIZE);
	T_ASSERT(buf && scratch && want);
	xa = smbiov_xarray_new();
	T_ASSERT(xa);
	T_ASSERT(smbiov_xarray_populate(xa, 0, BUFSIZE, 0) == 0);
	T_ASSERT(smbiov_xarray_nr_folios(xa) == NPAGES);

	load_kvec_layout(&kvec_layout);
	load_bvec_layout(&bvec_layout);

	T_RUN(test_copy_to_kvec);
	T_RUN(test_copy_from_kvec);
	T_RUN(test_copy_to_bvec);
	T_RUN(test_copy_from_bvec);
	T_RUN(test_copy_to_xarray);
	T_RUN(test_copy_from_xarray);
	T_RUN(test_copy_to_ubuf);
	T_RUN(test_copy_from_ubuf);
	T_RUN(test_copy_to_iovec);
	T_RUN(test_copy_from_iovec);
	T_RUN(test_copy_to_bvecq);
	T_RUN(test_copy_from_bvecq);
	T_RUN(test_extract_pages_kvec);
	T_RUN(test_extract_pages_bvec);
	T_RUN(test_extract_pages_xarray);
	T_RUN(test_extract_pages_ubuf);
	T_RUN(test_extract_pages_iovec);
	T_RUN(test_extract_pages_bvecq);

	smbiov_xarray_free(xa);
	free(buf);
	free(scratch);
	free(want);
	return t_done();
}
