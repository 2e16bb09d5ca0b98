// SPDX-License-Identifier: MIT
/*
 * Direct I/O from every iterator type against the fixture's smbd (issue 14:
 * "Direct I/O from any iterator"), on files opened with smbiov_open() and
 * with smbiov_open_ex(SMBIOV_CACHE_NONE):
 *
 *  - UBUF, IOVEC (about 1,300 odd-sized segments with gaps and empty ones),
 *    KVEC (odd segments, some larger than a piece, so that piece boundaries
 *    fall inside them), BVEC (smbiov_page_alloc pages at odd offsets and
 *    lengths, elements spanning pages of a folio, empty elements), XARRAY
 *    (folios of mixed orders from the public mem API, the range starting
 *    mid-page) and BVECQ (several linked segments, starting inside a slot)
 *    as source and as destination;
 *  - 5 MiB + odd bytes at unaligned offsets (4097, 1 MiB - 3): several
 *    multi-credit pieces; the file on the server's disk checked byte for
 *    byte; the caller's iterator advanced by exactly what moved;
 *  - reads past the end of file exact (the bytes past them in the caller's
 *    memory, and every byte between the segments, untouched), reads at and
 *    past EOF 0, 0-byte reads and writes 0 with nothing sent and the
 *    iterator unchanged;
 *  - no payload byte copied in user space on the plain share;
 *  - no pin left after any case, errors included: writes on a read-only
 *    handle, reads on a write-only one (synchronous and asynchronous, every
 *    type; a failed asynchronous BVECQ request puts its reference), caller
 *    memory that is not mapped (-EFAULT), and I/O on a client whose
 *    connection died;
 *  - KVEC and IOVEC segments that end exactly at piece boundaries, one
 *    byte before and after them, and empty segments right after them;
 *  - asynchronous I/O with the receiver thread held between frames (a
 *    transport in front of the connection's), so that nothing can complete
 *    meanwhile: every piece of a
 *    request is on the wire together when submit returns, UBUF/IOVEC pages
 *    are pinned (one pin per page of each segment) and nothing else is,
 *    BVECQ holds one reference, and the caller's segment array and
 *    iterator may be scribbled on and freed right after submit.
 *  - caller memory that is not mapped is found before anything is sent
 *    (src/mem/access.c): -EFAULT, and the connection goes on working; on a
 *    signed or sealed connection too (the process once died of SIGSEGV
 *    there: signing and sealing read the payload in user space).
 */
#include "client/engine.h"
#include "client/file.h"
#include "client/split.h"
#include "file_common.h"

#include <smbiov/mem.h>

#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MiB	  ((size_t)1 << 20)
#define PAGE	  SMBIOV_PAGE_SIZE
#define SENT	  0xA5
#define BIG_LEN	  (5 * MiB + 4099)
#define BIG_EXTRA (2 * MiB + 333) /* asked past EOF: a piece wholly beyond */

static const char *share_pub;

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t div_up(size_t a, size_t b)
{
	return (a + b - 1) / b;
}

/* ---- caller memory of every iterator type ------------------------------- */

enum kind { K_UBUF, K_IOVEC, K_KVEC, K_BVEC, K_XARRAY, K_BVECQ, K_NR };
static const char *const kname[K_NR] = {"UBUF", "IOVEC",  "KVEC",
					"BVEC", "XARRAY", "BVECQ"};

/* A piece of memory the test owns, checked whole for stray writes. */
struct region {
	uint8_t *p;
	size_t n;
};

/* The iterator's bytes, in order: region @reg, [off, off + len). */
struct span {
	size_t reg, off, len;
};

struct tbuf {
	enum kind k;
	size_t cap; /* bytes the iterator describes at full count */
	int64_t xstart;
	struct region *reg;
	size_t nreg, capreg;
	struct span *sp;
	size_t nsp, capsp;
	uint8_t *heap; /* UBUF, IOVEC, KVEC */
	uint8_t *ubuf;
	struct iovec *vec; /* IOVEC, KVEC */
	size_t nvec;
	struct smbiov_bvec *bv; /* BVEC */
	size_t nbv, capbv;
	void **pages; /* BVEC, BVECQ: from smbiov_page_alloc() */
	size_t npages, cappages;
	struct smbiov_folio **folios; /* BVEC elements; XARRAY (locked) */
	size_t nfolios, capfolios;
	struct smbiov_xarray *xa;
	struct smbiov_bvecq *q;
	const size_t *cyc; /* IOVEC, KVEC: segment sizes, repeated */
	size_t ncyc;
};

static void *grow(void *p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 64;
	p = realloc(p, *cap * elem);
	T_ASSERT(p);
	return p;
}

static size_t add_region(struct tbuf *b, void *p, size_t n)
{
	b->reg = grow(b->reg, &b->capreg, b->nreg, sizeof(*b->reg));
	b->reg[b->nreg].p = p;
	b->reg[b->nreg].n = n;
	return b->nreg++;
}

static void add_span(struct tbuf *b, size_t reg, size_t off, size_t len)
{
	if (!len)
		return;
	T_ASSERT(off + len <= b->reg[reg].n);
	b->sp = grow(b->sp, &b->capsp, b->nsp, sizeof(*b->sp));
	b->sp[b->nsp].reg = reg;
	b->sp[b->nsp].off = off;
	b->sp[b->nsp].len = len;
	b->nsp++;
}

static void *new_page(struct tbuf *b)
{
	void *p = smbiov_page_alloc();

	T_ASSERT(p);
	b->pages = grow(b->pages, &b->cappages, b->npages, sizeof(void *));
	b->pages[b->npages++] = p;
	return p;
}

static struct smbiov_folio *new_folio(struct tbuf *b, unsigned order)
{
	struct smbiov_folio *f = smbiov_folio_alloc(order);

	T_ASSERT(f);
	b->folios = grow(b->folios, &b->capfolios, b->nfolios, sizeof(f));
	b->folios[b->nfolios++] = f;
	return f;
}

/*
 * IOVEC: many small odd segments; KVEC: fewer, some over 1 MiB, so that
 * every piece boundary falls inside a segment. Both begin and end with an
 * empty segment (the first with a NULL base), have empty ones inside, and
 * 1..13 bytes of gap after each segment. tb_new_vec() gives other sizes.
 */
static void build_vec(struct tbuf *b)
{
	static const size_t many[] = {0,    1,	 3, 4095, 4097, 7,    0,    13,
				      8191, 511, 2, 0,	  4099, 1023, 65537};
	static const size_t odd[] = {0,	    1, 1500007, 4097,	0,
				     65535, 3, 999999,	131073, 12345};
	const size_t *cyc = b->k == K_IOVEC ? many : odd;
	size_t ncyc = b->k == K_IOVEC ? sizeof(many) / sizeof(*many)
				      : sizeof(odd) / sizeof(*odd);
	size_t pass, pos = 0, reg = 0;

	if (b->cyc) {
		cyc = b->cyc;
		ncyc = b->ncyc;
	}

	for (pass = 0; pass < 2; pass++) {
		size_t rem = b->cap, k = 0, n = 0;

		pos = 0;
		if (pass) {
			b->vec[n].iov_base = NULL;
			b->vec[n].iov_len = 0;
		}
		n++;
		while (rem) {
			size_t len = min_sz(cyc[k % ncyc], rem);

			if (pass) {
				b->vec[n].iov_base = b->heap + pos;
				b->vec[n].iov_len = len;
				add_span(b, reg, pos, len);
			}
			n++;
			if (len)
				pos += len + 1 + k % 13;
			rem -= len;
			k++;
		}
		if (pass) {
			b->vec[n].iov_base = b->heap + pos;
			b->vec[n].iov_len = 0;
		}
		n++;
		if (!pass) {
			b->nvec = n;
			b->vec = calloc(n, sizeof(*b->vec));
			b->heap = malloc(pos + 16);
			T_ASSERT(b->vec && b->heap);
			reg = add_region(b, b->heap, pos + 16);
		}
	}
}

