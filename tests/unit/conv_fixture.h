/* SPDX-License-Identifier: MIT */
/*
 * Fixtures for the iterator conversion tests (test_iter_to_bvec.c,
 * test_iter_to_sg.c, test_iter_to_sge.c, test_iter_hash.c): the kernel's
 * KUnit range tables (kernel-iov-iter-design.md §5) turned into iterators
 * of every memory-backed type, plus a checker that compares what a
 * conversion produced with what the iterator describes.
 *
 * The truth is kept as a list of expected spans (address, length) and the
 * expected bytes, both computed from the tables alone. A conversion's
 * entries, concatenated, must walk exactly that address stream: this
 * catches a misplaced entry even where pattern(x) = x & 0xff repeats.
 */
#ifndef SMBIOV_TEST_CONV_FIXTURE_H
#define SMBIOV_TEST_CONV_FIXTURE_H

#include "t.h"

#include <smbiov/iter.h>
#include <smbiov/mem.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FX_BUFSIZE   ((size_t)0x100000)
#define FX_NPAGES    (FX_BUFSIZE / SMBIOV_PAGE_SIZE)
#define FX_MAX_SPANS 512

/* Byte ranges [from, to) of the 1 MiB buffer (KVEC, IOVEC, UBUF, XARRAY). */
struct fx_range {
	size_t from, to;
};

static const struct fx_range fx_kvec_ranges[] = {
	{0x00002, 0x00002}, /* start with an empty range */
	{0x00027, 0x03000}, /* midpage to page end */
	{0x05193, 0x18794}, /* midpage to midpage, many pages */
	{0x20000, 0x20000}, /* empty range in the middle */
	{0x20000, 0x24000}, /* page start to page end */
	{0x24000, 0x27001}, /* page start (= previous end) to midpage */
	{0x29000, 0xffffb}, /* page start to almost the end */
	{0xffffd, 0xffffe}, /* one byte, sharing a page with the last */
};
#define FX_NR_KVEC (sizeof(fx_kvec_ranges) / sizeof(fx_kvec_ranges[0]))

/* (page, from, to) within that page (BVEC, BVECQ). */
struct fx_bvec_range {
	size_t page, from, to;
};

static const struct fx_bvec_range fx_bvec_ranges[] = {
	{0, 0x002, 0x002},  /* start with an empty range */
	{1, 0x027, 0x893},  /* midpage to midpage */
	{2, 0x193, 0x794},  /* midpage to midpage */
	{3, 0x000, 0x1000}, /* whole page: merged with the next three */
	{4, 0x000, 0x1000}, /* whole page, merged */
	{5, 0x000, 0x1000}, /* whole page, merged */
	{6, 0x000, 0xffb},  /* page start to near its end, merged */
	{6, 0xffd, 0xffe},  /* one byte near the page end: new element */
};
#define FX_NR_BVEC_RANGES (sizeof(fx_bvec_ranges) / sizeof(fx_bvec_ranges[0]))

/* What a fixture iterator is made of. */
enum fx_kind {
	FX_UBUF,   /* one row of the KVEC table */
	FX_IOVEC,  /* the whole KVEC table, caller memory */
	FX_KVEC,   /* the whole KVEC table */
	FX_BVEC,   /* the BVEC table, merged as the kernel loader does */
	FX_XARRAY, /* one row of the KVEC table as file range, order-0 folios */
	FX_XARRAY_BIG, /* the same over order-2 (16 KiB) folios */
	FX_BVECQ,      /* the BVEC table in a queue of 2-element segments */
	FX_NR_KINDS,
};

static const char *const fx_kind_name[FX_NR_KINDS] = {
	"UBUF", "IOVEC", "KVEC", "BVEC", "XARRAY", "XARRAY(order 2)", "BVECQ",
};

struct fx_span {
	uintptr_t addr;
	size_t len;
};

struct fx {
	uint8_t *buf; /* FX_BUFSIZE, page aligned, buf[x] = pattern(x) */
	struct smbiov_xarray *xa[2]; /* order 0 and order 2, 1 MiB each */
	struct iovec vec[FX_NR_KVEC];
	struct smbiov_bvec bv[FX_NR_BVEC_RANGES];
	size_t nbv;
	struct smbiov_bvecq *q;

	/* The iterator under test and the truth about it. */
	enum fx_kind kind;
	struct smbiov_iter it;
	struct fx_span exp[FX_MAX_SPANS];
	size_t nexp;
	uint8_t *bytes; /* expected bytes, in order */
	size_t len;
	/* The spans the walker yields: one per element or folio. */
	struct fx_span wsp[FX_MAX_SPANS];
	size_t nspans;
	size_t npages; /* pages the bytes touch, counted per element */
};

/* Kinds whose iterator is one row of the KVEC table. */
static inline size_t fx_nrows(enum fx_kind kind)
{
	switch (kind) {
	case FX_UBUF:
	case FX_XARRAY:
	case FX_XARRAY_BIG:
		return FX_NR_KVEC;
	default:
		return 1;
	}
}

