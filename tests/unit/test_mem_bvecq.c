// SPDX-License-Identifier: MIT
/*
 * BVECQ: appending across segment boundaries, byte counts, argument checks,
 * refcounted carving (a reference on a middle segment keeps the tail alive
 * after the head is dropped), each cleanup kind, and dropping a very long
 * queue without recursion.
 */
#include <smbiov/mem.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "t.h"

#define PG SMBIOV_PAGE_SIZE

/* Is @addr's page still mapped? mincore() fails with ENOMEM if not. */
static bool page_mapped(void *addr)
{
	unsigned char vec;

	return mincore(addr, PG, &vec) == 0;
}

static void test_new(void)
{
	struct smbiov_bvecq *q = smbiov_bvecq_new(4, SMBIOV_CLEANUP_NONE);

	T_ASSERT(q);
	T_EXPECT_EQ(q->refcount, 1);
	T_EXPECT_EQ(q->max_segs, 4);
	T_EXPECT_EQ(q->nr_segs, 0);
	T_EXPECT_EQ(q->fpos, -1);
	T_EXPECT(!q->next && !q->prev && !q->discontig);
	T_EXPECT_EQ(q->cleanup, SMBIOV_CLEANUP_NONE);
	T_EXPECT_EQ(smbiov_bvecq_bytes(q), 0);
	T_EXPECT(smbiov_bvecq_get(q) == q);
	T_EXPECT_EQ(q->refcount, 2);
	smbiov_bvecq_put(q);
	T_EXPECT_EQ(q->refcount, 1);
	smbiov_bvecq_put(q);

	T_EXPECT(smbiov_bvecq_new(0, SMBIOV_CLEANUP_NONE) == NULL);
	T_EXPECT(smbiov_bvecq_new(SIZE_MAX / 8, SMBIOV_CLEANUP_NONE) == NULL);
	T_EXPECT(smbiov_bvecq_new(1, (enum smbiov_cleanup)7) == NULL);
	T_EXPECT(smbiov_bvecq_get(NULL) == NULL);
	smbiov_bvecq_put(NULL);
}

static void test_append_segments(void)
{
	unsigned char *buf = aligned_alloc(PG, 8 * PG);
	struct smbiov_bvecq *q = smbiov_bvecq_new(3, SMBIOV_CLEANUP_NONE);
	struct smbiov_bvecq *s2, *s3;
	size_t i;

	T_ASSERT(buf && q);
	q->fpos = 8192;
	/* 7 elements of 100 + i bytes into capacity 3: segments 3, 3, 1. */
	for (i = 0; i < 7; i++)
		T_EXPECT_EQ(smbiov_bvecq_append(q, buf + i * PG, 10, 100 + i),
			    0);
	T_EXPECT_EQ(q->nr_segs, 3);
	s2 = q->next;
	T_ASSERT(s2);
	s3 = s2->next;
	T_ASSERT(s3);
	T_EXPECT(s3->next == NULL);
	T_EXPECT(s2->prev == q && s3->prev == s2);
	T_EXPECT_EQ(s2->nr_segs, 3);
	T_EXPECT_EQ(s3->nr_segs, 1);
	/* New segments inherit capacity and cleanup, start refcount 1. */
	T_EXPECT_EQ(s2->max_segs, 3);
	T_EXPECT_EQ(s3->cleanup, SMBIOV_CLEANUP_NONE);
	T_EXPECT_EQ(s2->refcount, 1);
	/* ...and continue the file position. */
	T_EXPECT_EQ(s2->fpos, 8192 + 100 + 101 + 102);
	T_EXPECT_EQ(s3->fpos, 8192 + 100 + 101 + 102 + 103 + 104 + 105);
	T_EXPECT(s2->bv[0].page == buf + 3 * PG);
	T_EXPECT_EQ(s2->bv[0].offset, 10);
	T_EXPECT_EQ(s3->bv[0].len, 106);

	T_EXPECT_EQ(smbiov_bvecq_bytes(q), 7 * 100 + 21);
	T_EXPECT_EQ(smbiov_bvecq_bytes(s2), 103 + 104 + 105 + 106);
	T_EXPECT_EQ(smbiov_bvecq_bytes(s3), 106);

	/* Appending through a middle segment still goes to the end. */
	T_EXPECT_EQ(smbiov_bvecq_append(s2, buf, 0, 1), 0);
	T_EXPECT_EQ(s3->nr_segs, 2);
	T_EXPECT_EQ(s2->nr_segs, 3);
	/* An element may span pages (offset past the first page). */
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf, PG + 5, 2 * PG), 0);
	T_EXPECT_EQ(smbiov_bvecq_bytes(q), 7 * 100 + 21 + 1 + 2 * PG);

	smbiov_bvecq_put(q);
	free(buf);
}

