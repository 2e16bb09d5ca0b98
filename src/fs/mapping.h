/* SPDX-License-Identifier: MIT */
/*
 * Shared by the two halves of a mapping: mapping.c (the folio index,
 * reads, writes) and writeback.c (write-back and flushes). Not for the
 * rest of src/fs, which goes through cache.h.
 */
#ifndef SMBIOV_FS_MAPPING_H
#define SMBIOV_FS_MAPPING_H

#include "fs/cache.h"

#include <stdint.h>

/* The bytes of the file @f holds: [fs_folio_start(f), fs_folio_end(f)). */
static inline uint64_t fs_folio_start(const struct smbiov_folio *f)
{
	return f->index << SMBIOV_PAGE_SHIFT;
}

static inline uint64_t fs_folio_end(const struct smbiov_folio *f)
{
	return fs_folio_start(f) + smbiov_folio_size(f);
}

static inline uint64_t fs_umin(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Pages [*@first, *@last] of bytes [@start, @start + @len), clamped. */
static inline void fs_range_pages(uint64_t start, uint64_t len, uint64_t *first,
				  uint64_t *last)
{
	uint64_t end = len > UINT64_MAX - start ? UINT64_MAX : start + len;

	*first = start >> SMBIOV_PAGE_SHIFT;
	*last = end ? (end - 1) >> SMBIOV_PAGE_SHIFT : 0;
}

/*
 * Write back the dirty folios of [@start, @start + @len) and wait for
 * them, retrying what a transient error redirtied (writeback.c). Errors
 * stay in m->wb_err for fs_mapping_flush() to report.
 */
void fs_mapping_flush_range(struct fs_mapping *m, uint64_t start, uint64_t len);

#endif
