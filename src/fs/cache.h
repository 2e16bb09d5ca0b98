/* SPDX-License-Identifier: MIT */
/*
 * The page cache of the file layer (issue 14; DESIGN.md §2 "Buffered
 * I/O"; kernel-iov-iter-design.md §2.5, netfs): per open file a mapping,
 * a folio index (src/mem xarray) whose READs fill folios through an
 * XARRAY iterator and whose dirty folios are written back through one;
 * per connection one budget that bounds all cached bytes, with a CLOCK
 * list of folios to evict from.
 *
 * The cache does not know SMB: it moves bytes through a backend (struct
 * fs_backend), the engine for a real file (open.c) and a table in
 * memory in the unit tests.
 *
 * Locks, outermost first: a folio's lock (slept on), the mapping's @lock,
 * the budget's lock. Nobody sleeps on a folio or calls the backend while
 * holding a mapping's or the budget's lock: a backend completion, which
 * takes the mapping's lock, may run on the engine's receiver thread, and
 * a submit may wait for that thread (credits). Reclaim holds the budget's
 * lock and only *tries* mapping locks.
 *
 * Invariant the XARRAY iterators rely on (xarray.c): a folio that is
 * locked or under writeback is never erased from its index, so an I/O over
 * exactly such folios may walk the index while other threads change it.
 */
#ifndef SMBIOV_FS_CACHE_H
#define SMBIOV_FS_CACHE_H

#include <smbiov/iter.h>
#include <smbiov/mem.h>

#include "fs/path.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What a mapping may do with its data now (from its lease or oplock). */
#define FS_CAN_READ  0x1u /* serve reads from folios (lease R) */
#define FS_CAN_WRITE 0x2u /* keep dirty folios (lease W) */

typedef void (*fs_done_fn)(void *arg, ssize_t res);

/*
 * How a mapping reaches its file. @read and @write are synchronous and
 * complete (a read is short only at the end of the file); the async ones
 * call @done exactly once, maybe before they return, maybe on another
 * thread (which must not call back into the cache with locks held), and
 * return 0, or a negative errno without calling @done. @size: the file's
 * size on the server.
 */
struct fs_backend {
	ssize_t (*read)(void *ctx, struct smbiov_iter *dst, uint64_t off);
	ssize_t (*write)(void *ctx, struct smbiov_iter *src, uint64_t off);
	int (*read_async)(void *ctx, struct smbiov_iter *dst, uint64_t off,
			  fs_done_fn done, void *arg);
	int (*write_async)(void *ctx, struct smbiov_iter *src, uint64_t off,
			   fs_done_fn done, void *arg);
	int (*size)(void *ctx, uint64_t *size);
};

/* ---- the budget: one per connection -------------------------------------- */
struct fs_node;

struct fs_budget {
	pthread_mutex_t lock;
	size_t limit;	       /* bytes of folios all mappings may hold */
	size_t used;	       /* charged (folios in indexes + reserved) */
	_Atomic size_t dirty;  /* bytes in dirty folios */
	struct fs_node *clock; /* CLOCK hand: a ring of cached folios */
	size_t nr_nodes;
	/* counters for smbiov_cache_stats */
	_Atomic uint64_t hits, misses, evicted, written_back, ra_bytes;
};

/* Default limit: an eighth of RAM, within [64 MiB, 1 GiB]. */
size_t fs_budget_default_limit(void);
int fs_budget_init(struct fs_budget *b, size_t limit);
void fs_budget_destroy(struct fs_budget *b);
/*
 * Charge @bytes, evicting clean, idle folios of any mapping as needed.
 * No mapping lock may be held by the caller (its own folios could not be
 * evicted). 0, or -ENOMEM when what is left is locked, dirty or in use.
 */
int fs_budget_charge(struct fs_budget *b, size_t bytes);
void fs_budget_uncharge(struct fs_budget *b, size_t bytes);

/* ---- readahead (readahead.c): pure, fed with numbers --------------------- */
struct fs_ra {
	uint64_t prev_end; /* where the last read ended */
	uint64_t ra_end;   /* readahead issued up to here */
	size_t size;	   /* the next window; 0: not sequential */
	size_t last;	   /* the last window issued */
};

/*
 * A read of [@pos, @pos + @len) in a file of @fsize bytes: should the
 * cache read ahead, and which range? Sequential reads (starting where the
 * last ended) grow the window from @min to @max, doubling; the next
 * window is issued once the reader is within half a window of its end.
 * Anything else resets. Returns the bytes to read ahead from *@start
 * (0: none).
 */
size_t fs_ra_next(struct fs_ra *ra, uint64_t pos, size_t len, uint64_t fsize,
		  size_t min, size_t max, uint64_t *start);

/* ---- a mapping: one per open file ---------------------------------------- */
struct fs_mapping {
	pthread_mutex_t lock;
	pthread_cond_t cv; /* @writers drained, @inflight reached 0 */
	struct smbiov_xarray *xa;
	struct fs_budget *b;
	const struct fs_backend *be;
	void *ctx;

	uint64_t size; /* the file's size as this open knows it */
	unsigned caps; /* FS_CAN_*, lowered by fs_mapping_set_caps() */
	bool loose;    /* cache reads without FS_CAN_READ, for @ttl_ns */
	int64_t ttl_ns;
	int64_t valid_until; /* loose: monotonic ns the cached data expires */
	unsigned gen;	     /* bumped by every invalidation */
	unsigned writers;    /* threads dirtying folios under FS_CAN_WRITE */
	unsigned inflight;   /* async READs and WRITEs of this mapping */
	int wb_err;	     /* first write-back error not yet reported */
	size_t ra_min, ra_max, io_max;
	struct fs_ra ra;
};

