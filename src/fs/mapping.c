// SPDX-License-Identifier: MIT
/*
 * One open file's page cache: the folio index, buffered reads with
 * readahead, buffered writes, and what a lease break asks for (cache.h
 * has the locking rules; write-back is writeback.c's).
 *
 * A read takes its range a batch at a time: under the mapping's lock it
 * takes a reference on every folio the batch touches, creating the
 * missing ones locked (as much as the budget allows; what it does not
 * allow is a gap, read straight into the caller's iterator), then sends
 * one asynchronous READ per run of new folios through an XARRAY iterator
 * (the engine lands the bytes from the socket in the folios), then copies
 * folio by folio into the caller's iterator, sleeping on a folio that is
 * still locked rather than reading it a second time. A READ's completion
 * marks its folios uptodate and unlocks them; one that failed, or came
 * back short below the end of the file, unlocks them without, and a
 * reader that finds such a folio reads it again synchronously, so the
 * error it reports is that read's own.
 *
 * A write under FS_CAN_WRITE copies into folios (reading a folio first
 * only when the write covers part of it and it holds file data) and marks
 * them dirty; writeback.c sends them to the server.
 */
#include "fs/cache.h"
#include "fs/mapping.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PS	 SMBIOV_PAGE_SHIFT
#define FS_SPANS 64
#define RA_MIN	 ((size_t)256 << 10)
#define IO_BATCH ((size_t)8 << 20)
/*
 * READs of the page cache carry at most 1 MiB, and folios are at most
 * that large: Samba answered four 2 MiB READs in flight at a fifth of the
 * speed of eight 1 MiB ones, returning and re-faulting its buffers
 * between bursts (bench/RESULTS.md, 2026-12-06, cache).
 */
#define FS_ORDER_MAX 8
#define FS_RUN_PAGES ((uint64_t)1 << FS_ORDER_MAX)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int fs_mapping_init(struct fs_mapping *m, struct fs_budget *b,
		    const struct fs_backend *be, void *ctx,
		    const struct fs_mapping_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->xa = smbiov_xarray_new();
	if (!m->xa)
		return -ENOMEM;
	if (pthread_mutex_init(&m->lock, NULL)) {
		smbiov_xarray_free(m->xa);
		return -ENOMEM;
	}
	if (pthread_cond_init(&m->cv, NULL)) {
		pthread_mutex_destroy(&m->lock);
		smbiov_xarray_free(m->xa);
		return -ENOMEM;
	}
	m->b = b;
	m->be = be;
	m->ctx = ctx;
	m->size = o->size;
	m->caps = o->caps;
	m->loose = o->loose;
	m->ttl_ns = o->ttl_ns;
	m->valid_until = o->loose ? now_ns() + o->ttl_ns : 0;
	m->ra_max = o->ra_max ? o->ra_max : IO_BATCH;
	m->ra_min = RA_MIN < m->ra_max ? RA_MIN : m->ra_max;
	m->io_max = o->io_max ? o->io_max : IO_BATCH;
	return 0;
}

void fs_mapping_erase_locked(struct fs_mapping *m, struct smbiov_folio *f)
{
	size_t sz = smbiov_folio_size(f);

	if (smbiov_xarray_erase(m->xa, f->index) != f)
		return;
	fs_node_del(m->b, f);
	fs_budget_uncharge(m->b, sz);
	if (smbiov_folio_test(f, SMBIOV_FOLIO_DIRTY))
		m->b->dirty -= sz;
	smbiov_folio_put(f);
}

size_t fs_mapping_destroy(struct fs_mapping *m)
{
	struct smbiov_folio *f;
	size_t dropped = 0;

	pthread_mutex_lock(&m->lock);
	while (m->inflight)
		pthread_cond_wait(&m->cv, &m->lock);
	while ((f = smbiov_xarray_find(m->xa, 0, UINT64_MAX))) {
		if (smbiov_folio_test(f, SMBIOV_FOLIO_DIRTY))
			dropped += smbiov_folio_size(f);
		fs_mapping_erase_locked(m, f);
	}
	pthread_mutex_unlock(&m->lock);
	smbiov_xarray_free(m->xa);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->lock);
	return dropped;
}

