/* SPDX-License-Identifier: MIT */
/*
 * How much freed folio memory the process keeps for reuse. Fresh
 * anonymous memory is zeroed by the kernel at first touch, which on the
 * project machine costs more than the READ that fills it (clear_page was
 * 47 % of a cold cached read's samples), while a page cache that fills
 * up evicts and allocates in turn. So each page cache (one per
 * connection) reserves its budget here while it exists: memory it freed
 * stays mapped for the next folio instead of going back to the kernel.
 */
#ifndef SMBIOV_MEM_FOLIO_POOL_H
#define SMBIOV_MEM_FOLIO_POOL_H

#include <stddef.h>

/*
 * mem_folio_pool_reserve - let the pool keep @bytes more (or, with
 * @release, that many less) of freed folio memory. The pool always keeps
 * up to 64 MiB; a release trims what is now above the limit.
 */
void mem_folio_pool_reserve(size_t bytes, int release);

/* Bytes of freed folio memory the pool holds now (for tests). */
size_t mem_folio_pool_bytes(void);

#endif