/*
 * BVEC: one element per smbiov_page_alloc() page at an odd offset and of an
 * odd length; every 64th element 9001 bytes at 4099+ in an order-2 folio
 * (spanning its pages); every 50th empty.
 */
static void build_bvec(struct tbuf *b)
{
	size_t rem = b->cap, k;

	for (k = 0; rem; k++) {
		struct smbiov_bvec e;
		size_t reg = 0;

		if (k % 64 == 63) {
			struct smbiov_folio *f = new_folio(b, 2);

			reg = add_region(b, f->addr, smbiov_folio_size(f));
			e.page = f->addr;
			e.offset = 4099 + k % 5;
			e.len = min_sz(rem, 9001);
		} else if (k % 50 == 25) {
			e = b->bv[b->nbv - 1];
			e.offset = 0;
			e.len = 0;
		} else {
			void *p = new_page(b);

			reg = add_region(b, p, PAGE);
			e.page = p;
			e.offset = 1 + (k * 97) % 2000;
			e.len = min_sz(rem, PAGE - e.offset - (k % 7) * 3);
		}
		add_span(b, reg, e.offset, e.len);
		b->bv = grow(b->bv, &b->capbv, b->nbv, sizeof(*b->bv));
		b->bv[b->nbv++] = e;
		rem -= e.len;
	}
}

/*
 * XARRAY: folios of orders 0..4 (each aligned in the index) covering
 * [xstart, xstart + cap) of the file, locked as a page cache would hold
 * them for I/O; the iterator's first byte is the file offset xstart.
 */
static void build_xarray(struct tbuf *b)
{
	static const unsigned orders[] = {0, 2, 1, 3, 0, 4};
	uint64_t p = (uint64_t)b->xstart / PAGE;
	uint64_t end = (uint64_t)b->xstart + b->cap;
	uint64_t pos = (uint64_t)b->xstart;
	size_t k;

	b->xa = smbiov_xarray_new();
	T_ASSERT(b->xa);
	for (k = 0; p * PAGE < end; k++) {
		unsigned o = orders[k % 6];
		struct smbiov_folio *f;

		while (o && p % ((uint64_t)1 << o))
			o--;
		f = new_folio(b, o);
		f->index = p;
		T_ASSERT(smbiov_xarray_insert(b->xa, f) == 0);
		smbiov_folio_put(f); /* the index holds it */
		T_ASSERT(smbiov_folio_trylock(f));
		add_region(b, f->addr, smbiov_folio_size(f));
		p += (uint64_t)1 << o;
	}
	for (k = 0; pos < end; k++) {
		struct smbiov_folio *f = b->folios[k];
		size_t fo = (size_t)(pos - f->index * PAGE);
		size_t len =
			min_sz((size_t)(end - pos), smbiov_folio_size(f) - fo);

		T_ASSERT(smbiov_xarray_load(b->xa, pos / PAGE) == f);
		add_span(b, k, fo, len);
		pos += len;
	}
}

/*
 * BVECQ: segments of 7 slots (the queue links several); slot 0 is not part
 * of the iterator, which starts 5 bytes into slot 1; every 9th element
 * empty, the others odd pages of smbiov_page_alloc().
 */
static void build_bvecq(struct tbuf *b)
{
	size_t rem = b->cap, k, reg;
	void *p;

	b->q = smbiov_bvecq_new(7, SMBIOV_CLEANUP_NONE);
	T_ASSERT(b->q);
	p = new_page(b);
	add_region(b, p, PAGE);
	T_ASSERT(smbiov_bvecq_append(b->q, p, 100, 300) == 0);
	p = new_page(b);
	reg = add_region(b, p, PAGE);
	T_ASSERT(smbiov_bvecq_append(b->q, p, 11, 4000) == 0);
	add_span(b, reg, 16, min_sz(rem, 3995));
	rem -= min_sz(rem, 3995);
	for (k = 2; rem; k++) {
		size_t off, len;

		if (k % 9 == 0) {
			T_ASSERT(smbiov_bvecq_append(b->q, p, 0, 0) == 0);
			continue;
		}
		p = new_page(b);
		reg = add_region(b, p, PAGE);
		off = 3 + (k * 131) % 1500;
		len = min_sz(rem, PAGE - off - k % 11);
		T_ASSERT(smbiov_bvecq_append(b->q, p, off, len) == 0);
		add_span(b, reg, off, len);
		rem -= len;
	}
	T_ASSERT(b->cap < 64 * PAGE || b->q->next != NULL);
}

/* Memory of kind @k describing @cap bytes (XARRAY: file range at @xstart). */
static void tb_new(struct tbuf *b, enum kind k, size_t cap, int64_t xstart)
{
	memset(b, 0, sizeof(*b));
	b->k = k;
	b->cap = cap;
	b->xstart = xstart;
	switch (k) {
	case K_UBUF:
		b->heap = malloc(cap + 64);
		T_ASSERT(b->heap);
		b->ubuf = b->heap + 7;
		add_span(b, add_region(b, b->heap, cap + 64), 7, cap);
		break;
	case K_IOVEC:
	case K_KVEC:
		build_vec(b);
		break;
	case K_BVEC:
		build_bvec(b);
		break;
	case K_XARRAY:
		build_xarray(b);
		break;
	case K_BVECQ:
		build_bvecq(b);
		break;
	default:
		T_ASSERT(0);
	}
}

/* IOVEC or KVEC of @cap bytes in segments of @cyc[0], @cyc[1], ... */
static void tb_new_vec(struct tbuf *b, enum kind k, const size_t *cyc,
		       size_t ncyc, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->k = k;
	b->cap = cap;
	b->cyc = cyc;
	b->ncyc = ncyc;
	build_vec(b);
}

static void tb_free(struct tbuf *b)
{
	size_t k;

	if (b->q)
		smbiov_bvecq_put(b->q);
	for (k = 0; k < b->npages; k++)
		smbiov_page_free(b->pages[k]);
	if (b->xa) {
		for (k = 0; k < b->nfolios; k++)
			smbiov_folio_unlock(b->folios[k]);
		smbiov_xarray_free(b->xa);
	} else {
		for (k = 0; k < b->nfolios; k++)
			smbiov_folio_put(b->folios[k]);
	}
	free(b->folios);
	free(b->pages);
	free(b->bv);
	free(b->vec);
	free(b->heap);
	free(b->sp);
	free(b->reg);
	memset(b, 0, sizeof(*b));
}

/*
 * An iterator over the first @count bytes. @arr: NULL, or receives a
 * malloc'd copy of the segment array the iterator is built over (IOVEC,
 * KVEC, BVEC; NULL for the others), for the caller to scribble on and free.
 */
