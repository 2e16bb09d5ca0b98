/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: the inode table (mount.h). One mutex guards it all; it is
 * held only for table work, never across a call to the server.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mount.h"

#define MTABLE_MIN_BUCKETS 1024

static size_t name_hash(const struct mnode *parent, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

static struct mnode **bucket(struct mtable *t, const struct mnode *parent,
			     const char *name)
{
	return &t->hash[name_hash(parent, name) & (t->nbuckets - 1)];
}

static struct mnode *find(struct mtable *t, const struct mnode *parent,
			  const char *name)
{
	struct mnode *n = *bucket(t, parent, name);

	for (; n; n = n->hnext)
		if (n->parent == parent && !strcmp(n->name, name))
			return n;
	return NULL;
}

static void hash_insert(struct mtable *t, struct mnode *n)
{
	struct mnode **b = bucket(t, n->parent, n->name);

	n->hnext = *b;
	*b = n;
	n->hashed = true;
	t->count++;
}

static void hash_remove(struct mtable *t, struct mnode *n)
{
	struct mnode **p = bucket(t, n->parent, n->name);

	for (; *p; p = &(*p)->hnext) {
		if (*p == n) {
			*p = n->hnext;
			n->hnext = NULL;
			n->hashed = false;
			t->count--;
			return;
		}
	}
}

/* Twice the buckets when the table is full; on no memory it stays. */
static void maybe_grow(struct mtable *t)
{
	size_t nb = t->nbuckets * 2;
	struct mnode **h;

	if (t->count < t->nbuckets)
		return;
	h = calloc(nb, sizeof(*h));
	if (!h)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct mnode *n = t->hash[i], *next;

		for (; n; n = next) {
			size_t j = name_hash(n->parent, n->name) & (nb - 1);

			next = n->hnext;
			n->hnext = h[j];
			h[j] = n;
		}
	}
	free(t->hash);
	t->hash = h;
	t->nbuckets = nb;
}

int mtable_init(struct mtable *t, const char *base)
{
	memset(t, 0, sizeof(*t));
	t->base = strdup(base ? base : "");
	t->hash = calloc(MTABLE_MIN_BUCKETS, sizeof(*t->hash));
	t->root.name = strdup("");
	if (!t->base || !t->hash || !t->root.name) {
		free(t->base);
		free(t->hash);
		free(t->root.name);
		return -ENOMEM;
	}
	t->nbuckets = MTABLE_MIN_BUCKETS;
	t->root.id = 1;
	t->root.nlookup = 1;
	t->root.hashed = true;
	t->next_id = 2;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wb_done, NULL);
	pthread_cond_init(&t->ahead_work, NULL);
	pthread_cond_init(&t->ahead_cv, NULL);
	return 0;
}

static void free_node(struct mtable *t, struct mnode *n)
{
	mtable_meta_free(t, n);
	free(n->name);
	free(n);
}

void mtable_destroy(struct mtable *t)
{
	struct mnode *n, *next;

	for (n = t->all; n; n = next) {
		next = n->anext;
		free_node(t, n);
	}
	mtable_meta_free(t, &t->root);
	free(t->hash);
	free(t->base);
	free(t->root.name);
	pthread_cond_destroy(&t->wb_done);
	pthread_cond_destroy(&t->ahead_work);
	pthread_cond_destroy(&t->ahead_cv);
	pthread_mutex_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
}

/* Free @n and then each parent that nothing holds any more (locked). */
static void maybe_free(struct mtable *t, struct mnode *n)
{
	while (n && n != &t->root && !n->nlookup && !n->children && !n->files &&
	       !n->kc_pins) {
		struct mnode *parent = n->parent;

		if (n->hashed)
			hash_remove(t, n);
		if (n->aprev)
			n->aprev->anext = n->anext;
		else
			t->all = n->anext;
		if (n->anext)
			n->anext->aprev = n->aprev;
		parent->children--;
		free_node(t, n);
		n = parent;
	}
}

