/* SPDX-License-Identifier: MIT */
/*
 * Private to src/mem: lookups on the folio index that are not part of the
 * public contract.
 */
#ifndef SMBIOV_MEM_XARRAY_INTERNAL_H
#define SMBIOV_MEM_XARRAY_INTERNAL_H

#include <smbiov/mem.h>

/**
 * mem_xarray_find - first folio touching a range of page indices
 * @xa: the index (may be NULL)
 * @index: first page index of the range
 * @last: last page index of the range (inclusive)
 *
 * Skips holes a subtree at a time, so a range walk costs what the folios in
 * it cost, not what the range spans. The folio returned may start before
 * @index (it covers it). No reference is taken. Returns NULL if no folio
 * covers any index in [@index, @last].
 */
struct smbiov_folio *mem_xarray_find(const struct smbiov_xarray *xa,
				     uint64_t index, uint64_t last);

#endif
