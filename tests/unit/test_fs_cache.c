// SPDX-License-Identifier: MIT
/*
 * The page cache's logic without a server (src/fs): a backend that keeps
 * the "remote" file in memory, counts every call, and can hold
 * asynchronous READs until the test releases them, so the orderings the
 * cache must survive are made, not waited for:
 *  - reads fill folios once, a second read sends nothing; a reader waits
 *    on a locked folio instead of reading it again;
 *  - readahead numbers (fs_ra_next) for sequential and random reads;
 *  - the memory budget holds while a file twice its size is read and
 *    written, clean folios are evicted, dirty ones written back first;
 *  - writes: a partial folio is read first only when it holds file data;
 *    write-back clips to the size; an error is reported once by flush;
 *  - a READ that fails or comes back short below the end makes the reader
 *    read that folio again itself;
 *  - a lease change: losing W writes back, losing R drops, while a reader
 *    waits on a folio whose READ is held.
 */
#include "fs/cache.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAX (64u << 20)

struct held {
	struct smbiov_iter it;
	uint64_t off;
	fs_done_fn done;
	void *arg;
	bool write;
	struct held *next;
};

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	uint8_t *data;
	uint64_t size;
	unsigned reads, writes, async_reads, async_writes;
	uint64_t read_bytes, written_bytes;
	bool hold;	/* queue async calls until fake_release() */
	struct held *q; /* held async calls */
	unsigned nheld;
	int write_err;	    /* fail writes with this */
	size_t short_async; /* async READs return at most this (0: all) */
	int async_read_err; /* async READs fail with this */
};

static struct fake F;

static ssize_t do_read(struct smbiov_iter *dst, uint64_t off)
{
	size_t n = smbiov_iter_count(dst);

	if (off >= F.size)
		return 0;
	if (n > F.size - off)
		n = (size_t)(F.size - off);
	return (ssize_t)smbiov_copy_to_iter(F.data + off, n, dst);
}

static ssize_t do_write(struct smbiov_iter *src, uint64_t off)
{
	size_t n = smbiov_iter_count(src);

	if (F.write_err)
		return F.write_err;
	if (off + n > FILE_MAX)
		return -EFBIG;
	n = smbiov_copy_from_iter(F.data + off, n, src);
	if (off + n > F.size)
		F.size = off + n;
	F.written_bytes += n;
	return (ssize_t)n;
}

static ssize_t fk_read(void *ctx, struct smbiov_iter *dst, uint64_t off)
{
	ssize_t r;

	(void)ctx;
	pthread_mutex_lock(&F.lock);
	F.reads++;
	r = do_read(dst, off);
	if (r > 0)
		F.read_bytes += (uint64_t)r;
	pthread_mutex_unlock(&F.lock);
	return r;
}

static ssize_t fk_write(void *ctx, struct smbiov_iter *src, uint64_t off)
{
	ssize_t r;

	(void)ctx;
	pthread_mutex_lock(&F.lock);
	F.writes++;
	r = do_write(src, off);
	pthread_mutex_unlock(&F.lock);
	return r;
}

static void run_held(struct held *h)
{
	ssize_t r;

	pthread_mutex_lock(&F.lock);
	if (h->write) {
		r = do_write(&h->it, h->off);
	} else if (F.async_read_err) {
		r = F.async_read_err;
	} else {
		if (F.short_async && smbiov_iter_count(&h->it) > F.short_async)
			smbiov_iter_truncate(&h->it, F.short_async);
		r = do_read(&h->it, h->off);
		if (r > 0)
			F.read_bytes += (uint64_t)r;
	}
	pthread_mutex_unlock(&F.lock);
	h->done(h->arg, r);
	free(h);
}

static int submit(struct smbiov_iter *it, uint64_t off, fs_done_fn done,
		  void *arg, bool write)
{
	struct held *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	*h = (struct held){.it = *it,
			   .off = off,
			   .done = done,
			   .arg = arg,
			   .write = write};
	pthread_mutex_lock(&F.lock);
	if (write)
		F.async_writes++;
	else
		F.async_reads++;
	if (F.hold) {
		h->next = F.q;
		F.q = h;
		F.nheld++;
		pthread_cond_broadcast(&F.cv);
		pthread_mutex_unlock(&F.lock);
		return 0;
	}
	pthread_mutex_unlock(&F.lock);
	run_held(h); /* completes before submit returns: allowed */
	return 0;
}

