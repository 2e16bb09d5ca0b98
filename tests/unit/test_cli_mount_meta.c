/* SPDX-License-Identifier: MIT */
/*
 * What smbiov mount knows of its directories (tools/smbiov/mount_meta.c),
 * driven with chosen times and sequences: a listing's names say a name
 * is absent only within the timeout, never while this mount changes the
 * directory, never when the listing was asked before a change (the
 * change count), and a name this mount makes is in them from before the
 * call that makes it; names are compared without regard to ASCII case,
 * and sets holding other bytes, or names the server could take for
 * others (8.3 aliases, streams), say nothing; a directory's attributes
 * the same way; nodes removed or with a removed parent keep nothing;
 * the names of all directories together are bounded; listings read
 * ahead hold as the names do.
 */
#include <stdlib.h>
#include <string.h>

#include "mount.h"
#include "t.h"

#define TTL 1000u /* a listing holds 1000 "ns" in these tests */

/* A set of the names given, NULL-terminated. */
static struct mnames *set_of(const char *const *names)
{
	struct mnames *s = mnames_new();

	T_ASSERT(s != NULL);
	for (; *names; names++)
		T_ASSERT(mnames_add(s, *names) == 0);
	return s;
}

static void test_set(void)
{
	static const char *const names[] = {"Makefile", "a.c", "b", NULL};
	struct mnames *s = set_of(names);
	char name[16];

	T_EXPECT_EQ(mnames_count(s), 3);
	T_EXPECT(mnames_has(s, "makefile")); /* as the server compares */
	T_EXPECT(mnames_has(s, "A.C"));
	T_EXPECT(!mnames_has(s, "a.cc"));
	T_EXPECT(!mnames_has(s, "a"));
	T_EXPECT_EQ(mnames_add(s, "B"), 0); /* the same name: not twice */
	T_EXPECT_EQ(mnames_count(s), 3);
	mnames_del(s, "MAKEFILE");
	T_EXPECT(!mnames_has(s, "Makefile"));
	T_EXPECT_EQ(mnames_count(s), 2);
	mnames_del(s, "nothing");
	T_EXPECT_EQ(mnames_count(s), 2);
	/* growing keeps every name findable */
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		T_ASSERT(mnames_add(s, name) == 0);
	}
	T_EXPECT_EQ(mnames_count(s), 5002);
	for (int i = 0; i < 5000; i += 7) {
		snprintf(name, sizeof(name), "F%d", i);
		T_EXPECT(mnames_has(s, name));
	}
	T_EXPECT(!mnames_has(s, "f5000"));
	mnames_free(s);
}

static void test_absent(void)
{
	static const char *const names[] = {"x", "y", NULL};
	struct mtable t;
	struct mnode *d;
	uint64_t seq;

	T_ASSERT(mtable_init(&t, "") == 0);
	d = mtable_lookup(&t, &t.root, "d");
	/* nothing known yet */
	T_EXPECT(!mtable_names_absent(&t, d, "z", 100, TTL));
	seq = mtable_meta_seq(&t);
	mtable_names_keep(&t, d, set_of(names), 100, seq);
	T_EXPECT_EQ(t.names_held, 2);
	T_EXPECT(mtable_names_absent(&t, d, "z", 100, TTL));
	T_EXPECT(mtable_names_absent(&t, d, "z", 100 + TTL - 1, TTL));
	T_EXPECT(!mtable_names_absent(&t, d, "x", 100, TTL));
	T_EXPECT(!mtable_names_absent(&t, d, "X", 100, TTL));
	/* a timeout of 0 (actimeo=0): never */
	T_EXPECT(!mtable_names_absent(&t, d, "z", 100, 0));
	/* names the server may take for others: asked */
	T_EXPECT(!mtable_names_absent(&t, d, "LONGNA~1.TXT", 100, TTL));
	T_EXPECT(!mtable_names_absent(&t, d, "x:stream", 100, TTL));
	T_EXPECT(!mtable_names_absent(&t, d, "\xc3\xa9", 100, TTL));
	T_EXPECT(!mtable_names_absent(&t, d, "x.", 100, TTL));
	T_EXPECT(!mtable_names_absent(&t, d, "x ", 100, TTL));
	T_EXPECT(mtable_names_absent(&t, d, "z.c", 100, TTL));
	/* too old: asked, and the names are freed */
	T_EXPECT(!mtable_names_absent(&t, d, "z", 100 + TTL, TTL));
	T_EXPECT(d->names == NULL);
	T_EXPECT_EQ(t.names_held, 0);
	T_EXPECT(!mtable_names_absent(&t, d, "z", 100, TTL));
	mtable_forget(&t, d, 1);
	mtable_destroy(&t);
}