struct fs_mapping_opts {
	uint64_t size;
	unsigned caps;
	bool loose;
	int64_t ttl_ns;
	size_t ra_max; /* largest readahead window (the credit window) */
	size_t io_max; /* bytes per batch of a read or write call */
};

int fs_mapping_init(struct fs_mapping *m, struct fs_budget *b,
		    const struct fs_backend *be, void *ctx,
		    const struct fs_mapping_opts *o);
/*
 * Free what the mapping holds. Dirty data must have been written back
 * (fs_mapping_flush); what is still dirty is dropped and counted.
 * Returns the number of dirty bytes dropped.
 */
size_t fs_mapping_destroy(struct fs_mapping *m);

/* Read into @dst at @pos through the cache: bytes (short at EOF) or -errno. */
ssize_t fs_mapping_read(struct fs_mapping *m, struct smbiov_iter *dst,
			uint64_t pos);
/* Write @src at @pos: cached under FS_CAN_WRITE, else written through. */
ssize_t fs_mapping_write(struct fs_mapping *m, struct smbiov_iter *src,
			 uint64_t pos);
/*
 * Write back the dirty folios touching [@start, @start + @len) and wait
 * until none there is under writeback. Returns 0, or the write-back error
 * not yet reported (reported once: the next call returns 0 unless a new
 * one happened).
 */
int fs_mapping_flush(struct fs_mapping *m, uint64_t start, uint64_t len);
/*
 * As fs_mapping_flush(), but the write-back error stays for the next
 * flush to report too (it is returned here as well): for calls that
 * bypass the cache and need the server to have the range first.
 */
int fs_mapping_writeback(struct fs_mapping *m, uint64_t start, uint64_t len);
/* The file is at least @end bytes long now (a write that bypassed it). */
void fs_mapping_extend(struct fs_mapping *m, uint64_t end);
/* Drop the clean folios of the range, waiting for locked ones. */
void fs_mapping_invalidate(struct fs_mapping *m, uint64_t start, uint64_t len);
/*
 * The lease changed to @caps: new writes and reads obey it at once; what
 * the lost rights covered is written back (W) and dropped (R) before this
 * returns — the lease break is acknowledged afterwards.
 */
int fs_mapping_set_caps(struct fs_mapping *m, unsigned caps);
/* The file's size is now @size (a truncate or extend the server did). */
void fs_mapping_resize(struct fs_mapping *m, uint64_t size);
/* The size as this open knows it (cached writes may have extended it). */
uint64_t fs_mapping_size(struct fs_mapping *m);
/* Bytes of folios in @m's index (for tests). */
size_t fs_mapping_cached(struct fs_mapping *m);

/* ---- deferred close (deferred.c): one per connection ----------------------
 */
/*
 * What a parked file was opened as: a new open with the same key may take
 * it back instead of sending CREATE.
 */
struct fs_park_key {
	const char *path;
	int flags;
	int cache;
	unsigned ttl_ms;
};

struct fs_parked;
struct fs_park_index;

struct fs_parking {
	pthread_mutex_t lock;
	pthread_cond_t cv;	  /* CLOCK_MONOTONIC */
	struct fs_parked *head;	  /* by deadline (deferred.c) */
	struct fs_park_index *ix; /* by path; NULL: nothing is parked */
	size_t count;
	int64_t timeout_ns;	      /* how long a handle stays parked */
	void (*close_fn)(void *file); /* closes a file for good */
	bool started, stop;
	pthread_t thread;
	_Atomic uint64_t parked_total, reused;
};

int fs_parking_init(struct fs_parking *p, int64_t timeout_ns,
		    void (*close_fn)(void *file));
/* Close everything still parked (on this thread) and stop the timer. */
void fs_parking_shutdown(struct fs_parking *p);
void fs_parking_destroy(struct fs_parking *p);
/*
 * Keep @file open until the timeout, under @k (copied). 0, or -errno
 * (then the caller closes it now).
 */
int fs_park(struct fs_parking *p, void *file, const struct fs_park_key *k);
/* A parked file opened as @k, taken off the list; NULL if none. */
void *fs_unpark(struct fs_parking *p, const struct fs_park_key *k);
/*
 * A break takes @file's handle lease away. @hold: if it is parked, keep
 * it from being taken back or closed by the timer (it is being closed
 * here); true if it was parked. !@hold: let the timer close it now.
 */
bool fs_park_expire(struct fs_parking *p, void *file, bool hold);
/*
 * Close (on this thread) every parked file of @path, or under it when it
 * is a directory ("" is the share root), whatever its key.
 */
void fs_unpark_path(struct fs_parking *p, const char *path);
/* The same for the parked files of @path only, none under it. */
void fs_unpark_file(struct fs_parking *p, const char *path);

/* ---- internal to src/fs ---------------------------------------------------
 */
/* budget.c: a folio inserted into @m's index joins the clock (charged). */
int fs_node_add(struct fs_budget *b, struct fs_mapping *m,
		struct smbiov_folio *f);
/* ...and leaves it when erased (not uncharged: the caller does). */
void fs_node_del(struct fs_budget *b, struct smbiov_folio *f);
/* Mark a folio recently used (CLOCK second chance); no lock. */
void fs_node_touch(struct smbiov_folio *f);
/* mapping.c: erase @f from @m (under m->lock), uncharge, drop the ref. */
void fs_mapping_erase_locked(struct fs_mapping *m, struct smbiov_folio *f);

#endif
