// SPDX-License-Identifier: MIT
/*
 * Pages and folios: allocation (aligned, zeroed, private), refcounts,
 * flags, the folio lock and writeback waits across threads, the
 * start_writeback rules, and the completion helpers over file ranges that
 * start and end mid-folio and cross holes in the index.
 */
#include <smbiov/mem.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "t.h"
#include "mem/folio_pool.h"

#define PG SMBIOV_PAGE_SIZE

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

/*
 * Is the mapping holding @addr private ("rw-p" in /proc/self/maps)? -1 if
 * it cannot be told.
 */
static int mapping_is_private(const void *addr)
{
	char line[512], perms[8];
	unsigned long lo, hi;
	int ret = -1;
	FILE *fp;

	fp = fopen("/proc/self/maps", "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			ret = perms[3] == 'p';
			break;
		}
	}
	fclose(fp);
	return ret;
}

static void test_page_alloc(void)
{
	unsigned char *p = smbiov_page_alloc();
	unsigned char *q = smbiov_page_alloc();

	T_ASSERT(p && q);
	T_EXPECT(p != q);
	T_EXPECT_EQ((uintptr_t)p % PG, 0);
	T_EXPECT_EQ((uintptr_t)q % PG, 0);
	T_EXPECT(all_zero(p, PG));
	T_EXPECT_EQ(mapping_is_private(p), 1);
	/* Writable to the last byte, and pages do not alias. */
	memset(p, 0xa5, PG);
	T_EXPECT(all_zero(q, PG));
	T_EXPECT_EQ(p[PG - 1], 0xa5);
	smbiov_page_free(p);
	smbiov_page_free(q);
	smbiov_page_free(NULL);
}

static void test_folio_alloc(void)
{
	static const unsigned orders[] = {0, 1, 3, SMBIOV_FOLIO_MAX_ORDER};
	size_t k;

	for (k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
		struct smbiov_folio *f = smbiov_folio_alloc(orders[k]);

		T_ASSERT(f);
		T_EXPECT_EQ(f->order, orders[k]);
		T_EXPECT_EQ(smbiov_folio_size(f), PG << orders[k]);
		T_EXPECT_EQ(smbiov_folio_nr_pages(f), (size_t)1 << orders[k]);
		T_EXPECT_EQ((uintptr_t)f->addr % PG, 0);
		T_EXPECT(all_zero(f->addr, smbiov_folio_size(f)));
		T_EXPECT_EQ(mapping_is_private(f->addr), 1);
		T_EXPECT_EQ(f->refcount, 1);
		T_EXPECT_EQ(f->flags, 0);
		T_EXPECT_EQ(f->index, 0);
		/* Every page of the folio is usable. */
		((unsigned char *)f->addr)[smbiov_folio_size(f) - 1] = 1;
		smbiov_folio_put(f);
	}
	T_EXPECT(smbiov_folio_alloc(SMBIOV_FOLIO_MAX_ORDER + 1) == NULL);
}

static void test_folio_refcount(void)
{
	struct smbiov_folio *f = smbiov_folio_alloc(0);

	T_ASSERT(f);
	smbiov_folio_get(f);
	smbiov_folio_get(f);
	T_EXPECT_EQ(f->refcount, 3);
	smbiov_folio_put(f);
	T_EXPECT_EQ(f->refcount, 2);
	/* Memory stays usable while a reference remains. */
	((unsigned char *)f->addr)[0] = 7;
	smbiov_folio_put(f);
	T_EXPECT_EQ(f->refcount, 1);
	T_EXPECT_EQ(((unsigned char *)f->addr)[0], 7);
	smbiov_folio_put(f); /* freed: ASan would flag a leak otherwise */
	smbiov_folio_put(NULL);
}