int mtable_path(struct mtable *t, struct mnode *n, const char *name, char **out)
{
	size_t len = strlen(t->base) + (name ? strlen(name) + 1 : 0);
	struct mnode *p;
	char *s, *end;

	*out = NULL;
	pthread_mutex_lock(&t->lock);
	for (p = n; p != &t->root; p = p->parent) {
		if (!p->hashed) {
			pthread_mutex_unlock(&t->lock);
			return -ENOENT;
		}
		len += strlen(p->name) + 1;
	}
	s = malloc(len + 1);
	if (!s) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	/* built from the end: name, then each component up to the base */
	end = s + len;
	*end = '\0';
	if (name) {
		size_t l = strlen(name);

		end -= l;
		memcpy(end, name, l);
		*--end = '/';
	}
	for (p = n; p != &t->root; p = p->parent) {
		size_t l = strlen(p->name);

		end -= l;
		memcpy(end, p->name, l);
		*--end = '/';
	}
	memcpy(s, t->base, strlen(t->base));
	pthread_mutex_unlock(&t->lock);
	/* no leading '/' when the base is the share root */
	if (!*t->base && *s == '/')
		memmove(s, s + 1, len);
	*out = s;
	return 0;
}

struct mnode *mtable_lookup(struct mtable *t, struct mnode *parent,
			    const char *name)
{
	struct mnode *n;

	pthread_mutex_lock(&t->lock);
	n = find(t, parent, name);
	if (n) {
		n->nlookup++;
		pthread_mutex_unlock(&t->lock);
		return n;
	}
	n = calloc(1, sizeof(*n));
	if (n)
		n->name = strdup(name);
	if (!n || !n->name) {
		free(n);
		pthread_mutex_unlock(&t->lock);
		return NULL;
	}
	n->parent = parent;
	parent->children++;
	n->id = t->next_id++;
	n->nlookup = 1;
	n->anext = t->all;
	if (t->all)
		t->all->aprev = n;
	t->all = n;
	hash_insert(t, n);
	maybe_grow(t);
	pthread_mutex_unlock(&t->lock);
	return n;
}

void mtable_forget(struct mtable *t, struct mnode *n, uint64_t nlookup)
{
	if (n == &t->root)
		return;
	pthread_mutex_lock(&t->lock);
	n->nlookup = nlookup < n->nlookup ? n->nlookup - nlookup : 0;
	maybe_free(t, n);
	pthread_mutex_unlock(&t->lock);
}

void mtable_hold(struct mtable *t, struct mnode *n)
{
	if (n == &t->root)
		return;
	pthread_mutex_lock(&t->lock);
	n->nlookup++;
	pthread_mutex_unlock(&t->lock);
}

void mtable_unhash(struct mtable *t, struct mnode *parent, const char *name)
{
	struct mnode *n;

	pthread_mutex_lock(&t->lock);
	n = find(t, parent, name);
	if (n)
		hash_remove(t, n);
	pthread_mutex_unlock(&t->lock);
}

int mtable_rename(struct mtable *t, struct mnode *parent, const char *name,
		  struct mnode *newparent, const char *newname)
{
	char *nn = strdup(newname);
	struct mnode *n, *victim, *old;

	if (!nn)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	n = find(t, parent, name);
	victim = find(t, newparent, newname);
	if (victim && victim != n)
		hash_remove(t, victim);
	if (!n || n == victim) {
		pthread_mutex_unlock(&t->lock);
		free(nn);
		return 0;
	}
	hash_remove(t, n);
	free(n->name);
	n->name = nn;
	old = n->parent;
	/* its change time moved: a directory's kept attributes go */
	n->meta_seq = ++t->meta_seq;
	n->st_ok = false;
	n->parent = newparent;
	newparent->children++;
	old->children--;
	hash_insert(t, n);
	maybe_free(t, old);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void mtable_file_add(struct mtable *t, struct mfile *mf)
{
	struct mnode *n = mf->node;

	pthread_mutex_lock(&t->lock);
	mf->refs = 1;
	mf->prev = NULL;
	mf->next = n->files;
	if (n->files)
		n->files->prev = mf;
	n->files = mf;
	pthread_mutex_unlock(&t->lock);
}

static void file_unlink(struct mtable *t, struct mfile *mf)
{
	struct mnode *n = mf->node;

	if (!n)
		return;
	if (mf->prev)
		mf->prev->next = mf->next;
	else
		n->files = mf->next;
	if (mf->next)
		mf->next->prev = mf->prev;
	mf->next = mf->prev = NULL;
	mf->node = NULL;
	maybe_free(t, n);
}

void mtable_file_remove(struct mtable *t, struct mfile *mf)
{
	pthread_mutex_lock(&t->lock);
	file_unlink(t, mf);
	pthread_mutex_unlock(&t->lock);
}

struct mfile *mtable_file_any(struct mtable *t, struct mnode *n, bool writable)
{
	struct mfile *mf;