static void tb_iter(struct tbuf *b, unsigned dir, size_t count,
		    struct smbiov_iter *it, void **arr)
{
	const void *segs =
		b->k == K_BVEC ? (const void *)b->bv : (const void *)b->vec;
	size_t bytes = b->k == K_BVEC ? b->nbv * sizeof(*b->bv)
				      : b->nvec * sizeof(*b->vec);
	int ret = -1;

	if (arr) {
		*arr = NULL;
		if (b->k == K_IOVEC || b->k == K_KVEC || b->k == K_BVEC) {
			*arr = malloc(bytes);
			T_ASSERT(*arr);
			memcpy(*arr, segs, bytes);
			segs = *arr;
		}
	}
	switch (b->k) {
	case K_UBUF:
		ret = smbiov_iter_ubuf(it, dir, b->ubuf, count);
		break;
	case K_IOVEC:
		ret = smbiov_iter_iovec(it, dir, segs, b->nvec, count);
		break;
	case K_KVEC:
		ret = smbiov_iter_kvec(it, dir, segs, b->nvec, count);
		break;
	case K_BVEC:
		ret = smbiov_iter_bvec(it, dir, segs, b->nbv, count);
		break;
	case K_XARRAY:
		ret = smbiov_iter_xarray(it, dir, b->xa, b->xstart, count);
		break;
	case K_BVECQ:
		ret = smbiov_iter_bvecq(it, dir, b->q, 1, 5, count);
		break;
	default:
		break;
	}
	T_ASSERT(ret == 0);
	T_ASSERT(smbiov_iter_count(it) == count);
}

static void tb_fill(struct tbuf *b, uint8_t byte)
{
	for (size_t r = 0; r < b->nreg; r++)
		memset(b->reg[r].p, byte, b->reg[r].n);
}

/* Logical bytes [0, n) := the file's bytes at @base.. for @seed. */
static void tb_load(struct tbuf *b, uint32_t seed, uint64_t base, size_t n)
{
	size_t l = 0;

	for (size_t s = 0; s < b->nsp && l < n; s++) {
		size_t len = min_sz(b->sp[s].len, n - l);

		fc_fill(b->reg[b->sp[s].reg].p + b->sp[s].off, len, seed,
			base + l);
		l += len;
	}
	T_ASSERT(l == n);
}

static size_t first_not(const uint8_t *p, size_t n, uint8_t byte)
{
	for (size_t k = 0; k < n; k++)
		if (p[k] != byte)
			return k;
	return n;
}

/*
 * Do logical bytes [0, @nvalid) hold the file's bytes at @base for @seed,
 * and every other byte of every region (the rest of the iterator's bytes,
 * gaps between segments, parts of pages outside elements) SENT?
 */
static bool tb_check(const struct tbuf *b, uint32_t seed, uint64_t base,
		     size_t nvalid, const char *what)
{
	size_t *cur = calloc(b->nreg + 1, sizeof(size_t));
	size_t l = 0, s, r, bad;
	bool ok = true;

	T_ASSERT(cur);
	for (s = 0; s < b->nsp && ok; s++) {
		const struct span *sp = &b->sp[s];
		const uint8_t *p = b->reg[sp->reg].p;
		size_t v = nvalid > l ? min_sz(sp->len, nvalid - l) : 0;

		bad = first_not(p + cur[sp->reg], sp->off - cur[sp->reg], SENT);
		if (bad != sp->off - cur[sp->reg]) {
			fprintf(stderr,
				"%s %s: byte %zu of region %zu (outside the "
				"iterator) written\n",
				what, kname[b->k], cur[sp->reg] + bad, sp->reg);
			ok = false;
		}
		bad = fc_check(p + sp->off, v, seed, base + l);
		if (ok && bad != v) {
			fprintf(stderr, "%s %s: data byte %zu wrong\n", what,
				kname[b->k], l + bad);
			ok = false;
		}
		bad = first_not(p + sp->off + v, sp->len - v, SENT);
		if (ok && bad != sp->len - v) {
			fprintf(stderr,
				"%s %s: byte %zu past the %zu expected "
				"written\n",
				what, kname[b->k], l + v + bad, nvalid);
			ok = false;
		}
		cur[sp->reg] = sp->off + sp->len;
		l += sp->len;
	}
	for (r = 0; r < b->nreg && ok; r++) {
		bad = first_not(b->reg[r].p + cur[r], b->reg[r].n - cur[r],
				SENT);
		if (bad != b->reg[r].n - cur[r]) {
			fprintf(stderr,
				"%s %s: byte %zu of region %zu (after the "
				"iterator's) written\n",
				what, kname[b->k], cur[r] + bad, r);
			ok = false;
		}
	}
	free(cur);
	return ok;
}

/* Pins an extraction of the first @count bytes takes: per span, per page. */
static size_t tb_pages(const struct tbuf *b, size_t count)
{
	size_t l = 0, n = 0;

	for (size_t s = 0; s < b->nsp && l < count; s++) {
		uintptr_t a =
			(uintptr_t)(b->reg[b->sp[s].reg].p + b->sp[s].off);
		size_t len = min_sz(b->sp[s].len, count - l);

		n += (a + len - 1) / PAGE - a / PAGE + 1;
		l += len;
	}
	return n;
}

static bool it_same(const struct smbiov_iter *a, const struct smbiov_iter *b)
{
	return a->type == b->type && a->source == b->source &&
	       a->iov_offset == b->iov_offset && a->count == b->count &&
	       a->advanced == b->advanced && a->span == b->span &&
	       a->ubuf == b->ubuf && a->nr_segs == b->nr_segs;
}

/* ---- helpers ------------------------------------------------------------- */

static int open_mode(struct smbiov_client *c, const char *name, int flags,
		     int mode, struct smbiov_file **f)
{
	struct smbiov_open_opts o = {.cache = SMBIOV_CACHE_NONE};

	if (mode == 0)
		return smbiov_open(c, name, flags, f);
	return smbiov_open_ex(c, name, flags, &o, f);
}

static const char *const mname[2] = {"open", "open_ex(NONE)"};

/* The file on the server's disk: @len bytes, zeros to @off, then @seed. */
static void disk_check(const char *share, const char *name, uint64_t off,
		       size_t len, uint32_t seed)
{
	size_t dlen = 0, bad;
	uint8_t *disk = fc_disk_read(share, name, &dlen);

	T_EXPECT(disk != NULL);
	if (!disk)
		return;
	T_EXPECT_EQ(dlen, off + len);
	if (dlen == off + len) {
		bad = first_not(disk, off, 0);
		T_EXPECT_EQ(bad, off);
		bad = fc_check(disk + off, len, seed, off);
		if (bad != len)
			fprintf(stderr, "%s: disk byte %zu wrong\n", name,
				(size_t)off + bad);
		T_EXPECT_EQ(bad, len);
	}
	free(disk);
}

