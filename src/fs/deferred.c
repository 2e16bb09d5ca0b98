// SPDX-License-Identifier: MIT
/*
 * Deferred close (cifs' closetimeo): a file closed while its lease holds
 * handle caching (H) stays open on the server, its page cache with it,
 * for a while; an open of the same path with the same flags takes it
 * back without a CREATE and finds its data still cached. The server
 * breaks H before anything that needs the handle gone (another client's
 * conflicting open, a rename or delete of the file), and the break closes
 * the parked handle before it is acknowledged (open.c); a timer thread
 * closes what nobody took back once the timeout passed.
 *
 * This file keeps the list and the timer; it knows nothing of SMB: a
 * parked file is opaque and @close_fn closes it.
 *
 * The list is kept in deadline order, so the timer looks at its head
 * only (an untar through the mount parks thousands of files: a walk of
 * the list on every wake-up showed in its profile). A new deadline is now
 * plus the one fixed timeout, so it belongs at the tail, or a step or two
 * before it (two threads parking at once take the lock in either order;
 * a held file, deadline INT64_MAX, stays last); a file the break lets
 * the timer close now (deadline 0) goes to the head. The list is
 * circular, doubly linked: the head's prev is the tail.
 *
 * Every open that may take a file back looks for its path, and every
 * O_EXCL or O_TRUNC open, unlink and rename closes what is parked at or
 * under a path: an index by path (a hash of chains) finds the first, and
 * a count per hash of every parked file's directories above it ("a" and
 * "a/b" for "a/b/c") says when no parked file can lie under a path, so
 * only a directory with parked files below it costs a walk of the list.
 */
#include "fs/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fs_parked {
	void *file;
	char *path;
	int flags, cache;
	unsigned ttl_ms;
	int64_t deadline;
	struct fs_parked *next, *prev;	 /* the list, by deadline */
	struct fs_parked *hnext, *hprev; /* its path's chain in the index */
	uint32_t hash;			 /* of @path */
};

#define IX_CHAINS 4096u
#define IX_UNDER  4096u

struct fs_park_index {
	struct fs_parked *chain[IX_CHAINS];
	/* parked files below a directory whose path hashes here */
	uint32_t under[IX_UNDER];
};

/* Under p->lock: count @e in (@d 1) or out of (-1) its directories. */
static void count_dirs(struct fs_park_index *ix, const struct fs_parked *e,
		       int d)
{
	for (const char *s = strchr(e->path, '/'); s; s = strchr(s + 1, '/'))
		ix->under[fs_path_hash_n(e->path, (size_t)(s - e->path)) %
			  IX_UNDER] += (uint32_t)d;
}

static void index_add(struct fs_parking *p, struct fs_parked *e)
{
	struct fs_parked **c = &p->ix->chain[e->hash % IX_CHAINS];

	e->hprev = NULL;
	e->hnext = *c;
	if (*c)
		(*c)->hprev = e;
	*c = e;
	count_dirs(p->ix, e, 1);
}

static void index_del(struct fs_parking *p, struct fs_parked *e)
{
	if (e->hprev)
		e->hprev->hnext = e->hnext;
	else
		p->ix->chain[e->hash % IX_CHAINS] = e->hnext;
	if (e->hnext)
		e->hnext->hprev = e->hprev;
	count_dirs(p->ix, e, -1);
}

/*
 * @p with empty components dropped ("/a//b/" is "a/b"), malloc'd: parked
 * files are matched by name, and callers spell names either way.
 */