	pthread_mutex_lock(&t->lock);
	/* the caller asks the server through it: writes replied to first */
	while (n->wb)
		pthread_cond_wait(&t->wb_done, &t->lock);
	mf = n->files;
	while (mf && writable && !mf->writable)
		mf = mf->next;
	if (mf)
		mf->refs++;
	pthread_mutex_unlock(&t->lock);
	return mf;
}

void mtable_file_get(struct mtable *t, struct mfile *mf)
{
	pthread_mutex_lock(&t->lock);
	mf->refs++;
	pthread_mutex_unlock(&t->lock);
}

/*
 * After the close of a file the kernel cached (its lease callback no
 * longer runs): while the pages are still the server's, its file may
 * come back from the library's deferred close with its lease, and the
 * open that takes it back keep the pages.
 */
static void kc_release(struct mtable *t, struct mfile *mf)
{
	struct mnode *n = mf->kc_node;

	pthread_mutex_lock(&t->lock);
	n->kc_opens--;
	if (!__atomic_load_n(&mf->has_r, __ATOMIC_SEQ_CST))
		n->kc_valid = false;
	if (!n->kc_valid) {
		n->kc_nparked = 0;
	} else {
		if (n->kc_nparked == MTABLE_KC_PARKED) {
			memmove(n->kc_parked, n->kc_parked + 1,
				sizeof(n->kc_parked) - sizeof(n->kc_parked[0]));
			n->kc_nparked--;
		}
		n->kc_parked[n->kc_nparked++] = mf->handle_id;
	}
	n->kc_pins--;
	maybe_free(t, n);
	pthread_mutex_unlock(&t->lock);
}

bool mtable_first_reserve(struct mtable *t, size_t len)
{
	if (__atomic_add_fetch(&t->first_bytes, len, __ATOMIC_RELAXED) <=
	    MTABLE_FIRST_MAX)
		return true;
	__atomic_sub_fetch(&t->first_bytes, len, __ATOMIC_RELAXED);
	return false;
}

void mtable_first_put(struct mtable *t, struct mfirst *fr)
{
	if (!fr)
		return;
	__atomic_sub_fetch(&t->first_bytes, fr->len, __ATOMIC_RELAXED);
	free(fr);
}

/* @mf goes: its first bytes, if still kept, with it. */
static void file_free(struct mtable *t, struct mfile *mf)
{
	mtable_first_put(
		t, __atomic_exchange_n(&mf->first, NULL, __ATOMIC_SEQ_CST));
	free(mf);
}

int mtable_file_put(struct mtable *t, struct mfile *mf)
{
	bool last;
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	last = --mf->refs == 0;
	if (last)
		file_unlink(t, mf);
	pthread_mutex_unlock(&t->lock);
	if (last) {
		ret = smbiov_close(mf->f);
		if (mf->kc_node)
			kc_release(t, mf);
		file_free(t, mf);
	}
	return ret;
}

bool mtable_kc_open(struct mtable *t, struct mnode *n, struct mfile *mf,
		    bool taken_back)
{
	bool keep;

	pthread_mutex_lock(&t->lock);
	/* the parked files: each open starts anew (the counts say why) */
	n->kc_nparked = 0;
	/* the break's mtable_kc_lost() takes this lock too: one order */
	if (!__atomic_load_n(&mf->has_r, __ATOMIC_SEQ_CST)) {
		pthread_mutex_unlock(&t->lock);
		return false;
	}
	keep = n->kc_valid && (n->kc_opens || taken_back);
	/* kept, or dropped by the kernel at this open: current either way */
	n->kc_valid = true;
	n->kc_opens++;
	n->kc_pins++;
	mf->kc_node = n;
	pthread_mutex_unlock(&t->lock);
	return keep;
}

bool mtable_kc_parked_any(struct mtable *t, struct mnode *n)
{
	bool any;

	pthread_mutex_lock(&t->lock);
	any = n->kc_nparked != 0;
	pthread_mutex_unlock(&t->lock);
	return any;
}

bool mtable_kc_parked(struct mtable *t, struct mnode *n, uint64_t handle_id)
{
	bool found = false;

	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < n->kc_nparked && !found; i++)
		found = handle_id && n->kc_parked[i] == handle_id;
	pthread_mutex_unlock(&t->lock);
	return found;
}

