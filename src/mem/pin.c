// SPDX-License-Identifier: MIT
/*
 * The pin registry: a process-wide count of pins per page of caller memory.
 *
 * In the kernel a pin lives in the struct page; userspace has no such
 * thing, so the registry is an open-addressing hash table keyed by page
 * address (linear probing, backward-shift deletion so there are no
 * tombstones to rehash away), behind one mutex. Pins are taken and dropped
 * once per page per I/O, far from the per-byte hot path, so a single lock
 * is cheap enough and keeps pin_pages() trivially all-or-nothing.
 */
#include <smbiov/iter.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define PIN_MIN_BITS 6

struct pin_slot {
	uintptr_t page; /* 0 = empty (page 0 is never mapped) */
	size_t count;
};

struct pin_table {
	struct pin_slot *slots;
	unsigned bits; /* capacity is 1 << bits */
	size_t used;   /* pages with a non-zero count */
	size_t total;  /* sum of all counts */
};

static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pin_once = PTHREAD_ONCE_INIT;

/*
 * The registry's lock is held across fork(), so a child never inherits it
 * taken by a thread it does not have (it may pin its own memory).
 */
static void pin_fork_lock(void)
{
	pthread_mutex_lock(&pin_lock);
}

static void pin_fork_unlock(void)
{
	pthread_mutex_unlock(&pin_lock);
}

static void pin_init(void)
{
	pthread_atfork(pin_fork_lock, pin_fork_unlock, pin_fork_unlock);
}

static void pin_lock_take(void)
{
	pthread_once(&pin_once, pin_init);
	pthread_mutex_lock(&pin_lock);
}
static struct pin_table pins;
static bool pin_warned;

static uintptr_t pin_key(const void *addr)
{
	return (uintptr_t)addr & SMBIOV_PAGE_MASK;
}

static size_t pin_hash(uintptr_t page, unsigned bits)
{
	uint64_t h = (uint64_t)(page >> SMBIOV_PAGE_SHIFT);

	return (size_t)((h * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

/* Slot holding @page, or the empty slot where it would go. */
static struct pin_slot *pin_find(struct pin_table *t, uintptr_t page)
{
	size_t mask = ((size_t)1 << t->bits) - 1;
	size_t i = pin_hash(page, t->bits);

	while (t->slots[i].page && t->slots[i].page != page)
		i = (i + 1) & mask;
	return &t->slots[i];
}

static int pin_rehash(struct pin_table *t, unsigned bits)
{
	struct pin_table n = {.bits = bits, .used = t->used, .total = t->total};
	size_t i, cap = t->slots ? (size_t)1 << t->bits : 0;

	n.slots = calloc((size_t)1 << bits, sizeof(*n.slots));
	if (!n.slots)
		return -ENOMEM;
	for (i = 0; i < cap; i++) {
		if (t->slots[i].page)
			*pin_find(&n, t->slots[i].page) = t->slots[i];
	}
	free(t->slots);
	*t = n;
	return 0;
}

/* Room for one more page at a load factor of at most 1/2. */
static int pin_reserve_one(struct pin_table *t)
{
	if (!t->slots)
		return pin_rehash(t, PIN_MIN_BITS);
	if ((t->used + 1) * 2 <= (size_t)1 << t->bits)
		return 0;
	return pin_rehash(t, t->bits + 1);
}

/*
 * Empty @slot, then pull back any later entry of the same probe run whose
 * home slot lies at or before the hole, so lookups never need tombstones.
 */
static void pin_delete(struct pin_table *t, struct pin_slot *slot)
{
	size_t mask = ((size_t)1 << t->bits) - 1;
	size_t hole = (size_t)(slot - t->slots);
	size_t i = hole;

	for (;;) {
		size_t home;

		i = (i + 1) & mask;
		if (!t->slots[i].page)
			break;
		home = pin_hash(t->slots[i].page, t->bits);
		/* Is home cyclically outside (hole, i]? Then it may move. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	t->slots[hole].page = 0;
	t->slots[hole].count = 0;
	t->used--;
}

/* Drop one pin on @page. Returns false if it held none. */
static bool pin_drop(struct pin_table *t, uintptr_t page)
{
	struct pin_slot *slot;

	if (!t->slots)
		return false;
	slot = pin_find(t, page);
	if (!slot->page)
		return false;
	t->total--;
	if (--slot->count == 0)
		pin_delete(t, slot);
	return true;
}

/**
 * smbiov_pin_pages - take one pin on each page
 * @pages: addresses; each names the page containing it
 * @npages: entries in @pages (a page listed twice is pinned twice)
 *
 * All or nothing: on failure no pin taken by this call remains.
 * Returns 0, -EINVAL (a NULL entry, or NULL @pages with @npages > 0) or
 * -ENOMEM.
 */
int smbiov_pin_pages(void *const *pages, size_t npages)
{
	struct pin_slot *slot;
	uintptr_t page;
	size_t i;
	int ret = 0;

	if (!npages)
		return 0;
	if (!pages)
		return -EINVAL;

	/*
	 * One pass: a bad entry or a failed table growth part way through
	 * takes back the pins this call already placed (same unwind).
	 */
	pin_lock_take();
	for (i = 0; i < npages; i++) {
		page = pin_key(pages[i]);
		ret = page ? pin_reserve_one(&pins) : -EINVAL;
		if (ret)
			goto err_unwind;
		slot = pin_find(&pins, page);
		if (!slot->page) {
			slot->page = page;
			pins.used++;
		}
		slot->count++;
		pins.total++;
	}
	pthread_mutex_unlock(&pin_lock);
	return 0;

err_unwind:
	while (i--)
		pin_drop(&pins, pin_key(pages[i]));
	pthread_mutex_unlock(&pin_lock);
	return ret;
}

/**
 * smbiov_unpin_pages - drop one pin on each page
 * @pages: addresses, as given to smbiov_pin_pages()
 * @npages: entries in @pages
 *
 * Unpinning a page that holds no pin is a caller bug: it is reported once
 * on stderr and otherwise ignored (no count goes below zero).
 */
void smbiov_unpin_pages(void *const *pages, size_t npages)
{
	bool bad = false, warn = false;
	size_t i;

	if (!pages || !npages)
		return;
	pin_lock_take();
	for (i = 0; i < npages; i++) {
		if (!pin_drop(&pins, pin_key(pages[i])))
			bad = true;
	}
	if (bad && !pin_warned) {
		pin_warned = true;
		warn = true;
	}
	pthread_mutex_unlock(&pin_lock);
	if (warn)
		fprintf(stderr, "smbiov: BUG: unpin of a page that is not "
				"pinned (reported once)\n");
}

size_t smbiov_pin_count(const void *addr)
{
	struct pin_slot *slot;
	uintptr_t page = pin_key(addr);
	size_t n = 0;

	if (!page)
		return 0;
	pin_lock_take();
	if (pins.slots) {
		slot = pin_find(&pins, page);
		n = slot->count;
	}
	pthread_mutex_unlock(&pin_lock);
	return n;
}

size_t smbiov_pins_outstanding(void)
{
	size_t n;

	pin_lock_take();
	n = pins.total;
	pthread_mutex_unlock(&pin_lock);
	return n;
}
