// SPDX-License-Identifier: MIT
/*
 * smbiov_extract_iter_to_sge(): SGEs describe the iterator's bytes in
 * order, are cut exactly at registered-region ends with each region's lkey,
 * and the call is all or nothing: whichever lookup fails, the list length
 * and the iterator are as they were (the kernel's RDMA builder unwound one
 * SGE too few, DESIGN.md §2).
 */
#include "conv_fixture.h"

#include <infiniband/verbs.h>

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static struct fx fx;
static struct fx_ent ents[FX_NPAGES * 4];

#define SGE_MAX	      1024
#define SENTINEL_ADDR 0x5a5a5a5a5a5a5a5aull

static struct ibv_sge sges[SGE_MAX];

/*
 * Registered regions are fixed windows of @window bytes at absolute
 * addresses (0 = one region covering everything); the lkey names the
 * window. @fail_at > 0 makes that lookup call fail with -EKEYREJECTED.
 */
struct regions {
	size_t window;
	size_t calls;
	size_t fail_at;
};

static uint32_t window_lkey(uint64_t addr, size_t window)
{
	return window ? (uint32_t)(addr / window) ^ 0x10000u : 0x77u;
}

static int lookup(void *ctx, uint64_t addr, size_t len, uint32_t *lkey,
		  size_t *covered)
{
	struct regions *r = ctx;

	(void)len;
	if (++r->calls == r->fail_at)
		return -EKEYREJECTED;
	*lkey = window_lkey(addr, r->window);
	*covered = r->window ? r->window - addr % r->window : SIZE_MAX;
	return 0;
}

static void list_reset(struct smbiov_sge_list *l, size_t max)
{
	/* Slot 0 is taken, as by the SMB Direct data-transfer header. */
	memset(sges, 0xcc, sizeof(sges));
	sges[0] = (struct ibv_sge){
		.addr = SENTINEL_ADDR, .length = 24, .lkey = 1};
	l->sge = sges;
	l->nr = 1;
	l->max = max;
}

static bool sentinel_ok(void)
{
	return sges[0].addr == SENTINEL_ADDR && sges[0].length == 24 &&
	       sges[0].lkey == 1;
}

static size_t sge_ents(const struct smbiov_sge_list *l, struct fx_ent *out)
{
	for (size_t k = 1; k < l->nr; k++)
		out[k - 1] = (struct fx_ent){
			.addr = (uintptr_t)l->sge[k].addr,
			.len = l->sge[k].length,
		};
	return l->nr - 1;
}

/* Kinds the SGE builder accepts (caller memory must be a BVEC first). */
static bool kind_ok(int kind)
{
	return kind != FX_UBUF && kind != FX_IOVEC;
}

/* SGEs expected: each walker span cut at @window boundaries. */
static size_t expected_sges(size_t window)
{
	size_t n = 0;

	if (!window)
		return fx.nspans;
	for (size_t e = 0; e < fx.nspans; e++)
		n += (fx.wsp[e].addr + fx.wsp[e].len - 1) / window -
		     fx.wsp[e].addr / window + 1;
	return n;
}

/* Whole iterator of every accepted type, one region, then 4/8 KiB windows. */
static void test_sge_all_types_and_windows(void)
{
	static const size_t windows[] = {0, 0x1000, 0x2000};

	for (size_t w = 0; w < 3; w++) {
		for (int kind = 0; kind < FX_NR_KINDS; kind++) {
			if (!kind_ok(kind))
				continue;
			for (size_t row = 0; row < fx_nrows(kind); row++) {
				struct regions r = {.window = windows[w]};
				struct smbiov_sge_list l;
				size_t n;
				ssize_t ret;

				T_ASSERT(fx_build(&fx, kind, row,
						  SMBIOV_ITER_SOURCE) == 0);
				list_reset(&l, SGE_MAX);
				ret = smbiov_extract_iter_to_sge(
					&fx.it, SIZE_MAX, &l, lookup, &r);
				T_EXPECT_EQ(ret, fx.len);
				T_EXPECT_EQ(fx.it.count, 0);
				T_EXPECT(sentinel_ok());
				n = sge_ents(&l, ents);
				T_EXPECT(
					fx_check_ents(&fx, ents, n, 0, fx.len));
				T_EXPECT_EQ(n, expected_sges(windows[w]));
				for (size_t k = 1; k < l.nr; k++) {
					const struct ibv_sge *s = &sges[k];

					T_EXPECT(s->length > 0);
					T_EXPECT_EQ(s->lkey,
						    window_lkey(s->addr,
								windows[w]));
					/* inside one region */
					if (windows[w])
						T_EXPECT_EQ(
							s->addr / windows[w],
							(s->addr + s->length -
							 1) / windows[w]);
				}
			}
		}
	}
}