void mtable_kc_direct_open(struct mtable *t, struct mnode *n)
{
	pthread_mutex_lock(&t->lock);
	n->kc_nparked = 0;
	pthread_mutex_unlock(&t->lock);
}

struct mnode *mtable_kc_lost(struct mtable *t, struct mfile *mf)
{
	struct mnode *n;

	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&mf->has_r, false, __ATOMIC_SEQ_CST);
	/* any open's lease: another client may write the file now */
	n = mf->kc_node ? mf->kc_node : mf->node;
	if (n && !mf->kc_node && !n->kc_opens && !n->kc_valid)
		n = NULL; /* the kernel holds none of it */
	if (n) {
		n->kc_valid = false;
		n->kc_nparked = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

bool mtable_kc_any(struct mtable *t, struct mnode *n)
{
	bool any;

	pthread_mutex_lock(&t->lock);
	any = n->kc_opens || n->kc_valid;
	pthread_mutex_unlock(&t->lock);
	return any;
}

void mtable_close_all(struct mtable *t)
{
	struct mnode *n;

	for (;;) {
		struct mfile *mf = NULL;

		pthread_mutex_lock(&t->lock);
		for (n = t->all; n && !mf; n = n->anext)
			mf = n->files;
		if (mf)
			file_unlink(t, mf);
		pthread_mutex_unlock(&t->lock);
		if (!mf)
			return;
		/* what the kernel still held, it will not release now */
		smbiov_close(mf->f);
		file_free(t, mf);
	}
}

static bool overlaps(const struct mnode *n, const struct mwrite *w)
{
	for (const struct mwrite *o = n->wb; o; o = o->next)
		if (o->off < w->end && w->off < o->end)
			return true;
	return false;
}

bool mtable_wb_begin(struct mtable *t, struct mnode *n, struct mwrite *w,
		     struct mfile *mf)
{
	bool ok;

	pthread_mutex_lock(&t->lock);
	while (overlaps(n, w))
		pthread_cond_wait(&t->wb_done, &t->lock);
	/* under the lock mtable_wb_stop() clears it with: one order */
	ok = __atomic_load_n(&mf->has_w, __ATOMIC_SEQ_CST);
	if (ok) {
		w->next = n->wb;
		n->wb = w;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

void mtable_wb_stop(struct mtable *t, struct mfile *mf)
{
	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&mf->has_w, false, __ATOMIC_SEQ_CST);
	while (mf->node && mf->node->wb)
		pthread_cond_wait(&t->wb_done, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

void mtable_wb_end(struct mtable *t, struct mnode *n, struct mwrite *w,
		   struct mfile *mf, int err)
{
	struct mwrite **p;

	pthread_mutex_lock(&t->lock);
	for (p = &n->wb; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	if (err < 0 && !mf->wb_err)
		mf->wb_err = err;
	pthread_cond_broadcast(&t->wb_done);
	pthread_mutex_unlock(&t->lock);
}

void mtable_wb_wait_file(struct mtable *t, struct mfile *mf)
{
	pthread_mutex_lock(&t->lock);
	while (mf->node && mf->node->wb)
		pthread_cond_wait(&t->wb_done, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

void mtable_wb_wait(struct mtable *t, struct mnode *n)
{
	pthread_mutex_lock(&t->lock);
	while (n->wb)
		pthread_cond_wait(&t->wb_done, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

int mtable_wb_err(struct mtable *t, struct mfile *mf)
{
	int err;

	pthread_mutex_lock(&t->lock);
	err = mf->wb_err;
	mf->wb_err = 0;
	pthread_mutex_unlock(&t->lock);
	return err;
}