/* ---- finding and creating folios ----------------------------------------- */

/*
 * A stretch of a batch: one folio (with a reference; @fresh: created
 * here, locked, not yet read) or a gap of @npages without one.
 */
struct fs_span {
	uint64_t index, npages;
	struct smbiov_folio *f;
	bool fresh;
};

/* The largest order that is aligned at @index and ends by @last. */
static unsigned fit_order(uint64_t index, uint64_t last, size_t budget)
{
	unsigned o = FS_ORDER_MAX;

	while (o && ((index & (((uint64_t)1 << o) - 1)) ||
		     index + ((uint64_t)1 << o) - 1 > last ||
		     (SMBIOV_PAGE_SIZE << o) > budget))
		o--;
	return o;
}

/* A new locked folio at @index, at most @order, in the index; or NULL. */
static struct smbiov_folio *create_folio(struct fs_mapping *m, uint64_t index,
					 unsigned order)
{
	for (;;) {
		struct smbiov_folio *f = smbiov_folio_alloc(order);
		int ret;

		if (!f)
			return NULL;
		f->index = index;
		smbiov_folio_set(f, SMBIOV_FOLIO_LOCKED);
		ret = smbiov_xarray_insert(m->xa, f);
		if (ret == 0 && fs_node_add(m->b, m, f)) {
			smbiov_xarray_erase(m->xa, index);
			smbiov_folio_put(f);
			ret = -ENOMEM;
		}
		if (ret == 0)
			return f; /* the caller's reference is the alloc's */
		smbiov_folio_put(f);
		/* A smaller folio inside: try smaller (order 0 cannot clash).
		 */
		if (ret != -EEXIST || order == 0)
			return NULL;
		order--;
	}
}

/*
 * Under m->lock: spans for pages [*@index, @last], creating folios from
 * *@budget bytes when @create. Stops after @max spans; *@index is where
 * the next call goes on. Every folio span holds a reference.
 */
static size_t grab_spans(struct fs_mapping *m, uint64_t *index, uint64_t last,
			 size_t *budget, bool create, struct fs_span *sp,
			 size_t max)
{
	size_t n = 0;

	while (*index <= last && n < max) {
		struct smbiov_folio *f = smbiov_xarray_load(m->xa, *index);
		struct fs_span *s = &sp[n++];

		memset(s, 0, sizeof(*s));
		if (!f && create && *budget >= SMBIOV_PAGE_SIZE) {
			f = create_folio(m, *index,
					 fit_order(*index, last, *budget));
			if (f) {
				s->fresh = true;
				*budget -= smbiov_folio_size(f);
			}
		} else if (f) {
			smbiov_folio_get(f);
		}
		if (f) {
			s->f = f;
			s->index = f->index;
			s->npages = smbiov_folio_nr_pages(f);
		} else {
			struct smbiov_folio *next =
				smbiov_xarray_find(m->xa, *index, last);

			s->index = *index;
			s->npages = (next ? next->index : last + 1) - *index;
			/* A gap with budget left was an allocation failure. */
			if (create && *budget >= SMBIOV_PAGE_SIZE)
				s->npages = 1;
		}
		*index = s->index + s->npages;
	}
	return n;
}

static void put_spans(struct fs_span *sp, size_t n)
{
	for (size_t k = 0; k < n; k++)
		smbiov_folio_put(sp[k].f);
}

/* ---- reading --------------------------------------------------------------
 */

struct fs_run {
	struct fs_mapping *m;
	uint64_t start; /* first byte read */
	size_t len;	/* bytes asked */
	uint64_t end;	/* end of the last folio of the run */
	unsigned gen;
	struct smbiov_iter it;
};

/*
 * Under m->lock: a READ found the server's file ending at @end, below the
 * size this open knows. Under W that is a hole our dirty data (not yet
 * written back) lies beyond: the size stays, the hole reads as zeros.
 * Otherwise the file is shorter than we thought.
 */
static void shrink_locked(struct fs_mapping *m, uint64_t end)
{
	if (!(m->caps & FS_CAN_WRITE) && m->size > end)
		m->size = end;
}