static inline size_t fx_pages_touched(uintptr_t addr, size_t len)
{
	if (!len)
		return 0;
	return (addr % SMBIOV_PAGE_SIZE + len + SMBIOV_PAGE_SIZE - 1) /
	       SMBIOV_PAGE_SIZE;
}

static inline void *fx_folio_byte(struct smbiov_xarray *xa, size_t pos)
{
	struct smbiov_folio *f = smbiov_xarray_load(xa, pos / SMBIOV_PAGE_SIZE);

	T_ASSERT(f);
	return (char *)f->addr + (pos - f->index * SMBIOV_PAGE_SIZE);
}

static inline void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->buf = aligned_alloc(SMBIOV_PAGE_SIZE, FX_BUFSIZE);
	f->bytes = malloc(FX_BUFSIZE);
	T_ASSERT(f->buf && f->bytes);
	for (size_t x = 0; x < FX_BUFSIZE; x++)
		f->buf[x] = t_pattern(x);

	for (unsigned k = 0; k < 2; k++) {
		f->xa[k] = smbiov_xarray_new();
		T_ASSERT(f->xa[k]);
		T_ASSERT(smbiov_xarray_populate(f->xa[k], 0, FX_BUFSIZE,
						k ? 2 : 0) == 0);
		/* File byte x holds pattern(x), like the buffer. */
		for (size_t pg = 0; pg < FX_NPAGES; pg++) {
			uint8_t *p =
				fx_folio_byte(f->xa[k], pg * SMBIOV_PAGE_SIZE);

			for (size_t j = 0; j < SMBIOV_PAGE_SIZE; j++)
				p[j] = t_pattern(pg * SMBIOV_PAGE_SIZE + j);
		}
	}

	/* The kernel's BVEC loader: merge whole pages that follow on. */
	for (size_t r = 0; r < FX_NR_BVEC_RANGES; r++) {
		const struct fx_bvec_range *br = &fx_bvec_ranges[r];
		struct smbiov_bvec *prev = f->nbv ? &f->bv[f->nbv - 1] : NULL;
		void *page = f->buf + br->page * SMBIOV_PAGE_SIZE;

		if (prev && br->from == 0 && br->to > 0 &&
		    (uintptr_t)prev->page + prev->offset + prev->len ==
			    (uintptr_t)page) {
			prev->len += br->to;
			continue;
		}
		f->bv[f->nbv++] = (struct smbiov_bvec){
			.page = page,
			.offset = br->from,
			.len = br->to - br->from,
		};
	}
	T_ASSERT(f->nbv == 5);

	/* Two elements per segment so the walk crosses segments. */
	f->q = smbiov_bvecq_new(2, SMBIOV_CLEANUP_NONE);
	T_ASSERT(f->q);
	for (size_t k = 0; k < f->nbv; k++)
		T_ASSERT(smbiov_bvecq_append(f->q, f->bv[k].page,
					     f->bv[k].offset,
					     f->bv[k].len) == 0);
}