static void test_folio_flags(void)
{
	struct smbiov_folio *f = smbiov_folio_alloc(0);

	T_ASSERT(f);
	T_EXPECT(!smbiov_folio_test(f, SMBIOV_FOLIO_UPTODATE));
	smbiov_folio_set(f, SMBIOV_FOLIO_UPTODATE);
	smbiov_folio_set(f, SMBIOV_FOLIO_DIRTY | SMBIOV_FOLIO_ERROR);
	T_EXPECT(smbiov_folio_test(f, SMBIOV_FOLIO_UPTODATE));
	T_EXPECT(smbiov_folio_test(f, SMBIOV_FOLIO_DIRTY));
	T_EXPECT(smbiov_folio_test(f, SMBIOV_FOLIO_ERROR));
	T_EXPECT(!smbiov_folio_test(f, SMBIOV_FOLIO_LOCKED));
	smbiov_folio_clear(f, SMBIOV_FOLIO_DIRTY);
	T_EXPECT(!smbiov_folio_test(f, SMBIOV_FOLIO_DIRTY));
	/* Clearing one bit leaves the others. */
	T_EXPECT(smbiov_folio_test(f, SMBIOV_FOLIO_UPTODATE));
	T_EXPECT(smbiov_folio_test(f, SMBIOV_FOLIO_ERROR));
	T_EXPECT_EQ(f->flags, SMBIOV_FOLIO_UPTODATE | SMBIOV_FOLIO_ERROR);

	T_EXPECT(smbiov_folio_trylock(f));
	T_EXPECT(smbiov_folio_test(f, SMBIOV_FOLIO_LOCKED));
	T_EXPECT(!smbiov_folio_trylock(f));
	smbiov_folio_unlock(f);
	T_EXPECT(!smbiov_folio_test(f, SMBIOV_FOLIO_LOCKED));
	T_EXPECT(smbiov_folio_test(f, SMBIOV_FOLIO_UPTODATE));
	T_EXPECT(smbiov_folio_trylock(f));
	smbiov_folio_unlock(f);
	/* Waiting on a folio that is not locked returns at once. */
	smbiov_folio_wait_unlocked(f);
	smbiov_folio_wait_writeback(f);
	T_EXPECT_EQ(f->flags, SMBIOV_FOLIO_UPTODATE | SMBIOV_FOLIO_ERROR);
	smbiov_folio_put(f);
}

static void test_start_writeback(void)
{
	struct smbiov_folio *f = smbiov_folio_alloc(2);

	T_ASSERT(f);
	/* Locked but clean: nothing to write, nothing changes. */
	smbiov_folio_lock(f);
	T_EXPECT(!smbiov_folio_start_writeback(f));
	T_EXPECT_EQ(f->flags, SMBIOV_FOLIO_LOCKED);
	smbiov_folio_unlock(f);

	/* Dirty but unlocked: a caller bug, refused, nothing changes. */
	smbiov_folio_set(f, SMBIOV_FOLIO_DIRTY);
	T_EXPECT(!smbiov_folio_start_writeback(f));
	T_EXPECT_EQ(f->flags, SMBIOV_FOLIO_DIRTY);

	/* Locked and dirty: DIRTY -> WRITEBACK, still locked. */
	smbiov_folio_lock(f);
	T_EXPECT(smbiov_folio_start_writeback(f));
	T_EXPECT_EQ(f->flags, SMBIOV_FOLIO_LOCKED | SMBIOV_FOLIO_WRITEBACK);
	/* Not dirty any more: a second start does nothing. */
	T_EXPECT(!smbiov_folio_start_writeback(f));
	/* Redirtied while in flight: must wait for writeback first. */
	smbiov_folio_set(f, SMBIOV_FOLIO_DIRTY);
	T_EXPECT(!smbiov_folio_start_writeback(f));
	T_EXPECT_EQ(f->flags, SMBIOV_FOLIO_LOCKED | SMBIOV_FOLIO_WRITEBACK |
				      SMBIOV_FOLIO_DIRTY);
	smbiov_folio_clear(f, SMBIOV_FOLIO_WRITEBACK);
	T_EXPECT(smbiov_folio_start_writeback(f));
	smbiov_folio_unlock(f);
	T_EXPECT_EQ(f->flags, SMBIOV_FOLIO_WRITEBACK);
	smbiov_folio_put(f);
}

/* ---- two threads --------------------------------------------------------- */

struct waiter {
	struct smbiov_folio *f;
	int mode; /* 0 lock, 1 wait_unlocked, 2 wait_writeback */
	int done; /* atomic */
	unsigned flags_seen;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	switch (w->mode) {
	case 0:
		smbiov_folio_lock(w->f);
		break;
	case 1:
		smbiov_folio_wait_unlocked(w->f);
		break;
	case 2:
		smbiov_folio_wait_writeback(w->f);
		break;
	}
	w->flags_seen = __atomic_load_n(&w->f->flags, __ATOMIC_SEQ_CST);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	if (w->mode == 0)
		smbiov_folio_unlock(w->f);
	return NULL;
}