static void test_append_errors(void)
{
	unsigned char *buf = aligned_alloc(PG, PG);
	struct smbiov_bvecq *q = smbiov_bvecq_new(2, SMBIOV_CLEANUP_NONE);
	struct smbiov_bvecq *fq = smbiov_bvecq_new(2, SMBIOV_CLEANUP_FREE);

	T_ASSERT(buf && q && fq);
	T_EXPECT_EQ(smbiov_bvecq_append(q, NULL, 0, 1), -EINVAL);
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf + 1, 0, 1), -EINVAL);
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf, SIZE_MAX, 1), -EINVAL);
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf, 1, SIZE_MAX), -EINVAL);
	T_EXPECT_EQ(smbiov_bvecq_append(NULL, buf, 0, 1), -EINVAL);
	/* A FREE element is exactly inside its one page. */
	T_EXPECT_EQ(smbiov_bvecq_append(fq, buf, 1, PG), -EINVAL);
	T_EXPECT_EQ(q->nr_segs, 0);
	T_EXPECT_EQ(fq->nr_segs, 0);
	/* An empty element is fine (walkers skip it). */
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf, 0, 0), 0);
	T_EXPECT_EQ(q->nr_segs, 1);
	smbiov_bvecq_put(q);
	smbiov_bvecq_put(fq);
	free(buf);
}

/* Pin every page of [p, p + n pages). */
static void pin_range(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		void *pg = p + i * PG;

		T_ASSERT(smbiov_pin_pages(&pg, 1) == 0);
	}
}

static void test_carving_unpin(void)
{
	unsigned char *buf = aligned_alloc(PG, 6 * PG);
	struct smbiov_bvecq *q = smbiov_bvecq_new(2, SMBIOV_CLEANUP_UNPIN);
	struct smbiov_bvecq *mid;
	size_t i;

	T_ASSERT(buf && q);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	pin_range(buf, 6);
	/* One page per element, 2 per segment: segments of pages 01 23 45. */
	for (i = 0; i < 6; i++)
		T_EXPECT_EQ(smbiov_bvecq_append(q, buf + i * PG, 0, PG), 0);
	mid = q->next;
	T_ASSERT(mid && mid->next);

	/* A subrequest starting in the middle segment takes a reference. */
	T_EXPECT(smbiov_bvecq_get(mid) == mid);
	smbiov_bvecq_put(q);
	/* The head died and unpinned its pages; the rest lives on. */
	T_EXPECT_EQ(smbiov_pin_count(buf), 0);
	T_EXPECT_EQ(smbiov_pin_count(buf + PG), 0);
	for (i = 2; i < 6; i++)
		T_EXPECT_EQ(smbiov_pin_count(buf + i * PG), 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 4);
	T_EXPECT(mid->prev == NULL);
	T_EXPECT_EQ(mid->refcount, 1);
	T_EXPECT_EQ(smbiov_bvecq_bytes(mid), 4 * PG);
	T_EXPECT_EQ(mid->next->bv[1].len, PG);

	smbiov_bvecq_put(mid);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	free(buf);
}