static void test_own_changes(void)
{
	static const char *const names[] = {"x", NULL};
	struct mtable t;
	struct mnode *d;

	T_ASSERT(mtable_init(&t, "") == 0);
	d = mtable_lookup(&t, &t.root, "d");
	mtable_names_keep(&t, d, set_of(names), 0, mtable_meta_seq(&t));
	/* a create of "new": present from before the call, at any outcome */
	mtable_meta_begin(&t, d, "new");
	T_EXPECT(!mtable_names_absent(&t, d, "new", 1, TTL));
	/* while it is in progress nothing is said of any name */
	T_EXPECT(!mtable_names_absent(&t, d, "other", 1, TTL));
	mtable_meta_end(&t, d, NULL);
	T_EXPECT(!mtable_names_absent(&t, d, "new", 2, TTL));
	T_EXPECT(mtable_names_absent(&t, d, "other", 2, TTL));
	T_EXPECT_EQ(t.names_held, 2);
	/* an unlink of "x" that failed keeps it; one that did not, not */
	mtable_meta_begin(&t, d, NULL);
	mtable_meta_end(&t, d, NULL);
	T_EXPECT(!mtable_names_absent(&t, d, "x", 3, TTL));
	mtable_meta_begin(&t, d, NULL);
	mtable_meta_end(&t, d, "x");
	T_EXPECT(mtable_names_absent(&t, d, "x", 3, TTL));
	T_EXPECT_EQ(t.names_held, 1);
	mtable_forget(&t, d, 1);
	mtable_destroy(&t);
}

/* A listing asked before a change of this mount is not kept. */
static void test_listing_raced(void)
{
	static const char *const names[] = {"x", NULL};
	struct mtable t;
	struct mnode *d;
	uint64_t seq;

	T_ASSERT(mtable_init(&t, "") == 0);
	d = mtable_lookup(&t, &t.root, "d");
	seq = mtable_meta_seq(&t);
	mtable_meta_begin(&t, d, "new");
	mtable_meta_end(&t, d, NULL);
	mtable_names_keep(&t, d, set_of(names), 0, seq);
	T_EXPECT(d->names == NULL);
	T_EXPECT(!mtable_names_absent(&t, d, "new", 0, TTL));
	/* nor one kept while a change is in progress */
	mtable_meta_begin(&t, d, "new");
	mtable_names_keep(&t, d, set_of(names), 0, mtable_meta_seq(&t));
	T_EXPECT(d->names == NULL);
	mtable_meta_end(&t, d, NULL);
	/* a change in another directory does not matter */
	seq = mtable_meta_seq(&t);
	mtable_meta_begin(&t, &t.root, "other");
	mtable_meta_end(&t, &t.root, NULL);
	mtable_names_keep(&t, d, set_of(names), 0, seq);
	T_EXPECT(mtable_names_absent(&t, d, "new", 0, TTL));
	T_EXPECT_EQ(t.names_held, 1);
	mtable_forget(&t, d, 1);
	T_EXPECT_EQ(t.names_held, 0); /* freed with the node */
	mtable_destroy(&t);
}

