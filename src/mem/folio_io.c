// SPDX-License-Identifier: MIT
/*
 * Completion helpers for I/O over an XARRAY range: after a read or a
 * write, or when issuing failed, walk the folios touching the file range
 * and move their state on (the userspace counterpart of cifs's
 * cifs_pages_written_back() family, reference/kernel-iov-iter-design.md
 * §2.5).
 *
 * Each folio is visited once even when it spans many pages, and holes in
 * the index are skipped a subtree at a time.
 */
#include <smbiov/mem.h>

#include "mem/xarray_internal.h"

#include <errno.h>
#include <stdio.h>

typedef void (*folio_range_fn)(struct smbiov_folio *f, int err);

/* Call @fn on each folio touching [start, start + len); count them. */
static size_t folio_range_walk(struct smbiov_xarray *xa, int64_t start,
			       size_t len, int err, folio_range_fn fn)
{
	uint64_t index, last, end;
	struct smbiov_folio *f;
	size_t n = 0;

	if (!xa || start < 0 || len == 0)
		return 0;
	/* Clamp rather than wrap: nothing lives past the largest offset. */
	if (len > (uint64_t)INT64_MAX - (uint64_t)start)
		len = (uint64_t)INT64_MAX - (uint64_t)start;
	index = (uint64_t)start >> SMBIOV_PAGE_SHIFT;
	last = ((uint64_t)start + len - 1) >> SMBIOV_PAGE_SHIFT;
	while (index <= last) {
		f = mem_xarray_find(xa, index, last);
		if (!f)
			break;
		/* Read where the folio ends before @fn can wake its owner. */
		end = f->index + smbiov_folio_nr_pages(f);
		fn(f, err);
		n++;
		index = end;
	}
	return n;
}

static void folio_read_done(struct smbiov_folio *f, int err)
{
	/* State first, then unlock: a woken reader must see it. */
	if (err == 0)
		smbiov_folio_set(f, SMBIOV_FOLIO_UPTODATE);
	else
		smbiov_folio_set(f, SMBIOV_FOLIO_ERROR);
	smbiov_folio_unlock(f);
}

static bool write_err_transient(int err)
{
	return err == -EAGAIN || err == -EINTR || err == -ENOMEM;
}

static void folio_write_done(struct smbiov_folio *f, int err)
{
	if (!smbiov_folio_test(f, SMBIOV_FOLIO_WRITEBACK)) {
		/* As cifs does: warn and leave a folio we did not send. */
		fprintf(stderr,
			"smbiov: BUG: write_done on folio %llu not under "
			"writeback\n",
			(unsigned long long)f->index);
		return;
	}
	/* Redirty/error before ending writeback, so waiters see the result. */
	if (err && write_err_transient(err))
		smbiov_folio_set(f, SMBIOV_FOLIO_DIRTY);
	else if (err)
		smbiov_folio_set(f, SMBIOV_FOLIO_ERROR);
	smbiov_folio_clear(f, SMBIOV_FOLIO_WRITEBACK);
}

static void folio_unlock_if_locked(struct smbiov_folio *f, int err)
{
	(void)err;
	/*
	 * An unwind may cover folios it never got to lock; clearing the bit
	 * only where it is set keeps those from being reported as bugs.
	 */
	smbiov_folio_clear(f, SMBIOV_FOLIO_LOCKED);
}

/**
 * smbiov_folios_read_done - finish a read into the page cache
 * @xa: the file's folio index
 * @start: file position of the first byte read
 * @len: bytes the read covered
 * @err: 0, or the read's negative errno
 *
 * Marks each folio touching the range uptodate (or ERROR on failure) and
 * unlocks it. Returns the folios visited.
 */
size_t smbiov_folios_read_done(struct smbiov_xarray *xa, int64_t start,
			       size_t len, int err)
{
	return folio_range_walk(xa, start, len, err, folio_read_done);
}

/**
 * smbiov_folios_write_done - finish writeback of a range
 * @xa: the file's folio index
 * @start: file position of the first byte written
 * @len: bytes the write covered
 * @err: 0, or the write's negative errno
 *
 * Ends writeback on each folio touching the range; a transient error
 * (-EAGAIN, -EINTR, -ENOMEM) redirties it for a retry, any other sets
 * ERROR. Folios not under writeback are reported and left alone.
 * Returns the folios visited.
 */
size_t smbiov_folios_write_done(struct smbiov_xarray *xa, int64_t start,
				size_t len, int err)
{
	return folio_range_walk(xa, start, len, err, folio_write_done);
}

/**
 * smbiov_folios_unlock - unlock a range after an issue failure
 * @xa: the file's folio index
 * @start: file position of the range
 * @len: its length
 *
 * Unlocks the folios that are locked; unlocked ones are left as they are.
 * Returns the folios visited.
 */
size_t smbiov_folios_unlock(struct smbiov_xarray *xa, int64_t start, size_t len)
{
	return folio_range_walk(xa, start, len, 0, folio_unlock_if_locked);
}
