// SPDX-License-Identifier: MIT
/*
 * Readahead decisions, in the manner of the kernel's on-demand
 * readahead (mm/readahead.c): a read that starts where the previous one
 * ended is sequential; the window starts at @min, doubles with each
 * window up to @max (the connection's credit window), and the next window
 * is issued asynchronously once the reader has come within half a window
 * of the end of what was read ahead, so READs stay in flight while the
 * application copies. A read anywhere else resets the state: random
 * access reads exactly what it asks for.
 *
 * Pure arithmetic on the numbers given, so the unit tests drive it with
 * chosen sequences.
 */
#include "fs/cache.h"

size_t fs_ra_next(struct fs_ra *ra, uint64_t pos, size_t len, uint64_t fsize,
		  size_t min, size_t max, uint64_t *start)
{
	uint64_t end = pos + len, from;
	size_t win;

	*start = 0;
	if (min > max)
		min = max;
	if (pos != ra->prev_end || pos == 0) {
		/* Random, or a new stream: a read at 0 starts one at once. */
		ra->size = pos == 0 ? min : 0;
		ra->ra_end = end;
	} else if (!ra->size) {
		/* The second read in a row: now it is sequential. */
		ra->size = min;
		ra->ra_end = end;
	}
	ra->prev_end = end;
	if (!ra->size || !min)
		return 0;
	if (ra->ra_end < end)
		ra->ra_end = end;
	/* Still more than half a window read ahead: nothing to do yet. */
	if (ra->ra_end > end && ra->ra_end - end > ra->last / 2)
		return 0;
	if (ra->ra_end >= fsize)
		return 0;
	from = ra->ra_end;
	win = ra->size;
	if (from + win > fsize)
		win = (size_t)(fsize - from);
	ra->ra_end = from + win;
	ra->last = win;
	/* The next window is larger, up to @max. */
	ra->size = ra->size > max / 2 ? max : ra->size * 2;
	*start = from;
	return win;
}
