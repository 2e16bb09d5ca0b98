// SPDX-License-Identifier: MIT
/*
 * The file layer's state of one connection (client->fs), made at its
 * first cached open: the page cache's budget, the deferred close, and the
 * index of the connection's cached opens by path (the siblings). It is
 * one job because the engine reaches all of it through one pointer and
 * its callbacks (a path busy or changed, shutdown, release), and a change
 * by path must reach both the parked handles and the open ones.
 */
#include "client/file.h"
#include "fs/fileapi.h"

#include <stdlib.h>
#include <string.h>

#define CLOSE_TIMEOUT_MS 5000

/* ---- siblings: a connection's opens of one file ----------------------------
 *
 * Each open has a cache of its own; the lease key is the file's
 * (client/lease.h), so the server tells none of them of a write through
 * another, and a read through another open of this client right after
 * the write returned could still come from its cache (two descriptors of
 * one file in a mount; none of them keeps dirty bytes while there are
 * several: smb_lease_share()). So a change made through one open, or by path,
 * drops what the client's other opens of the file cache of the range, and
 * tells them the new size, before the call returns. Siblings are found by
 * path (with the on-disk ids, when both have them, to tell a file
 * replaced under the name from the same one); names spelled in another
 * case or hard links are not matched.
 */

/* The chain of @path (fs_path_hash(): empty components dropped). */
static unsigned path_bucket(const char *path)
{
	return fs_path_hash(path) % FS_SIB_BUCKETS;
}

static bool same_file(const struct smbiov_file *a, const char *path,
		      const struct smbiov_file *b)
{
	if (a && a->have_disk_id && b->have_disk_id &&
	    memcmp(&a->disk_id, &b->disk_id, sizeof(a->disk_id)))
		return false;
	return fs_path_eq(path, b->path ? b->path : "");
}

void fs_sib_add(struct fs_file *ff)
{
	struct fs_conn *fc = ff->fc;

	ff->sib_bucket = path_bucket(ff->path);
	pthread_mutex_lock(&fc->sib_lock);
	fc->nr_sib++;
	/* a sibling that changed the file: the server may still move times */
	for (struct fs_file *s = fc->sib[ff->sib_bucket]; s; s = s->sib_next)
		if (same_file(ff->f, ff->path, s->f) && fs_sc_changed(&s->sc))
			fs_sc_forget(&ff->sc, true);
	ff->sib_prev = NULL;
	ff->sib_next = fc->sib[ff->sib_bucket];
	if (ff->sib_next)
		ff->sib_next->sib_prev = ff;
	fc->sib[ff->sib_bucket] = ff;
	pthread_mutex_unlock(&fc->sib_lock);
}

void fs_sib_del(struct fs_file *ff)
{
	struct fs_conn *fc = ff->fc;

	pthread_mutex_lock(&fc->sib_lock);
	fc->nr_sib--;
	if (ff->sib_prev)
		ff->sib_prev->sib_next = ff->sib_next;
	else
		fc->sib[ff->sib_bucket] = ff->sib_next;
	if (ff->sib_next)
		ff->sib_next->sib_prev = ff->sib_prev;
	pthread_mutex_unlock(&fc->sib_lock);
}

void fs_siblings_changed(struct fs_conn *fc, const struct smbiov_file *by,
			 const char *path, uint64_t off, uint64_t len,
			 enum fs_sib_change how)
{
	unsigned bucket;

	if (!fc || (how == FS_SIB_WROTE && !len) ||
	    (how == FS_SIB_ZEROED && !len))
		return;
	/*
	 * No other open in the index: nothing to tell (an open added
	 * meanwhile runs beside this change, as any concurrent call).
	 */
	if (fc->nr_sib <= (by && by->map ? 1u : 0u))
		return;
	if (!path)
		path = "";
	/* a cached open's chain was found at its open */
	bucket = by && by->map && by->c->fs == fc
			 ? fs_file_of(by->map)->sib_bucket
			 : path_bucket(path);
	pthread_mutex_lock(&fc->sib_lock);
	for (struct fs_file *s = fc->sib[bucket]; s; s = s->sib_next) {
		if (s->f == by || !same_file(by, path, s->f))
			continue;
		fs_sc_forget(&s->sc, true);
		if (how == FS_SIB_ATTRS)
			continue;
		if (how == FS_SIB_RESIZED) {
			fs_mapping_invalidate(&s->m, 0, UINT64_MAX);
			fs_mapping_resize(&s->m, off);
			continue;
		}
		fs_mapping_invalidate(&s->m, off, len);
		if (how == FS_SIB_WROTE)
			fs_mapping_extend(&s->m, off + len);
	}
	pthread_mutex_unlock(&fc->sib_lock);
}