/* Names outside ASCII: the server may fold them; the set says nothing. */
static void test_not_ascii(void)
{
	static const char *const names[] = {"x", "\xc5\xbf", NULL};
	struct mtable t;

	T_ASSERT(mtable_init(&t, "") == 0);
	mtable_names_keep(&t, &t.root, set_of(names), 0, 0);
	T_EXPECT(!mtable_names_absent(&t, &t.root, "s", 0, TTL));
	T_EXPECT(!mtable_names_absent(&t, &t.root, "z", 0, TTL));
	mtable_destroy(&t);
}

/* A removed directory, or one under a removed one, keeps nothing. */
static void test_unreachable(void)
{
	static const char *const names[] = {"x", NULL};
	struct mtable t;
	struct mnode *a, *b;
	struct smbiov_stat s = {.is_dir = true, .size = 7}, got;

	T_ASSERT(mtable_init(&t, "") == 0);
	a = mtable_lookup(&t, &t.root, "a");
	b = mtable_lookup(&t, a, "b");
	mtable_names_keep(&t, b, set_of(names), 0, 0);
	mtable_attr_keep(&t, b, &s, 0, 0);
	T_EXPECT(mtable_names_absent(&t, b, "z", 0, TTL));
	T_EXPECT(mtable_attr_get(&t, b, &got, 0, TTL));
	mtable_unhash(&t, &t.root, "a");
	T_EXPECT(!mtable_names_absent(&t, b, "z", 0, TTL));
	T_EXPECT(!mtable_attr_get(&t, b, &got, 0, TTL));
	mtable_forget(&t, b, 1);
	mtable_forget(&t, a, 1);
	mtable_destroy(&t);
}

static void test_attrs(void)
{
	struct smbiov_stat dir = {.is_dir = true, .size = 1, .mtime_ns = 5};
	struct smbiov_stat file = {.size = 9}, got;
	struct mtable t;
	struct mnode *d, *f;
	uint64_t seq;

	T_ASSERT(mtable_init(&t, "") == 0);
	d = mtable_lookup(&t, &t.root, "d");
	f = mtable_lookup(&t, &t.root, "f");
	T_EXPECT(!mtable_attr_get(&t, d, &got, 0, TTL));
	mtable_attr_keep(&t, d, &dir, 100, mtable_meta_seq(&t));
	T_ASSERT(mtable_attr_get(&t, d, &got, 100 + TTL - 1, TTL));
	T_EXPECT_EQ(got.mtime_ns, 5);
	T_EXPECT(!mtable_attr_get(&t, d, &got, 100 + TTL, TTL));
	T_EXPECT(!mtable_attr_get(&t, d, &got, 100, 0));
	/* a file's are not kept */
	mtable_attr_keep(&t, f, &file, 100, mtable_meta_seq(&t));
	T_EXPECT(!mtable_attr_get(&t, f, &got, 100, TTL));
	/* a change in the directory drops them; one asked before it is
	 * not kept */
	seq = mtable_meta_seq(&t);
	mtable_meta_begin(&t, d, "new");
	T_EXPECT(!mtable_attr_get(&t, d, &got, 100, TTL));
	mtable_meta_end(&t, d, NULL);
	mtable_attr_keep(&t, d, &dir, 100, seq);
	T_EXPECT(!mtable_attr_get(&t, d, &got, 100, TTL));
	mtable_attr_keep(&t, d, &dir, 100, mtable_meta_seq(&t));
	T_EXPECT(mtable_attr_get(&t, d, &got, 100, TTL));
	/* renamed: its change time moved */
	T_EXPECT_EQ(mtable_rename(&t, &t.root, "d", &t.root, "e"), 0);
	T_EXPECT(!mtable_attr_get(&t, d, &got, 100, TTL));
	mtable_forget(&t, d, 1);
	mtable_forget(&t, f, 1);
	mtable_destroy(&t);
}