/* @name := @len bytes of @seed, written through SMB (owned by its user). */
static void make_file(struct smbiov_client *c, const char *name, size_t len,
		      uint32_t seed)
{
	uint8_t *buf = malloc(len);
	struct smbiov_file *f;

	T_ASSERT(buf);
	fc_fill(buf, len, seed, 0);
	T_ASSERT(smbiov_open(c, name, O_WRONLY | O_CREAT | O_TRUNC, &f) == 0);
	T_ASSERT(smbiov_pwrite(f, buf, len, 0) == (ssize_t)len);
	T_ASSERT(smbiov_close(f) == 0);
	free(buf);
}

struct aio_res {
	pthread_mutex_t lock;
	int calls;
	ssize_t result;
};

static void aio_done(void *arg, ssize_t result)
{
	struct aio_res *r = arg;

	pthread_mutex_lock(&r->lock);
	r->calls++;
	r->result = result;
	pthread_mutex_unlock(&r->lock);
}

static unsigned q_refs(const struct tbuf *b)
{
	return b->q ? __atomic_load_n(&b->q->refcount, __ATOMIC_ACQUIRE) : 1;
}

/* ---- round trips: every type, both opens, every share -------------------- */

struct share_ctx {
	struct smbiov_client *c;
	const char *share;
	bool plain;
};

static void roundtrip(struct share_ctx *sx, enum kind k, int mode)
{
	struct smbiov_client *c = sx->c;
	uint64_t off = (k + mode) % 2 ? (1 << 20) - 3 : 4097;
	uint32_t seed = 0xD1000u + (uint32_t)k * 16 + (uint32_t)mode;
	size_t chunk_w = smb_max_chunk(c, true),
	       chunk_r = smb_max_chunk(c, false);
	struct smbiov_stats s0, s1;
	struct smbiov_iter it, save;
	struct smbiov_file *f;
	struct tbuf b;
	char name[96];
	ssize_t n;

	snprintf(name, sizeof(name), "direct_%s_%d.bin", kname[k], mode);
	/* Several pieces, whatever the negotiated sizes. */
	T_ASSERT(BIG_LEN > 2 * chunk_w && BIG_LEN > 2 * chunk_r);
	tb_new(&b, k, BIG_LEN + BIG_EXTRA, (int64_t)off);
	T_ASSERT(open_mode(c, name, O_RDWR | O_CREAT | O_TRUNC, mode, &f) == 0);

	/* Write 5 MiB + odd at an unaligned offset. */
	tb_fill(&b, SENT);
	tb_load(&b, seed, off, BIG_LEN);
	tb_iter(&b, SMBIOV_ITER_SOURCE, BIG_LEN, &it, NULL);
	fc_stats(c, &s0);
	n = smbiov_write_iter(f, &it, off);
	fc_stats(c, &s1);
	T_EXPECT_EQ(n, BIG_LEN);
	T_EXPECT_EQ(smbiov_iter_count(&it), 0);
	T_EXPECT(s1.requests - s0.requests >= div_up(BIG_LEN, chunk_w));
	T_EXPECT_EQ(s1.payload_sent - s0.payload_sent, BIG_LEN);
	if (sx->plain)
		T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT(tb_check(&b, seed, off, BIG_LEN, "source after write"));
	disk_check(sx->share, name, off, BIG_LEN, seed);

	/* Read it back, asking 2 MiB past EOF: exact, nothing lands past. */
	tb_fill(&b, SENT);
	tb_iter(&b, SMBIOV_ITER_DEST, BIG_LEN + BIG_EXTRA, &it, NULL);
	fc_stats(c, &s0);
	n = smbiov_read_iter(f, &it, off);
	fc_stats(c, &s1);
	T_EXPECT_EQ(n, BIG_LEN);
	T_EXPECT_EQ(smbiov_iter_count(&it), BIG_EXTRA);
	T_EXPECT(s1.requests - s0.requests >= div_up(BIG_LEN, chunk_r));
	T_EXPECT_EQ(s1.payload_received - s0.payload_received, BIG_LEN);
	if (sx->plain)
		T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT(tb_check(&b, seed, off, BIG_LEN, "read to EOF"));

	/* A read inside the file from an odd offset, across pieces. */
	tb_fill(&b, SENT);
	tb_iter(&b, SMBIOV_ITER_DEST, 3 * MiB + 1, &it, NULL);
	n = smbiov_read_iter(f, &it, off + 12345);
	T_EXPECT_EQ(n, 3 * MiB + 1);
	T_EXPECT_EQ(smbiov_iter_count(&it), 0);
	T_EXPECT(tb_check(&b, seed, off + 12345, 3 * MiB + 1, "inner read"));

	/* Short read at EOF: the 7 bytes there, nothing after them. */
	tb_fill(&b, SENT);
	tb_iter(&b, SMBIOV_ITER_DEST, 1000, &it, NULL);
	n = smbiov_read_iter(f, &it, off + BIG_LEN - 7);
	T_EXPECT_EQ(n, 7);
	T_EXPECT_EQ(smbiov_iter_count(&it), 993);
	T_EXPECT(tb_check(&b, seed, off + BIG_LEN - 7, 7, "short read"));

	/* At and past EOF: 0, the iterator and its memory unchanged. */
	tb_fill(&b, SENT);
	tb_iter(&b, SMBIOV_ITER_DEST, 1000, &it, NULL);
	save = it;
	T_EXPECT_EQ(smbiov_read_iter(f, &it, off + BIG_LEN), 0);
	T_EXPECT(it_same(&it, &save));
	T_EXPECT_EQ(smbiov_read_iter(f, &it, off + BIG_LEN + 12345), 0);
	T_EXPECT(it_same(&it, &save));
	T_EXPECT_EQ(smbiov_read_iter(f, &it, (uint64_t)1 << 40), 0);
	T_EXPECT(it_same(&it, &save));

	/* 0 bytes, in the file and past its end: nothing sent. */
	fc_stats(c, &s0);
	tb_iter(&b, SMBIOV_ITER_DEST, 0, &it, NULL);
	save = it;
	T_EXPECT_EQ(smbiov_read_iter(f, &it, off), 0);
	T_EXPECT(it_same(&it, &save));
	T_EXPECT_EQ(smbiov_read_iter(f, &it, off + BIG_LEN + 99999), 0);
	T_EXPECT(it_same(&it, &save));
	tb_iter(&b, SMBIOV_ITER_SOURCE, 0, &it, NULL);
	save = it;
	T_EXPECT_EQ(smbiov_write_iter(f, &it, off + 3), 0);
	T_EXPECT(it_same(&it, &save));
	T_EXPECT_EQ(smbiov_write_iter(f, &it, off + BIG_LEN + 99999), 0);
	T_EXPECT(it_same(&it, &save));
	fc_stats(c, &s1);
	T_EXPECT_EQ(s1.requests - s0.requests, 0);
	T_EXPECT_EQ(s1.messages - s0.messages, 0);
	T_EXPECT(tb_check(&b, seed, 0, 0, "after EOF and 0-byte calls"));

	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	/* Neither the 0-byte writes nor anything else changed the file. */
	disk_check(sx->share, name, off, BIG_LEN, seed);
	tb_free(&b);
}

static void roundtrips_on(struct smbiov_client *c, const char *share,
			  enum fc_kind kind, void *arg)
{
	struct smbiov_conn_info ci;
	struct share_ctx sx = {c, share, false};