static int fk_read_async(void *ctx, struct smbiov_iter *dst, uint64_t off,
			 fs_done_fn done, void *arg)
{
	(void)ctx;
	return submit(dst, off, done, arg, false);
}

static int fk_write_async(void *ctx, struct smbiov_iter *src, uint64_t off,
			  fs_done_fn done, void *arg)
{
	(void)ctx;
	return submit(src, off, done, arg, true);
}

static int fk_size(void *ctx, uint64_t *size)
{
	(void)ctx;
	pthread_mutex_lock(&F.lock);
	*size = F.size;
	pthread_mutex_unlock(&F.lock);
	return 0;
}

static const struct fs_backend fake_be = {
	.read = fk_read,
	.write = fk_write,
	.read_async = fk_read_async,
	.write_async = fk_write_async,
	.size = fk_size,
};

/* Wait until @n async calls are held (they are queued, not timed). */
static void fake_wait_held(unsigned n)
{
	pthread_mutex_lock(&F.lock);
	while (F.nheld < n)
		pthread_cond_wait(&F.cv, &F.lock);
	pthread_mutex_unlock(&F.lock);
}

/* Complete every held call; stop holding. */
static void fake_release(void)
{
	struct held *h;

	pthread_mutex_lock(&F.lock);
	F.hold = false;
	h = F.q;
	F.q = NULL;
	F.nheld = 0;
	pthread_mutex_unlock(&F.lock);
	while (h) {
		struct held *next = h->next;

		run_held(h);
		h = next;
	}
}

static uint8_t byte_at(uint64_t off, uint8_t seed)
{
	return (uint8_t)((off * 131) ^ (off >> 9) ^ seed);
}

static void fake_reset(uint64_t size, uint8_t seed)
{
	if (!F.data) {
		pthread_mutex_init(&F.lock, NULL);
		pthread_cond_init(&F.cv, NULL);
		F.data = malloc(FILE_MAX);
	}
	memset(F.data, 0, FILE_MAX);
	for (uint64_t k = 0; k < size; k++)
		F.data[k] = byte_at(k, seed);
	F.size = size;
	F.reads = F.writes = F.async_reads = F.async_writes = 0;
	F.read_bytes = F.written_bytes = 0;
	F.hold = false;
	F.write_err = 0;
	F.short_async = 0;
	F.async_read_err = 0;
}

static struct fs_budget B;

static void map_init(struct fs_mapping *m, size_t limit, unsigned caps)
{
	struct fs_mapping_opts o = {.size = F.size, .caps = caps};

	T_ASSERT(fs_budget_init(&B, limit) == 0);
	T_ASSERT(fs_mapping_init(m, &B, &fake_be, NULL, &o) == 0);
}

static void map_fini(struct fs_mapping *m)
{
	fs_mapping_destroy(m);
	T_EXPECT_EQ(B.used, 0);
	T_EXPECT_EQ(B.nr_nodes, 0);
	fs_budget_destroy(&B);
}

static ssize_t rd(struct fs_mapping *m, void *buf, size_t len, uint64_t off)
{
	struct smbiov_iter it;

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, len) == 0);
	return fs_mapping_read(m, &it, off);
}

static ssize_t wr(struct fs_mapping *m, const void *buf, size_t len,
		  uint64_t off)
{
	struct smbiov_iter it;

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, (void *)buf, len) ==
		 0);
	return fs_mapping_write(m, &it, off);
}

static bool check(const uint8_t *p, size_t len, uint64_t off, uint8_t seed)
{
	for (size_t k = 0; k < len; k++)
		if (p[k] != byte_at(off + k, seed))
			return false;
	return true;
}

