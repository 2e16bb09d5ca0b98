// SPDX-License-Identifier: MIT
/*
 * smbiov_iter_hash(): hashing an iterator span by span gives the same
 * digest as hashing the flat bytes, for every type and for iterators of
 * thousands of tiny segments; the iterator is not consumed; the update
 * callback sees the iterator's own memory (never a flattened copy); errors
 * propagate; DISCARD and XARRAY holes are refused.
 */
#include "conv_fixture.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static struct fx fx;

/*
 * Two self-contained "MACs": FNV-1a 64 (order-sensitive per byte) and an
 * Adler-style pair of running sums (position-weighted), so a reordering
 * or a dropped/duplicated span cannot go unnoticed by both.
 */
struct digest {
	uint64_t fnv;
	uint64_t a, b;
	size_t bytes;
	size_t calls;
	size_t fail_at; /* make this update call fail with -EBADMSG */
	/* Record the spans seen so they can be checked against memory. */
	struct fx_ent spans[FX_MAX_SPANS];
	size_t nspans;
	bool overflow;
};

static void digest_init(struct digest *d)
{
	memset(d, 0, sizeof(*d));
	d->fnv = 0xcbf29ce484222325ull;
	d->a = 1;
}

static void digest_bytes(struct digest *d, const uint8_t *p, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		d->fnv = (d->fnv ^ p[k]) * 0x100000001b3ull;
		d->a = (d->a + p[k]) % 65521;
		d->b = (d->b + d->a) % 65521;
	}
	d->bytes += len;
}

static int update(void *ctx, const void *data, size_t len)
{
	struct digest *d = ctx;

	if (++d->calls == d->fail_at)
		return -EBADMSG;
	if (d->nspans < FX_MAX_SPANS)
		d->spans[d->nspans++] = (struct fx_ent){
			.addr = (uintptr_t)data,
			.len = len,
		};
	else
		d->overflow = true;
	digest_bytes(d, data, len);
	return 0;
}

static bool digest_eq(const struct digest *x, const struct digest *y)
{
	return x->fnv == y->fnv && x->a == y->a && x->b == y->b &&
	       x->bytes == y->bytes;
}

static struct digest seen, flat;

/* Every type: same digest as the flat bytes, iterator untouched. */
static void test_hash_all_types(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		for (size_t row = 0; row < fx_nrows(kind); row++) {
			struct smbiov_iter before;

			T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) ==
				 0);
			before = fx.it;
			digest_init(&seen);
			digest_init(&flat);
			digest_bytes(&flat, fx.bytes, fx.len);
			T_EXPECT_EQ(smbiov_iter_hash(&fx.it, SIZE_MAX, update,
						     &seen),
				    0);
			T_EXPECT(digest_eq(&seen, &flat));
			/* non-consuming */
			T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
			/* one call per walker span, on the memory itself */
			T_EXPECT(!seen.overflow);
			T_EXPECT_EQ(seen.calls, fx.nspans);
			T_EXPECT(fx_check_ents(&fx, seen.spans, seen.nspans, 0,
					       fx.len));
		}
	}
	/* A destination iterator can be hashed too (verify a READ). */
	T_ASSERT(fx_build(&fx, FX_KVEC, 0, SMBIOV_ITER_DEST) == 0);
	digest_init(&seen);
	digest_init(&flat);
	digest_bytes(&flat, fx.bytes, fx.len);
	T_EXPECT_EQ(smbiov_iter_hash(&fx.it, SIZE_MAX, update, &seen), 0);
	T_EXPECT(digest_eq(&seen, &flat));
}

/*
 * Many-segment iterators: thousands of 0..13-byte IOVEC/KVEC elements
 * and a BVECQ of hundreds of elements in 3-element segments, hashed in
 * place and compared with the flat bytes; partway through, too (after an
 * advance, and cut short by @maxsize).
 */