static inline void fx_fini(struct fx *f)
{
	smbiov_bvecq_put(f->q);
	smbiov_xarray_free(f->xa[0]);
	smbiov_xarray_free(f->xa[1]);
	free(f->bytes);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* Record an expected span; @src is its logical position for pattern(). */
static inline void fx_expect(struct fx *f, uintptr_t addr, size_t len,
			     size_t src)
{
	if (!len)
		return;
	T_ASSERT(f->nexp < FX_MAX_SPANS && f->len + len <= FX_BUFSIZE);
	f->exp[f->nexp++] = (struct fx_span){.addr = addr, .len = len};
	for (size_t j = 0; j < len; j++)
		f->bytes[f->len + j] = t_pattern(src + j);
	f->len += len;
	f->npages += fx_pages_touched(addr, len);
}

/* For buffer-backed kinds each expected span is one walker span. */
static inline void fx_walker_spans_are_exp(struct fx *f)
{
	memcpy(f->wsp, f->exp, f->nexp * sizeof(f->exp[0]));
	f->nspans = f->nexp;
}

/*
 * Build the iterator for (@kind, @row) in direction @dir into f->it and
 * compute what it describes. Returns the constructor's result.
 */
static inline int fx_build(struct fx *f, enum fx_kind kind, size_t row,
			   unsigned dir)
{
	const struct fx_range *r = &fx_kvec_ranges[row];
	struct smbiov_xarray *xa;
	size_t k;

	f->kind = kind;
	f->nexp = f->len = f->nspans = f->npages = 0;
	switch (kind) {
	case FX_UBUF:
		fx_expect(f, (uintptr_t)f->buf + r->from, r->to - r->from,
			  r->from);
		fx_walker_spans_are_exp(f);
		return smbiov_iter_ubuf(&f->it, dir, f->buf + r->from,
					r->to - r->from);
	case FX_IOVEC:
	case FX_KVEC:
		for (k = 0; k < FX_NR_KVEC; k++) {
			r = &fx_kvec_ranges[k];
			f->vec[k].iov_base = f->buf + r->from;
			f->vec[k].iov_len = r->to - r->from;
			fx_expect(f, (uintptr_t)f->buf + r->from,
				  r->to - r->from, r->from);
		}
		fx_walker_spans_are_exp(f);
		if (kind == FX_IOVEC)
			return smbiov_iter_iovec(&f->it, dir, f->vec,
						 FX_NR_KVEC, f->len);
		return smbiov_iter_kvec(&f->it, dir, f->vec, FX_NR_KVEC,
					f->len);
	case FX_BVEC:
	case FX_BVECQ:
		for (k = 0; k < f->nbv; k++) {
			uintptr_t a =
				(uintptr_t)f->bv[k].page + f->bv[k].offset;

			fx_expect(f, a, f->bv[k].len, a - (uintptr_t)f->buf);
		}
		fx_walker_spans_are_exp(f);
		if (kind == FX_BVEC)
			return smbiov_iter_bvec(&f->it, dir, f->bv, f->nbv,
						f->len);
		return smbiov_iter_bvecq(&f->it, dir, f->q, 0, 0, f->len);
	case FX_XARRAY:
	case FX_XARRAY_BIG:
		xa = f->xa[kind == FX_XARRAY_BIG];
		/* One expected span per page: folios need not be adjacent. */
		for (size_t pos = r->from; pos < r->to;) {
			size_t end = (pos | (SMBIOV_PAGE_SIZE - 1)) + 1;

			if (end > r->to)
				end = r->to;
			fx_expect(f, (uintptr_t)fx_folio_byte(xa, pos),
				  end - pos, pos);
			pos = end;
		}
		/* The walker yields one span per folio touched. */
		for (size_t pos = r->from; pos < r->to;) {
			size_t fsz = kind == FX_XARRAY_BIG
					     ? 4 * SMBIOV_PAGE_SIZE
					     : SMBIOV_PAGE_SIZE;
			size_t end = pos - pos % fsz + fsz;

			if (end > r->to)
				end = r->to;
			T_ASSERT(f->nspans < FX_MAX_SPANS);
			f->wsp[f->nspans++] = (struct fx_span){
				.addr = (uintptr_t)fx_folio_byte(xa, pos),
				.len = end - pos,
			};
			pos = end;
		}
		return smbiov_iter_xarray(&f->it, dir, xa, (int64_t)r->from,
					  r->to - r->from);
	default:
		return -1;
	}
}

/* One produced entry, whatever list it came from. */
struct fx_ent {
	uintptr_t addr;
	size_t len;
};

/*
 * Check that @ents, concatenated, describe exactly the first @nbytes of the
 * fixture's iterator starting @skip bytes in: same addresses in the same
 * order, and (read through the entries) the expected bytes.
 */
static inline bool fx_check_ents(const struct fx *f, const struct fx_ent *ents,
				 size_t n, size_t skip, size_t nbytes)
{
	size_t e = 0, eoff = skip, total = 0;

	/* Find the expected span holding byte @skip. */
	while (e < f->nexp && eoff >= f->exp[e].len)
		eoff -= f->exp[e++].len;

	for (size_t k = 0; k < n; k++) {
		uintptr_t a = ents[k].addr;
		size_t left = ents[k].len;

		if (memcmp((const void *)a, f->bytes + skip + total, left)) {
			fprintf(stderr, "%s: entry %zu: bytes differ\n",
				fx_kind_name[f->kind], k);
			return false;
		}
		total += left;
		while (left) {
			size_t m;

			if (e >= f->nexp || a != f->exp[e].addr + eoff) {
				fprintf(stderr, "%s: entry %zu: %#lx %s\n",
					fx_kind_name[f->kind], k,
					(unsigned long)a,
					"is not the next expected byte");
				return false;
			}
			m = f->exp[e].len - eoff;
			if (m > left)
				m = left;
			a += m;
			left -= m;
			eoff += m;
			if (eoff == f->exp[e].len) {
				e++;
				eoff = 0;
			}
		}
	}
	if (total != nbytes) {
		fprintf(stderr, "%s: entries cover %zu bytes, expected %zu\n",
			fx_kind_name[f->kind], total, nbytes);
		return false;
	}
	return true;
}

/* Entries of a pinned list: one page each, never crossing a page end. */
static inline bool fx_ents_per_page(const struct fx_ent *ents, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t off = ents[k].addr % SMBIOV_PAGE_SIZE;

		if (!ents[k].len || ents[k].len > SMBIOV_PAGE_SIZE ||
		    off + ents[k].len > SMBIOV_PAGE_SIZE) {
			fprintf(stderr, "entry %zu (%#zx+%#zx) %s\n", k, off,
				ents[k].len, "crosses a page");
			return false;
		}
	}
	return true;
}

#endif
