// SPDX-License-Identifier: MIT
/*
 * Folios: 2^order contiguous pages with one state word and a refcount.
 *
 * The state word and the refcount are plain unsigned fields in the public
 * struct (so inline helpers and tests can read them); every access here goes
 * through the __atomic builtins.
 *
 * Sleeping on a folio bit (LOCKED, WRITEBACK) uses a small global table of
 * mutex + condvar pairs hashed by folio address, as the kernel hashes folio
 * wait queues: folios stay small and waiting is rare. Each bucket counts its
 * sleepers so that the common unlock with nobody waiting costs one atomic
 * load instead of a mutex round trip.
 */
#include "mem/folio_pool.h"

#include <smbiov/mem.h>

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FOLIO_WAIT_BITS	   6
#define FOLIO_WAIT_BUCKETS (1u << FOLIO_WAIT_BITS)

struct folio_waitq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned waiters; /* atomic: threads sleeping (or about to) here */
};

static struct folio_waitq folio_waitqs[FOLIO_WAIT_BUCKETS];

/*
 * Folio memory. A fresh private mapping costs a page fault per page on
 * first touch — on the project machine about 180 MB/s with 4 KiB pages,
 * 530 MB/s with transparent huge pages, while a read lands at 1.3 GB/s —
 * which made a read through the page cache a tenth of a direct one
 * (bench/RESULTS.md, 2026-12-06, cache). So:
 *  - memory comes in 2 MiB chunks, aligned and advised MADV_HUGEPAGE, cut
 *    into folios of the order asked; the rest of a chunk waits in a pool;
 *  - freed folio memory goes back to the pool and is reused, zeroed at
 *    memset speed (folios are handed out zeroed). The pool keeps up to
 *    FOLIO_POOL_BYTES plus what live page caches reserved (their budgets,
 *    mem_folio_pool_reserve()); beyond that, freed memory is unmapped.
 * All of it is private anonymous memory: a child has its own copy. The
 * pool's lock is taken around fork() so no child inherits it held.
 */
#define FOLIO_POOL_BYTES ((size_t)64 << 20)
#define FOLIO_CHUNK	 (SMBIOV_PAGE_SIZE << SMBIOV_FOLIO_MAX_ORDER)

static struct {
	pthread_mutex_t lock;
	void *free[SMBIOV_FOLIO_MAX_ORDER + 1]; /* next pointer in byte 0 */
	size_t bytes;
	size_t reserved; /* by live page caches, on top of FOLIO_POOL_BYTES */
} folio_pool = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t folio_pool_once = PTHREAD_ONCE_INIT;

static void pool_lock(void)
{
	pthread_mutex_lock(&folio_pool.lock);
}

static void pool_unlock(void)
{
	pthread_mutex_unlock(&folio_pool.lock);
}

static void pool_init(void)
{
	pthread_atfork(pool_lock, pool_unlock, pool_unlock);
}

/* Under the pool's lock. */
static void pool_push(void *p, unsigned order)
{
	*(void **)p = folio_pool.free[order];
	folio_pool.free[order] = p;
	folio_pool.bytes += SMBIOV_PAGE_SIZE << order;
}

/* Memory for a folio of @order from the pool (zeroed), or NULL. */
static void *pool_take(unsigned order)
{
	void *p;

	pthread_once(&folio_pool_once, pool_init);
	pool_lock();
	p = folio_pool.free[order];
	if (p) {
		folio_pool.free[order] = *(void **)p;
		folio_pool.bytes -= SMBIOV_PAGE_SIZE << order;
	}
	pool_unlock();
	if (p)
		memset(p, 0, SMBIOV_PAGE_SIZE << order);
	return p;
}

/* Keep @p for reuse; false if the pool is full (then unmap it). */
static bool pool_give(void *p, unsigned order)
{
	bool kept = false;

	pthread_once(&folio_pool_once, pool_init);
	pool_lock();
	if (folio_pool.bytes + (SMBIOV_PAGE_SIZE << order) <=
	    FOLIO_POOL_BYTES + folio_pool.reserved) {
		pool_push(p, order);
		kept = true;
	}
	pool_unlock();
	return kept;
}