	(void)arg;
	smbiov_get_info(c, &ci);
	sx.plain = kind == FC_PLAIN && !ci.signing && !ci.encrypted;
	for (int k = 0; k < K_NR; k++) {
		/* Both opens everywhere would double the sealed time. */
		for (int mode = 0; mode < 2; mode++) {
			int before = t_failures;

			if (kind != FC_PLAIN && mode != k % 2)
				continue;
			roundtrip(&sx, (enum kind)k, mode);
			fprintf(stderr, "  %-6s %-13s %s\n", kname[k],
				mname[mode],
				t_failures == before ? "ok" : "FAILED");
		}
	}
}

static void test_roundtrips(void)
{
	fc_for_each_share(roundtrips_on, NULL);
}

/* ---- errors: access the handle lacks ------------------------------------- */

static bool access_err(ssize_t n)
{
	return n == -EACCES || n == -EBADF || n == -EPERM;
}

static void access_case(struct smbiov_client *c, enum kind k, int mode)
{
	const char *name = "direct_access.bin";
	const size_t flen = 3 * MiB + 5, len = smb_max_chunk(c, true) + 70001;
	const uint32_t fseed = 0xACCE55u, seed = 0xBAD0u + (uint32_t)k;
	struct aio_res res = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
	struct smbiov_iter it, save;
	struct smbiov_file *f;
	struct tbuf b;
	void *arr;
	ssize_t n;
	int ret;

	make_file(c, name, flen, fseed);
	tb_new(&b, k, len, 4097);

	/* Writes on a read-only handle: fail, no pin, file unchanged. */
	T_ASSERT(open_mode(c, name, O_RDONLY, mode, &f) == 0);
	tb_fill(&b, SENT);
	tb_load(&b, seed, 4097, len);
	tb_iter(&b, SMBIOV_ITER_SOURCE, len, &it, NULL);
	save = it;
	n = smbiov_write_iter(f, &it, 4097);
	if (!access_err(n))
		fprintf(stderr, "%s write on O_RDONLY: %zd\n", kname[k], n);
	T_EXPECT(access_err(n));
	T_EXPECT(it_same(&it, &save));
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);

	tb_iter(&b, SMBIOV_ITER_SOURCE, len, &it, &arr);
	ret = smbiov_aio_write(f, &it, 4097, aio_done, &res);
	free(arr);
	T_EXPECT(ret == 0 || access_err(ret));
	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	T_EXPECT_EQ(res.calls, ret == 0 ? 1 : 0);
	if (ret == 0)
		T_EXPECT(access_err(res.result));
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(q_refs(&b), 1);
	T_EXPECT(tb_check(&b, seed, 4097, len, "source of a failed write"));
	T_EXPECT_EQ(smbiov_close(f), 0);
	disk_check(share_pub, name, 0, flen, fseed);

	/* Reads on a write-only handle: fail, memory untouched, no pin. */
	T_ASSERT(open_mode(c, name, O_WRONLY, mode, &f) == 0);
	tb_fill(&b, SENT);
	tb_iter(&b, SMBIOV_ITER_DEST, len, &it, NULL);
	save = it;
	n = smbiov_read_iter(f, &it, 4097);
	if (!access_err(n))
		fprintf(stderr, "%s read on O_WRONLY: %zd\n", kname[k], n);
	T_EXPECT(access_err(n));
	T_EXPECT(it_same(&it, &save));
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);

	res.calls = 0;
	tb_iter(&b, SMBIOV_ITER_DEST, len, &it, &arr);
	ret = smbiov_aio_read(f, &it, 4097, aio_done, &res);
	free(arr);
	T_EXPECT(ret == 0 || access_err(ret));
	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	T_EXPECT_EQ(res.calls, ret == 0 ? 1 : 0);
	if (ret == 0)
		T_EXPECT(access_err(res.result));
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(q_refs(&b), 1);
	T_EXPECT(tb_check(&b, 0, 0, 0, "destination of a failed read"));
	T_EXPECT_EQ(smbiov_close(f), 0);
	tb_free(&b);
}

static void test_access_errors(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL);

	T_ASSERT(c);
	for (int k = 0; k < K_NR; k++)
		for (int mode = 0; mode < 2; mode++)
			access_case(c, (enum kind)k, mode);
	smbiov_disconnect(c);
}

/* ---- errors: caller memory that is not there ----------------------------- */

enum fault_op {
	F_WRITE_UBUF,  /* pwrite from a PROT_NONE mapping */
	F_READ_UBUF,   /* pread into it */
	F_WRITE_IOVEC, /* a segment in an unmapped hole */
	F_READ_IOVEC,
	F_AIO_WRITE_UBUF,
	F_AIO_READ_IOVEC,
	F_NR
};
static const char *const fault_name[F_NR] = {
	"pwrite PROT_NONE", "pread PROT_NONE",	   "write IOVEC hole",
	"read IOVEC hole",  "aio write PROT_NONE", "aio read IOVEC hole"};

/*
 * A client whose connection died: asynchronous reads and writes of every
 * pinning type fail (at submit or in done(), once), synchronous ones
 * fail, and no pin stays behind.
 */
static void dead_client(struct smbiov_client *c, struct smbiov_file *f)
{
	for (int k = K_UBUF; k <= K_KVEC; k++) {
		for (int write = 0; write < 2; write++) {
			struct aio_res res = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
			struct smbiov_iter it;
			struct tbuf b;
			void *arr;
			ssize_t n;
			int ret;

			tb_new(&b, (enum kind)k, 3 * MiB + 7, 5);
			tb_fill(&b, SENT);
			tb_iter(&b,
				write ? SMBIOV_ITER_SOURCE : SMBIOV_ITER_DEST,
				b.cap, &it, &arr);
			ret = write ? smbiov_aio_write(f, &it, 5, aio_done,
						       &res)
				    : smbiov_aio_read(f, &it, 5, aio_done,
						      &res);
			free(arr);
			smbiov_aio_wait(c);
			T_EXPECT_EQ(res.calls, ret ? 0 : 1);
			T_EXPECT(ret < 0 || res.result < 0);
			T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
			tb_iter(&b,
				write ? SMBIOV_ITER_SOURCE : SMBIOV_ITER_DEST,
				b.cap, &it, NULL);
			n = write ? smbiov_write_iter(f, &it, 5)
				  : smbiov_read_iter(f, &it, 5);
			T_EXPECT(n < 0);
			T_EXPECT_EQ(smbiov_iter_count(&it), b.cap);
			T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
			T_EXPECT(tb_check(&b, 0, 0, 0, "I/O on a dead client"));
			tb_free(&b);
		}
	}
}

/*
 * A write from a PROT_NONE mapping on the signed and the sealed share, in
 * a child process (it may die): -EFAULT expected .
 */
