// SPDX-License-Identifier: MIT
/*
 * The pin registry: per-page counting, page granularity, all-or-nothing
 * failure, concurrency, and the caller-bug path (unpin of an unpinned page).
 */
#include <smbiov/iter.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "t.h"

#define NBUF_PAGES 64

/* Page-aligned scratch memory; the registry never dereferences it. */
static unsigned char *buf;

static void *page_at(size_t n)
{
	return buf + n * SMBIOV_PAGE_SIZE;
}

static void test_pin_counts(void)
{
	void *pages[3] = {page_at(0), page_at(1), page_at(0)};

	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	/* A page listed twice is pinned twice. */
	T_EXPECT_EQ(smbiov_pin_pages(pages, 3), 0);
	T_EXPECT_EQ(smbiov_pin_count(page_at(0)), 2);
	T_EXPECT_EQ(smbiov_pin_count(page_at(1)), 1);
	T_EXPECT_EQ(smbiov_pin_count(page_at(2)), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 3);

	smbiov_unpin_pages(pages, 1);
	T_EXPECT_EQ(smbiov_pin_count(page_at(0)), 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 2);
	smbiov_unpin_pages(pages + 1, 2);
	T_EXPECT_EQ(smbiov_pin_count(page_at(0)), 0);
	T_EXPECT_EQ(smbiov_pin_count(page_at(1)), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

static void test_pin_page_granularity(void)
{
	/* Two addresses inside one page name the same page. */
	void *a[1] = {(unsigned char *)page_at(3) + 17};
	void *b[1] = {(unsigned char *)page_at(3) + SMBIOV_PAGE_SIZE - 1};

	T_EXPECT_EQ(smbiov_pin_pages(a, 1), 0);
	T_EXPECT_EQ(smbiov_pin_pages(b, 1), 0);
	T_EXPECT_EQ(smbiov_pin_count(page_at(3)), 2);
	T_EXPECT_EQ(smbiov_pin_count((unsigned char *)page_at(3) + 100), 2);
	T_EXPECT_EQ(smbiov_pin_count(page_at(4)), 0);
	smbiov_unpin_pages(b, 1);
	smbiov_unpin_pages(a, 1);
	T_EXPECT_EQ(smbiov_pin_count(page_at(3)), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

static void test_pin_all_or_nothing(void)
{
	void *pages[5] = {page_at(5), page_at(6), page_at(5), NULL, page_at(7)};
	void *held[1] = {page_at(5)};

	/*
	 * A bad entry late in the list must take back the pins the call
	 * placed before it (including a repeated page) and leave an earlier
	 * caller's pin alone.
	 */
	T_EXPECT_EQ(smbiov_pin_pages(held, 1), 0);
	T_EXPECT_EQ(smbiov_pin_pages(pages, 5), -EINVAL);
	T_EXPECT_EQ(smbiov_pin_count(page_at(5)), 1);
	T_EXPECT_EQ(smbiov_pin_count(page_at(6)), 0);
	T_EXPECT_EQ(smbiov_pin_count(page_at(7)), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 1);
	smbiov_unpin_pages(held, 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(smbiov_pin_pages(NULL, 1), -EINVAL);
	T_EXPECT_EQ(smbiov_pin_pages(NULL, 0), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

static void test_pin_many_pages(void)
{
	/* Enough distinct pages to make the table grow several times. */
	enum { N = 5000 };
	void **pages = malloc(N * sizeof(*pages));
	size_t i, bad = 0;

	T_ASSERT(pages);
	for (i = 0; i < N; i++)
		pages[i] = (void *)((uintptr_t)(i + 1) << 20);
	T_EXPECT_EQ(smbiov_pin_pages(pages, N), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), N);
	for (i = 0; i < N; i++)
		bad += smbiov_pin_count(pages[i]) != 1;
	T_EXPECT_EQ(bad, 0);

	/* Unpin every other page: lookups of the rest must survive deletes. */
	for (i = 0; i < N; i += 2)
		smbiov_unpin_pages(&pages[i], 1);
	bad = 0;
	for (i = 0; i < N; i++)
		bad += smbiov_pin_count(pages[i]) != (i & 1);
	T_EXPECT_EQ(bad, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), N / 2);
	for (i = 1; i < N; i += 2)
		smbiov_unpin_pages(&pages[i], 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	free(pages);
}

static void test_unpin_unpinned(void)
{
	void *pinned[1] = {page_at(10)};
	void *both[2] = {page_at(11), page_at(10)};

	T_EXPECT_EQ(smbiov_pin_pages(pinned, 1), 0);
	/* page 11 was never pinned: reported and ignored, page 10 dropped. */
	smbiov_unpin_pages(both, 2);
	T_EXPECT_EQ(smbiov_pin_count(page_at(11)), 0);
	T_EXPECT_EQ(smbiov_pin_count(page_at(10)), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	/* Again: no underflow, no crash. */
	smbiov_unpin_pages(both, 2);
	T_EXPECT_EQ(smbiov_pin_count(page_at(10)), 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(smbiov_pin_pages(pinned, 1), 0);
	T_EXPECT_EQ(smbiov_pin_count(page_at(10)), 1);
	smbiov_unpin_pages(pinned, 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

#define NTHREADS 8
#define ROUNDS	 2000

static void *pin_worker(void *arg)
{
	size_t id = (size_t)(uintptr_t)arg;
	size_t r, k;
	void *pages[4];
	long bad = 0;

	for (r = 0; r < ROUNDS; r++) {
		/* Overlapping sets so threads share (and race on) pages. */
		for (k = 0; k < 4; k++)
			pages[k] = page_at((id + r + k * 7) % NBUF_PAGES);
		if (smbiov_pin_pages(pages, 4) != 0) {
			bad++;
			continue;
		}
		if (smbiov_pin_count(pages[0]) == 0)
			bad++;
		smbiov_unpin_pages(pages, 4);
	}
	return (void *)bad;
}

static void test_pin_threads(void)
{
	pthread_t th[NTHREADS];
	size_t i;
	long bad = 0;

	for (i = 0; i < NTHREADS; i++)
		T_ASSERT(pthread_create(&th[i], NULL, pin_worker,
					(void *)(uintptr_t)i) == 0);
	for (i = 0; i < NTHREADS; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		bad += (long)ret;
	}
	T_EXPECT_EQ(bad, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	for (i = 0; i < NBUF_PAGES; i++)
		bad += smbiov_pin_count(page_at(i)) != 0;
	T_EXPECT_EQ(bad, 0);
}

int main(void)
{
	buf = aligned_alloc(SMBIOV_PAGE_SIZE, NBUF_PAGES * SMBIOV_PAGE_SIZE);
	T_ASSERT(buf);
	T_RUN(test_pin_counts);
	T_RUN(test_pin_page_granularity);
	T_RUN(test_pin_all_or_nothing);
	T_RUN(test_pin_many_pages);
	T_RUN(test_unpin_unpinned);
	T_RUN(test_pin_threads);
	free(buf);
	return t_done();
}