/* Start a waiter, check it really blocks, then run @release. */
static void run_waiter(struct smbiov_folio *f, int mode,
		       void (*release)(struct smbiov_folio *f),
		       unsigned expect_bit)
{
	struct waiter w = {.f = f, .mode = mode};
	pthread_t th;

	T_ASSERT(pthread_create(&th, NULL, waiter_fn, &w) == 0);
	usleep(50 * 1000);
	T_EXPECT_EQ(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0);
	release(f);
	pthread_join(th, NULL);
	T_EXPECT_EQ(w.done, 1);
	if (mode == 0)
		T_EXPECT(w.flags_seen & SMBIOV_FOLIO_LOCKED);
	if (expect_bit)
		T_EXPECT(w.flags_seen & expect_bit);
}

static void release_unlock(struct smbiov_folio *f)
{
	smbiov_folio_set(f, SMBIOV_FOLIO_UPTODATE);
	smbiov_folio_unlock(f);
}

static void release_writeback(struct smbiov_folio *f)
{
	smbiov_folio_set(f, SMBIOV_FOLIO_ERROR);
	smbiov_folio_clear(f, SMBIOV_FOLIO_WRITEBACK);
}

static void test_lock_two_threads(void)
{
	struct smbiov_folio *f = smbiov_folio_alloc(0);

	T_ASSERT(f);
	/* lock() sleeps until the holder unlocks, then owns the lock. */
	smbiov_folio_lock(f);
	run_waiter(f, 0, release_unlock, SMBIOV_FOLIO_UPTODATE);
	T_EXPECT(!smbiov_folio_test(f, SMBIOV_FOLIO_LOCKED));

	/* wait_unlocked() wakes on unlock and sees what was set before. */
	smbiov_folio_clear(f, SMBIOV_FOLIO_UPTODATE);
	smbiov_folio_lock(f);
	run_waiter(f, 1, release_unlock, SMBIOV_FOLIO_UPTODATE);

	/* wait_writeback() wakes when writeback ends. */
	smbiov_folio_set(f, SMBIOV_FOLIO_WRITEBACK);
	run_waiter(f, 2, release_writeback, SMBIOV_FOLIO_ERROR);
	T_EXPECT(!smbiov_folio_test(f, SMBIOV_FOLIO_WRITEBACK));
	smbiov_folio_put(f);
}

#define NLOCKERS    6
#define LOCK_ROUNDS 20000

struct contender {
	struct smbiov_folio *f;
	unsigned long *counter;
};

static void *contender_fn(void *arg)
{
	struct contender *c = arg;
	int i;

	for (i = 0; i < LOCK_ROUNDS; i++) {
		smbiov_folio_lock(c->f);
		/* Non-atomic on purpose: the folio lock must serialise it. */
		(*c->counter)++;
		smbiov_folio_unlock(c->f);
	}
	return NULL;
}

static void test_lock_contention(void)
{
	struct smbiov_folio *f = smbiov_folio_alloc(0);
	struct contender c;
	pthread_t th[NLOCKERS];
	unsigned long counter = 0;
	int i;

	T_ASSERT(f);
	c.f = f;
	c.counter = &counter;
	for (i = 0; i < NLOCKERS; i++)
		T_ASSERT(pthread_create(&th[i], NULL, contender_fn, &c) == 0);
	for (i = 0; i < NLOCKERS; i++)
		pthread_join(th[i], NULL);
	T_EXPECT_EQ(counter, (unsigned long)NLOCKERS * LOCK_ROUNDS);
	T_EXPECT_EQ(f->flags, 0);
	smbiov_folio_put(f);
}

/* ---- completion helpers -------------------------------------------------- */

/*
 * Index layout used below (page indices):
 *   0      order 0
 *   1      order 0
 *   2, 3   hole
 *   4-7    order 2
 *   8      order 0
 *   9-15   hole
 *   16-31  order 4
 */
static const struct {
	uint64_t index;
	unsigned order;
} layout[] = {{0, 0}, {1, 0}, {4, 2}, {8, 0}, {16, 4}};
#define NLAYOUT (sizeof(layout) / sizeof(layout[0]))

static struct smbiov_xarray *make_layout(struct smbiov_folio **fs,
					 unsigned flags)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	size_t k;

	T_ASSERT(xa);
	for (k = 0; k < NLAYOUT; k++) {
		fs[k] = smbiov_folio_alloc(layout[k].order);
		T_ASSERT(fs[k]);
		fs[k]->index = layout[k].index;
		smbiov_folio_set(fs[k], flags);
		T_ASSERT(smbiov_xarray_insert(xa, fs[k]) == 0);
		smbiov_folio_put(fs[k]); /* the index holds it now */
	}
	return xa;
}