/* @len less than the count: exactly @len described, the rest left. */
static void test_sge_partial(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		size_t row = fx_nrows(kind) > 1 ? 2 : 0;
		struct regions r = {.window = 0x2000};
		struct smbiov_sge_list l;
		size_t cut, n1, n;

		if (!kind_ok(kind))
			continue;
		T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) == 0);
		cut = fx.len / 3 + 1;
		list_reset(&l, SGE_MAX);
		T_EXPECT_EQ(
			smbiov_extract_iter_to_sge(&fx.it, cut, &l, lookup, &r),
			cut);
		T_EXPECT_EQ(fx.it.count, fx.len - cut);
		n1 = l.nr;
		T_EXPECT_EQ(smbiov_extract_iter_to_sge(&fx.it, SIZE_MAX, &l,
						       lookup, &r),
			    fx.len - cut);
		T_EXPECT(l.nr > n1);
		n = sge_ents(&l, ents);
		T_EXPECT(fx_check_ents(&fx, ents, n, 0, fx.len));
		T_EXPECT_EQ(fx.it.count, 0);
	}
}

/*
 * Pitfall "the RDMA SGE builder's error unwind was off by one": let the
 * N-th lookup fail for every N up to the number a full run makes. Each
 * time the error comes back, l->nr is what it was, the reserved slot is
 * intact and the iterator has not moved; then a clean run still works.
 */
static void test_sge_unwind(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		size_t row = fx_nrows(kind) > 1 ? 2 : 0;
		struct regions r = {.window = 0x1000};
		struct smbiov_sge_list l;
		struct smbiov_iter before;
		size_t calls;

		if (!kind_ok(kind))
			continue;
		T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) == 0);
		before = fx.it;
		/* A clean run on a copy counts the lookups. */
		{
			struct smbiov_iter probe = fx.it;

			list_reset(&l, SGE_MAX);
			T_EXPECT_EQ(smbiov_extract_iter_to_sge(&probe, SIZE_MAX,
							       &l, lookup, &r),
				    fx.len);
			calls = r.calls;
			T_EXPECT(calls >= 3);
		}
		for (size_t n = 1; n <= calls; n++) {
			r = (struct regions){.window = 0x1000, .fail_at = n};
			list_reset(&l, SGE_MAX);
			T_EXPECT_EQ(smbiov_extract_iter_to_sge(&fx.it, SIZE_MAX,
							       &l, lookup, &r),
				    -EKEYREJECTED);
			T_EXPECT_EQ(r.calls, n); /* stopped at the failure */
			T_EXPECT_EQ(l.nr, 1);
			T_EXPECT(sentinel_ok());
			T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
		}
		r = (struct regions){.window = 0x1000};
		list_reset(&l, SGE_MAX);
		T_EXPECT_EQ(smbiov_extract_iter_to_sge(&fx.it, SIZE_MAX, &l,
						       lookup, &r),
			    fx.len);
		T_EXPECT_EQ(l.nr - 1, calls);
	}
}

/* Too few free slots: -E2BIG, nothing changed; exactly enough: fine. */
static void test_sge_too_small(void)
{
	for (int kind = 0; kind < FX_NR_KINDS; kind++) {
		size_t row = fx_nrows(kind) > 1 ? 2 : 0;
		struct regions r = {.window = 0x1000};
		struct smbiov_sge_list l;
		struct smbiov_iter before;
		size_t need;

		if (!kind_ok(kind))
			continue;
		T_ASSERT(fx_build(&fx, kind, row, SMBIOV_ITER_SOURCE) == 0);
		need = expected_sges(0x1000);
		before = fx.it;
		list_reset(&l, 1 + need - 1);
		T_EXPECT_EQ(smbiov_extract_iter_to_sge(&fx.it, SIZE_MAX, &l,
						       lookup, &r),
			    -E2BIG);
		T_EXPECT_EQ(l.nr, 1);
		T_EXPECT(sentinel_ok());
		T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);

		list_reset(&l, 1 + need);
		T_EXPECT_EQ(smbiov_extract_iter_to_sge(&fx.it, SIZE_MAX, &l,
						       lookup, &r),
			    fx.len);
		T_EXPECT_EQ(l.nr, 1 + need);
	}
}