/* Under m->lock: drop the idle folios of [start, end) (invalidated). */
static void drop_range_locked(struct fs_mapping *m, uint64_t start,
			      uint64_t end)
{
	uint64_t i = start >> PS, last = (end - 1) >> PS;
	struct smbiov_folio *f;

	while (i <= last && (f = smbiov_xarray_find(m->xa, i, last))) {
		i = f->index + smbiov_folio_nr_pages(f);
		if (!(f->flags & (SMBIOV_FOLIO_LOCKED | SMBIOV_FOLIO_DIRTY |
				  SMBIOV_FOLIO_WRITEBACK)))
			fs_mapping_erase_locked(m, f);
	}
}

static void run_read_done(void *arg, ssize_t res)
{
	struct fs_run *r = arg;
	struct fs_mapping *m = r->m;
	uint64_t good;

	pthread_mutex_lock(&m->lock);
	if (res >= 0 && (size_t)res < r->len &&
	    r->start + (uint64_t)res < m->size && res > 0) {
		/* Short below the end: keep what fully arrived. */
		struct smbiov_folio *f =
			smbiov_xarray_load(m->xa, (r->start + res) >> PS);

		good = f ? fs_folio_start(f) : r->start;
		if (good > r->start)
			smbiov_folios_read_done(m->xa, (int64_t)r->start,
						good - r->start, 0);
		smbiov_folios_unlock(m->xa, (int64_t)good, r->end - good);
	} else if (res >= 0) {
		/* Whole, or the file ends early: the rest are zeros. */
		if ((size_t)res < r->len)
			shrink_locked(m, r->start + (uint64_t)res);
		smbiov_folios_read_done(m->xa, (int64_t)r->start,
					r->end - r->start, 0);
		m->b->misses += (uint64_t)res;
	} else {
		/* The reader who wants it reads it again and sees why. */
		smbiov_folios_unlock(m->xa, (int64_t)r->start,
				     r->end - r->start);
	}
	if (m->gen != r->gen)
		drop_range_locked(m, r->start, r->end);
	if (--m->inflight == 0)
		pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->lock);
	free(r);
}

/*
 * Send one READ for the run of fresh folios [s0, s1) of @sp. Folios at or
 * past the end of the file are zeros: uptodate at once.
 */