static void test_read_once(void)
{
	struct fs_mapping m;
	size_t len = 3u << 20;
	uint8_t *buf = malloc(len);
	unsigned calls;

	fake_reset(len + 1000, 1);
	map_init(&m, 64u << 20, FS_CAN_READ);
	T_EXPECT_EQ(rd(&m, buf, len, 0), (ssize_t)len);
	T_EXPECT(check(buf, len, 0, 1));
	calls = F.reads + F.async_reads;
	T_EXPECT(calls > 0);
	/* Everything is cached now: a second read sends nothing. */
	memset(buf, 0, len);
	T_EXPECT_EQ(rd(&m, buf, len, 0), (ssize_t)len);
	T_EXPECT(check(buf, len, 0, 1));
	T_EXPECT_EQ(F.reads + F.async_reads, calls);
	T_EXPECT(B.hits >= len);
	/* Short at the end, exact. */
	T_EXPECT_EQ(rd(&m, buf, 5000, len - 10), 1010);
	T_EXPECT(check(buf, 1010, len - 10, 1));
	T_EXPECT_EQ(rd(&m, buf, 10, len + 1000), 0);
	map_fini(&m);
	free(buf);
}

/*
 * Many small folios (4 KiB reads here and there), then one read and one
 * write across all of them: more folios than one batch of spans.
 */
static void test_many_small_folios(void)
{
	struct fs_mapping m;
	size_t len = 2u << 20;
	uint8_t *buf = malloc(len);

	fake_reset(len, 9);
	map_init(&m, 64u << 20, FS_CAN_READ | FS_CAN_WRITE);
	/* odd pages, one at a time, far apart: no readahead, order 0 */
	for (uint64_t off = 4096; off < len; off += 3 * 4096)
		T_ASSERT(rd(&m, buf, 4096, off) == 4096);
	T_EXPECT(fs_mapping_cached(&m) < len);
	T_EXPECT_EQ(rd(&m, buf, len, 0), (ssize_t)len);
	T_EXPECT(check(buf, len, 0, 9));
	for (size_t k = 0; k < len; k++)
		buf[k] = byte_at(k, 10);
	T_EXPECT_EQ(wr(&m, buf, len, 0), (ssize_t)len);
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), 0);
	T_EXPECT(check(F.data, len, 0, 10));
	map_fini(&m);
	free(buf);
}

static void test_no_caps_direct(void)
{
	struct fs_mapping m;
	uint8_t buf[8192];

	fake_reset(100000, 2);
	map_init(&m, 64u << 20, 0);
	T_EXPECT_EQ(rd(&m, buf, sizeof(buf), 4096), (ssize_t)sizeof(buf));
	T_EXPECT_EQ(rd(&m, buf, sizeof(buf), 4096), (ssize_t)sizeof(buf));
	T_EXPECT_EQ(F.reads, 2);
	T_EXPECT_EQ(F.async_reads, 0);
	T_EXPECT_EQ(fs_mapping_cached(&m), 0);
	/* Writes go through at once. */
	memset(buf, 7, sizeof(buf));
	T_EXPECT_EQ(wr(&m, buf, 100, 50), 100);
	T_EXPECT_EQ(F.writes, 1);
	T_EXPECT_EQ(F.data[60], 7);
	map_fini(&m);
}

static void test_readahead_numbers(void)
{
	struct fs_ra ra = {0};
	uint64_t start;
	size_t n;

	/* A read at 0 starts a stream: the next window right behind it. */
	n = fs_ra_next(&ra, 0, 4096, 1 << 30, 65536, 1 << 20, &start);
	T_EXPECT_EQ(n, 65536);
	T_EXPECT_EQ(start, 4096);
	/* Within half a window of the end: nothing yet. */
	n = fs_ra_next(&ra, 4096, 4096, 1 << 30, 65536, 1 << 20, &start);
	T_EXPECT_EQ(n, 0);
	/* Past half: the next window, doubled. */
	n = fs_ra_next(&ra, 8192, 40000, 1 << 30, 65536, 1 << 20, &start);
	T_EXPECT_EQ(n, 131072);
	T_EXPECT_EQ(start, 69632);
	/* A jump resets: random reads read ahead nothing. */
	n = fs_ra_next(&ra, 1 << 25, 4096, 1 << 30, 65536, 1 << 20, &start);
	T_EXPECT_EQ(n, 0);
	n = fs_ra_next(&ra, 1 << 20, 4096, 1 << 30, 65536, 1 << 20, &start);
	T_EXPECT_EQ(n, 0);
	/* Two in a row are sequential again. */
	n = fs_ra_next(&ra, (1 << 20) + 4096, 4096, 1 << 30, 65536, 1 << 20,
		       &start);
	T_EXPECT_EQ(n, 65536);
	T_EXPECT_EQ(start, (1 << 20) + 8192);
	/* The window stops at the file's end and at @max. */
	for (int k = 0; k < 20; k++)
		fs_ra_next(&ra, ra.prev_end, 65536, 1 << 30, 65536, 1 << 20,
			   &start);
	T_EXPECT(ra.size <= (1 << 20));
	n = fs_ra_next(&ra, 0, 1000, 3000, 65536, 1 << 20, &start);
	T_EXPECT_EQ(n, 2000);
	T_EXPECT_EQ(start, 1000);
}

