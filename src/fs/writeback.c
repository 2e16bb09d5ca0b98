// SPDX-License-Identifier: MIT
/*
 * Write-back of one mapping's dirty folios, and the flushes that wait for
 * it and report its errors. Its own file: sending dirty data and keeping
 * its errors is apart from how mapping.c finds, fills and dirties folios
 * (cache.h has the locking rules).
 *
 * Write-back locks each dirty folio, moves it to writeback, unlocks it,
 * and sends one WRITE per contiguous run through an XARRAY iterator,
 * clipped to the file's size; completion ends writeback
 * (smbiov_folios_write_done). A failed write-back is kept in @wb_err
 * until fs_mapping_flush() reports it, the way the kernel's errseq
 * reports it at the next fsync or close.
 */
#include "fs/cache.h"
#include "fs/mapping.h"

#include <errno.h>
#include <stdlib.h>

#define PS	   SMBIOV_PAGE_SHIFT
#define WB_RETRIES 3

struct fs_wb {
	struct fs_mapping *m;
	uint64_t start, end; /* the run's folios */
	size_t len;	     /* bytes sent (clipped to the size) */
	struct smbiov_iter it;
};

/*
 * Worth another try: also a lost connection, which the next submission
 * brings back when reconnect is on (client/reconnect.c); when it is off
 * the retries fail at once and the data stays dirty: -EIO.
 */
static bool wb_transient(int err)
{
	return err == -EAGAIN || err == -EINTR || err == -ENOMEM ||
	       err == -ECONNRESET || err == -ECONNABORTED || err == -EPIPE ||
	       err == -ENOTCONN;
}

static void wb_done(void *arg, ssize_t res)
{
	struct fs_wb *w = arg;
	struct fs_mapping *m = w->m;
	int err = res < 0 ? (int)res : (size_t)res < w->len ? -EIO : 0;

	pthread_mutex_lock(&m->lock);
	/* the folios' own rule knows fewer transient errors: say EAGAIN */
	smbiov_folios_write_done(m->xa, (int64_t)w->start, w->end - w->start,
				 wb_transient(err) ? -EAGAIN : err);
	if (wb_transient(err))
		m->b->dirty += w->end - w->start; /* redirtied */
	else if (err && !m->wb_err)
		m->wb_err = err;
	else if (!err)
		m->b->written_back += w->len;
	if (--m->inflight == 0)
		pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->lock);
	free(w);
}

/* Send the run [start, end) of folios now under writeback. */
static void wb_run(struct fs_mapping *m, uint64_t start, uint64_t end)
{
	struct fs_wb *w = calloc(1, sizeof(*w));
	uint64_t size;
	int ret;

	pthread_mutex_lock(&m->lock);
	if (!w) {
		/* as a transient failure: redirtied, retried by the flush */
		smbiov_folios_write_done(m->xa, (int64_t)start, end - start,
					 -ENOMEM);
		m->b->dirty += end - start;
		pthread_mutex_unlock(&m->lock);
		return;
	}
	size = m->size;
	m->inflight++;
	pthread_mutex_unlock(&m->lock);
	w->m = m;
	w->start = start;
	w->end = end;
	w->len = start < size ? (size_t)(fs_umin(end, size) - start) : 0;
	if (!w->len) {
		/* all past the end (a truncate): nothing to send */
		wb_done(w, 0);
		return;
	}
	ret = smbiov_iter_xarray(&w->it, SMBIOV_ITER_SOURCE, m->xa,
				 (int64_t)start, w->len);
	if (!ret)
		ret = m->be->write_async(m->ctx, &w->it, start, wb_done, w);
	if (ret)
		wb_done(w, ret);
}