void mem_folio_pool_reserve(size_t bytes, int release)
{
	void *trim = NULL, *p;
	unsigned order;

	pthread_once(&folio_pool_once, pool_init);
	pool_lock();
	if (!release) {
		folio_pool.reserved += bytes;
	} else {
		folio_pool.reserved -= bytes < folio_pool.reserved
					       ? bytes
					       : folio_pool.reserved;
		/* largest first: the fewest munmaps for the bytes */
		for (order = SMBIOV_FOLIO_MAX_ORDER + 1; order-- > 0;)
			while (folio_pool.bytes >
				       FOLIO_POOL_BYTES + folio_pool.reserved &&
			       (p = folio_pool.free[order])) {
				folio_pool.free[order] = *(void **)p;
				folio_pool.bytes -= SMBIOV_PAGE_SIZE << order;
				/* the order rides in the second word */
				((void **)p)[0] = trim;
				((size_t *)p)[1] = order;
				trim = p;
			}
	}
	pool_unlock();
	while ((p = trim)) {
		trim = ((void **)p)[0];
		munmap(p, SMBIOV_PAGE_SIZE << ((size_t *)p)[1]);
	}
}

size_t mem_folio_pool_bytes(void)
{
	size_t n;

	pthread_once(&folio_pool_once, pool_init);
	pool_lock();
	n = folio_pool.bytes;
	pool_unlock();
	return n;
}

/*
 * A new 2 MiB chunk, aligned so it can be one huge page: the first folio
 * of @order is returned, the rest of the chunk goes to the pool.
 */
static void *chunk_alloc(unsigned order)
{
	size_t fsz = SMBIOV_PAGE_SIZE << order;
	uintptr_t p, a;
	void *m;

	m = mmap(NULL, 2 * FOLIO_CHUNK, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	p = (uintptr_t)m;
	a = (p + FOLIO_CHUNK - 1) & ~(uintptr_t)(FOLIO_CHUNK - 1);
	if (a > p)
		munmap(m, a - p);
	munmap((void *)(a + FOLIO_CHUNK), p + FOLIO_CHUNK - a);
	/* a hint: where huge pages are off it changes nothing */
	madvise((void *)a, FOLIO_CHUNK, MADV_HUGEPAGE);
	pthread_once(&folio_pool_once, pool_init);
	pool_lock();
	for (size_t off = fsz; off < FOLIO_CHUNK; off += fsz)
		pool_push((void *)(a + off), order);
	pool_unlock();
	return (void *)a;
}
static pthread_once_t folio_waitqs_once = PTHREAD_ONCE_INIT;

static void folio_waitqs_init(void)
{
	unsigned i;

	for (i = 0; i < FOLIO_WAIT_BUCKETS; i++) {
		pthread_mutex_init(&folio_waitqs[i].lock, NULL);
		pthread_cond_init(&folio_waitqs[i].cond, NULL);
	}
}

static struct folio_waitq *folio_waitq(const struct smbiov_folio *f)
{
	uint64_t h = (uint64_t)(uintptr_t)f;

	pthread_once(&folio_waitqs_once, folio_waitqs_init);
	/* Fibonacci hashing: struct addresses differ mostly in middle bits. */
	h = (h >> 4) * 0x9e3779b97f4a7c15ull;
	return &folio_waitqs[h >> (64 - FOLIO_WAIT_BITS)];
}

static void folio_bug(const struct smbiov_folio *f, const char *what)
{
	fprintf(stderr, "smbiov: BUG: folio %p (index %llu): %s\n",
		(const void *)f, (unsigned long long)f->index, what);
}

static unsigned folio_flags(const struct smbiov_folio *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_SEQ_CST);
}

/*
 * Wake everyone sleeping in @f's bucket. Called after a waited-on bit was
 * cleared. The sequentially consistent clear, then load of the sleeper
 * count, pairs with the sleeper's increment, then load of the flags: at
 * least one side sees the other, so a wake-up is never lost. Sleepers
 * re-check under the mutex, so taking it here orders the broadcast after
 * any sleeper that already decided to wait.
 */