static char *norm_path(const char *p)
{
	char *n = malloc(strlen(p ? p : "") + 1), *o = n;

	if (!n)
		return NULL;
	for (; p && *p; p++) {
		if (*p == '/' && (o == n || o[-1] == '/'))
			continue;
		*o++ = *p;
	}
	if (o > n && o[-1] == '/')
		o--;
	*o = '\0';
	return n;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int fs_parking_init(struct fs_parking *p, int64_t timeout_ns,
		    void (*close_fn)(void *file))
{
	pthread_condattr_t ca;

	memset(p, 0, sizeof(*p));
	p->timeout_ns = timeout_ns;
	p->close_fn = close_fn;
	/* nothing is parked without a timeout: no index either */
	if (timeout_ns > 0) {
		p->ix = calloc(1, sizeof(*p->ix));
		if (!p->ix)
			return -ENOMEM;
	}
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p->ix);
		return -ENOMEM;
	}
	if (pthread_condattr_init(&ca) ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&p->cv, &ca)) {
		pthread_mutex_destroy(&p->lock);
		free(p->ix);
		return -ENOMEM;
	}
	pthread_condattr_destroy(&ca);
	return 0;
}

/* Under p->lock: @e off the list. */
static void unlink_parked(struct fs_parking *p, struct fs_parked *e)
{
	if (e->next == e) {
		p->head = NULL;
	} else {
		e->prev->next = e->next;
		e->next->prev = e->prev;
		if (p->head == e)
			p->head = e->next;
	}
	p->count--;
	index_del(p, e);
}

/* Under p->lock: @e into the list in deadline order (see the top). */
static void insert_parked(struct fs_parking *p, struct fs_parked *e)
{
	struct fs_parked *at;

	p->count++;
	index_add(p, e);
	if (!p->head) {
		e->next = e->prev = e;
		p->head = e;
		return;
	}
	if (e->deadline < p->head->deadline) {
		at = p->head->prev; /* the new head goes after the tail */
		p->head = e;
	} else {
		/* from the tail back to the last one not later than @e */
		for (at = p->head->prev; at->deadline > e->deadline;
		     at = at->prev)
			;
	}
	e->prev = at;
	e->next = at->next;
	at->next->prev = e;
	at->next = e;
}

/* Under p->lock: unlink and return the entry matching @match, or NULL. */
static struct fs_parked *
take(struct fs_parking *p,
     bool (*match)(const struct fs_parked *, const void *), const void *arg)
{
	struct fs_parked *e = p->head;

	for (; e; e = e->next == p->head ? NULL : e->next)
		if (match(e, arg)) {
			unlink_parked(p, e);
			return e;
		}
	return NULL;
}

static void *release(struct fs_parked *e)
{
	void *file = e->file;

	free(e->path);
	free(e);
	return file;
}

static bool any(const struct fs_parked *e, const void *arg)
{
	(void)e;
	(void)arg;
	return true;
}