static void efault_protected(void)
{
	const char *shares[2][2] = {
		{fc_env("SMB_ENC_SHARE"), NULL},
		{fc_env("SMB_SIGNED_SHARE"), fc_env("SMB_SIGNED_PORT")}};

	for (int k = 0; k < 2; k++) {
		pid_t pid;
		int st = 0;

		if (!shares[k][0] ||
		    (shares[k][1] && !strcmp(shares[k][1], "0")))
			continue;
		fflush(NULL);
		pid = fork();
		T_ASSERT(pid >= 0);
		if (pid == 0) {
			struct smbiov_client *c =
				fc_connect(shares[k][0], shares[k][1]);
			uint8_t *none =
				mmap(NULL, 3 * PAGE, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			struct smbiov_file *f;
			ssize_t n;

			if (!c || none == MAP_FAILED ||
			    smbiov_open(c, "direct_fault.bin", O_RDWR | O_CREAT,
					&f))
				_exit(2);
			n = smbiov_pwrite(f, none + 17, 2 * PAGE, 17);
			_exit(n == -EFAULT && smbiov_pins_outstanding() == 0
				      ? 0
				      : 3);
		}
		T_ASSERT(waitpid(pid, &st, 0) == pid);
		fprintf(stderr, "  %-20s -> %s %d\n", shares[k][0],
			WIFSIGNALED(st) ? "killed by signal" : "exit",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		T_EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

static void test_efault(void)
{
	const char *name = "direct_fault.bin";
	const size_t flen = 64 * 1024 + 3;
	const uint32_t fseed = 0xFA17u;
	uint8_t *none, *hole, probe[64];
	struct smbiov_client *c = NULL;
	struct smbiov_file *f = NULL;
	struct iovec v[3];
	int op;

	c = fc_connect(share_pub, NULL);
	T_ASSERT(c);
	make_file(c, name, flen, fseed);
	none = mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	hole = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(none != MAP_FAILED && hole != MAP_FAILED);
	T_ASSERT(munmap(hole + PAGE, PAGE) == 0);
	/* good tail of page 0, the hole, good head of page 2 */
	v[0].iov_base = hole + 100;
	v[0].iov_len = PAGE - 100;
	v[1].iov_base = hole + PAGE + 5;
	v[1].iov_len = 1000;
	v[2].iov_base = hole + 2 * PAGE;
	v[2].iov_len = 333;

	for (op = 0; op < F_NR; op++) {
		struct aio_res res = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
		struct smbiov_iter it;
		ssize_t n = 0;
		int ret;

		if (!c)
			c = fc_connect(share_pub, NULL);
		T_ASSERT(c);
		T_ASSERT(smbiov_open(c, name, O_RDWR, &f) == 0);
		switch (op) {
		case F_WRITE_UBUF:
			n = smbiov_pwrite(f, none + 17, 2 * PAGE, 17);
			break;
		case F_READ_UBUF:
			n = smbiov_pread(f, none + 17, 2 * PAGE, 0);
			break;
		case F_WRITE_IOVEC:
			T_ASSERT(smbiov_iter_iovec(
					 &it, SMBIOV_ITER_SOURCE, v, 3,
					 PAGE - 100 + 1000 + 333) == 0);
			n = smbiov_write_iter(f, &it, 5);
			break;
		case F_READ_IOVEC:
			T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, v, 3,
						   PAGE - 100 + 1000 + 333) ==
				 0);
			n = smbiov_read_iter(f, &it, 5);
			break;
		case F_AIO_WRITE_UBUF:
			T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE,
						  none + 17, 2 * PAGE) == 0);
			ret = smbiov_aio_write(f, &it, 17, aio_done, &res);
			smbiov_aio_wait(c);
			n = ret ? ret : res.result;
			T_EXPECT_EQ(res.calls, ret ? 0 : 1);
			break;
		case F_AIO_READ_IOVEC:
			T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, v, 3,
						   PAGE - 100 + 1000 + 333) ==
				 0);
			ret = smbiov_aio_read(f, &it, 5, aio_done, &res);
			smbiov_aio_wait(c);
			n = ret ? ret : res.result;
			T_EXPECT_EQ(res.calls, ret ? 0 : 1);
			break;
		default:
			break;
		}
		if (n != -EFAULT)
			fprintf(stderr, "%s: %zd\n", fault_name[op], n);
		T_EXPECT_EQ(n, -EFAULT);
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
		n = smbiov_pread(f, probe, sizeof(probe), 0);
		fprintf(stderr,
			"  %-20s -> -EFAULT; the client afterwards: %s\n",
			fault_name[op],
			n == (ssize_t)sizeof(probe) ? "works"
						    : smbiov_strerror((int)n));
		/* One bad buffer must not end the connection. */
		T_EXPECT_EQ(n, sizeof(probe));
		if (n == (ssize_t)sizeof(probe)) {
			T_EXPECT_EQ(fc_check(probe, sizeof(probe), fseed, 0),
				    sizeof(probe));
			T_EXPECT_EQ(smbiov_close(f), 0);
		} else {
			dead_client(c, f);
			smbiov_close(f);
			smbiov_disconnect(c);
			c = NULL;
		}
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	}
	if (c)
		smbiov_disconnect(c);
	efault_protected();
	/* No failed write changed the file. */
	disk_check(share_pub, name, 0, flen, fseed);
	munmap(none, 3 * PAGE);
	munmap(hole, PAGE);
	munmap(hole + 2 * PAGE, PAGE);
}

/* ---- asynchronous: everything in flight at once -------------------------- */

/*
 * The receiver thread held between frames: while it waits, nothing else
 * on the connection completes, so what a request holds in flight can be
 * looked at without any timing. A transport in front of the connection's
 * own does it: its recv, called by the receiver for a frame's first bytes
 * (!rx_in_frame) with the hold armed and nothing in flight, waits until
 * the test lets go. Nothing in flight means every answer has been read,
 * whichever thread runs its done().
 *
 * Was a completion that parked the receiver; but a request that completes
 * before its submit returns has done() run on the submitting thread
 * (smbiov.h), and on a loaded machine (CI) that happened a thousand times
 * in a row.
 */
struct rx_hold {
	struct smb_transport t; /* first: the client releases it as its own */
	struct smb_transport *inner;
	struct smbiov_client *c;
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool armed, held, waiting, shut;
};

static struct rx_hold *hold_of(struct smbiov_client *c)
{
	return (struct rx_hold *)c->t;
}

/* Before a frame: held while armed, if nothing is in flight. */
static void hold_point(struct rx_hold *h)
{
	bool idle;

	pthread_mutex_lock(&h->c->lock);
	idle = h->c->credits.in_flight == 0;
	pthread_mutex_unlock(&h->c->lock);
	pthread_mutex_lock(&h->m);
	if (h->armed && idle) {
		h->held = true;
		pthread_cond_broadcast(&h->cv);
		while (h->armed && !h->shut)
			pthread_cond_wait(&h->cv, &h->m);
		h->held = false;
	}
	h->waiting = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->m);
}

static int hold_recv(struct smb_transport *st, struct smbiov_iter *dst)
{
	struct rx_hold *h = (struct rx_hold *)st;
	int ret;

	if (h->c->rx_in_frame) /* the receiver's own flag, on its thread */
		return smb_transport_recv(h->inner, dst);
	hold_point(h);
	ret = smb_transport_recv(h->inner, dst);
	pthread_mutex_lock(&h->m);
	h->waiting = false;
	pthread_mutex_unlock(&h->m);
	return ret;
}

static int hold_send(struct smb_transport *st, const struct iovec *hdr,
		     size_t nhdr, struct smbiov_iter *payload)
{
	return smb_transport_send(((struct rx_hold *)st)->inner, hdr, nhdr,
				  payload);
}

static void hold_shutdown(struct smb_transport *st)
{
	struct rx_hold *h = (struct rx_hold *)st;

	pthread_mutex_lock(&h->m);
	h->shut = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->m);
	smb_transport_shutdown(h->inner);
}