/* Caller memory and DISCARD are refused with -EIO, untouched. */
static void test_sge_refused_types(void)
{
	struct regions r = {0};
	struct smbiov_sge_list l;
	struct smbiov_iter before, it;

	for (int kind = FX_UBUF; kind <= FX_IOVEC; kind++) {
		T_ASSERT(fx_build(&fx, kind, 2, SMBIOV_ITER_SOURCE) == 0);
		before = fx.it;
		list_reset(&l, SGE_MAX);
		T_EXPECT_EQ(smbiov_extract_iter_to_sge(&fx.it, SIZE_MAX, &l,
						       lookup, &r),
			    -EIO);
		T_EXPECT_EQ(l.nr, 1);
		T_EXPECT(memcmp(&before, &fx.it, sizeof(before)) == 0);
	}
	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, 64) == 0);
	T_EXPECT_EQ(smbiov_extract_iter_to_sge(&it, SIZE_MAX, &l, lookup, &r),
		    -EIO);
	T_EXPECT_EQ(it.count, 64);
	T_EXPECT_EQ(r.calls, 0);
}

/*
 * An XARRAY hole cannot be described: the call fails (all or nothing),
 * promptly, whether the hole is in the middle or at the start; a 0-byte
 * request succeeds with nothing added.
 */
static void test_sge_xarray_hole_and_zero(void)
{
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct regions r = {0};
	struct smbiov_sge_list l;
	struct smbiov_iter it, before;

	T_ASSERT(xa);
	/* pages 0-1 present, 2-3 a hole, 4 present */
	T_ASSERT(smbiov_xarray_populate(xa, 0, 0x2000, 0) == 0);
	T_ASSERT(smbiov_xarray_populate(xa, 0x4000, 0x1000, 0) == 0);
	alarm(10);
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0x800,
				    0x4000) == 0);
	before = it;
	list_reset(&l, SGE_MAX);
	T_EXPECT_EQ(smbiov_extract_iter_to_sge(&it, SIZE_MAX, &l, lookup, &r),
		    -ENODATA);
	T_EXPECT_EQ(l.nr, 1);
	T_EXPECT(memcmp(&before, &it, sizeof(it)) == 0);
	/* the part before the hole is fine on its own */
	T_EXPECT_EQ(smbiov_extract_iter_to_sge(&it, 0x1800, &l, lookup, &r),
		    0x1800);
	T_EXPECT_EQ(l.nr, 3);

	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_SOURCE, xa, 0x2000,
				    0x1000) == 0);
	list_reset(&l, SGE_MAX);
	T_EXPECT_EQ(smbiov_extract_iter_to_sge(&it, SIZE_MAX, &l, lookup, &r),
		    -ENODATA);
	T_EXPECT_EQ(l.nr, 1);
	T_EXPECT_EQ(it.count, 0x1000);

	/* 0 bytes: nothing to do, nothing looked up */
	r.calls = 0;
	T_EXPECT_EQ(smbiov_extract_iter_to_sge(&it, 0, &l, lookup, &r), 0);
	T_EXPECT_EQ(r.calls, 0);
	T_EXPECT_EQ(l.nr, 1);
	alarm(0);
	smbiov_xarray_free(xa);
}

int main(void)
{
	fx_init(&fx);
	T_RUN(test_sge_all_types_and_windows);
	T_RUN(test_sge_partial);
	T_RUN(test_sge_unwind);
	T_RUN(test_sge_too_small);
	T_RUN(test_sge_refused_types);
	T_RUN(test_sge_xarray_hole_and_zero);
	fx_fini(&fx);
	return t_done();
}