/* The names of all directories together stay under the bound. */
static void test_bound(void)
{
	struct mtable t;
	struct mnames *s;

	T_ASSERT(mtable_init(&t, "") == 0);
	t.names_held = MTABLE_NAMES_MAX - 1;
	s = mnames_new();
	T_ASSERT(s && mnames_add(s, "a") == 0 && mnames_add(s, "b") == 0);
	mtable_names_keep(&t, &t.root, s, 0, 0);
	T_EXPECT(t.root.names == NULL);
	T_EXPECT(!mtable_names_absent(&t, &t.root, "z", 0, TTL));
	s = mnames_new();
	T_ASSERT(s && mnames_add(s, "a") == 0);
	mtable_names_keep(&t, &t.root, s, 0, 0);
	T_EXPECT(mtable_names_absent(&t, &t.root, "z", 0, TTL));
	T_EXPECT_EQ(t.names_held, MTABLE_NAMES_MAX);
	t.names_held -= MTABLE_NAMES_MAX - 1;
	mtable_destroy(&t);
}

/* A listing of one entry @name, asked at @at when the count was @seq. */
static struct mlisting *listing_of(const char *name, uint64_t at, uint64_t seq)
{
	struct mlisting *l = calloc(1, sizeof(*l));

	T_ASSERT(l != NULL);
	l->e = calloc(1, sizeof(*l->e));
	T_ASSERT(l->e != NULL);
	l->e[0].name = strdup(name);
	T_ASSERT(l->e[0].name != NULL);
	l->n = 1;
	l->at = at;
	l->seq = seq;
	return l;
}

/*
 * Listings read ahead, as a worker and a readdir use them: queued once,
 * the node held while queued or listing; kept and taken within the
 * timeout; not after a change of this mount, nor too old, nor when the
 * listing was asked before a change; one taken by its own readdir while
 * queued is not read (the worker lets it go); nothing queued once
 * stopped, and what is left is drained.
 */