static void test_read_done(void)
{
	struct smbiov_folio *fs[NLAYOUT];
	struct smbiov_xarray *xa = make_layout(fs, SMBIOV_FOLIO_LOCKED);

	/*
	 * From 100 bytes into page 1 to 10 bytes into page 5: folio 1, the
	 * hole, and the order-2 folio (once, though two of its pages).
	 */
	T_EXPECT_EQ(smbiov_folios_read_done(xa, PG + 100, 4 * PG - 90, 0), 2);
	T_EXPECT_EQ(fs[0]->flags, SMBIOV_FOLIO_LOCKED);
	T_EXPECT_EQ(fs[1]->flags, SMBIOV_FOLIO_UPTODATE);
	T_EXPECT_EQ(fs[2]->flags, SMBIOV_FOLIO_UPTODATE);
	T_EXPECT_EQ(fs[3]->flags, SMBIOV_FOLIO_LOCKED);

	/* Failed read from the last byte of page 8 into the middle of 20. */
	T_EXPECT_EQ(smbiov_folios_read_done(xa, 9 * PG - 1, 11 * PG, -EIO), 2);
	T_EXPECT_EQ(fs[3]->flags, SMBIOV_FOLIO_ERROR);
	T_EXPECT_EQ(fs[4]->flags, SMBIOV_FOLIO_ERROR);
	T_EXPECT_EQ(fs[0]->flags, SMBIOV_FOLIO_LOCKED);

	/* Empty, negative and all-hole ranges visit nothing. */
	T_EXPECT_EQ(smbiov_folios_read_done(xa, 0, 0, 0), 0);
	T_EXPECT_EQ(smbiov_folios_read_done(xa, -PG, 2 * PG, 0), 0);
	T_EXPECT_EQ(smbiov_folios_read_done(xa, 2 * PG, 2 * PG, 0), 0);
	T_EXPECT_EQ(smbiov_folios_read_done(xa, 1000 * PG, 1, 0), 0);
	T_EXPECT_EQ(fs[0]->flags, SMBIOV_FOLIO_LOCKED);

	/* Exactly one byte, the first of the file. */
	T_EXPECT_EQ(smbiov_folios_read_done(xa, 0, 1, 0), 1);
	T_EXPECT_EQ(fs[0]->flags, SMBIOV_FOLIO_UPTODATE);
	smbiov_xarray_free(xa);
}

static void test_write_done(void)
{
	struct smbiov_folio *fs[NLAYOUT];
	struct smbiov_xarray *xa =
		make_layout(fs, SMBIOV_FOLIO_LOCKED | SMBIOV_FOLIO_DIRTY);
	size_t k;

	for (k = 0; k < NLAYOUT; k++) {
		T_EXPECT(smbiov_folio_start_writeback(fs[k]));
		smbiov_folio_unlock(fs[k]);
		T_EXPECT_EQ(fs[k]->flags, SMBIOV_FOLIO_WRITEBACK);
	}

	/* Success over [mid page 0, mid page 1): written back, clean. */
	T_EXPECT_EQ(smbiov_folios_write_done(xa, 10, PG, 0), 2);
	T_EXPECT_EQ(fs[0]->flags, 0);
	T_EXPECT_EQ(fs[1]->flags, 0);

	/* Transient error, starting mid large folio: redirtied for retry. */
	T_EXPECT_EQ(smbiov_folios_write_done(xa, 6 * PG + 5, 3 * PG, -EAGAIN),
		    2);
	T_EXPECT_EQ(fs[2]->flags, SMBIOV_FOLIO_DIRTY);
	T_EXPECT_EQ(fs[3]->flags, SMBIOV_FOLIO_DIRTY);

	/* Hard error, only the tail page of the order-4 folio: ERROR. */
	T_EXPECT_EQ(smbiov_folios_write_done(xa, 31 * PG + 1, 1, -EIO), 1);
	T_EXPECT_EQ(fs[4]->flags, SMBIOV_FOLIO_ERROR);
	/* The ones already done are not touched again. */
	T_EXPECT_EQ(fs[0]->flags, 0);
	T_EXPECT_EQ(fs[2]->flags, SMBIOV_FOLIO_DIRTY);
	smbiov_xarray_free(xa);
}