static void read_run(struct fs_mapping *m, struct fs_span *sp, size_t s0,
		     size_t s1, unsigned gen)
{
	uint64_t start = sp[s0].index << PS;
	uint64_t end = (sp[s1 - 1].index + sp[s1 - 1].npages) << PS;
	struct fs_run *r;
	uint64_t size;
	int ret;

	pthread_mutex_lock(&m->lock);
	size = m->size;
	if (start >= size) {
		smbiov_folios_read_done(m->xa, (int64_t)start, end - start, 0);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		smbiov_folios_unlock(m->xa, (int64_t)start, end - start);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	m->inflight++;
	pthread_mutex_unlock(&m->lock);
	r->m = m;
	r->start = start;
	r->end = end;
	r->len = (size_t)(fs_umin(end, size) - start);
	r->gen = gen;
	ret = smbiov_iter_xarray(&r->it, SMBIOV_ITER_DEST, m->xa,
				 (int64_t)start, r->len);
	if (!ret)
		ret = m->be->read_async(m->ctx, &r->it, start, run_read_done,
					r);
	if (ret)
		run_read_done(r, ret);
}

/* Send READs for every run of fresh folios in @sp. */
static void read_fresh(struct fs_mapping *m, struct fs_span *sp, size_t n,
		       unsigned gen)
{
	size_t k = 0;

	while (k < n) {
		size_t j;

		if (!sp[k].fresh) {
			k++;
			continue;
		}
		/* one READ per run of at most FS_RUN_PAGES */
		for (j = k + 1;
		     j < n && sp[j].fresh &&
		     sp[j].index == sp[j - 1].index + sp[j - 1].npages &&
		     sp[j].index + sp[j].npages - sp[k].index <= FS_RUN_PAGES;
		     j++)
			;
		read_run(m, sp, k, j, gen);
		k = j;
	}
}

/*
 * Make @f uptodate by reading it here (it is not: its READ failed, came
 * back short, or it was never sent). Returns 0 or the read's error.
 */
static int fill_sync(struct fs_mapping *m, struct smbiov_folio *f)
{
	struct smbiov_iter it;
	uint64_t size;
	size_t want;
	ssize_t r;

	smbiov_folio_lock(f);
	if (smbiov_folio_test(f, SMBIOV_FOLIO_UPTODATE)) {
		smbiov_folio_unlock(f);
		return 0;
	}
	size = fs_mapping_size(m);
	want = fs_folio_start(f) < size
		       ? (size_t)fs_umin(fs_folio_end(f) - fs_folio_start(f),
					 size - fs_folio_start(f))
		       : 0;
	r = 0;
	if (want) {
		smbiov_iter_kvec(&it, SMBIOV_ITER_DEST,
				 &(struct iovec){f->addr, want}, 1, want);
		r = m->be->read(m->ctx, &it, fs_folio_start(f));
	}
	if (r < 0) {
		smbiov_folio_unlock(f);
		return (int)r;
	}
	memset((char *)f->addr + r, 0, smbiov_folio_size(f) - (size_t)r);
	if ((size_t)r < want) {
		pthread_mutex_lock(&m->lock);
		shrink_locked(m, fs_folio_start(f) + (uint64_t)r);
		pthread_mutex_unlock(&m->lock);
	}
	m->b->misses += (uint64_t)r;
	smbiov_folio_clear(f, SMBIOV_FOLIO_ERROR);
	smbiov_folio_set(f, SMBIOV_FOLIO_UPTODATE);
	smbiov_folio_unlock(f);
	return 0;
}

/* Charge up to @want bytes, less if that is all there is; the charge. */
static size_t charge_some(struct fs_budget *b, size_t want)
{
	while (want >= SMBIOV_PAGE_SIZE) {
		if (fs_budget_charge(b, want) == 0)
			return want;
		want /= 2;
		want &= ~(SMBIOV_PAGE_SIZE - 1);
	}
	return 0;
}

/* Start reading [start, start + len) ahead; best effort, never waits. */
static void readahead(struct fs_mapping *m, uint64_t start, size_t len)
{
	struct fs_span sp[FS_SPANS];
	uint64_t index = start >> PS, last = (start + len - 1) >> PS;
	size_t budget, n;
	unsigned gen;

	budget = charge_some(m->b, (size_t)(last - index + 1) << PS);
	while (index <= last && budget >= SMBIOV_PAGE_SIZE) {
		pthread_mutex_lock(&m->lock);
		n = grab_spans(m, &index, last, &budget, true, sp, FS_SPANS);
		gen = m->gen;
		pthread_mutex_unlock(&m->lock);
		for (size_t k = 0; k < n; k++)
			if (sp[k].fresh)
				m->b->ra_bytes += sp[k].npages << PS;
		read_fresh(m, sp, n, gen);
		put_spans(sp, n);
	}
	fs_budget_uncharge(m->b, budget);
}

/* Copy the part of folio span @s inside [pos, end) to @dst. */
static ssize_t copy_span(struct fs_mapping *m, struct fs_span *s,
			 struct smbiov_iter *dst, uint64_t pos, uint64_t end)
{
	struct smbiov_folio *f = s->f;
	uint64_t lo, hi;
	size_t n;
	int ret;

	bool hit = !s->fresh;

	smbiov_folio_wait_unlocked(f);
	if (!smbiov_folio_test(f, SMBIOV_FOLIO_UPTODATE)) {
		hit = false;
		ret = fill_sync(m, f);
		if (ret)
			return ret;
	}
	lo = pos > fs_folio_start(f) ? pos : fs_folio_start(f);
	hi = fs_umin(fs_umin(end, fs_folio_end(f)), fs_mapping_size(m));
	if (hi <= lo)
		return 0;
	n = smbiov_copy_to_iter((char *)f->addr + (lo - fs_folio_start(f)),
				(size_t)(hi - lo), dst);
	fs_node_touch(f);
	if (hit)
		m->b->hits += n;
	return n == hi - lo ? (ssize_t)n : -EFAULT;
}

/*
 * Move a gap (no memory to cache it) straight between @it and the server;
 * a write that ends past the known size grows it.
 */
static ssize_t gap_io(struct fs_mapping *m, struct smbiov_iter *it, uint64_t lo,
		      uint64_t hi, bool write)
{
	struct smbiov_iter v = *it;
	ssize_t r;

	smbiov_iter_truncate(&v, (size_t)(hi - lo));
	r = write ? m->be->write(m->ctx, &v, lo) : m->be->read(m->ctx, &v, lo);
	if (r > 0) {
		smbiov_iter_advance(it, (size_t)r);
		if (write)
			fs_mapping_extend(m, lo + (uint64_t)r);
	}
	return r;
}

static ssize_t batch(struct fs_mapping *m, struct smbiov_iter *it, uint64_t pos,
		     size_t len, bool write);

/* May reads be served from the folios now? Under m->lock. */
static bool read_cached(struct fs_mapping *m, bool *expired)
{
	*expired = false;
	if (m->caps & FS_CAN_READ)
		return true;
	if (!m->loose)
		return false;
	if (now_ns() < m->valid_until)
		return true;
	*expired = true;
	return true;
}

/* Loose mode, time up: forget the data, learn the size again. */
static int loose_revalidate(struct fs_mapping *m)
{
	uint64_t size;
	int ret;

	fs_mapping_invalidate(m, 0, UINT64_MAX);
	ret = m->be->size(m->ctx, &size);
	if (ret)
		return ret;
	pthread_mutex_lock(&m->lock);
	m->size = size;
	m->valid_until = now_ns() + m->ttl_ns;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

ssize_t fs_mapping_read(struct fs_mapping *m, struct smbiov_iter *dst,
			uint64_t pos)
{
	size_t len = smbiov_iter_count(dst), done = 0, ra_len;
	uint64_t ra_start;
	bool expired;
	ssize_t r;

	if (!len)
		return 0;
	pthread_mutex_lock(&m->lock);
	if (!read_cached(m, &expired)) {
		pthread_mutex_unlock(&m->lock);
		/*
		 * A break took R (and W) and its write-back may still be
		 * going (acknowledged at its deadline): the server gets this
		 * range's dirty data before we read it back.
		 */
		fs_mapping_flush_range(m, pos, len);
		return m->be->read(m->ctx, dst, pos);
	}
	pthread_mutex_unlock(&m->lock);
	if (expired) {
		r = loose_revalidate(m);
		if (r)
			return r;
	}
	pthread_mutex_lock(&m->lock);
	if (pos >= m->size) {
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	if (len > m->size - pos)
		len = (size_t)(m->size - pos);
	ra_len = fs_ra_next(&m->ra, pos, len, m->size, m->ra_min, m->ra_max,
			    &ra_start);
	pthread_mutex_unlock(&m->lock);
	while (done < len) {
		size_t chunk = len - done < m->io_max ? len - done : m->io_max;

		r = batch(m, dst, pos + done, chunk, false);
		if (r < 0)
			return done ? (ssize_t)done : r;
		done += (size_t)r;
		/* Readahead after the first batch: that one's READs go first.
		 */
		if (ra_len) {
			readahead(m, ra_start, ra_len);
			ra_len = 0;
		}
		if ((size_t)r < chunk)
			break;
	}
	if (ra_len)
		readahead(m, ra_start, ra_len);
	return (ssize_t)done;
}

/* ---- writing ---------------------------------------------------------------
 */

/*
 * Without FS_CAN_WRITE: to the server, and what was cached there goes.
 * Dirty data of the range still waiting for write-back (a break took W)
 * is sent first, or it would land after, and over, these bytes.
 */
static ssize_t write_through(struct fs_mapping *m, struct smbiov_iter *src,
			     uint64_t pos)
{
	ssize_t r;

	fs_mapping_flush_range(m, pos, smbiov_iter_count(src));
	r = m->be->write(m->ctx, src, pos);

	if (r > 0) {
		fs_mapping_invalidate(m, pos, (uint64_t)r);
		fs_mapping_extend(m, pos + (uint64_t)r);
	}
	return r;
}

/*
 * Copy the part of @src for [lo, hi) into folio span @s and dirty it. The
 * folio is read first only when the write leaves part of it as it was and
 * that part holds file data.
 */
static ssize_t write_span(struct fs_mapping *m, struct fs_span *s,
			  struct smbiov_iter *src, uint64_t lo, uint64_t hi)
{
	struct smbiov_folio *f = s->f;
	size_t sz = smbiov_folio_size(f);
	uint64_t size;
	int ret;

	if (!s->fresh)
		smbiov_folio_lock(f);
	smbiov_folio_wait_writeback(f);
	if (!smbiov_folio_test(f, SMBIOV_FOLIO_UPTODATE) &&
	    (lo > fs_folio_start(f) || hi < fs_folio_end(f))) {
		size = fs_mapping_size(m);
		if (fs_folio_start(f) < size) {
			/* fill_sync takes the lock itself */
			smbiov_folio_unlock(f);
			ret = fill_sync(m, f);
			smbiov_folio_lock(f);
			smbiov_folio_wait_writeback(f);
			if (ret) {
				smbiov_folio_unlock(f);
				return ret;
			}
		} else if (!s->fresh) {
			memset(f->addr, 0, sz);
		}
	}
	if (!smbiov_copy_from_iter_full((char *)f->addr +
						(lo - fs_folio_start(f)),
					(size_t)(hi - lo), src)) {
		smbiov_folio_unlock(f);
		return -EFAULT;
	}
	/* The size first: write-back clips to it. */
	fs_mapping_extend(m, hi);
	smbiov_folio_set(f, SMBIOV_FOLIO_UPTODATE);
	if (!(__atomic_fetch_or(&f->flags, SMBIOV_FOLIO_DIRTY,
				__ATOMIC_SEQ_CST) &
	      SMBIOV_FOLIO_DIRTY))
		m->b->dirty += sz;
	smbiov_folio_unlock(f);
	fs_node_touch(f);
	return (ssize_t)(hi - lo);
}

/*
 * One batch of a read or a write, [pos, pos + len): bytes moved (a read
 * is short where the file ends) or -errno. FS_SPANS spans at a time: a
 * range of many small folios takes several rounds.
 */
static ssize_t batch(struct fs_mapping *m, struct smbiov_iter *it, uint64_t pos,
		     size_t len, bool write)
{
	struct fs_span sp[FS_SPANS];
	uint64_t last = (pos + len - 1) >> PS;
	uint64_t end = pos + len, at = pos;
	bool ended = false;
	ssize_t r = 0;

	while (at < end && !ended) {
		uint64_t index = at >> PS;
		size_t budget, n, k, need = (size_t)(last - index + 1) << PS;
		unsigned gen;

		budget = charge_some(m->b, need);
		if (write && budget < need) {
			/* Dirty folios fill the budget: make them clean. */
			fs_budget_uncharge(m->b, budget);
			fs_mapping_flush_range(m, 0, UINT64_MAX);
			budget = charge_some(m->b, need);
		}
		pthread_mutex_lock(&m->lock);
		n = grab_spans(m, &index, last, &budget, true, sp, FS_SPANS);
		gen = m->gen;
		pthread_mutex_unlock(&m->lock);
		fs_budget_uncharge(m->b, budget);
		if (!write)
			read_fresh(m, sp, n, gen);
		for (k = 0; k < n && !ended; k++) {
			uint64_t hi = fs_umin(end, (sp[k].index + sp[k].npages)
							   << PS);

			if (!sp[k].f)
				r = gap_io(m, it, at, hi, write);
			else if (write)
				r = write_span(m, &sp[k], it, at, hi);
			else
				r = copy_span(m, &sp[k], it, at, hi);
			if (r >= 0)
				at += (uint64_t)r;
			/* an error, or the file ended */
			ended = r < 0 || at < hi;
		}
		/* Fresh folios a write did not reach are still ours. */
		for (; write && k < n; k++)
			if (sp[k].fresh)
				smbiov_folio_unlock(sp[k].f);
		put_spans(sp, n);
	}
	if (r < 0 && at == pos)
		return r;
	return (ssize_t)(at - pos);
}

ssize_t fs_mapping_write(struct fs_mapping *m, struct smbiov_iter *src,
			 uint64_t pos)
{
	size_t len = smbiov_iter_count(src), done = 0;
	ssize_t r = 0;

	if (!len)
		return 0;
	pthread_mutex_lock(&m->lock);
	if (!(m->caps & FS_CAN_WRITE)) {
		pthread_mutex_unlock(&m->lock);
		return write_through(m, src, pos);
	}
	m->writers++;
	pthread_mutex_unlock(&m->lock);
	/* Throttle: past half the budget dirty, write back first. */
	if (m->b->dirty + len > m->b->limit / 2)
		fs_mapping_flush_range(m, 0, UINT64_MAX);
	while (done < len) {
		size_t chunk = len - done < m->io_max ? len - done : m->io_max;

		r = batch(m, src, pos + done, chunk, true);
		if (r < 0)
			break;
		done += (size_t)r;
		if ((size_t)r < chunk)
			break;
	}
	pthread_mutex_lock(&m->lock);
	if (--m->writers == 0)
		pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->lock);
	if (r < 0 && !done)
		return r;
	return (ssize_t)done;
}

/* ---- size, invalidation, lease changes ----------------------------------- */

void fs_mapping_extend(struct fs_mapping *m, uint64_t end)
{
	pthread_mutex_lock(&m->lock);
	if (end > m->size)
		m->size = end;
	pthread_mutex_unlock(&m->lock);
}

void fs_mapping_invalidate(struct fs_mapping *m, uint64_t start, uint64_t len)
{
	uint64_t first, last, i;
	struct smbiov_folio *f;

	if (!len)
		return;
	fs_range_pages(start, len, &first, &last);
	pthread_mutex_lock(&m->lock);
	m->gen++;
	i = first;
	while (i <= last && (f = smbiov_xarray_find(m->xa, i, last))) {
		i = f->index + smbiov_folio_nr_pages(f);
		if (smbiov_folio_test(f, SMBIOV_FOLIO_DIRTY))
			continue; /* the caller wrote back first; a racing
				     writer wins */
		if (f->flags & (SMBIOV_FOLIO_LOCKED | SMBIOV_FOLIO_WRITEBACK)) {
			/* Wait for its I/O, then look at the same place again.
			 */
			smbiov_folio_get(f);
			pthread_mutex_unlock(&m->lock);
			smbiov_folio_wait_unlocked(f);
			smbiov_folio_wait_writeback(f);
			i = f->index;
			smbiov_folio_put(f);
			pthread_mutex_lock(&m->lock);
			continue;
		}
		fs_mapping_erase_locked(m, f);
		if (i == 0)
			break;
	}
	pthread_mutex_unlock(&m->lock);
}

int fs_mapping_set_caps(struct fs_mapping *m, unsigned caps)
{
	unsigned old;

	pthread_mutex_lock(&m->lock);
	old = m->caps;
	m->caps = caps;
	/* A writer that saw W may still be dirtying: let it finish. */
	while (m->writers)
		pthread_cond_wait(&m->cv, &m->lock);
	pthread_mutex_unlock(&m->lock);
	if ((old & FS_CAN_WRITE) && !(caps & FS_CAN_WRITE))
		fs_mapping_flush_range(m, 0, UINT64_MAX);
	if ((old & FS_CAN_READ) && !(caps & FS_CAN_READ))
		fs_mapping_invalidate(m, 0, UINT64_MAX);
	return 0;
}

void fs_mapping_resize(struct fs_mapping *m, uint64_t size)
{
	pthread_mutex_lock(&m->lock);
	m->size = size;
	m->ra = (struct fs_ra){0};
	pthread_mutex_unlock(&m->lock);
}

uint64_t fs_mapping_size(struct fs_mapping *m)
{
	uint64_t s;

	pthread_mutex_lock(&m->lock);
	s = m->size;
	pthread_mutex_unlock(&m->lock);
	return s;
}

size_t fs_mapping_cached(struct fs_mapping *m)
{
	struct smbiov_folio *f;
	size_t bytes = 0;
	uint64_t i = 0;

	pthread_mutex_lock(&m->lock);
	while ((f = smbiov_xarray_find(m->xa, i, UINT64_MAX))) {
		bytes += smbiov_folio_size(f);
		i = f->index + smbiov_folio_nr_pages(f);
		if (i == 0)
			break;
	}
	pthread_mutex_unlock(&m->lock);
	return bytes;
}