static void park_close(void *file)
{
	fs_close_for_good(file);
}

/*
 * A call by path is about to remove or rename @path, or changed its
 * attributes (set_sparse): the parked handles go, the open ones keep no
 * stat.
 */
static void conn_path_busy(void *p, const char *path)
{
	fs_unpark_path(&((struct fs_conn *)p)->park, path);
	fs_siblings_changed(p, NULL, path, 0, 0, FS_SIB_ATTRS);
}

/*
 * smb_path_changed(): no bytes and not resized is a change of
 * attributes only (set_attr, setxattr or removexattr by path, a link,
 * delete-on-close).
 */
static void conn_path_changed(void *p, const char *path, uint64_t off,
			      uint64_t len, bool resized)
{
	fs_siblings_changed(p, NULL, path, off, len,
			    resized ? FS_SIB_RESIZED
			    : len   ? FS_SIB_WROTE
				    : FS_SIB_ATTRS);
}

static void conn_shutdown(void *p)
{
	fs_parking_shutdown(&((struct fs_conn *)p)->park);
}

static void conn_release(void *p)
{
	struct fs_conn *fc = p;

	fs_parking_destroy(&fc->park);
	fs_budget_destroy(&fc->b);
	pthread_mutex_destroy(&fc->sib_lock);
	free(fc);
}

static struct fs_conn *conn_new(const struct smbiov_client *c)
{
	int ms = c->close_timeout_ms ? c->close_timeout_ms : CLOSE_TIMEOUT_MS;
	struct fs_conn *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return NULL;
	if (fs_budget_init(&fc->b, c->cache_bytes ? c->cache_bytes
						  : fs_budget_default_limit()))
		goto no_budget;
	if (fs_parking_init(&fc->park, ms > 0 ? (int64_t)ms * 1000000 : 0,
			    park_close))
		goto no_parking;
	if (pthread_mutex_init(&fc->sib_lock, NULL))
		goto no_lock;
	return fc;
no_lock:
	fs_parking_destroy(&fc->park);
no_parking:
	fs_budget_destroy(&fc->b);
no_budget:
	free(fc);
	return NULL;
}

struct fs_conn *fs_conn_get(struct smbiov_client *c)
{
	struct fs_conn *fc;

	pthread_mutex_lock(&c->lock);
	fc = c->fs;
	if (!fc) {
		fc = conn_new(c);
		if (fc) {
			c->fs = fc;
			c->fs_release = conn_release;
			c->fs_shutdown = conn_shutdown;
			c->fs_path_busy = conn_path_busy;
			c->fs_path_changed = conn_path_changed;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return fc;
}

SMBIOV_API void smbiov_get_cache_stats(const struct smbiov_client *c,
				       struct smbiov_cache_stats *out)
{
	struct fs_conn *fc;
	struct fs_budget *b;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	fc = c->fs;
	out->limit =
		c->cache_bytes ? c->cache_bytes : fs_budget_default_limit();
	if (!fc)
		return;
	b = &fc->b;
	pthread_mutex_lock(&b->lock);
	out->cached = b->used;
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_lock(&fc->park.lock);
	out->deferred_now = fc->park.count;
	pthread_mutex_unlock(&fc->park.lock);
	out->limit = b->limit;
	out->dirty = b->dirty;
	out->hit_bytes = b->hits;
	out->miss_bytes = b->misses;
	out->readahead_bytes = b->ra_bytes;
	out->written_back = b->written_back;
	out->evicted = b->evicted;
	out->deferred_total = fc->park.parked_total;
	out->deferred_reused = fc->park.reused;
}
