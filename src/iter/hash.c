// SPDX-License-Identifier: MIT
/*
 * Hashing an iterator in place (kernel-iov-iter-design.md §2.4): signing
 * feeds every contiguous span straight to the MAC, so payload is never
 * flattened into a bounce buffer just to be hashed.
 */
#include "iter/convert_internal.h"

#include <errno.h>

struct hash_walk {
	smbiov_hash_update_fn update;
	void *ctx;
	int err;
};

static size_t hash_span_step(void *base, size_t progress, size_t len,
			     void *priv, void *priv2)
{
	struct hash_walk *w = priv;
	int err;

	(void)progress;
	(void)priv2;
	if (!len)
		return 0;
	err = w->update(w->ctx, base, len);
	if (err) {
		/* A positive return breaks the contract; still stop. */
		w->err = err < 0 ? err : -EINVAL;
		return len;
	}
	return 0;
}

/**
 * smbiov_iter_hash - feed up to @maxsize bytes of @i to @update, in order
 * @i: iterator (any type but DISCARD); NOT advanced
 * @maxsize: bytes to hash (clamped to the count)
 * @update: called once per contiguous span, never with a flattened copy
 * @ctx: passed to @update
 *
 * Walks a struct copy of @i, so the caller's iterator is untouched and can
 * be sent (or received into) afterwards. Returns 0, -EFAULT (DISCARD has
 * no bytes), -ENODATA (an XARRAY hole cut the walk short: the MAC would not
 * cover the whole range) or the first error @update returned.
 */
SMBIOV_API int smbiov_iter_hash(const struct smbiov_iter *i, size_t maxsize,
				smbiov_hash_update_fn update, void *ctx)
{
	struct smbiov_iter it = *i;
	struct hash_walk w = {
		.update = update,
		.ctx = ctx,
	};
	size_t done;

	if (i->type == SMBIOV_ITER_DISCARD)
		return -EFAULT;
	if (!update)
		return -EINVAL;
	if (maxsize > i->count)
		maxsize = i->count;
	if (!maxsize)
		return 0;

	done = smbiov_iterate_and_advance(&it, maxsize, &w, NULL,
					  hash_span_step);
	if (w.err)
		return w.err;
	if (done != maxsize)
		return -ENODATA;
	return 0;
}
