/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: what the mount knows of its directories without asking
 * the server (mount.h, "what the mount knows of directories"): the names
 * in a directory and its attributes, each kept as long as the directory's
 * attribute timeout says, and never past a change this mount makes.
 * Everything here runs under the table's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mount.h"

/* ---- a set of names ----------------------------------------------------
 * Compared as the server may compare them: SMB servers look names up
 * without regard to case (Samba for SMB2 by default, Windows always), so
 * "Makefile" is in a set that holds "makefile". Only ASCII is folded
 * here; a set holding any other byte never says a name is absent
 * (mtable_names_absent()), since Unicode folding could match it.
 */
struct mname {
	struct mname *next;
	char name[];
};

struct mnames {
	size_t n, nb; /* nb: buckets, a power of two */
	bool not_ascii;
	struct mname **b;
};

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static size_t fold_hash(const char *name)
{
	uint64_t h = 1469598103934665603ull;

	for (; *name; name++) {
		h ^= fold((unsigned char)*name);
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

static bool fold_eq(const char *a, const char *b)
{
	for (; *a && fold((unsigned char)*a) == fold((unsigned char)*b);
	     a++, b++)
		;
	return !*a && !*b;
}

struct mnames *mnames_new(void)
{
	struct mnames *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->nb = 16;
	s->b = calloc(s->nb, sizeof(*s->b));
	if (!s->b) {
		free(s);
		return NULL;
	}
	return s;
}

static struct mname **slot(const struct mnames *s, const char *name)
{
	struct mname **p = &s->b[fold_hash(name) & (s->nb - 1)];

	while (*p && !fold_eq((*p)->name, name))
		p = &(*p)->next;
	return p;
}

/* Twice the buckets once there are more names than buckets. */
static void grow(struct mnames *s)
{
	size_t nb = s->nb * 2;
	struct mname **b;

	if (s->n < s->nb || !(b = calloc(nb, sizeof(*b))))
		return;
	for (size_t i = 0; i < s->nb; i++) {
		struct mname *e = s->b[i], *next;

		for (; e; e = next) {
			size_t j = fold_hash(e->name) & (nb - 1);

			next = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	free(s->b);
	s->b = b;
	s->nb = nb;
}

int mnames_add(struct mnames *s, const char *name)
{
	size_t len = strlen(name);
	struct mname **p = slot(s, name), *e;

	if (*p)
		return 0;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e->name, name, len + 1);
	e->next = NULL;
	*p = e;
	s->n++;
	for (; *name; name++)
		if ((unsigned char)*name >= 0x80)
			s->not_ascii = true;
	grow(s);
	return 0;
}

bool mnames_has(const struct mnames *s, const char *name)
{
	return *slot(s, name) != NULL;
}

void mnames_del(struct mnames *s, const char *name)
{
	struct mname **p = slot(s, name), *e = *p;

	if (!e)
		return;
	*p = e->next;
	free(e);
	s->n--;
}

size_t mnames_count(const struct mnames *s)
{
	return s->n;
}

void mnames_free(struct mnames *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nb; i++) {
		struct mname *e = s->b[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(s->b);
	free(s);
}

/* ---- per directory ---------------------------------------------------- */

static void names_drop(struct mtable *t, struct mnode *n)
{
	if (!n->names)
		return;
	t->names_held -= mnames_count(n->names);
	mnames_free(n->names);
	n->names = NULL;
}

void mlisting_clear(struct mlisting *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
	l->e = NULL;
	l->n = 0;
}

static void listing_free(struct mlisting *l)
{
	if (l) {
		mlisting_clear(l);
		free(l);
	}
}

static void ahead_drop(struct mtable *t, struct mnode *n)
{
	if (!n->ahead)
		return;
	listing_free(n->ahead);
	n->ahead = NULL;
	t->ahead_held--;
}

void mtable_meta_free(struct mtable *t, struct mnode *n)
{
	names_drop(t, n);
	ahead_drop(t, n);
	n->st_ok = false;
}

/*
 * Asked at @at, is it less than @ttl old at @now? A caller reads its
 * clock before it takes the table's lock (and a readdir's take may then
 * wait for a worker's listing), so what is kept may be asked after @now:
 * newer than the caller's question, so young (the unsigned difference
 * would wrap and call it old).
 */
static bool young(uint64_t now, uint64_t at, uint64_t ttl)
{
	return now <= at || now - at < ttl;
}

/* @n and every directory above it still have their names (not removed
 * or replaced by this mount): what is kept of it is the file's. */
static bool reachable(const struct mtable *t, const struct mnode *n)
{
	for (; n != &t->root; n = n->parent)
		if (!n->hashed)
			return false;
	return true;
}

uint64_t mtable_meta_seq(struct mtable *t)
{
	uint64_t seq;

	pthread_mutex_lock(&t->lock);
	seq = t->meta_seq;
	pthread_mutex_unlock(&t->lock);
	return seq;
}

/* An answer asked when the count was @seq still holds for @n. */
static bool unchanged(const struct mnode *n, uint64_t seq)
{
	return !n->meta_busy && n->meta_seq <= seq;
}

void mtable_names_keep(struct mtable *t, struct mnode *dir, struct mnames *ns,
		       uint64_t at, uint64_t seq)
{
	pthread_mutex_lock(&t->lock);
	if (ns && unchanged(dir, seq) &&
	    t->names_held + mnames_count(ns) <= MTABLE_NAMES_MAX) {
		names_drop(t, dir);
		dir->names = ns;
		dir->names_at = at;
		t->names_held += mnames_count(ns);
		ns = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	mnames_free(ns);
}

/*
 * A name the server could find for another one than it spells: an 8.3
 * alias ("LONGNA~1.TXT"), a stream ("f:s"), a wildcard, non-ASCII (case
 * folding beyond ASCII), one ending in a dot or a space (Windows drops
 * those). The set says nothing about those.
 */
static bool name_plain(const char *name)
{
	size_t len = strlen(name);

	if (!len || name[len - 1] == '.' || name[len - 1] == ' ')
		return false;
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;

		if (c < 0x20 || c >= 0x7f || strchr("~:*?\"<>|", c))
			return false;
	}
	return true;
}

bool mtable_names_absent(struct mtable *t, struct mnode *dir, const char *name,
			 uint64_t now, uint64_t ttl)
{
	bool absent = false;

	if (!ttl || !name_plain(name))
		return false;
	pthread_mutex_lock(&t->lock);
	if (dir->names && !young(now, dir->names_at, ttl))
		names_drop(t, dir); /* too old: ask, and free it */
	if (dir->names && !dir->meta_busy && !dir->names->not_ascii &&
	    reachable(t, dir))
		absent = !mnames_has(dir->names, name);
	pthread_mutex_unlock(&t->lock);
	return absent;
}

/* The count moves: what was asked before is not kept (unchanged()). */
static void changed(struct mtable *t, struct mnode *n)
{
	n->meta_seq = ++t->meta_seq;
	n->st_ok = false;
}

void mtable_meta_begin(struct mtable *t, struct mnode *dir, const char *made)
{
	pthread_mutex_lock(&t->lock);
	dir->meta_busy++;
	changed(t, dir);
	if (made && dir->names && !mnames_has(dir->names, made)) {
		if (mnames_add(dir->names, made))
			names_drop(t, dir); /* the set must hold it */
		else
			t->names_held++;
	}
	pthread_mutex_unlock(&t->lock);
}

void mtable_meta_end(struct mtable *t, struct mnode *dir, const char *gone)
{
	pthread_mutex_lock(&t->lock);
	dir->meta_busy--;
	changed(t, dir);
	if (gone && dir->names && mnames_has(dir->names, gone)) {
		mnames_del(dir->names, gone);
		t->names_held--;
	}
	pthread_mutex_unlock(&t->lock);
}

void mtable_attr_keep(struct mtable *t, struct mnode *n,
		      const struct smbiov_stat *s, uint64_t at, uint64_t seq)
{
	if (!s->is_dir)
		return;
	pthread_mutex_lock(&t->lock);
	if (unchanged(n, seq)) {
		n->st = *s;
		n->st_at = at;
		n->st_ok = true;
	}
	pthread_mutex_unlock(&t->lock);
}

bool mtable_attr_get(struct mtable *t, struct mnode *n, struct smbiov_stat *s,
		     uint64_t now, uint64_t ttl)
{
	bool ok;

	pthread_mutex_lock(&t->lock);
	ok = ttl && n->st_ok && !n->meta_busy && young(now, n->st_at, ttl) &&
	     reachable(t, n);
	if (ok)
		*s = n->st;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

/* ---- listings read ahead ------------------------------------------------
 * A queued or listing node is held (a lookup's count) so that it stays
 * until its worker is done with it; the queue runs through ahead_next.
 */

/* A listing asked at @at when the count was @seq may serve @n at @now. */
static bool listing_fresh(const struct mtable *t, const struct mnode *n,
			  const struct mlisting *l, uint64_t now, uint64_t ttl)
{
	return ttl && young(now, l->at, ttl) && unchanged(n, l->seq) &&
	       reachable(t, n);
}

bool mtable_ahead_push(struct mtable *t, struct mnode *dir, uint64_t now,
		       uint64_t ttl)
{
	bool push;

	pthread_mutex_lock(&t->lock);
	push = t->ahead_on && dir != &t->root &&
	       dir->ahead_state == MAHEAD_NONE &&
	       t->ahead_queued < MTABLE_AHEAD_QUEUE &&
	       !(dir->ahead && listing_fresh(t, dir, dir->ahead, now, ttl));
	if (push) {
		dir->ahead_state = MAHEAD_QUEUED;
		dir->nlookup++;
		dir->ahead_next = NULL;
		if (t->ahead_tail)
			t->ahead_tail->ahead_next = dir;
		else
			t->ahead_head = dir;
		t->ahead_tail = dir;
		t->ahead_queued++;
		pthread_cond_signal(&t->ahead_work);
	}
	pthread_mutex_unlock(&t->lock);
	return push;
}

/* The queue's first node, taken out (locked); NULL: empty. */
static struct mnode *ahead_shift(struct mtable *t)
{
	struct mnode *n = t->ahead_head;

	if (n) {
		t->ahead_head = n->ahead_next;
		if (!t->ahead_head)
			t->ahead_tail = NULL;
		n->ahead_next = NULL;
		t->ahead_queued--;
	}
	return n;
}

/*
 * A node taken off the queue without a listing: no longer queued, and
 * its hold let go (the table's lock held, let go meanwhile: the node may
 * be freed).
 */
static void ahead_let_go(struct mtable *t, struct mnode *n)
{
	n->ahead_state = MAHEAD_NONE;
	pthread_mutex_unlock(&t->lock);
	mtable_forget(t, n, 1);
	pthread_mutex_lock(&t->lock);
}

struct mnode *mtable_ahead_pop(struct mtable *t)
{
	struct mnode *n;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (t->ahead_on && !t->ahead_head)
			pthread_cond_wait(&t->ahead_work, &t->lock);
		if (!t->ahead_on) {
			n = NULL;
			break;
		}
		n = ahead_shift(t);
		if (n->ahead_state == MAHEAD_QUEUED) {
			n->ahead_state = MAHEAD_LISTING;
			break;
		}
		/* listed by its own readdir meanwhile */
		ahead_let_go(t, n);
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

void mtable_ahead_done(struct mtable *t, struct mnode *dir, struct mlisting *l)
{
	pthread_mutex_lock(&t->lock);
	if (l && unchanged(dir, l->seq) &&
	    (dir->ahead || t->ahead_held < MTABLE_AHEAD_HELD)) {
		ahead_drop(t, dir);
		dir->ahead = l;
		t->ahead_held++;
		l = NULL;
	}
	dir->ahead_state = MAHEAD_NONE;
	pthread_cond_broadcast(&t->ahead_cv);
	pthread_mutex_unlock(&t->lock);
	listing_free(l);
	mtable_forget(t, dir, 1);
}

bool mtable_ahead_take(struct mtable *t, struct mnode *dir, uint64_t now,
		       uint64_t ttl, struct mlisting *out)
{
	struct mlisting *l = NULL;
	bool got = false;

	pthread_mutex_lock(&t->lock);
	if (dir->ahead_state == MAHEAD_QUEUED)
		dir->ahead_state = MAHEAD_SKIP;
	/* (a worker's listing ends: its calls have their timeouts) */
	while (dir->ahead_state == MAHEAD_LISTING)
		pthread_cond_wait(&t->ahead_cv, &t->lock);
	if (dir->ahead) {
		l = dir->ahead;
		dir->ahead = NULL;
		t->ahead_held--;
		got = listing_fresh(t, dir, l, now, ttl);
	}
	pthread_mutex_unlock(&t->lock);
	if (got) {
		*out = *l;
		free(l);
	} else {
		listing_free(l);
	}
	return got;
}

void mtable_ahead_start(struct mtable *t)
{
	pthread_mutex_lock(&t->lock);
	t->ahead_on = true;
	pthread_mutex_unlock(&t->lock);
}

void mtable_ahead_stop(struct mtable *t)
{
	pthread_mutex_lock(&t->lock);
	t->ahead_on = false;
	pthread_cond_broadcast(&t->ahead_work);
	pthread_mutex_unlock(&t->lock);
}

void mtable_ahead_drain(struct mtable *t)
{
	struct mnode *n;

	pthread_mutex_lock(&t->lock);
	while ((n = ahead_shift(t)))
		ahead_let_go(t, n);
	pthread_mutex_unlock(&t->lock);
}
