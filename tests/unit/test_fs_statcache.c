// SPDX-License-Identifier: MIT
/*
 * The kept attributes of a cached open (src/fs/statcache.c), fed with
 * chosen sequences: an answer is kept only if nothing was forgotten
 * between asking (fs_sc_begin) and keeping; any forget drops it; a change
 * by this connection (forget with @changed) keeps nothing for good; an
 * answer asked in another epoch (a reconnect since) is not given.
 */
#include "fs/statcache.h"
#include "t.h"

static struct smbiov_stat stat_of(uint64_t size)
{
	return (struct smbiov_stat){.size = size, .mtime_ns = 7, .nlink = 1};
}

static void test_keep_and_get(void)
{
	struct fs_statcache sc;
	struct smbiov_stat a = stat_of(100), got;
	unsigned tok;

	T_ASSERT(fs_sc_init(&sc) == 0);
	T_EXPECT(!fs_sc_get(&sc, &got, 0));
	T_EXPECT(fs_sc_begin(&sc, &tok));
	fs_sc_keep(&sc, tok, &a, 0);
	T_EXPECT(fs_sc_get(&sc, &got, 0));
	T_EXPECT_EQ(got.size, 100);
	T_EXPECT_EQ(got.nlink, 1);
	/* a reconnect since: the epoch moved */
	T_EXPECT(!fs_sc_get(&sc, &got, 1));
	/* a READ was sent (not a change): dropped, kept again after */
	fs_sc_forget(&sc, false);
	T_EXPECT(!fs_sc_get(&sc, &got, 0));
	T_EXPECT(fs_sc_begin(&sc, &tok));
	a.size = 200;
	fs_sc_keep(&sc, tok, &a, 0);
	T_EXPECT(fs_sc_get(&sc, &got, 0));
	T_EXPECT_EQ(got.size, 200);
	fs_sc_destroy(&sc);
}

/* Asked before a forget, answered after: the answer may predate it. */
static void test_race(void)
{
	struct fs_statcache sc;
	struct smbiov_stat a = stat_of(100), got;
	unsigned tok;

	T_ASSERT(fs_sc_init(&sc) == 0);
	T_EXPECT(fs_sc_begin(&sc, &tok));
	fs_sc_forget(&sc, false);
	fs_sc_keep(&sc, tok, &a, 0);
	T_EXPECT(!fs_sc_get(&sc, &got, 0));
	/* the next asking keeps */
	T_EXPECT(fs_sc_begin(&sc, &tok));
	fs_sc_keep(&sc, tok, &a, 0);
	T_EXPECT(fs_sc_get(&sc, &got, 0));
	fs_sc_destroy(&sc);
}

/* A change by this connection: nothing kept again, whatever follows. */
static void test_changed_sticks(void)
{
	struct fs_statcache sc;
	struct smbiov_stat a = stat_of(100), got;
	unsigned tok;

	T_ASSERT(fs_sc_init(&sc) == 0);
	T_EXPECT(fs_sc_begin(&sc, &tok));
	fs_sc_keep(&sc, tok, &a, 0);
	T_EXPECT(!fs_sc_changed(&sc));
	fs_sc_forget(&sc, true);
	T_EXPECT(fs_sc_changed(&sc));
	T_EXPECT(!fs_sc_get(&sc, &got, 0));
	T_EXPECT(!fs_sc_begin(&sc, &tok));
	fs_sc_keep(&sc, tok, &a, 0);
	T_EXPECT(!fs_sc_get(&sc, &got, 0));
	fs_sc_forget(&sc, false);
	T_EXPECT(fs_sc_changed(&sc));
	fs_sc_destroy(&sc);
}

int main(void)
{
	T_RUN(test_keep_and_get);
	T_RUN(test_race);
	T_RUN(test_changed_sticks);
	return t_done();
}