static void test_write_done_wakes(void)
{
	struct smbiov_folio *fs[NLAYOUT];
	struct smbiov_xarray *xa = make_layout(fs, SMBIOV_FOLIO_WRITEBACK);
	struct waiter w = {.f = NULL, .mode = 2};
	pthread_t th;

	w.f = fs[4];
	T_ASSERT(pthread_create(&th, NULL, waiter_fn, &w) == 0);
	usleep(50 * 1000);
	T_EXPECT_EQ(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0);
	T_EXPECT_EQ(smbiov_folios_write_done(xa, 16 * PG, 16 * PG, -EINTR), 1);
	pthread_join(th, NULL);
	T_EXPECT_EQ(w.done, 1);
	T_EXPECT(w.flags_seen & SMBIOV_FOLIO_DIRTY);
	T_EXPECT(!(w.flags_seen & SMBIOV_FOLIO_WRITEBACK));
	smbiov_xarray_free(xa);
}

static void test_folios_unlock(void)
{
	struct smbiov_folio *fs[NLAYOUT];
	struct smbiov_xarray *xa = make_layout(fs, SMBIOV_FOLIO_LOCKED);
	struct smbiov_folio *far;

	/* An unwind may cover folios it never locked: skip them quietly. */
	smbiov_folio_unlock(fs[2]);
	T_EXPECT_EQ(smbiov_folios_unlock(xa, PG + 1, 8 * PG - 2), 3);
	T_EXPECT_EQ(fs[0]->flags, SMBIOV_FOLIO_LOCKED);
	T_EXPECT_EQ(fs[1]->flags, 0);
	T_EXPECT_EQ(fs[2]->flags, 0);
	T_EXPECT_EQ(fs[3]->flags, 0);
	T_EXPECT_EQ(fs[4]->flags, SMBIOV_FOLIO_LOCKED);
	/*
	 * Whole file, with a far folio behind a 2^30-page hole: a huge
	 * length is clamped, not wrapped, and holes are skipped wholesale
	 * (a page-by-page walk would not finish).
	 */
	far = smbiov_folio_alloc(0);
	T_ASSERT(far);
	far->index = (uint64_t)1 << 30;
	smbiov_folio_set(far, SMBIOV_FOLIO_LOCKED);
	T_ASSERT(smbiov_xarray_insert(xa, far) == 0);
	T_EXPECT_EQ(smbiov_folios_unlock(xa, 0, SIZE_MAX), NLAYOUT + 1);
	T_EXPECT_EQ(fs[0]->flags, 0);
	T_EXPECT_EQ(fs[4]->flags, 0);
	T_EXPECT_EQ(far->flags, 0);
	smbiov_folio_put(far);
	smbiov_xarray_free(xa);
}

/* Alloc then free @n 2 MiB folios: what the pool holds after. */
static size_t churn(unsigned n)
{
	struct smbiov_folio *f[64];

	for (unsigned i = 0; i < n; i++) {
		f[i] = smbiov_folio_alloc(SMBIOV_FOLIO_MAX_ORDER);
		T_ASSERT(f[i] != NULL);
	}
	for (unsigned i = 0; i < n; i++)
		smbiov_folio_put(f[i]);
	return mem_folio_pool_bytes();
}

/*
 * The pool keeps 64 MiB of freed folio memory, plus what page caches
 * reserved while they live; a release trims back.
 */
static void test_pool_reserve(void)
{
	const size_t mib = 1 << 20;

	T_ASSERT(churn(48) <= 64 * mib); /* 96 MiB freed */
	mem_folio_pool_reserve(64 * mib, 0);
	T_ASSERT(churn(48) >= 96 * mib);
	T_ASSERT(mem_folio_pool_bytes() <= 128 * mib);
	mem_folio_pool_reserve(64 * mib, 1);
	T_ASSERT(mem_folio_pool_bytes() <= 64 * mib);
	/* more released than reserved: clamped, the floor stays */
	mem_folio_pool_reserve(mib, 1);
	T_ASSERT(churn(40) >= 64 * mib - 2 * mib);
	T_ASSERT(mem_folio_pool_bytes() <= 64 * mib);
}

int main(void)
{
	T_RUN(test_page_alloc);
	T_RUN(test_folio_alloc);
	T_RUN(test_folio_refcount);
	T_RUN(test_folio_flags);
	T_RUN(test_start_writeback);
	T_RUN(test_lock_two_threads);
	T_RUN(test_lock_contention);
	T_RUN(test_read_done);
	T_RUN(test_write_done);
	T_RUN(test_write_done_wakes);
	T_RUN(test_folios_unlock);
	T_RUN(test_pool_reserve);
	return t_done();
}