static void test_budget_read(void)
{
	struct fs_mapping m;
	size_t limit = 4u << 20, chunk = 256u << 10;
	uint64_t size = 16u << 20, off;
	uint8_t *buf = malloc(chunk);
	size_t peak = 0;

	fake_reset(size, 3);
	map_init(&m, limit, FS_CAN_READ);
	for (off = 0; off < size; off += chunk) {
		T_ASSERT(rd(&m, buf, chunk, off) == (ssize_t)chunk);
		T_ASSERT(check(buf, chunk, off, 3));
		if (B.used > peak)
			peak = B.used;
	}
	T_EXPECT(peak <= limit);
	T_EXPECT(B.evicted > 0);
	/* Readahead did the reading: nothing read twice, nothing lost. */
	T_EXPECT(F.async_reads > 0);
	T_EXPECT(F.read_bytes >= size);
	map_fini(&m);
	free(buf);
}

static void test_budget_write(void)
{
	struct fs_mapping m;
	size_t limit = 4u << 20, chunk = 300000;
	uint64_t size = 16u << 20, off;
	uint8_t *buf = malloc(chunk);
	size_t peak = 0;

	fake_reset(0, 0);
	map_init(&m, limit, FS_CAN_READ | FS_CAN_WRITE);
	for (off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;

		for (size_t k = 0; k < n; k++)
			buf[k] = byte_at(off + k, 4);
		T_ASSERT(wr(&m, buf, n, off) == (ssize_t)n);
		if (B.used > peak)
			peak = B.used;
	}
	T_EXPECT(peak <= limit);
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), 0);
	T_EXPECT_EQ(F.size, size);
	T_EXPECT(check(F.data, size, 0, 4));
	/* Nothing past the end was written (write-back clips to the size). */
	T_EXPECT_EQ(F.data[size], 0);
	T_EXPECT_EQ(B.dirty, 0);
	map_fini(&m);
	free(buf);
}

static void test_partial_write(void)
{
	struct fs_mapping m;
	uint8_t buf[4096], out[100];
	unsigned reads;

	fake_reset(100000, 5);
	map_init(&m, 64u << 20, FS_CAN_READ | FS_CAN_WRITE);
	/* 10 bytes inside file data: the folio is read first. */
	memset(buf, 0xab, sizeof(buf));
	T_EXPECT_EQ(wr(&m, buf, 10, 5000), 10);
	T_EXPECT_EQ(F.reads, 1);
	T_EXPECT_EQ(F.writes + F.async_writes, 0); /* cached, not sent */
	/* A whole page overwritten: nothing read. */
	reads = F.reads;
	T_EXPECT_EQ(wr(&m, buf, 4096, 16384), 4096);
	T_EXPECT_EQ(F.reads, reads);
	/* Past the end: nothing read, the gap reads as zeros. */
	T_EXPECT_EQ(wr(&m, buf, 10, 200000), 10);
	T_EXPECT_EQ(F.reads, reads);
	T_EXPECT_EQ(fs_mapping_size(&m), 200010);
	T_EXPECT_EQ(rd(&m, out, 100, 199950), 60);
	for (int k = 0; k < 50; k++)
		T_EXPECT_EQ(out[k], 0);
	T_EXPECT_EQ(out[55], 0xab);
	/* The read of the neighbours gives the old bytes around the new. */
	T_EXPECT_EQ(rd(&m, out, 30, 4990), 30);
	T_EXPECT(check(out, 10, 4990, 5));
	T_EXPECT_EQ(out[10], 0xab);
	T_EXPECT(check(out + 20, 10, 5010, 5));
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), 0);
	T_EXPECT_EQ(F.size, 200010);
	T_EXPECT_EQ(F.data[5005], 0xab);
	T_EXPECT(check(F.data + 4990, 10, 4990, 5));
	T_EXPECT_EQ(F.data[199999], 0);
	map_fini(&m);
}