static void hold_release(struct smb_transport *st)
{
	struct rx_hold *h = (struct rx_hold *)st;

	smb_transport_release(h->inner);
	pthread_mutex_destroy(&h->m);
	pthread_cond_destroy(&h->cv);
	free(h);
}

/* No fd ops: the connection then copies for fd I/O (none here). */
static const struct smb_transport_ops hold_ops = {
	.send = hold_send,
	.recv = hold_recv,
	.shutdown = hold_shutdown,
	.release = hold_release,
};

/*
 * Put the hold in front of @c's transport, before any I/O: the receiver
 * may be waiting in the inner recv already (its next call comes here).
 */
static void hold_install(struct smbiov_client *c)
{
	struct rx_hold *h = calloc(1, sizeof(*h));

	T_ASSERT(h);
	pthread_mutex_init(&h->m, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->t.ops = &hold_ops;
	h->t.timeout_ms = c->t->timeout_ms;
	h->inner = c->t;
	h->c = c;
	pthread_mutex_lock(&c->send_lock);
	pthread_mutex_lock(&c->lock);
	smb_set_transport(c, &h->t);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&c->send_lock);
}

static void hold_answered(void *arg, ssize_t result)
{
	(void)arg;
	(void)result;
}

static bool hold_failed(const char *what, int ret)
{
	struct smbiov_error e;

	smbiov_last_error(&e);
	fprintf(stderr, "hold: %s: %s (%s)\n", what, smbiov_strerror(ret),
		e.message);
	return false;
}

/*
 * Hold @c's receiver, nothing in flight; false if a read could not be
 * sent. A receiver already waiting for a frame (in the inner recv, not
 * held) is sent a read whose answer ends that wait: it is held before
 * the next frame.
 */
static bool hold_on(struct smbiov_client *c, struct smbiov_file *f)
{
	struct rx_hold *h = hold_of(c);
	bool probed = false;
	uint8_t byte;
	int ret;

	pthread_mutex_lock(&h->m);
	h->armed = true;
	while (!h->held) {
		struct iovec v = {&byte, 1};
		struct smbiov_iter it;

		if (!h->waiting || probed) {
			pthread_cond_wait(&h->cv, &h->m);
			continue;
		}
		pthread_mutex_unlock(&h->m);
		probed = true;
		T_ASSERT(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, &v, 1, 1) ==
			 0);
		ret = smbiov_aio_read(f, &it, 0, hold_answered, NULL);
		if (ret)
			return hold_failed("aio read", ret);
		pthread_mutex_lock(&h->m);
	}
	pthread_mutex_unlock(&h->m);
	/* the read's done() ran before the hold, or on this thread */
	ret = smbiov_aio_wait(c);
	return ret ? hold_failed("aio wait", ret) : true;
}

static void hold_off(struct smbiov_client *c)
{
	struct rx_hold *h = hold_of(c);

	pthread_mutex_lock(&h->m);
	h->armed = false;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->m);
}

static void credits_now(struct smbiov_client *c, uint32_t *avail,
			uint32_t *in_flight)
{
	pthread_mutex_lock(&c->lock);
	*avail = c->credits.avail;
	*in_flight = c->credits.in_flight;
	pthread_mutex_unlock(&c->lock);
}

static void inflight_case(struct smbiov_client *c, struct smbiov_file *f,
			  enum kind k, bool write)
{
	const uint64_t off = write ? (1 << 20) - 3 : 4097;
	const size_t len = BIG_LEN;
	const uint32_t seed = write ? 0x11F0u + (uint32_t)k : 0x5EEDu;
	const char *what = write ? "aio write" : "aio read";
	struct aio_res res = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
	size_t chunk = smb_max_chunk(c, write);
	struct smbiov_stats s0, s1;
	uint32_t avail, in_flight;
	struct smbiov_iter it;
	struct tbuf b;
	void *arr;
	int ret;

	tb_new(&b, k, len, (int64_t)off);
	tb_fill(&b, SENT);
	if (write)
		tb_load(&b, seed, off, len);
	T_ASSERT(hold_on(c, f));
	/* Submit below must not wait for credits: nothing comes back now. */
	credits_now(c, &avail, &in_flight);
	T_EXPECT_EQ(in_flight, 0);
	if (avail < div_up(len, SMB_CREDIT_BYTES) + 8) {
		fprintf(stderr, "only %u credits: case skipped\n", avail);
		T_EXPECT(0);
		hold_off(c);
		smbiov_aio_wait(c);
		tb_free(&b);
		return;
	}

	fc_stats(c, &s0);
	tb_iter(&b, write ? SMBIOV_ITER_SOURCE : SMBIOV_ITER_DEST, len, &it,
		&arr);
	if (write)
		ret = smbiov_aio_write(f, &it, off, aio_done, &res);
	else
		ret = smbiov_aio_read(f, &it, off, aio_done, &res);
	T_EXPECT_EQ(ret, 0);
	/* The caller's segment array and iterator are its own again. */
	if (arr) {
		memset(arr, 0xFF,
		       k == K_BVEC ? b.nbv * sizeof(*b.bv)
				   : b.nvec * sizeof(*b.vec));
		free(arr);
	}
	memset(&it, 0xFF, sizeof(it));

	/* In flight: every piece sent, none completed. */
	fc_stats(c, &s1);
	credits_now(c, &avail, &in_flight);
	pthread_mutex_lock(&res.lock);
	T_EXPECT_EQ(res.calls, 0);
	pthread_mutex_unlock(&res.lock);
	T_EXPECT(s1.requests - s0.requests >= div_up(len, chunk));
	T_EXPECT(s1.requests - s0.requests >= 3);
	T_EXPECT(in_flight >= div_up(len, SMB_CREDIT_BYTES));
	T_EXPECT(s1.max_credits_in_flight >= div_up(len, SMB_CREDIT_BYTES));
	if (k == K_UBUF || k == K_IOVEC) {
		const struct span *first = &b.sp[0], *last = &b.sp[b.nsp - 1];

		T_EXPECT_EQ(smbiov_pins_outstanding(), tb_pages(&b, len));
		T_EXPECT(smbiov_pin_count(b.reg[first->reg].p + first->off) >=
			 1);
		T_EXPECT(smbiov_pin_count(b.reg[last->reg].p + last->off +
					  last->len - 1) >= 1);
	} else {
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	}
	if (k == K_BVECQ)
		T_EXPECT_EQ(q_refs(&b), 2);
	fprintf(stderr,
		"  %-6s %s: %llu requests, %u credits in flight, %zu pins "
		"while held\n",
		kname[k], what, (unsigned long long)(s1.requests - s0.requests),
		in_flight, smbiov_pins_outstanding());

	hold_off(c);
	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	T_EXPECT_EQ(res.calls, 1);
	T_EXPECT_EQ(res.result, (ssize_t)len);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(q_refs(&b), 1);
	fc_stats(c, &s1);
	T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
	if (write) {
		T_EXPECT(tb_check(&b, seed, off, len, what));
		disk_check(share_pub, "direct_aio_w.bin", off, len, seed);
	} else {
		T_EXPECT(tb_check(&b, seed, off, len, what));
	}
	tb_free(&b);
}