static void *timer_main(void *arg)
{
	struct fs_parking *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		/* the earliest deadline is the head's */
		struct fs_parked *e = p->head;
		int64_t next = e ? e->deadline : INT64_MAX;

		if (next <= mono_ns()) {
			unlink_parked(p, e);
			/* closing waits for the server: not under the lock */
			pthread_mutex_unlock(&p->lock);
			p->close_fn(release(e));
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (next == INT64_MAX) {
			/* nothing parked, or only held files */
			pthread_cond_wait(&p->cv, &p->lock);
		} else {
			struct timespec ts = {
				.tv_sec = next / 1000000000,
				.tv_nsec = next % 1000000000,
			};

			pthread_cond_timedwait(&p->cv, &p->lock, &ts);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int fs_park(struct fs_parking *p, void *file, const struct fs_park_key *k)
{
	struct fs_parked *e;

	if (p->timeout_ns <= 0)
		return -EOPNOTSUPP;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->path = norm_path(k->path);
	if (!e->path) {
		free(e);
		return -ENOMEM;
	}
	e->file = file;
	e->flags = k->flags;
	e->cache = k->cache;
	e->ttl_ms = k->ttl_ms;
	e->deadline = mono_ns() + p->timeout_ns;
	e->hash = fs_path_hash(e->path);
	pthread_mutex_lock(&p->lock);
	if (!p->started && !p->stop)
		p->started =
			pthread_create(&p->thread, NULL, timer_main, p) == 0;
	if (!p->started) {
		pthread_mutex_unlock(&p->lock);
		release(e);
		return -EAGAIN;
	}
	insert_parked(p, e);
	p->parked_total++;
	/* the timer waits for the head's deadline: only a new head moves it */
	if (p->head == e)
		pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static bool same_key(const struct fs_parked *e, const void *arg)
{
	const struct fs_park_key *k = arg;

	return e->flags == k->flags && e->cache == k->cache &&
	       e->ttl_ms == k->ttl_ms && !strcmp(e->path, k->path);
}

/*
 * Under p->lock: unlink and return an entry of path @n (its chain in the
 * index) matching @match, or NULL.
 */
static struct fs_parked *take_path(struct fs_parking *p, const char *n,
				   bool (*match)(const struct fs_parked *,
						 const void *),
				   const void *arg)
{
	uint32_t h = fs_path_hash(n);
	struct fs_parked *e = p->ix->chain[h % IX_CHAINS];

	for (; e; e = e->hnext)
		if (e->hash == h && !strcmp(e->path, n) && match(e, arg)) {
			unlink_parked(p, e);
			return e;
		}
	return NULL;
}

void *fs_unpark(struct fs_parking *p, const struct fs_park_key *k)
{
	struct fs_park_key nk = *k;
	struct fs_parked *e;
	char *n;

	if (!p->ix)
		return NULL; /* nothing is ever parked */
	n = norm_path(k->path);
	if (!n)
		return NULL;
	nk.path = n;
	pthread_mutex_lock(&p->lock);
	e = take_path(p, n, same_key, &nk);
	pthread_mutex_unlock(&p->lock);
	free(n);
	if (!e)
		return NULL;
	return release(e);
}

static bool same_file(const struct fs_parked *e, const void *file)
{
	return e->file == file;
}

bool fs_park_expire(struct fs_parking *p, void *file, bool hold)
{
	struct fs_parked *e;

	if (!p->ix)
		return false;
	pthread_mutex_lock(&p->lock);
	/* a walk: breaks are rare, and the caller knows no path */
	e = take(p, same_file, file);
	if (e) {
		/* never matches a key again; held: the timer skips it */
		e->flags = -1;
		e->deadline = hold ? INT64_MAX : 0;
		insert_parked(p, e);
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->lock);
	return e != NULL;
}

/* @e is the file @arg names, or lies under that directory. */
static bool under_path(const struct fs_parked *e, const void *arg)
{
	const char *dir = arg;
	size_t n = strlen(dir);

	if (!n)
		return true; /* the share root */
	return !strncmp(e->path, dir, n) &&
	       (e->path[n] == '\0' || e->path[n] == '/');
}

/* Close every parked file of @path, and with @below those under it. */
static void close_path(struct fs_parking *p, const char *path, bool below)
{
	struct fs_parked *e;
	uint32_t under;
	char *n;

	if (!p->ix)
		return;
	n = norm_path(path);
	if (!n)
		return;
	under = fs_path_hash(n) % IX_UNDER;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		e = take_path(p, n, any, NULL);
		/* below it: a walk, only when a parked file may be there */
		if (!e && below && (!*n || p->ix->under[under]))
			e = take(p, under_path, n);
		pthread_mutex_unlock(&p->lock);
		if (!e)
			break;
		p->close_fn(release(e));
	}
	free(n);
}

void fs_unpark_path(struct fs_parking *p, const char *path)
{
	close_path(p, path, true);
}

void fs_unpark_file(struct fs_parking *p, const char *path)
{
	close_path(p, path, false);
}

void fs_parking_shutdown(struct fs_parking *p)
{
	struct fs_parked *e;

	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->lock);
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = false;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		e = take(p, any, NULL);
		pthread_mutex_unlock(&p->lock);
		if (!e)
			return;
		p->close_fn(release(e));
	}
}

void fs_parking_destroy(struct fs_parking *p)
{
	fs_parking_shutdown(p);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->lock);
	free(p->ix);
	p->ix = NULL;
}