/*
 * Dirty data past the server's end of file: a read of the hole before it
 * gets zeros from the server's short answer, and must not shrink the size
 * (the dirty data would then be cut at write-back).
 */
static void test_hole_before_dirty(void)
{
	struct fs_mapping m;
	uint8_t buf[8192], out[8192];

	fake_reset(0, 0);
	map_init(&m, 64u << 20, FS_CAN_READ | FS_CAN_WRITE);
	memset(buf, 0x3c, sizeof(buf));
	T_EXPECT_EQ(wr(&m, buf, sizeof(buf), 1u << 20), (ssize_t)sizeof(buf));
	memset(out, 0xff, sizeof(out));
	T_EXPECT_EQ(rd(&m, out, sizeof(out), 0), (ssize_t)sizeof(out));
	for (size_t k = 0; k < sizeof(out); k++)
		if (out[k]) {
			T_EXPECT_EQ(out[k], 0);
			break;
		}
	T_EXPECT_EQ(fs_mapping_size(&m), (1u << 20) + sizeof(buf));
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), 0);
	T_EXPECT_EQ(F.size, (1u << 20) + sizeof(buf));
	T_EXPECT_EQ(F.data[(1u << 20) + 100], 0x3c);
	map_fini(&m);
}

static void test_writeback_error(void)
{
	struct fs_mapping m;
	uint8_t buf[8192];

	fake_reset(0, 0);
	map_init(&m, 64u << 20, FS_CAN_READ | FS_CAN_WRITE);
	memset(buf, 1, sizeof(buf));
	T_EXPECT_EQ(wr(&m, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	F.write_err = -ENOSPC;
	/* Reported by the flush, once; the next one has nothing new. */
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), -ENOSPC);
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), 0);
	T_EXPECT_EQ(F.size, 0);
	/* A transient error is retried, not reported. */
	F.write_err = 0;
	T_EXPECT_EQ(wr(&m, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	F.write_err = -EAGAIN;
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), -EIO);
	F.write_err = 0;
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), 0);
	T_EXPECT_EQ(F.size, sizeof(buf));
	/* fs_mapping_writeback keeps an error for the next flush. */
	T_EXPECT_EQ(wr(&m, buf, 10, 0), 10);
	F.write_err = -EIO;
	T_EXPECT_EQ(fs_mapping_writeback(&m, 0, UINT64_MAX), -EIO);
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), -EIO);
	T_EXPECT_EQ(fs_mapping_flush(&m, 0, UINT64_MAX), 0);
	map_fini(&m);
}

static void test_async_failures(void)
{
	struct fs_mapping m;
	size_t len = 1u << 20;
	uint8_t *buf = malloc(len);

	/* Short answers below the end: the reader completes them itself. */
	fake_reset(4u << 20, 6);
	map_init(&m, 64u << 20, FS_CAN_READ);
	F.short_async = 10000;
	T_EXPECT_EQ(rd(&m, buf, len, 0), (ssize_t)len);
	T_EXPECT(check(buf, len, 0, 6));
	T_EXPECT(F.reads > 0);
	map_fini(&m);

	/* A failed READ: the reader's own read says why (here: it works). */
	fake_reset(4u << 20, 7);
	map_init(&m, 64u << 20, FS_CAN_READ);
	F.async_read_err = -ECONNRESET;
	T_EXPECT_EQ(rd(&m, buf, len, 12345), (ssize_t)len);
	T_EXPECT(check(buf, len, 12345, 7));
	map_fini(&m);
	free(buf);
}

struct reader {
	struct fs_mapping *m;
	uint64_t off;
	size_t len;
	uint8_t *buf;
	ssize_t res;
};

static void *release_main(void *arg)
{
	(void)arg;
	fake_release();
	return NULL;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->res = rd(r->m, r->buf, r->len, r->off);
	return NULL;
}

