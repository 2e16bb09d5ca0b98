// SPDX-License-Identifier: MIT
/*
 * Deferred close's list and timer (src/fs/deferred.c), with opaque files
 * and a close function that records what it closed: a file is taken back
 * only under its own key (path spelled either way, flags, cache mode,
 * TTL); the timer closes files in deadline order, and only those due; a
 * file the break lets go (fs_park_expire, !hold) is closed by the timer
 * at once, before the others, and one it holds never, nor is it taken
 * back; fs_unpark_path closes a file and what lies under a directory,
 * nothing beside it, also among thousands (the index by path); shutdown
 * closes what is left. No timing: each wait
 * is for a close the timer must do (bounded, a hang guard), and the
 * timeouts that must not pass are an hour.
 */
#include "fs/cache.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#define HOUR_NS ((int64_t)3600 * 1000000000)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static void *closed[16];
static size_t nclosed;
static int files[8]; /* the opaque files: their addresses */

static void record_close(void *file)
{
	pthread_mutex_lock(&mu);
	if (nclosed < sizeof(closed) / sizeof(closed[0]))
		closed[nclosed] = file;
	nclosed++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void reset(void)
{
	pthread_mutex_lock(&mu);
	nclosed = 0;
	pthread_mutex_unlock(&mu);
}

/* Wait until @n files were closed (60 s at most: a hang guard). */
static size_t wait_closed(size_t n)
{
	struct timespec ts;
	size_t got;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 60;
	pthread_mutex_lock(&mu);
	while (nclosed < n &&
	       pthread_cond_timedwait(&cv, &mu, &ts) != ETIMEDOUT)
		;
	got = nclosed;
	pthread_mutex_unlock(&mu);
	return got;
}

static struct fs_park_key key(const char *path)
{
	return (struct fs_park_key){
		.path = path, .flags = 2, .cache = 1, .ttl_ms = 0};
}

static void park(struct fs_parking *p, int i, const char *path)
{
	struct fs_park_key k = key(path);

	T_EXPECT_EQ(fs_park(p, &files[i], &k), 0);
}

/* Taken back only under the same key; then it is gone from the list. */
static void test_keys(void)
{
	struct fs_parking p;
	struct fs_park_key k = key("a/b");

	reset();
	T_ASSERT(fs_parking_init(&p, HOUR_NS, record_close) == 0);
	park(&p, 0, "/a//b/");
	park(&p, 1, "a/c");
	T_EXPECT_EQ(p.count, 2);
	k.flags = 3;
	T_EXPECT(fs_unpark(&p, &k) == NULL);
	k = key("a/b");
	k.cache = 2;
	T_EXPECT(fs_unpark(&p, &k) == NULL);
	k = key("a/b");
	k.ttl_ms = 5;
	T_EXPECT(fs_unpark(&p, &k) == NULL);
	k = key("a//b");
	T_EXPECT(fs_unpark(&p, &k) == &files[0]);
	T_EXPECT(fs_unpark(&p, &k) == NULL);
	T_EXPECT_EQ(p.count, 1);
	fs_parking_destroy(&p);
	/* what was left is closed at the end */
	T_EXPECT_EQ(wait_closed(1), 1);
	T_EXPECT(closed[0] == &files[1]);
}

/*
 * A short timeout: the timer closes every file, in the order they were
 * parked (their deadlines' order).
 */
static void test_timer_order(void)
{
	struct fs_parking p;

	reset();
	T_ASSERT(fs_parking_init(&p, 1000000, record_close) == 0);
	for (int i = 0; i < 5; i++)
		park(&p, i, i % 2 ? "odd" : "even");
	T_EXPECT_EQ(wait_closed(5), 5);
	for (int i = 0; i < 5; i++)
		T_EXPECT(closed[i] == &files[i]);
	T_EXPECT_EQ(p.count, 0);
	fs_parking_destroy(&p);
	T_EXPECT_EQ(wait_closed(5), 5);
}

/*
 * An hour's timeout: only the files a break lets go are closed by the
 * timer, in the order they were let go, before the others. A held file
 * is neither closed by the timer (it would be before the one let go
 * after it) nor taken back.
 */
static void test_expire(void)
{
	struct fs_parking p;
	struct fs_park_key k;

	reset();
	T_ASSERT(fs_parking_init(&p, HOUR_NS, record_close) == 0);
	for (int i = 0; i < 5; i++)
		park(&p, i, i == 4 ? "four" : "other");
	T_EXPECT(fs_park_expire(&p, &files[2], false));
	T_EXPECT_EQ(wait_closed(1), 1);
	T_EXPECT(closed[0] == &files[2]);
	T_EXPECT(fs_park_expire(&p, &files[0], true)); /* held */
	T_EXPECT(fs_park_expire(&p, &files[3], false));
	T_EXPECT(fs_park_expire(&p, &files[4], false));
	T_EXPECT_EQ(wait_closed(3), 3);
	T_EXPECT(closed[1] == &files[3]);
	T_EXPECT(closed[2] == &files[4]);
	/* not parked (any more): nothing to do */
	T_EXPECT(!fs_park_expire(&p, &files[2], false));
	T_EXPECT(!fs_park_expire(&p, &files[7], true));
	/* the held one matches no key; 1 is still there for its own */
	k = key("other");
	T_EXPECT(fs_unpark(&p, &k) == &files[1]);
	T_EXPECT(fs_unpark(&p, &k) == NULL);
	T_EXPECT_EQ(p.count, 1);
	/* a file parked after the held one is due before it */
	park(&p, 5, "five");
	T_EXPECT(fs_park_expire(&p, &files[5], false));
	T_EXPECT_EQ(wait_closed(4), 4);
	T_EXPECT(closed[3] == &files[5]);
	/* the held one goes with its path (the break closes it so) */
	fs_unpark_path(&p, "other");
	T_EXPECT_EQ(wait_closed(5), 5);
	T_EXPECT(closed[4] == &files[0]);
	T_EXPECT_EQ(p.count, 0);
	fs_parking_destroy(&p);
	T_EXPECT_EQ(wait_closed(5), 5);
}

/* A path closes itself and what lies under it, not a sibling. */
static void test_paths(void)
{
	struct fs_parking p;
	bool seen[8] = {0};

	reset();
	T_ASSERT(fs_parking_init(&p, HOUR_NS, record_close) == 0);
	park(&p, 0, "d/x");
	park(&p, 1, "dd/w");
	park(&p, 2, "d/y/z");
	park(&p, 3, "e");
	park(&p, 4, "d");
	fs_unpark_path(&p, "/d/");
	T_EXPECT_EQ(wait_closed(3), 3);
	for (size_t i = 0; i < 3; i++)
		seen[(int *)closed[i] - files] = true;
	T_EXPECT(seen[0] && seen[2] && seen[4]);
	T_EXPECT_EQ(p.count, 2);
	fs_parking_destroy(&p);
	T_EXPECT_EQ(wait_closed(5), 5);
	/* the share root: everything */
	reset();
	T_ASSERT(fs_parking_init(&p, HOUR_NS, record_close) == 0);
	park(&p, 0, "a");
	park(&p, 1, "b/c");
	fs_unpark_path(&p, "");
	T_EXPECT_EQ(wait_closed(2), 2);
	T_EXPECT_EQ(p.count, 0);
	fs_parking_destroy(&p);
}

/*
 * Many parked files (more than the index has chains, so they share
 * them): each is taken back under its own key only, and a directory's
 * path closes exactly the files under it.
 */
static void test_many(void)
{
	enum { N = 6000, DIRS = 50 };
	static int many[N];
	struct fs_parking p;
	struct fs_park_key k;
	char path[64];
	size_t want = 0;

	reset();
	T_ASSERT(fs_parking_init(&p, HOUR_NS, record_close) == 0);
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "d%d/sub/f%d", i % DIRS, i);
		k = key(path);
		k.flags = i % 3; /* three kinds of open */
		T_EXPECT_EQ(fs_park(&p, &many[i], &k), 0);
	}
	T_EXPECT_EQ(p.count, N);
	/* the files of d7: under d7, and under d7/sub; not those of d17 */
	fs_unpark_path(&p, "d7/sub/");
	for (int i = 7; i < N; i += DIRS)
		want++;
	T_EXPECT_EQ(wait_closed(want), want);
	fs_unpark_path(&p, "d7");
	fs_unpark_path(&p, "d1/su");
	T_EXPECT_EQ(p.count, N - want);
	/* each of the others under its own key, once */
	for (int i = 0; i < N; i++) {
		if (i % DIRS == 7)
			continue;
		snprintf(path, sizeof(path), "d%d/sub/f%d", i % DIRS, i);
		k = key(path);
		k.flags = (i + 1) % 3;
		T_EXPECT(fs_unpark(&p, &k) == NULL);
		k.flags = i % 3;
		T_EXPECT(fs_unpark(&p, &k) == &many[i]);
	}
	T_EXPECT_EQ(p.count, 0);
	fs_parking_destroy(&p);
	T_EXPECT_EQ(wait_closed(0), want);
}

/* Without a timeout nothing is parked, and nothing is looked for. */
static void test_off(void)
{
	struct fs_parking p;
	struct fs_park_key k = key("a");

	T_ASSERT(fs_parking_init(&p, 0, record_close) == 0);
	T_EXPECT_EQ(fs_park(&p, &files[0], &k), -EOPNOTSUPP);
	T_EXPECT(fs_unpark(&p, &k) == NULL);
	T_EXPECT(!fs_park_expire(&p, &files[0], false));
	fs_unpark_path(&p, "");
	fs_parking_destroy(&p);
}

int main(void)
{
	T_RUN(test_keys);
	T_RUN(test_timer_order);
	T_RUN(test_expire);
	T_RUN(test_paths);
	T_RUN(test_many);
	T_RUN(test_off);
	return t_done();
}
