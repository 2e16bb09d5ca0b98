/* SPDX-License-Identifier: MIT */
#ifndef SMBIOV_COMMON_H
#define SMBIOV_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define SMBIOV_BEGIN_DECLS extern "C" {
#define SMBIOV_END_DECLS   }
#else
#define SMBIOV_BEGIN_DECLS
#define SMBIOV_END_DECLS
#endif

/* Everything the library exports carries this; the rest is hidden. */
#define SMBIOV_API __attribute__((visibility("default")))

/* Page granularity of the iterator core and the page cache. */
#define SMBIOV_PAGE_SHIFT 12
#define SMBIOV_PAGE_SIZE  ((size_t)1 << SMBIOV_PAGE_SHIFT)
#define SMBIOV_PAGE_MASK  (~(SMBIOV_PAGE_SIZE - 1))

/*
 * Largest byte count one iterator may describe (the kernel's MAX_RW_COUNT:
 * INT_MAX rounded down to a page). Keeps every count, offset and page
 * arithmetic inside int and size_t without overflow checks at each step.
 */
#define SMBIOV_MAX_RW_COUNT ((size_t)0x7ffff000)

/*
 * What the owner of a page/scatterlist/SGE/bvec list must do when done with
 * it (DESIGN.md §6.2). Stored beside the entries; one release function per
 * list switches on it.
 */
enum smbiov_cleanup {
	SMBIOV_CLEANUP_NONE = 0,  /* memory belongs to someone else */
	SMBIOV_CLEANUP_UNPIN = 1, /* pages were pinned: unpin each */
	SMBIOV_CLEANUP_FREE = 2,  /* pages are the list's own: free each */
};

SMBIOV_BEGIN_DECLS

/**
 * smbiov_strerror - message for a negative errno returned by the library
 * @err: a negative errno value (positive values are accepted too)
 *
 * Returns a static string; never NULL.
 */
SMBIOV_API const char *smbiov_strerror(int err);

SMBIOV_END_DECLS

#endif