/*
 * Two readers of one range while its READ is held: one READ only; then a
 * break takes R away while a third reader waits on a held folio: the
 * break waits for the READ, the reader gets its bytes, the cache is empty
 * afterwards and a new read goes to the server.
 */
static void test_locked_folio_and_break(void)
{
	struct fs_mapping m;
	struct reader r1, r2;
	pthread_t t1, t2;
	size_t len = 64u << 10;
	uint8_t *b1 = malloc(len), *b2 = malloc(len);
	unsigned sent;

	fake_reset(1u << 20, 8);
	map_init(&m, 64u << 20, FS_CAN_READ | FS_CAN_WRITE);
	F.hold = true;
	r1 = (struct reader){&m, 100000, len, b1, 0};
	r2 = (struct reader){&m, 100000, len, b2, 0};
	T_ASSERT(pthread_create(&t1, NULL, reader_main, &r1) == 0);
	fake_wait_held(1);
	sent = F.async_reads;
	T_ASSERT(pthread_create(&t2, NULL, reader_main, &r2) == 0);
	/*
	 * The second reader finds the folios locked and sleeps on them; it
	 * sends nothing. We cannot see it sleep, so also release from a
	 * state where it may not have started: either way no second READ
	 * for this range may appear.
	 */
	fake_release();
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	T_EXPECT_EQ(r1.res, (ssize_t)len);
	T_EXPECT_EQ(r2.res, (ssize_t)len);
	T_EXPECT(check(b1, len, 100000, 8));
	T_EXPECT(check(b2, len, 100000, 8));
	T_EXPECT_EQ(F.reads, 0);
	T_EXPECT(F.async_reads >= sent);

	/* Dirty data, then a held READ, then the break. */
	memset(b1, 0x5a, 100);
	T_EXPECT_EQ(wr(&m, b1, 100, 600000), 100);
	F.hold = true;
	r1 = (struct reader){&m, 900000, len, b2, 0};
	T_ASSERT(pthread_create(&t1, NULL, reader_main, &r1) == 0);
	fake_wait_held(1);
	/* The break runs on this thread; the READ is released by another. */
	{
		pthread_t rel;

		T_ASSERT(pthread_create(&rel, NULL, release_main, NULL) == 0);
		T_EXPECT_EQ(fs_mapping_set_caps(&m, 0), 0);
		pthread_join(rel, NULL);
	}
	pthread_join(t1, NULL);
	T_EXPECT_EQ(r1.res, (ssize_t)len);
	T_EXPECT(check(b2, len, 900000, 8));
	/* W lost: the server has the dirty bytes; R lost: nothing cached. */
	T_EXPECT_EQ(F.data[600050], 0x5a);
	T_EXPECT_EQ(fs_mapping_cached(&m), 0);
	sent = F.reads;
	T_EXPECT_EQ(rd(&m, b1, 10, 0), 10);
	T_EXPECT_EQ(F.reads, sent + 1);
	map_fini(&m);
	free(b1);
	free(b2);
}

static void *flush_main(void *arg)
{
	struct fs_mapping *m = arg;

	return (void *)(intptr_t)fs_mapping_flush(m, 0, UINT64_MAX);
}

/*
 * A break while write-back is in flight: fsync's WRITEs are held; the
 * break (W and R lost) must wait for them, not send its own for the same
 * folios, and neither side may deadlock: once the WRITEs are released
 * both return, the server has every byte once, and nothing stays cached.
 */
static void test_break_during_writeback(void)
{
	struct fs_mapping m;
	size_t len = 3u << 20;
	uint8_t *buf = malloc(len);
	pthread_t tf, rel;
	void *fret;
	unsigned writes;

	fake_reset(0, 0);
	map_init(&m, 64u << 20, FS_CAN_READ | FS_CAN_WRITE);
	for (size_t k = 0; k < len; k++)
		buf[k] = byte_at(k, 11);
	T_EXPECT_EQ(wr(&m, buf, len, 0), (ssize_t)len);
	F.hold = true;
	T_ASSERT(pthread_create(&tf, NULL, flush_main, &m) == 0);
	fake_wait_held(1);
	writes = F.async_writes;
	T_ASSERT(pthread_create(&rel, NULL, release_main, NULL) == 0);
	T_EXPECT_EQ(fs_mapping_set_caps(&m, 0), 0);
	pthread_join(rel, NULL);
	pthread_join(tf, &fret);
	T_EXPECT_EQ((intptr_t)fret, 0);
	/* the break found the folios under writeback: it sent nothing */
	T_EXPECT_EQ(F.async_writes, writes);
	T_EXPECT_EQ(F.written_bytes, len);
	T_EXPECT(check(F.data, len, 0, 11));
	T_EXPECT_EQ(fs_mapping_cached(&m), 0);
	T_EXPECT_EQ(B.dirty, 0);
	map_fini(&m);
	free(buf);
}