static void test_ahead(void)
{
	struct mlisting got = {0};
	struct mtable t;
	struct mnode *a, *b, *n;
	uint64_t seq;

	T_ASSERT(mtable_init(&t, "") == 0);
	a = mtable_lookup(&t, &t.root, "a");
	b = mtable_lookup(&t, &t.root, "b");
	/* stopped: nothing is queued */
	T_EXPECT(!mtable_ahead_push(&t, a, 0, TTL));
	mtable_ahead_start(&t);
	T_EXPECT(!mtable_ahead_push(&t, &t.root, 0, TTL));
	T_EXPECT(mtable_ahead_push(&t, a, 0, TTL));
	T_EXPECT(!mtable_ahead_push(&t, a, 0, TTL)); /* once */
	T_EXPECT_EQ(a->nlookup, 2);		     /* held */
	T_EXPECT(mtable_ahead_push(&t, b, 0, TTL));
	/* the worker lists a */
	seq = mtable_meta_seq(&t);
	n = mtable_ahead_pop(&t);
	T_ASSERT(n == a);
	T_EXPECT_EQ(a->ahead_state, MAHEAD_LISTING);
	mtable_ahead_done(&t, a, listing_of("x", 10, seq));
	T_EXPECT_EQ(a->nlookup, 1);
	T_EXPECT_EQ(t.ahead_held, 1);
	/* a fresh one is kept: not queued again */
	T_EXPECT(!mtable_ahead_push(&t, a, 10 + TTL - 1, TTL));
	/* b's own readdir comes first: it is not read, and let go */
	T_EXPECT(!mtable_ahead_take(&t, b, 20, TTL, &got));
	T_EXPECT_EQ(b->ahead_state, MAHEAD_SKIP);
	/* taken within the timeout: a's listing */
	T_EXPECT(mtable_ahead_take(&t, a, 10 + TTL - 1, TTL, &got));
	T_EXPECT(got.n == 1 && !strcmp(got.e[0].name, "x"));
	mlisting_clear(&got);
	T_EXPECT_EQ(t.ahead_held, 0);
	T_EXPECT(!mtable_ahead_take(&t, a, 10, TTL, &got)); /* used once */
	/* too old */
	T_EXPECT(mtable_ahead_push(&t, a, 100, TTL));
	/* (the skipped b is let go by the worker's next pop) */
	n = mtable_ahead_pop(&t);
	T_ASSERT(n == a);
	T_EXPECT_EQ(b->ahead_state, MAHEAD_NONE);
	T_EXPECT_EQ(b->nlookup, 1);
	mtable_ahead_done(&t, a, listing_of("y", 100, mtable_meta_seq(&t)));
	T_EXPECT(!mtable_ahead_take(&t, a, 100 + TTL, TTL, &got));
	T_EXPECT_EQ(t.ahead_held, 0);
	/* this mount changed a after the listing was kept */
	T_EXPECT(mtable_ahead_push(&t, a, 200, TTL));
	T_EXPECT(mtable_ahead_pop(&t) == a);
	mtable_ahead_done(&t, a, listing_of("y", 200, mtable_meta_seq(&t)));
	mtable_meta_begin(&t, a, "new");
	mtable_meta_end(&t, a, NULL);
	T_EXPECT(!mtable_ahead_take(&t, a, 200, TTL, &got));
	/* asked before a change that ended before it was kept */
	T_EXPECT(mtable_ahead_push(&t, a, 300, TTL));
	T_EXPECT(mtable_ahead_pop(&t) == a);
	seq = mtable_meta_seq(&t);
	mtable_meta_begin(&t, a, NULL);
	mtable_meta_end(&t, a, NULL);
	mtable_ahead_done(&t, a, listing_of("y", 300, seq));
	T_EXPECT_EQ(t.ahead_held, 0);
	T_EXPECT(!mtable_ahead_take(&t, a, 300, TTL, &got));
	/* a failed listing keeps nothing; the node is let go */
	T_EXPECT(mtable_ahead_push(&t, a, 400, TTL));
	T_EXPECT(mtable_ahead_pop(&t) == a);
	mtable_ahead_done(&t, a, NULL);
	T_EXPECT_EQ(a->nlookup, 1);
	T_EXPECT_EQ(a->ahead_state, MAHEAD_NONE);
	/*
	 * the readdir read its clock before the worker asked the server
	 * (it then waited for that listing): newer than the question, taken
	 */
	T_EXPECT(mtable_ahead_push(&t, a, 450, TTL));
	T_EXPECT(mtable_ahead_pop(&t) == a);
	mtable_ahead_done(&t, a, listing_of("w", 460, mtable_meta_seq(&t)));
	T_EXPECT(mtable_ahead_take(&t, a, 455, TTL, &got));
	T_EXPECT(got.n == 1 && !strcmp(got.e[0].name, "w"));
	mlisting_clear(&got);
	/* stopped: the worker's pop ends, the queue is drained */
	T_EXPECT(mtable_ahead_push(&t, b, 500, TTL));
	mtable_ahead_stop(&t);
	T_EXPECT(mtable_ahead_pop(&t) == NULL);
	T_EXPECT(!mtable_ahead_push(&t, a, 500, TTL));
	mtable_ahead_drain(&t);
	T_EXPECT_EQ(b->nlookup, 1);
	T_EXPECT_EQ(t.ahead_queued, 0);
	/* one kept when its node goes is freed with it (ASan: no leak) */
	mtable_ahead_start(&t);
	T_EXPECT(mtable_ahead_push(&t, b, 600, TTL));
	T_EXPECT(mtable_ahead_pop(&t) == b);
	mtable_ahead_done(&t, b, listing_of("z", 600, mtable_meta_seq(&t)));
	T_EXPECT_EQ(t.ahead_held, 1);
	mtable_forget(&t, b, 1);
	T_EXPECT_EQ(t.ahead_held, 0);
	mtable_ahead_stop(&t);
	mtable_forget(&t, a, 1);
	mtable_destroy(&t);
}

int main(void)
{
	T_RUN(test_set);
	T_RUN(test_absent);
	T_RUN(test_own_changes);
	T_RUN(test_listing_raced);
	T_RUN(test_not_ascii);
	T_RUN(test_unreachable);
	T_RUN(test_attrs);
	T_RUN(test_bound);
	T_RUN(test_ahead);
	return t_done();
}