/* 0 bytes asynchronously: done() once with 0, nothing sent, no pins. */
static void aio_zero(struct smbiov_client *c, struct smbiov_file *f,
		     enum kind k, bool write)
{
	struct aio_res res = {PTHREAD_MUTEX_INITIALIZER, 0, -1};
	struct smbiov_stats s0, s1;
	struct smbiov_iter it;
	struct tbuf b;
	void *arr;
	int ret;

	tb_new(&b, k, 5000, 4097);
	tb_fill(&b, SENT);
	tb_iter(&b, write ? SMBIOV_ITER_SOURCE : SMBIOV_ITER_DEST, 0, &it,
		&arr);
	fc_stats(c, &s0);
	if (write)
		ret = smbiov_aio_write(f, &it, 4097, aio_done, &res);
	else
		ret = smbiov_aio_read(f, &it, 4097, aio_done, &res);
	free(arr);
	T_EXPECT_EQ(ret, 0);
	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	fc_stats(c, &s1);
	T_EXPECT_EQ(res.calls, 1);
	T_EXPECT_EQ(res.result, 0);
	T_EXPECT_EQ(s1.requests - s0.requests, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(q_refs(&b), 1);
	T_EXPECT(tb_check(&b, 0, 0, 0, "0-byte aio"));
	tb_free(&b);
}

static void test_inflight(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL);
	struct smbiov_conn_info ci;
	struct smbiov_file *r, *w;
	uint8_t *src = malloc(BIG_LEN);

	T_ASSERT(c && src);
	hold_install(c);
	smbiov_get_info(c, &ci);
	T_ASSERT(!ci.signing && !ci.encrypted);
	/* The file the reads read; writing it grows the credit window. */
	fc_fill(src, BIG_LEN, 0x5EEDu, 4097);
	T_ASSERT(smbiov_open_ex(
			 c, "direct_aio_r.bin", O_RDWR | O_CREAT | O_TRUNC,
			 &(struct smbiov_open_opts){.cache = SMBIOV_CACHE_NONE},
			 &r) == 0);
	T_EXPECT_EQ(smbiov_pwrite(r, src, BIG_LEN, 4097), BIG_LEN);
	T_EXPECT_EQ(smbiov_pread(r, src, BIG_LEN, 4097), BIG_LEN);
	free(src);
	T_ASSERT(smbiov_open(c, "direct_aio_w.bin", O_RDWR | O_CREAT | O_TRUNC,
			     &w) == 0);
	for (int k = 0; k < K_NR; k++) {
		inflight_case(c, r, (enum kind)k, false);
		inflight_case(c, w, (enum kind)k, true);
		aio_zero(c, r, (enum kind)k, false);
		aio_zero(c, w, (enum kind)k, true);
	}
	T_EXPECT_EQ(smbiov_close(r), 0);
	T_EXPECT_EQ(smbiov_close(w), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	smbiov_disconnect(c);
}

/* ---- piece boundaries at segment edges ----------------------------------- */

static uint32_t credit_window(struct smbiov_client *c)
{
	uint32_t avail, in_flight;

	credits_now(c, &avail, &in_flight);
	return avail + in_flight;
}

/*
 * KVEC and IOVEC whose segments end exactly at piece boundaries (then
 * empty segments), one byte before and one byte after them: the pieces are
 * views of the caller's array that begin and end at every kind of edge.
 * Pieces are whole chunks once the credit window allows two of them.
 */
static void test_piece_edges(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL);
	size_t chunk, sizes[10];
	struct smbiov_file *f;
	uint8_t *warm;
	int k, tries;

	T_ASSERT(c);
	chunk = smb_max_chunk(c, true);
	T_ASSERT(chunk == smb_max_chunk(c, false));
	T_ASSERT(chunk % SMB_CREDIT_BYTES == 0);
	sizes[0] = chunk, sizes[1] = 0, sizes[2] = 0;
	sizes[3] = chunk - 1, sizes[4] = 1, sizes[5] = 0;
	sizes[6] = chunk + 1, sizes[7] = 0, sizes[8] = 4097, sizes[9] = 0;
	T_ASSERT(smbiov_open_ex(
			 c, "direct_edges.bin", O_RDWR | O_CREAT | O_TRUNC,
			 &(struct smbiov_open_opts){.cache = SMBIOV_CACHE_NONE},
			 &f) == 0);
	warm = calloc(1, BIG_LEN);
	T_ASSERT(warm);
	for (tries = 0;
	     tries < 20 && credit_window(c) < 2 * chunk / SMB_CREDIT_BYTES;
	     tries++)
		T_EXPECT_EQ(smbiov_pread(f, warm, BIG_LEN, 0), 0);
	free(warm);
	T_EXPECT(credit_window(c) >= 2 * chunk / SMB_CREDIT_BYTES);

	for (k = K_IOVEC; k <= K_KVEC; k++) {
		const uint64_t off = (1 << 20) - 3;
		const uint32_t seed = 0xED6E0u + (uint32_t)k;
		struct aio_res res = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
		size_t cap = 3 * chunk + 4097;
		struct smbiov_stats s0, s1;
		struct smbiov_iter it;
		struct tbuf b;
		void *arr;
		ssize_t n;

		tb_new_vec(&b, (enum kind)k, sizes, 10, cap + 5000);
		tb_fill(&b, SENT);
		tb_load(&b, seed, off, cap);
		tb_iter(&b, SMBIOV_ITER_SOURCE, cap, &it, NULL);
		fc_stats(c, &s0);
		n = smbiov_write_iter(f, &it, off);
		fc_stats(c, &s1);
		T_EXPECT_EQ(n, cap);
		T_EXPECT_EQ(smbiov_iter_count(&it), 0);
		/* Whole chunks: one piece per chunk, the 4097 bytes one more.
		 */
		T_EXPECT_EQ(s1.requests - s0.requests, 4);
		T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
		disk_check(share_pub, "direct_edges.bin", off, cap, seed);

		/* Synchronous read back, 5000 bytes asked past EOF. */
		tb_fill(&b, SENT);
		tb_iter(&b, SMBIOV_ITER_DEST, cap + 5000, &it, NULL);
		n = smbiov_read_iter(f, &it, off);
		T_EXPECT_EQ(n, cap);
		T_EXPECT_EQ(smbiov_iter_count(&it), 5000);
		T_EXPECT(tb_check(&b, seed, off, cap, "edges read"));

		/* Asynchronous, the array freed at once. */
		tb_fill(&b, SENT);
		tb_iter(&b, SMBIOV_ITER_DEST, cap + 5000, &it, &arr);
		T_EXPECT_EQ(smbiov_aio_read(f, &it, off, aio_done, &res), 0);
		memset(arr, 0xFF, b.nvec * sizeof(*b.vec));
		free(arr);
		T_EXPECT_EQ(smbiov_aio_wait(c), 0);
		T_EXPECT_EQ(res.calls, 1);
		T_EXPECT_EQ(res.result, cap);
		T_EXPECT(tb_check(&b, seed, off, cap, "edges aio read"));
		T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
		tb_free(&b);
	}
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share_pub = fc_env("SMB_SHARE");
	T_RUN(test_roundtrips);
	T_RUN(test_access_errors);
	T_RUN(test_inflight);
	T_RUN(test_piece_edges);
	T_RUN(test_efault);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