struct writer {
	struct fs_mapping *m;
	uint64_t off;
	size_t len;
	const uint8_t *buf;
	ssize_t res;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	w->res = wr(w->m, w->buf, w->len, w->off);
	return NULL;
}

static void *caps_main(void *arg)
{
	return (void *)(intptr_t)fs_mapping_set_caps(arg, 0);
}

/*
 * A break (W and R lost) whose write-back is still going — acknowledged
 * at its deadline, say — while this open reads and writes the range:
 * the read must see the dirty bytes (they reach the server first), and
 * the write must not be overwritten by the older dirty bytes landing
 * after it. The write-back is held; reader and writer start while it is
 * (whether they got to wait before the release is not visible, so the
 * release comes after a yield; either way the bytes must be right).
 */
static void test_uncached_io_after_break(void)
{
	struct fs_mapping m;
	size_t len = 1u << 20;
	uint8_t *buf = malloc(len), *rb = malloc(64u << 10), nb[100];
	struct reader r;
	struct writer w;
	pthread_t tc, tr, tw;
	void *cret;

	fake_reset(2u << 20, 8);
	map_init(&m, 64u << 20, FS_CAN_READ | FS_CAN_WRITE);
	for (size_t k = 0; k < len; k++)
		buf[k] = byte_at(k, 21);
	T_EXPECT_EQ(wr(&m, buf, len, 0), (ssize_t)len);
	T_EXPECT_EQ(F.written_bytes, 0);
	F.hold = true;
	T_ASSERT(pthread_create(&tc, NULL, caps_main, &m) == 0);
	fake_wait_held(1); /* the break's write-back is out: caps are 0 */
	memset(nb, 0x77, sizeof(nb));
	r = (struct reader){&m, 0, 64u << 10, rb, 0};
	w = (struct writer){&m, 1000, sizeof(nb), nb, 0};
	T_ASSERT(pthread_create(&tr, NULL, reader_main, &r) == 0);
	T_ASSERT(pthread_create(&tw, NULL, writer_main, &w) == 0);
	for (int i = 0; i < 1000; i++)
		sched_yield();
	fake_release();
	pthread_join(tc, &cret);
	pthread_join(tr, NULL);
	pthread_join(tw, NULL);
	T_EXPECT_EQ((intptr_t)cret, 0);
	T_EXPECT_EQ(r.res, (ssize_t)(64u << 10));
	T_EXPECT_EQ(w.res, (ssize_t)sizeof(nb));
	/* the read saw this open's dirty bytes (around the racing write) */
	T_EXPECT(check(rb, 1000, 0, 21));
	T_EXPECT(check(rb + 1100, (64u << 10) - 1100, 1100, 21));
	/* the newer write is what the server keeps */
	for (size_t k = 0; k < sizeof(nb); k++)
		T_EXPECT_EQ(F.data[1000 + k], 0x77);
	T_EXPECT(check(F.data + 1100, len - 1100, 1100, 21));
	T_EXPECT(check(F.data + len, len, len, 8));
	map_fini(&m);
	free(buf);
	free(rb);
}

int main(void)
{
	T_RUN(test_read_once);
	T_RUN(test_many_small_folios);
	T_RUN(test_no_caps_direct);
	T_RUN(test_readahead_numbers);
	T_RUN(test_budget_read);
	T_RUN(test_budget_write);
	T_RUN(test_partial_write);
	T_RUN(test_hole_before_dirty);
	T_RUN(test_writeback_error);
	T_RUN(test_async_failures);
	T_RUN(test_locked_folio_and_break);
	T_RUN(test_break_during_writeback);
	T_RUN(test_uncached_io_after_break);
	free(F.data);
	return t_done();
}