static void test_unpin_spanning(void)
{
	unsigned char *buf = aligned_alloc(PG, 8 * PG);
	struct smbiov_bvecq *q = smbiov_bvecq_new(8, SMBIOV_CLEANUP_UNPIN);
	size_t i;

	T_ASSERT(buf && q);
	pin_range(buf, 8);
	/* Mid page 0 to mid page 2: touches pages 0, 1, 2. */
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf, 100, 2 * PG), 0);
	/* Described from an earlier page, data in page 3 only. */
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf, 3 * PG, PG), 0);
	/* Ends exactly on a page end: pages 4 and 5, not 6. */
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf + 4 * PG, PG - 1, PG + 1), 0);
	/* Empty element: nothing to unpin. */
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf + 7 * PG, 0, 0), 0);
	smbiov_bvecq_put(q);
	for (i = 0; i < 6; i++)
		T_EXPECT_EQ(smbiov_pin_count(buf + i * PG), 0);
	T_EXPECT_EQ(smbiov_pin_count(buf + 6 * PG), 1);
	T_EXPECT_EQ(smbiov_pin_count(buf + 7 * PG), 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 2);
	for (i = 6; i < 8; i++) {
		void *pg = buf + i * PG;

		smbiov_unpin_pages(&pg, 1);
	}
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	free(buf);
}

static void test_cleanup_free(void)
{
	struct smbiov_bvecq *q = smbiov_bvecq_new(2, SMBIOV_CLEANUP_FREE);
	struct smbiov_bvecq *last;
	void *pages[5];
	size_t i;

	T_ASSERT(q);
	for (i = 0; i < 5; i++) {
		pages[i] = smbiov_page_alloc();
		T_ASSERT(pages[i]);
		T_EXPECT_EQ(smbiov_bvecq_append(q, pages[i], i, PG - i), 0);
	}
	T_EXPECT_EQ(smbiov_bvecq_bytes(q), 5 * PG - 10);
	/* Keep the last segment: its page must survive the head's death. */
	T_ASSERT(q->next && q->next->next);
	last = smbiov_bvecq_get(q->next->next);
	smbiov_bvecq_put(q);
	for (i = 0; i < 4; i++)
		T_EXPECT(!page_mapped(pages[i]));
	T_EXPECT(page_mapped(pages[4]));
	((unsigned char *)pages[4])[PG - 1] = 1;
	smbiov_bvecq_put(last);
	T_EXPECT(!page_mapped(pages[4]));
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

static void test_cleanup_none(void)
{
	unsigned char *buf = aligned_alloc(PG, 2 * PG);
	struct smbiov_bvecq *q = smbiov_bvecq_new(1, SMBIOV_CLEANUP_NONE);
	void *pg;

	T_ASSERT(buf && q);
	pg = buf;
	T_ASSERT(smbiov_pin_pages(&pg, 1) == 0);
	memset(buf, 0x5a, 2 * PG);
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf, 0, PG), 0);
	T_EXPECT_EQ(smbiov_bvecq_append(q, buf, PG, PG), 0);
	smbiov_bvecq_put(q);
	/* Someone else's memory: untouched, still pinned by its owner. */
	T_EXPECT_EQ(smbiov_pin_count(buf), 1);
	T_EXPECT_EQ(buf[0], 0x5a);
	T_EXPECT_EQ(buf[2 * PG - 1], 0x5a);
	smbiov_unpin_pages(&pg, 1);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	free(buf);
}

static void test_long_queue(void)
{
	/* One element per segment: a recursive put would blow the stack. */
	enum { N = 300000 };
	unsigned char *buf = aligned_alloc(PG, PG);
	struct smbiov_bvecq *q = smbiov_bvecq_new(1, SMBIOV_CLEANUP_NONE);
	struct smbiov_bvecq *tail;
	size_t i, nseg = 0;
	int ret = 0;

	T_ASSERT(buf && q);
	tail = q;
	for (i = 0; i < N && !ret; i++) {
		/* Append via the tail to keep the test itself linear. */
		ret = smbiov_bvecq_append(tail, buf, 0, 1);
		if (tail->next)
			tail = tail->next;
	}
	T_EXPECT_EQ(ret, 0);
	for (tail = q; tail; tail = tail->next)
		nseg++;
	T_EXPECT_EQ(nseg, N);
	T_EXPECT_EQ(smbiov_bvecq_bytes(q), N);
	smbiov_bvecq_put(q);
	free(buf);
}

int main(void)
{
	T_RUN(test_new);
	T_RUN(test_append_segments);
	T_RUN(test_append_errors);
	T_RUN(test_carving_unpin);
	T_RUN(test_unpin_spanning);
	T_RUN(test_cleanup_free);
	T_RUN(test_cleanup_none);
	T_RUN(test_long_queue);
	return t_done();
}