/* Under m->lock: references on the folios of the range with @flag set. */
static struct smbiov_folio **collect(struct fs_mapping *m, uint64_t first,
				     uint64_t last, unsigned flag, size_t *n)
{
	struct smbiov_folio **v = NULL, *f;
	size_t cap = 0;
	uint64_t i = first;

	*n = 0;
	while (i <= last && (f = smbiov_xarray_find(m->xa, i, last))) {
		i = f->index + smbiov_folio_nr_pages(f);
		if (!smbiov_folio_test(f, flag))
			continue;
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			struct smbiov_folio **p = realloc(v, nc * sizeof(*p));

			if (!p)
				break; /* what we have is written; a retry does
					  the rest */
			v = p;
			cap = nc;
		}
		smbiov_folio_get(f);
		v[(*n)++] = f;
		if (i == 0)
			break; /* wrapped */
	}
	return v;
}

/* Start writeback of the dirty folios in pages [first, last]. */
static void writeback_start(struct fs_mapping *m, uint64_t first, uint64_t last)
{
	struct smbiov_folio **v;
	uint64_t run_start = 0, run_end = 0;
	size_t n;

	pthread_mutex_lock(&m->lock);
	v = collect(m, first, last, SMBIOV_FOLIO_DIRTY, &n);
	pthread_mutex_unlock(&m->lock);
	for (size_t k = 0; k < n; k++) {
		struct smbiov_folio *f = v[k];
		bool started;

		smbiov_folio_lock(f);
		smbiov_folio_wait_writeback(f);
		started = smbiov_folio_start_writeback(f);
		smbiov_folio_unlock(f);
		if (started)
			m->b->dirty -= smbiov_folio_size(f);
		if (started && run_end == fs_folio_start(f)) {
			run_end = fs_folio_end(f);
		} else if (started) {
			if (run_end > run_start)
				wb_run(m, run_start, run_end);
			run_start = fs_folio_start(f);
			run_end = fs_folio_end(f);
		}
	}
	if (run_end > run_start)
		wb_run(m, run_start, run_end);
	for (size_t k = 0; k < n; k++)
		smbiov_folio_put(v[k]);
	free(v);
}

/*
 * The folios of pages [first, last] with @flag: with @wait, each waited
 * for until it is no longer under writeback. Returns how many there were.
 */
static size_t scan(struct fs_mapping *m, uint64_t first, uint64_t last,
		   unsigned flag, bool wait)
{
	struct smbiov_folio **v;
	size_t n;

	pthread_mutex_lock(&m->lock);
	v = collect(m, first, last, flag, &n);
	pthread_mutex_unlock(&m->lock);
	for (size_t k = 0; k < n; k++) {
		if (wait)
			smbiov_folio_wait_writeback(v[k]);
		smbiov_folio_put(v[k]);
	}
	free(v);
	return n;
}

static bool any_dirty(struct fs_mapping *m, uint64_t first, uint64_t last)
{
	return scan(m, first, last, SMBIOV_FOLIO_DIRTY, false) != 0;
}

/* Write back and wait, retrying what a transient error redirtied. */
void fs_mapping_flush_range(struct fs_mapping *m, uint64_t start, uint64_t len)
{
	uint64_t first, last;

	fs_range_pages(start, len, &first, &last);
	for (int tries = 0; tries < WB_RETRIES; tries++) {
		writeback_start(m, first, last);
		scan(m, first, last, SMBIOV_FOLIO_WRITEBACK, true);
		if (!any_dirty(m, first, last))
			break;
	}
}

/* Write back [start, start + len); the error, taken (@consume) or left. */
static int flush_report(struct fs_mapping *m, uint64_t start, uint64_t len,
			bool consume)
{
	uint64_t first, last;
	int err;

	fs_mapping_flush_range(m, start, len);
	fs_range_pages(start, len, &first, &last);
	pthread_mutex_lock(&m->lock);
	err = m->wb_err;
	if (consume)
		m->wb_err = 0;
	pthread_mutex_unlock(&m->lock);
	/* Still dirty after the retries: that is an error too. */
	if (!err && any_dirty(m, first, last))
		err = -EIO;
	return err;
}

int fs_mapping_flush(struct fs_mapping *m, uint64_t start, uint64_t len)
{
	return flush_report(m, start, len, true);
}

int fs_mapping_writeback(struct fs_mapping *m, uint64_t start, uint64_t len)
{
	return flush_report(m, start, len, false);
}
