// SPDX-License-Identifier: MIT
/*
 * One memory budget per connection for every cached folio of its files,
 * and the CLOCK list reclaim walks (the kernel's LRU, reduced to a second
 * chance bit: a hit sets it without a lock, the hand clears it once before
 * it evicts).
 *
 * A folio can be evicted when it is clean, not locked, not under
 * writeback and nobody but its index holds it (refcount 1). Reclaim holds
 * the budget's lock and only tries each mapping's lock: the lock order is
 * mapping, then budget, and a mapping cannot go away while its nodes are
 * on the clock (fs_mapping_destroy() takes them off under the budget's
 * lock).
 */
#include "fs/cache.h"
#include "mem/folio_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

struct fs_node {
	struct fs_node *prev, *next; /* the clock ring */
	struct fs_mapping *m;
	struct smbiov_folio *f;
	unsigned referenced; /* atomic */
};

size_t fs_budget_default_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	size_t lim = (size_t)64 << 20;

	if (pages > 0 && psz > 0)
		lim = (size_t)pages * (size_t)psz / 8;
	if (lim < ((size_t)64 << 20))
		lim = (size_t)64 << 20;
	if (lim > ((size_t)1 << 30))
		lim = (size_t)1 << 30;
	return lim;
}

/*
 * The budget is also reserved in the folio pool: memory this cache frees
 * while it lives stays mapped for its next folios (fresh memory costs a
 * kernel zeroing per page, see mem/folio_pool.h). Released with it.
 */
int fs_budget_init(struct fs_budget *b, size_t limit)
{
	*b = (struct fs_budget){.limit = limit};
	if (pthread_mutex_init(&b->lock, NULL))
		return -ENOMEM;
	mem_folio_pool_reserve(limit, 0);
	return 0;
}

void fs_budget_destroy(struct fs_budget *b)
{
	mem_folio_pool_reserve(b->limit, 1);
	pthread_mutex_destroy(&b->lock);
}

static void ring_del(struct fs_budget *b, struct fs_node *n)
{
	if (n->next == n) {
		b->clock = NULL;
	} else {
		n->prev->next = n->next;
		n->next->prev = n->prev;
		if (b->clock == n)
			b->clock = n->next;
	}
	b->nr_nodes--;
}

int fs_node_add(struct fs_budget *b, struct fs_mapping *m,
		struct smbiov_folio *f)
{
	struct fs_node *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->m = m;
	n->f = f;
	f->priv = n;
	pthread_mutex_lock(&b->lock);
	/* New folios go just behind the hand: the last it will reach. */
	if (!b->clock) {
		n->prev = n->next = n;
		b->clock = n;
	} else {
		n->next = b->clock;
		n->prev = b->clock->prev;
		n->prev->next = n;
		b->clock->prev = n;
	}
	b->nr_nodes++;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void fs_node_del(struct fs_budget *b, struct smbiov_folio *f)
{
	struct fs_node *n = f->priv;

	if (!n)
		return;
	pthread_mutex_lock(&b->lock);
	ring_del(b, n);
	pthread_mutex_unlock(&b->lock);
	f->priv = NULL;
	free(n);
}

void fs_node_touch(struct smbiov_folio *f)
{
	struct fs_node *n = f->priv;

	if (n && !__atomic_load_n(&n->referenced, __ATOMIC_RELAXED))
		__atomic_store_n(&n->referenced, 1, __ATOMIC_RELAXED);
}

static bool evictable(struct smbiov_folio *f)
{
	unsigned busy = SMBIOV_FOLIO_LOCKED | SMBIOV_FOLIO_DIRTY |
			SMBIOV_FOLIO_WRITEBACK;

	return !(__atomic_load_n(&f->flags, __ATOMIC_SEQ_CST) & busy) &&
	       __atomic_load_n(&f->refcount, __ATOMIC_SEQ_CST) == 1;
}

/*
 * Evict the folio under the hand if it is idle and its mapping's lock is
 * free; move the hand on either way. Under b->lock. Returns the bytes
 * freed (its folio goes to *@out to be put outside the lock).
 */
static size_t clock_step(struct fs_budget *b, struct smbiov_folio **out)
{
	struct fs_node *n = b->clock;
	struct fs_mapping *m = n->m;
	struct smbiov_folio *f = n->f;
	size_t sz;

	b->clock = n->next;
	if (__atomic_exchange_n(&n->referenced, 0, __ATOMIC_RELAXED))
		return 0;
	if (!evictable(f) || pthread_mutex_trylock(&m->lock))
		return 0;
	/* Under the mapping's lock nobody can take a new reference. */
	if (!evictable(f)) {
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	sz = smbiov_folio_size(f);
	smbiov_xarray_erase(m->xa, f->index); /* its reference comes to us */
	ring_del(b, n);
	f->priv = NULL;
	free(n);
	pthread_mutex_unlock(&m->lock);
	*out = f;
	return sz;
}

int fs_budget_charge(struct fs_budget *b, size_t bytes)
{
	struct smbiov_folio *victims[32];
	size_t nv, scanned, freed;

	for (;;) {
		pthread_mutex_lock(&b->lock);
		if (b->used + bytes <= b->limit) {
			b->used += bytes;
			pthread_mutex_unlock(&b->lock);
			return 0;
		}
		/*
		 * Two turns of the hand: the first may only clear second
		 * chance bits. Evicted folios are put after the lock is let go
		 * (munmap is slow), a batch at a time.
		 */
		nv = 0;
		freed = 0;
		for (scanned = 0; b->clock && scanned < 2 * b->nr_nodes + 1 &&
				  nv < 32 && b->used - freed + bytes > b->limit;
		     scanned++) {
			struct smbiov_folio *f = NULL;
			size_t sz = clock_step(b, &f);

			if (f) {
				victims[nv++] = f;
				freed += sz;
			}
		}
		b->used -= freed;
		pthread_mutex_unlock(&b->lock);
		for (size_t k = 0; k < nv; k++)
			smbiov_folio_put(victims[k]);
		b->evicted += nv;
		if (!nv)
			return -ENOMEM;
	}
}

void fs_budget_uncharge(struct fs_budget *b, size_t bytes)
{
	pthread_mutex_lock(&b->lock);
	b->used = bytes > b->used ? 0 : b->used - bytes;
	pthread_mutex_unlock(&b->lock);
}
