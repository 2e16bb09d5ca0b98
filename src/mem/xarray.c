// SPDX-License-Identifier: MIT
/*
 * The folio index: a radix tree keyed by 64-bit page index.
 *
 * Nodes have 64 slots (6 index bits per level). The root covers
 * [0, 64 << root->shift) and the tree grows upwards when an index beyond
 * that, or a folio too large for the current root level, is inserted, so a
 * small file costs one node and a sparse index at 1 << 40 costs a handful.
 *
 * A folio of order n is a multi-index entry: it is stored at the level whose
 * slots cover 2^(6 * floor(n / 6)) indices, in every slot it spans there
 * (at most 32, always inside one node because the folio is aligned). A
 * lookup therefore reaches it in the same number of steps as an order-0
 * folio, and an overlap with anything already present is found on the way
 * down: a folio entry above the target level, or a child node or folio
 * entry in a target slot.
 *
 * A slot holds NULL, a folio pointer, or a child node pointer tagged with
 * bit 0 (both are at least 8-byte aligned). Empty nodes are freed as soon as
 * they empty, so a non-NULL child always has entries below it.
 */
#include <smbiov/mem.h>

#include "mem/xarray_internal.h"

#include <errno.h>
#include <stdlib.h>

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_SIZE  (1u << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK  ((uint64_t)XA_CHUNK_SIZE - 1)
/* Deepest tree: shifts 0, 6, ..., 60 cover all 64 index bits. */
#define XA_MAX_DEPTH 11

struct xa_node {
	unsigned char shift; /* index bits below this node's slots */
	unsigned count;	     /* non-NULL slots */
	void *slots[XA_CHUNK_SIZE];
};

struct smbiov_xarray {
	struct xa_node *root; /* NULL when empty */
	size_t nr_folios;
};

/*
 * Lookups may run concurrently with changes as long as the folio looked
 * up stays in the index meanwhile (the page cache's I/O walks folios it
 * holds locked or under writeback, which are never erased): every node on
 * the path to a present folio is non-empty, so never freed, the root only
 * ever grows (a new root is complete before it is published), and a slot
 * is published with release and read with acquire, so a walker sees a
 * node or folio only after its contents.
 */
static void *xa_get(void *const *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static void xa_set(void **slot, void *entry)
{
	__atomic_store_n(slot, entry, __ATOMIC_RELEASE);
}

static struct xa_node *xa_root(const struct smbiov_xarray *xa)
{
	return __atomic_load_n(&xa->root, __ATOMIC_ACQUIRE);
}

static void xa_set_root(struct smbiov_xarray *xa, struct xa_node *node)
{
	__atomic_store_n(&xa->root, node, __ATOMIC_RELEASE);
}

static bool xa_is_node(const void *entry)
{
	return (uintptr_t)entry & 1;
}

static struct xa_node *xa_to_node(const void *entry)
{
	return (struct xa_node *)((uintptr_t)entry & ~(uintptr_t)1);
}

static void *xa_mk_node(struct xa_node *node)
{
	return (void *)((uintptr_t)node | 1);
}

static unsigned xa_offset(uint64_t index, unsigned shift)
{
	return (index >> shift) & XA_CHUNK_MASK;
}

/* Does a node at @shift, as root, reach @index? */
static bool xa_covers(unsigned shift, uint64_t index)
{
	if (shift + XA_CHUNK_SHIFT >= 64)
		return true;
	return (index >> (shift + XA_CHUNK_SHIFT)) == 0;
}

/* The level (a node shift) where a folio of @order is stored. */
static unsigned xa_order_shift(unsigned order)
{
	return order / XA_CHUNK_SHIFT * XA_CHUNK_SHIFT;
}

static struct xa_node *xa_node_new(unsigned shift)
{
	struct xa_node *node = calloc(1, sizeof(*node));

	if (node)
		node->shift = (unsigned char)shift;
	return node;
}

struct smbiov_xarray *smbiov_xarray_new(void)
{
	return calloc(1, sizeof(struct smbiov_xarray));
}

/* Drop the reference of every folio under @node and free the subtree. */
static void xa_node_destroy(struct xa_node *node)
{
	unsigned off;

	for (off = 0; off < XA_CHUNK_SIZE; off++) {
		void *entry = node->slots[off];
		struct smbiov_folio *f;

		if (!entry)
			continue;
		if (xa_is_node(entry)) {
			xa_node_destroy(xa_to_node(entry));
			continue;
		}
		/*
		 * A multi-slot entry holds one reference. Its first slot comes
		 * first in this walk: skip the rest before the put may free it.
		 */
		f = entry;
		off += (1u << (f->order - node->shift)) - 1;
		smbiov_folio_put(f);
	}
	free(node);
}

void smbiov_xarray_free(struct smbiov_xarray *xa)
{
	if (!xa)
		return;
	if (xa->root)
		xa_node_destroy(xa->root);
	free(xa);
}

/*
 * Free the empty nodes at the bottom of a path, unlinking each from its
 * parent, stopping at the first node that still holds something.
 */
static void xa_prune(struct smbiov_xarray *xa, struct xa_node **path,
		     const unsigned *offs, int depth)
{
	for (; depth >= 0; depth--) {
		struct xa_node *node = path[depth];

		if (node->count)
			return;
		free(node);
		if (depth == 0) {
			xa_set_root(xa, NULL);
			return;
		}
		xa_set(&path[depth - 1]->slots[offs[depth - 1]], NULL);
		path[depth - 1]->count--;
	}
}

/*
 * Make the root reach @index and sit at least at @min_shift. Growing puts
 * the old root in slot 0 of a new one, which never disturbs existing
 * entries, so a failure half way leaves a valid (just taller) tree.
 */
static int xa_grow(struct smbiov_xarray *xa, uint64_t index, unsigned min_shift)
{
	struct xa_node *node;
	unsigned shift;

	if (!xa->root) {
		shift = min_shift;
		while (!xa_covers(shift, index))
			shift += XA_CHUNK_SHIFT;
		node = xa_node_new(shift);
		xa_set_root(xa, node);
		return node ? 0 : -ENOMEM;
	}
	while (xa->root->shift < min_shift ||
	       !xa_covers(xa->root->shift, index)) {
		node = xa_node_new(xa->root->shift + XA_CHUNK_SHIFT);
		if (!node)
			return -ENOMEM;
		node->slots[0] = xa_mk_node(xa->root);
		node->count = 1;
		xa_set_root(xa, node);
	}
	return 0;
}

int smbiov_xarray_insert(struct smbiov_xarray *xa, struct smbiov_folio *f)
{
	struct xa_node *path[XA_MAX_DEPTH];
	unsigned offs[XA_MAX_DEPTH];
	struct xa_node *node, *child;
	unsigned shift, off, nslots, i;
	int depth = 0;
	int ret;

	if (!xa || !f || f->order > SMBIOV_FOLIO_MAX_ORDER)
		return -EINVAL;
	if (f->index & (((uint64_t)1 << f->order) - 1))
		return -EINVAL;

	shift = xa_order_shift(f->order);
	nslots = 1u << (f->order - shift);
	ret = xa_grow(xa, f->index, shift);
	if (ret)
		return ret;

	node = xa->root;
	path[0] = node;
	while (node->shift > shift) {
		void *entry;

		off = xa_offset(f->index, node->shift);
		entry = node->slots[off];
		if (!entry) {
			child = xa_node_new(node->shift - XA_CHUNK_SHIFT);
			if (!child) {
				ret = -ENOMEM;
				goto err_prune;
			}
			xa_set(&node->slots[off], xa_mk_node(child));
			node->count++;
		} else if (xa_is_node(entry)) {
			child = xa_to_node(entry);
		} else {
			/* A larger folio already covers this index. */
			ret = -EEXIST;
			goto err_prune;
		}
		offs[depth] = off;
		path[++depth] = child;
		node = child;
	}

	off = xa_offset(f->index, shift);
	for (i = 0; i < nslots; i++) {
		if (node->slots[off + i]) {
			ret = -EEXIST;
			goto err_prune;
		}
	}
	for (i = 0; i < nslots; i++)
		xa_set(&node->slots[off + i], f);
	node->count += nslots;
	smbiov_folio_get(f);
	xa->nr_folios++;
	return 0;

err_prune:
	xa_prune(xa, path, offs, depth);
	return ret;
}

struct smbiov_folio *smbiov_xarray_load(const struct smbiov_xarray *xa,
					uint64_t index)
{
	const struct xa_node *node;

	if (!xa)
		return NULL;
	node = xa_root(xa);
	if (!node || !xa_covers(node->shift, index))
		return NULL;
	for (;;) {
		void *entry =
			xa_get(&node->slots[xa_offset(index, node->shift)]);

		if (!xa_is_node(entry))
			return entry;
		node = xa_to_node(entry);
	}
}

struct smbiov_folio *mem_xarray_find(const struct smbiov_xarray *xa,
				     uint64_t index, uint64_t last)
{
	const struct xa_node *node;
	uint64_t step, next;
	void *entry;

	if (!xa)
		return NULL;
restart:
	node = xa_root(xa);
	if (index > last || !node || !xa_covers(node->shift, index))
		return NULL;
	for (;;) {
		entry = xa_get(&node->slots[xa_offset(index, node->shift)]);
		if (!entry)
			break;
		if (!xa_is_node(entry))
			return entry;
		node = xa_to_node(entry);
	}
	/* Empty slot: jump to the first index of the next one. */
	step = (uint64_t)1 << node->shift;
	next = (index & ~(step - 1)) + step;
	if (next <= index)
		return NULL; /* wrapped past the top of the index space */
	index = next;
	goto restart;
}

struct smbiov_folio *smbiov_xarray_erase(struct smbiov_xarray *xa,
					 uint64_t index)
{
	struct xa_node *path[XA_MAX_DEPTH];
	unsigned offs[XA_MAX_DEPTH];
	struct smbiov_folio *f;
	struct xa_node *node;
	unsigned off, nslots, i;
	int depth = 0;
	void *entry;

	if (!xa || !xa->root || !xa_covers(xa->root->shift, index))
		return NULL;
	node = xa->root;
	path[0] = node;
	for (;;) {
		off = xa_offset(index, node->shift);
		entry = node->slots[off];
		if (!entry)
			return NULL;
		if (!xa_is_node(entry))
			break;
		offs[depth] = off;
		node = xa_to_node(entry);
		path[++depth] = node;
	}

	f = entry;
	off = xa_offset(f->index, node->shift);
	nslots = 1u << (f->order - node->shift);
	for (i = 0; i < nslots; i++)
		xa_set(&node->slots[off + i], NULL);
	node->count -= nslots;
	xa->nr_folios--;
	xa_prune(xa, path, offs, depth);
	return f;
}

struct smbiov_folio *smbiov_xarray_find(const struct smbiov_xarray *xa,
					uint64_t index, uint64_t last)
{
	return mem_xarray_find(xa, index, last);
}

size_t smbiov_xarray_nr_folios(const struct smbiov_xarray *xa)
{
	return xa ? xa->nr_folios : 0;
}

/*
 * Fill the hole at page @index with the largest folio of order <= @order
 * that is aligned there and fits between what is already present.
 * Returns the pages it covered, or a negative errno.
 */
static int64_t xa_fill_hole(struct smbiov_xarray *xa, uint64_t index,
			    unsigned order)
{
	struct smbiov_folio *f;
	int ret;

	while (order && (index & (((uint64_t)1 << order) - 1)))
		order--;
	for (;;) {
		f = smbiov_folio_alloc(order);
		if (!f)
			return -ENOMEM;
		f->index = index;
		ret = smbiov_xarray_insert(xa, f);
		/* The index took its own reference (or none on failure). */
		smbiov_folio_put(f);
		if (ret == 0)
			return (int64_t)1 << order;
		/*
		 * A smaller folio sits inside the block: retry smaller. The
		 * caller saw @index empty, so order 0 cannot collide.
		 */
		if (ret != -EEXIST || order == 0)
			return ret;
		order--;
	}
}

int smbiov_xarray_populate(struct smbiov_xarray *xa, int64_t start, size_t len,
			   unsigned order)
{
	uint64_t index, last;
	struct smbiov_folio *f;
	int64_t n;

	if (!xa || start < 0 || order > SMBIOV_FOLIO_MAX_ORDER)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > (uint64_t)INT64_MAX - (uint64_t)start)
		return -EINVAL;

	last = ((uint64_t)start + len - 1) >> SMBIOV_PAGE_SHIFT;
	index = (uint64_t)start >> SMBIOV_PAGE_SHIFT;
	index &= ~(((uint64_t)1 << order) - 1);
	while (index <= last) {
		f = smbiov_xarray_load(xa, index);
		if (f) {
			index = f->index + smbiov_folio_nr_pages(f);
			continue;
		}
		n = xa_fill_hole(xa, index, order);
		if (n < 0)
			return (int)n;
		index += (uint64_t)n;
	}
	return 0;
}