static void test_hash_many_segments(void)
{
	enum { NSEG = 4096 };
	static struct iovec v[NSEG];
	static uint8_t flatbuf[NSEG * 13];
	struct smbiov_bvecq *q = smbiov_bvecq_new(3, SMBIOV_CLEANUP_NONE);
	struct smbiov_iter it;
	size_t pos = 0x333, total = 0, qtotal = 0;
	uint32_t seed = 12345;

	T_ASSERT(q);
	for (size_t k = 0; k < NSEG; k++) {
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % 14; /* 0 (an empty element) .. 13 */
		v[k].iov_base = fx.buf + pos;
		v[k].iov_len = len;
		memcpy(flatbuf + total, fx.buf + pos, len);
		total += len;
		pos += len + (seed >> 8) % 200; /* gaps between elements */
	}
	T_ASSERT(pos < FX_BUFSIZE);

	for (int type = 0; type < 2; type++) {
		int ret = type ? smbiov_iter_kvec(&it, SMBIOV_ITER_SOURCE, v,
						  NSEG, total)
			       : smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, v,
						   NSEG, total);

		T_ASSERT(ret == 0);
		digest_init(&seen);
		digest_init(&flat);
		digest_bytes(&flat, flatbuf, total);
		T_EXPECT_EQ(smbiov_iter_hash(&it, SIZE_MAX, update, &seen), 0);
		T_EXPECT(digest_eq(&seen, &flat));
		T_EXPECT_EQ(it.count, total);

		/* from the middle of an element, for a prefix of the rest */
		smbiov_iter_advance(&it, 1001);
		digest_init(&seen);
		digest_init(&flat);
		digest_bytes(&flat, flatbuf + 1001, 7777);
		T_EXPECT_EQ(smbiov_iter_hash(&it, 7777, update, &seen), 0);
		T_EXPECT(digest_eq(&seen, &flat));
		T_EXPECT_EQ(it.count, total - 1001);
	}

	/* 600 elements of 1..50 bytes scattered over the buffer's pages */
	for (size_t k = 0; k < 600; k++) {
		size_t page = (k * 37) % FX_NPAGES, off, len;

		seed = seed * 1103515245u + 12345u;
		len = 1 + (seed >> 16) % 50;
		off = (seed >> 4) % (SMBIOV_PAGE_SIZE - len);
		T_ASSERT(smbiov_bvecq_append(q,
					     fx.buf + page * SMBIOV_PAGE_SIZE,
					     off, len) == 0);
		memcpy(flatbuf + qtotal, fx.buf + page * SMBIOV_PAGE_SIZE + off,
		       len);
		qtotal += len;
	}
	T_ASSERT(smbiov_iter_bvecq(&it, SMBIOV_ITER_SOURCE, q, 0, 0, qtotal) ==
		 0);
	digest_init(&seen);
	digest_init(&flat);
	digest_bytes(&flat, flatbuf, qtotal);
	T_EXPECT_EQ(smbiov_iter_hash(&it, SIZE_MAX, update, &seen), 0);
	T_EXPECT(digest_eq(&seen, &flat));
	T_EXPECT_EQ(seen.calls, 600);
	smbiov_bvecq_put(q);
}

/* @maxsize: a prefix is hashed; a larger one clamps to the count. */
static void test_hash_maxsize(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		size_t row = fx_nrows(kind) > 1 ? 6 : 0;
		size_t cut;

		T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) == 0);
		cut = fx.len / 2 + 11;
		digest_init(&seen);
		digest_init(&flat);
		digest_bytes(&flat, fx.bytes, cut);
		T_EXPECT_EQ(smbiov_iter_hash(&fx.it, cut, update, &seen), 0);
		T_EXPECT(digest_eq(&seen, &flat));

		digest_init(&seen);
		T_EXPECT_EQ(
			smbiov_iter_hash(&fx.it, fx.len + 5000, update, &seen),
			0);
		T_EXPECT_EQ(seen.bytes, fx.len);

		/* 0 bytes: no call at all */
		digest_init(&seen);
		T_EXPECT_EQ(smbiov_iter_hash(&fx.it, 0, update, &seen), 0);
		T_EXPECT_EQ(seen.calls, 0);
	}
}

/* The update's error stops the walk at once and comes back unchanged. */
static void test_hash_update_error(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		struct smbiov_iter before;

		if (fx_nrows(kind) > 1)
			T_ASSERT(fx_build(&fx, kind, 6, SMBIOV_ITER_SOURCE) ==
				 0);
		else
			T_ASSERT(fx_build(&fx, kind, 0, SMBIOV_ITER_SOURCE) ==
				 0);
		before = fx.it;
		for (size_t n = 1; n <= fx.nspans && n <= 4; n++) {
			digest_init(&seen);
			seen.fail_at = n;
			T_EXPECT_EQ(smbiov_iter_hash(&fx.it, SIZE_MAX, update,
						     &seen),
				    -EBADMSG);
			T_EXPECT_EQ(seen.calls, n);
			T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
		}
	}
}

/* DISCARD has no bytes; an XARRAY hole would leave bytes unauthenticated. */
static void test_hash_discard_and_hole(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_iter it;

	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, 100) == 0);
	digest_init(&seen);
	T_EXPECT_EQ(smbiov_iter_hash(&it, SIZE_MAX, update, &seen), -EFAULT);
	T_EXPECT_EQ(seen.calls, 0);
	T_EXPECT_EQ(it.count, 100);

	T_ASSERT(xa);
	alarm(10);
	/* pages 0-1 present, 2-3 a hole, 4 present */
	T_ASSERT(smbiov_xarray_populate(xa, 0, 0x2000, 0) == 0);
	T_ASSERT(smbiov_xarray_populate(xa, 0x4000, 0x1000, 0) == 0);
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0x800,
				    0x4000) == 0);
	digest_init(&seen);
	T_EXPECT_EQ(smbiov_iter_hash(&it, SIZE_MAX, update, &seen), -ENODATA);
	T_EXPECT_EQ(seen.bytes, 0x1800);
	T_EXPECT_EQ(it.count, 0x4000);
	/* the prefix before the hole hashes fine */
	T_EXPECT_EQ(smbiov_iter_hash(&it, 0x1800, update, &seen), 0);
	/* starting at the hole: refused at once, update never called */
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0x2000,
				    0x1000) == 0);
	digest_init(&seen);
	T_EXPECT_EQ(smbiov_iter_hash(&it, SIZE_MAX, update, &seen), -ENODATA);
	T_EXPECT_EQ(seen.calls, 0);
	alarm(0);
	smbiov_xarray_free(xa);
}

int main(void)
{
	fx_init(&fx);
	T_RUN(test_hash_all_types);
	T_RUN(test_hash_many_segments);
	T_RUN(test_hash_maxsize);
	T_RUN(test_hash_update_error);
	T_RUN(test_hash_discard_and_hole);
	fx_fini(&fx);
	return t_done();
}