static void folio_wake(struct smbiov_folio *f)
{
	struct folio_waitq *wq = folio_waitq(f);

	if (!__atomic_load_n(&wq->waiters, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&wq->lock);
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
}

/* Sleep until none of @bits is set in @f's flags. */
static void folio_wait_bits(struct smbiov_folio *f, unsigned bits)
{
	struct folio_waitq *wq;

	if (!(folio_flags(f) & bits))
		return;
	wq = folio_waitq(f);
	pthread_mutex_lock(&wq->lock);
	__atomic_add_fetch(&wq->waiters, 1, __ATOMIC_SEQ_CST);
	while (folio_flags(f) & bits)
		pthread_cond_wait(&wq->cond, &wq->lock);
	__atomic_sub_fetch(&wq->waiters, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&wq->lock);
}

struct smbiov_folio *smbiov_folio_alloc(unsigned order)
{
	struct smbiov_folio *f;
	void *p;

	if (order > SMBIOV_FOLIO_MAX_ORDER)
		return NULL;
	f = malloc(sizeof(*f));
	if (!f)
		return NULL;
	/* Private anonymous: zero-filled and never shared with a child. */
	p = pool_take(order);
	if (!p)
		p = chunk_alloc(order);
	if (!p)
		goto err_free;
	f->addr = p;
	f->index = 0;
	f->order = order;
	f->flags = 0;
	f->refcount = 1;
	f->priv = NULL;
	return f;

err_free:
	free(f);
	return NULL;
}

void smbiov_folio_get(struct smbiov_folio *f)
{
	__atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
}

void smbiov_folio_put(struct smbiov_folio *f)
{
	unsigned old;

	if (!f)
		return;
	old = __atomic_fetch_sub(&f->refcount, 1, __ATOMIC_ACQ_REL);
	if (old > 1)
		return;
	if (old == 0) {
		/* Undo the wrap: a second bad put reports again, not frees. */
		__atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
		folio_bug(f, "put with refcount 0");
		return;
	}
	if (!pool_give(f->addr, f->order))
		munmap(f->addr, smbiov_folio_size(f));
	free(f);
}

bool smbiov_folio_test(const struct smbiov_folio *f, unsigned flag)
{
	return folio_flags(f) & flag;
}

void smbiov_folio_set(struct smbiov_folio *f, unsigned flag)
{
	__atomic_fetch_or(&f->flags, flag, __ATOMIC_SEQ_CST);
}

void smbiov_folio_clear(struct smbiov_folio *f, unsigned flag)
{
	unsigned old;

	old = __atomic_fetch_and(&f->flags, ~flag, __ATOMIC_SEQ_CST);
	/* Clearing LOCKED or WRITEBACK this way must wake sleepers too. */
	if (old & flag & (SMBIOV_FOLIO_LOCKED | SMBIOV_FOLIO_WRITEBACK))
		folio_wake(f);
}

bool smbiov_folio_trylock(struct smbiov_folio *f)
{
	unsigned old;

	old = __atomic_fetch_or(&f->flags, SMBIOV_FOLIO_LOCKED,
				__ATOMIC_SEQ_CST);
	return !(old & SMBIOV_FOLIO_LOCKED);
}

void smbiov_folio_lock(struct smbiov_folio *f)
{
	struct folio_waitq *wq;

	if (smbiov_folio_trylock(f))
		return;
	wq = folio_waitq(f);
	pthread_mutex_lock(&wq->lock);
	__atomic_add_fetch(&wq->waiters, 1, __ATOMIC_SEQ_CST);
	while (!smbiov_folio_trylock(f))
		pthread_cond_wait(&wq->cond, &wq->lock);
	__atomic_sub_fetch(&wq->waiters, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&wq->lock);
}

void smbiov_folio_unlock(struct smbiov_folio *f)
{
	unsigned old;

	old = __atomic_fetch_and(&f->flags, ~(unsigned)SMBIOV_FOLIO_LOCKED,
				 __ATOMIC_SEQ_CST);
	if (!(old & SMBIOV_FOLIO_LOCKED)) {
		folio_bug(f, "unlock of an unlocked folio");
		return;
	}
	folio_wake(f);
}

void smbiov_folio_wait_unlocked(struct smbiov_folio *f)
{
	folio_wait_bits(f, SMBIOV_FOLIO_LOCKED);
}

void smbiov_folio_wait_writeback(struct smbiov_folio *f)
{
	folio_wait_bits(f, SMBIOV_FOLIO_WRITEBACK);
}

bool smbiov_folio_start_writeback(struct smbiov_folio *f)
{
	unsigned old, new;

	old = folio_flags(f);
	do {
		if (!(old & SMBIOV_FOLIO_DIRTY))
			return false;
		/*
		 * The lock is what keeps a second writer from starting the
		 * same folio; and writeback already in flight must be waited
		 * for first, or two writes of one range could race on the
		 * wire. Both are caller bugs: refuse and change nothing.
		 */
		if (!(old & SMBIOV_FOLIO_LOCKED)) {
			folio_bug(f, "start_writeback on an unlocked folio");
			return false;
		}
		if (old & SMBIOV_FOLIO_WRITEBACK) {
			folio_bug(f, "start_writeback while under writeback");
			return false;
		}
		new = (old & ~(unsigned)SMBIOV_FOLIO_DIRTY) |
		      SMBIOV_FOLIO_WRITEBACK;
	} while (!__atomic_compare_exchange_n(&f->flags, &old, new, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return true;
}
