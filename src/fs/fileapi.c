// SPDX-License-Identifier: MIT
/*
 * The public file calls: the file layer on top of the client engine.
 *
 * A file opened with a cache mode other than NONE gets a mapping (its
 * page cache, mapping.c) whose backend is the engine's READ and WRITE
 * paths on its handle, and whose rights follow its lease: the lease's
 * break worker calls on_lease() with each new state before it
 * acknowledges. Files without a mapping (NONE, smbiov_open(), the
 * compound opens, directories) go straight to the engine as before.
 *
 * Calls that bypass the cache on a cached file (SMBIOV_RW_DIRECT, the
 * asynchronous calls, the fd calls) write back the cached dirty data of
 * their range first and, when they write, drop the cached data of it
 * afterwards, as the kernel's direct I/O does
 * (filemap_write_and_wait_range, invalidate_inode_pages2_range).
 */
#include "mem/access.h"
#include "client/file.h"
#include "client/lease.h"
#include "fs/cache.h"
#include "fs/statcache.h"
#include "proto/create.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOOSE_TTL_MS 1000
#define RA_MAX	     ((size_t)8 << 20)

/* ---- the backend: the engine on the file's handle -------------------------
 */

static void read_sent(struct smbiov_file *f);

static ssize_t be_read(void *ctx, struct smbiov_iter *dst, uint64_t off)
{
	ssize_t r;

	read_sent(ctx);
	r = smb_io_sync(ctx, dst, off, false);
	read_sent(ctx);
	return r;
}

static ssize_t be_write(void *ctx, struct smbiov_iter *src, uint64_t off)
{
	return smb_io_sync(ctx, src, off, true);
}

/* (the mapping counts it in @inflight until @done: stat_may_keep()) */
static int be_read_async(void *ctx, struct smbiov_iter *dst, uint64_t off,
			 fs_done_fn done, void *arg)
{
	read_sent(ctx);
	return smb_io_async(ctx, dst, off, false, done, arg);
}

static int be_write_async(void *ctx, struct smbiov_iter *src, uint64_t off,
			  fs_done_fn done, void *arg)
{
	return smb_io_async(ctx, src, off, true, done, arg);
}

static int be_size(void *ctx, uint64_t *size)
{
	struct smbiov_stat st;
	int ret = smb_fstat(ctx, &st);

	if (!ret)
		*size = st.size;
	return ret;
}

static const struct fs_backend engine_backend = {
	.read = be_read,
	.write = be_write,
	.read_async = be_read_async,
	.write_async = be_write_async,
	.size = be_size,
};

/* ---- per connection --------------------------------------------------------
 */

#define CLOSE_TIMEOUT_MS 5000

#define SIB_BUCKETS 256

struct fs_file;

/* The file layer's state of one connection (client->fs). */
struct fs_conn {
	struct fs_budget b;
	struct fs_parking park;
	/*
	 * Every cached open of the connection (parked ones too), hashed by
	 * path: the siblings of a file ("siblings" below). @sib_lock is held
	 * while a sibling's cache is invalidated, which may wait for its
	 * folios' I/O; nobody takes it holding a folio or a mapping lock.
	 */
	pthread_mutex_t sib_lock;
	struct fs_file *sib[SIB_BUCKETS];
	/* opens in @sib: with none but the writer, a write looks no further */
	_Atomic unsigned nr_sib;
	/* the last fs_file.handle_id given */
	_Atomic uint64_t last_handle_id;
};

/* A cached open file's layer state: its mapping and how it was opened. */
struct fs_file {
	struct fs_mapping m; /* first: f->map points here */
	struct fs_conn *fc;
	struct smbiov_file *f;
	char *path;
	struct fs_park_key key;
	struct fs_file *sib_prev, *sib_next;
	unsigned sib_bucket;
	/* the attributes smbiov_fstat() may answer from ("stat" below) */
	struct fs_statcache sc;
	/*
	 * smbiov_open_info(): the handle's number on its connection (from 1,
	 * never given twice); whether the open that holds it now took it
	 * back from the deferred close; whether read caching was ever
	 * missing since its CREATE (set by the break worker).
	 */
	uint64_t handle_id;
	bool reused;
	_Atomic bool r_lost;
	/*
	 * smbiov_open_opts.on_lease of the open that holds it now (cleared
	 * when it is closed or parked, under @cb_lock, which the call holds).
	 */
	pthread_mutex_t cb_lock;
	void (*user_cb)(void *arg, struct smbiov_file *f, uint32_t state);
	void *user_arg;
};

static struct fs_file *file_of(struct fs_mapping *m)
{
	return (struct fs_file *)m;
}

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
	return fs_path_hash(path) % SIB_BUCKETS;
}

static bool same_file(const struct smbiov_file *a, const char *path,
		      const struct smbiov_file *b)
{
	if (a && a->have_disk_id && b->have_disk_id &&
	    memcmp(&a->disk_id, &b->disk_id, sizeof(a->disk_id)))
		return false;
	return fs_path_eq(path, b->path ? b->path : "");
}

static void sib_add(struct fs_file *ff)
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

static void sib_del(struct fs_file *ff)
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

enum sib_change {
	SIB_WROTE,   /* [off, off + len) has new bytes; the file reaches off+len
		      */
	SIB_ZEROED,  /* [off, off + len) has new bytes; the size is as it was */
	SIB_RESIZED, /* the size is @off now */
	SIB_ATTRS,   /* only attributes (times, names, flags) changed */
};

/*
 * @by (NULL for a change by path) changed the file at @path as @how says.
 * Its own cache is the caller's business.
 */
static void siblings_changed(struct fs_conn *fc, const struct smbiov_file *by,
			     const char *path, uint64_t off, uint64_t len,
			     enum sib_change how)
{
	unsigned bucket;

	if (!fc || (how == SIB_WROTE && !len) || (how == SIB_ZEROED && !len))
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
	bucket = by && by->map && by->c->fs == fc ? file_of(by->map)->sib_bucket
						  : path_bucket(path);
	pthread_mutex_lock(&fc->sib_lock);
	for (struct fs_file *s = fc->sib[bucket]; s; s = s->sib_next) {
		if (s->f == by || !same_file(by, path, s->f))
			continue;
		fs_sc_forget(&s->sc, true);
		if (how == SIB_ATTRS)
			continue;
		if (how == SIB_RESIZED) {
			fs_mapping_invalidate(&s->m, 0, UINT64_MAX);
			fs_mapping_resize(&s->m, off);
			continue;
		}
		fs_mapping_invalidate(&s->m, off, len);
		if (how == SIB_WROTE)
			fs_mapping_extend(&s->m, off + len);
	}
	pthread_mutex_unlock(&fc->sib_lock);
}

static void wrote(struct smbiov_file *f, uint64_t off, ssize_t n)
{
	if (f && n > 0)
		siblings_changed(f->c->fs, f, f->path, off, (uint64_t)n,
				 SIB_WROTE);
}

static int close_for_good(struct smbiov_file *f);

static void park_close(void *file)
{
	close_for_good(file);
}

/*
 * A call by path is about to remove or rename @path, or changed its
 * attributes (set_sparse): the parked handles go, the open ones keep no
 * stat.
 */
static void conn_path_busy(void *p, const char *path)
{
	fs_unpark_path(&((struct fs_conn *)p)->park, path);
	siblings_changed(p, NULL, path, 0, 0, SIB_ATTRS);
}

/*
 * smb_path_changed(): no bytes and not resized is a change of
 * attributes only (set_attr, setxattr or removexattr by path, a link,
 * delete-on-close).
 */
static void conn_path_changed(void *p, const char *path, uint64_t off,
			      uint64_t len, bool resized)
{
	siblings_changed(p, NULL, path, off, len,
			 resized ? SIB_RESIZED
			 : len	 ? SIB_WROTE
				 : SIB_ATTRS);
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

static struct fs_conn *conn_get(struct smbiov_client *c)
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

/* ---- stat from the lease --------------------------------------------------
 *
 * smbiov_fstat() of a cached open answers without a QUERY_INFO when all
 * of this holds (else it asks the server, as always):
 * - the answer kept is the QUERY_INFO that took the file back from the
 *   deferred close, or the one a fresh open's CREATE carried
 *   (stat_at_open, stat_keep_fresh()): the open's first stat, as a
 *   mount's getattr right after the open, is that answer. The answers
 *   of smbiov_fstat() itself are not kept: with them kept (a fresh
 *   open's second stat answered without a request) the mount's
 *   mount_fork SIGTERM case failed 2 runs of 3 (its "one read held
 *   synchronously" set-up depends on the timing the QUERY_INFO gave;
 *   0 of 3 without). The answer was asked
 *   while the open held read and write caching (lease RW, or a batch or
 *   exclusive oplock) with no READ or WRITE of the open's mapping on the
 *   wire;
 * - the open has held RW since, and no break of any kind came in since:
 *   with W held, any other open of the file (another client's, or this
 *   client's) breaks W first and waits for the acknowledgement, which the
 *   break worker sends only after on_lease() dropped the kept answer. R
 *   alone is not enough: a write breaks R without waiting (no
 *   acknowledgement; Samba's smbd sends it through its messaging, so the
 *   writer's call may return before the break reaches us), and only a
 *   QUERY_INFO, answered after the break on our connection, showed that
 *   change in time (mount_kcache 'held' and 'closed' read old pages:
 *   the kernel got a kept stat from between smbclient's open, which broke
 *   W and H, and its write);
 * - nothing of the open reached the server since that may move a time:
 *   no READ (the access time), no reconnect (the handle was reopened);
 * - this connection has not changed the file since the open (sticky, for
 *   the rest of the open): no write, truncate, fallocate or set_attr
 *   through it or a sibling open, no change by path (truncate, set_attr,
 *   setxattr, removexattr, rename, link, unlink, delete-on-close,
 *   set_sparse), and no sibling that did is still open when it was
 *   opened. Dirty data, which the server's answer must include, exists
 *   only after such a write.
 * What a lease does not cover is not seen here either: times or
 * attributes another client sets without writing (a SET_INFO breaks no
 * lease), and links it adds, show only once W is broken (any other open
 * does that) or the file is opened anew. Asynchronous reads (smbiov_aio_read())
 * complete on their own and count as a change.
 */

/*
 * Does @ff's open hold read and write caching now (and its cache R)?
 * With @idle: and no I/O of its mapping out.
 */
static bool holds_rw(struct fs_file *ff, bool idle)
{
	const uint32_t rw = SMB2_LEASE_READ_CACHING | SMB2_LEASE_WRITE_CACHING;
	struct smb_lease l;
	bool r;

	if (!ff->f->lease)
		return false;
	smb_lease_snapshot(ff->f->c, ff->f->lease, &l);
	if ((l.state & rw) != rw)
		return false;
	pthread_mutex_lock(&ff->m.lock);
	r = (ff->m.caps & FS_CAN_READ) && (!idle || !ff->m.inflight);
	pthread_mutex_unlock(&ff->m.lock);
	return r;
}

/* When the server was asked: what keeping its answer depends on. */
struct stat_tok {
	unsigned gen;
	uint64_t rc_gen;
};

/* Before asking the server: may the answer be kept (*@t for keeping)? */
static bool stat_may_keep(struct fs_file *ff, struct stat_tok *t)
{
	t->rc_gen = ff->f->c->rc_gen;
	/* the token first: I/O sent after it forgets whatever is kept */
	return fs_sc_begin(&ff->sc, &t->gen) && holds_rw(ff, true);
}

/* (a reconnect since the token: the handle was reopened, keep nothing) */
static void stat_keep(struct fs_file *ff, const struct stat_tok *t,
		      const struct smbiov_stat *st)
{
	if (holds_rw(ff, false) && ff->f->c->rc_gen == t->rc_gen)
		fs_sc_keep(&ff->sc, t->gen, st, t->rc_gen);
}

static bool stat_kept(struct fs_file *ff, struct smbiov_stat *st)
{
	return holds_rw(ff, false) && fs_sc_get(&ff->sc, st, ff->f->c->rc_gen);
}

/*
 * A fresh open's stat, asked with its CREATE (smbiov_open_opts.
 * stat_at_open): kept as a take-back's is, the token taken only now,
 * after attach_cache(): before it the open had no I/O and no change of
 * its own, and a break that came since the CREATE lowered the lease
 * state holds_rw() reads (a later one forgets it through on_lease()).
 * Nothing is kept across a reconnect since @rc_gen (read before the
 * CREATE).
 */
static void stat_keep_fresh(struct fs_file *ff, uint64_t rc_gen,
			    const struct smbiov_stat *st)
{
	struct stat_tok t;

	if (stat_may_keep(ff, &t) && t.rc_gen == rc_gen)
		stat_keep(ff, &t, st);
}

/* A READ of @f goes to the server: it may move the access time. */
static void read_sent(struct smbiov_file *f)
{
	if (f && f->map)
		fs_sc_forget(&file_of(f->map)->sc, false);
}

/* This open is about to change the file (data, size or attributes). */
static void own_change(struct smbiov_file *f)
{
	if (f && f->map)
		fs_sc_forget(&file_of(f->map)->sc, true);
}

/* ---- open and close ---------------------------------------------------------
 */

static unsigned lease_caps(uint32_t state)
{
	return ((state & SMB2_LEASE_READ_CACHING) ? FS_CAN_READ : 0) |
	       ((state & SMB2_LEASE_WRITE_CACHING) ? FS_CAN_WRITE : 0);
}

/*
 * On the break worker, before the acknowledgement: the cache gives up
 * what the lost rights covered; a parked handle whose handle caching is
 * gone is closed now (the server may be waiting for exactly that), and
 * freed by the parking's thread (its lease cannot go while this break is
 * being handled).
 */
static void on_lease(void *owner, uint32_t state)
{
	struct fs_file *ff = owner;

	/* any break: another client may have changed the file */
	fs_sc_forget(&ff->sc, false);
	if (!(state & SMB2_LEASE_READ_CACHING))
		ff->r_lost = true;
	fs_mapping_set_caps(&ff->m, lease_caps(state));
	if (!(state & SMB2_LEASE_HANDLE_CACHING) &&
	    fs_park_expire(&ff->fc->park, ff->f, true)) {
		smb_close_fid(ff->f->c, &ff->f->fid);
		ff->f->fid_closed = true;
		fs_park_expire(&ff->fc->park, ff->f, false);
	}
	pthread_mutex_lock(&ff->cb_lock);
	if (ff->user_cb)
		ff->user_cb(ff->user_arg, ff->f,
			    state & (SMBIOV_LEASE_READ | SMBIOV_LEASE_HANDLE |
				     SMBIOV_LEASE_WRITE));
	pthread_mutex_unlock(&ff->cb_lock);
}

/* The open @opts now holds @ff (NULL: none; closed or parked). */
static void set_user_cb(struct fs_file *ff, const struct smbiov_open_opts *o)
{
	pthread_mutex_lock(&ff->cb_lock);
	ff->user_cb = o ? o->on_lease : NULL;
	ff->user_arg = o ? o->lease_arg : NULL;
	pthread_mutex_unlock(&ff->cb_lock);
}

/*
 * What of the open flags a parked file must match: the access. O_CREAT
 * of a file that is there opens it; O_TRUNC and O_EXCL never reuse.
 */
static int park_flags(int flags)
{
	return flags & (O_ACCMODE | SMBIOV_O_DELETE);
}

static int attach_cache(struct smbiov_file *f, const char *path,
			enum smbiov_cache cache, unsigned ttl_ms,
			const struct smbiov_open_opts *opts)
{
	struct fs_mapping_opts o = {
		.size = f->size_at_open,
		.loose = cache == SMBIOV_CACHE_LOOSE,
		.ttl_ns = (int64_t)(ttl_ms ? ttl_ms : LOOSE_TTL_MS) * 1000000,
		.ra_max = RA_MAX,
	};
	struct fs_conn *fc = conn_get(f->c);
	struct fs_file *ff;
	struct smb_lease l;

	if (!fc)
		return -ENOMEM;
	if (f->lease) {
		smb_lease_snapshot(f->c, f->lease, &l);
		o.caps = lease_caps(l.state);
	}
	ff = calloc(1, sizeof(*ff));
	if (!ff)
		return -ENOMEM;
	ff->path = strdup(path ? path : "");
	if (!ff->path || pthread_mutex_init(&ff->cb_lock, NULL))
		goto no_lock;
	if (fs_sc_init(&ff->sc))
		goto no_sc;
	if (fs_mapping_init(&ff->m, &fc->b, &engine_backend, f, &o))
		goto no_mapping;
	set_user_cb(ff, opts);
	ff->fc = fc;
	ff->f = f;
	ff->handle_id = ++fc->last_handle_id;
	ff->key = (struct fs_park_key){.path = ff->path,
				       .flags = park_flags(f->flags),
				       .cache = (int)cache,
				       .ttl_ms = ttl_ms};
	f->map = &ff->m;
	sib_add(ff);
	if (f->lease) {
		smb_lease_set_owner(f->c, f->lease, on_lease, ff);
		/* A break between the CREATE and here lowered it already. */
		smb_lease_snapshot(f->c, f->lease, &l);
		o.caps &= lease_caps(l.state);
		fs_mapping_set_caps(&ff->m, o.caps);
	}
	if (!(o.caps & FS_CAN_READ))
		ff->r_lost = true;
	return 0;
no_mapping:
	fs_sc_destroy(&ff->sc);
no_sc:
	pthread_mutex_destroy(&ff->cb_lock);
no_lock:
	free(ff->path);
	free(ff);
	return -ENOMEM;
}

/* An open with O_TRUNC cut the file: the client's cached opens of it too. */
static void opened(struct smbiov_file *f, const char *path, int flags)
{
	if (flags & O_TRUNC)
		siblings_changed(f->c->fs, f, path, 0, 0, SIB_RESIZED);
}

SMBIOV_API int smbiov_open(struct smbiov_client *c, const char *path, int flags,
			   struct smbiov_file **out)
{
	int ret = smb_file_open(c, path, flags, SMBIOV_CACHE_NONE, out, NULL);

	if (!ret && out)
		opened(*out, path, flags);
	return ret;
}

/*
 * A deferred-closed file opened as @k, taken back (NULL: none). Opens
 * that create or truncate take nothing back: they close what is parked
 * under the path first, so the server sees the CREATE as if the file had
 * been closed. A file taken back is asked its name first (one QUERY_INFO
 * instead of the CREATE): another client may have renamed it while it
 * was parked without breaking its handle lease (Samba does not, when the
 * open shares delete), and the name must still lead to it.
 */
static struct smbiov_file *take_parked(struct smbiov_client *c,
				       const struct fs_park_key *k)
{
	struct fs_conn *fc = c->fs;
	struct smbiov_file *f;
	struct smbiov_stat st;
	struct stat_tok tok;
	bool keep = false;

	if (!fc)
		return NULL;
	if (k->flags & (O_TRUNC | O_EXCL)) {
		fs_unpark_path(&fc->park, k->path);
		return NULL;
	}
	f = fs_unpark(&fc->park, &(struct fs_park_key){
					 .path = k->path,
					 .flags = park_flags(k->flags),
					 .cache = k->cache,
					 .ttl_ms = k->ttl_ms,
				 });
	if (f)
		keep = stat_may_keep(file_of(f->map), &tok);
	if (f && smb_file_at_path_stat(f, k->path, &st) != 1) {
		close_for_good(f);
		smb_error_clear();
		return NULL;
	}
	if (f) {
		/* that answer is also the stat the open's getattr asks */
		if (keep)
			stat_keep(file_of(f->map), &tok, &st);
		fc->park.reused++;
	}
	return f;
}

/*
 * CREATE for a cached open. A write-only file is opened for reading too,
 * as cifs does: a write that covers part of a folio reads the rest of it
 * first. Where the server refuses that, the file is opened as asked and
 * without a cache (*@cache becomes NONE).
 */
static int open_cached(struct smbiov_client *c, const char *path, int flags,
		       enum smbiov_cache *cache, struct smbiov_file **out,
		       struct smb_open_extra *x)
{
	int ret;

	if (*cache == SMBIOV_CACHE_NONE || (flags & O_ACCMODE) != O_WRONLY)
		return smb_file_open(c, path, flags, *cache, out, x);
	ret = smb_file_open(c, path, (flags & ~O_ACCMODE) | O_RDWR, *cache, out,
			    x);
	if (ret != -EACCES)
		return ret;
	*cache = SMBIOV_CACHE_NONE;
	smb_error_clear();
	return smb_file_open(c, path, flags, *cache, out, NULL);
}

/* smbiov_open_ex(), and with @dst smbiov_open_ex_read() (*@rd). */
static int open_ex(struct smbiov_client *c, const char *path, int flags,
		   const struct smbiov_open_opts *opts, struct smbiov_iter *dst,
		   struct smbiov_first_read *rd, struct smbiov_file **out)
{
	enum smbiov_cache cache = opts ? opts->cache : SMBIOV_CACHE_STRICT;
	unsigned ttl_ms = opts ? opts->loose_ttl_ms : 0;
	/* O_TRUNC is this open's own change of the file: nothing is kept */
	bool want_st = opts && opts->stat_at_open &&
		       cache != SMBIOV_CACHE_NONE && !(flags & O_TRUNC);
	struct smbiov_stat st;
	struct smb_open_extra x = {.rd = dst, .st = want_st ? &st : NULL};
	uint64_t rc_gen;
	int ret;

	if (cache != SMBIOV_CACHE_STRICT && cache != SMBIOV_CACHE_LOOSE &&
	    cache != SMBIOV_CACHE_NONE)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "open %s: bad cache mode %d",
				     path ? path : "", (int)cache);
	if (cache != SMBIOV_CACHE_NONE && out && smb_api_begin(c) == 0) {
		struct fs_park_key k = {.path = path ? path : "",
					.flags = flags,
					.cache = (int)cache,
					.ttl_ms = ttl_ms};

		*out = take_parked(c, &k);
		if (*out) {
			set_user_cb(file_of((*out)->map), opts);
			file_of((*out)->map)->reused = true;
			return 0;
		}
	}
	rc_gen = c ? c->rc_gen : 0;
	ret = open_cached(c, path, flags, &cache, out, &x);
	if (!ret && rd) {
		rd->got = x.rd_got;
		rd->eof = x.rd_eof;
	}
	if (!ret)
		opened(*out, path, flags);
	if (ret || cache == SMBIOV_CACHE_NONE || (*out)->is_dir)
		return ret;
	ret = attach_cache(*out, path, cache, ttl_ms, opts);
	if (ret) {
		smb_file_close(*out);
		*out = NULL;
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "open %s: page cache: %s", path,
				     smbiov_strerror(ret));
	}
	if (x.st_ok)
		stat_keep_fresh(file_of((*out)->map), rc_gen, &st);
	return 0;
}

SMBIOV_API int smbiov_open_ex(struct smbiov_client *c, const char *path,
			      int flags, const struct smbiov_open_opts *opts,
			      struct smbiov_file **out)
{
	return open_ex(c, path, flags, opts, NULL, NULL, out);
}

SMBIOV_API int smbiov_open_ex_read(struct smbiov_client *c, const char *path,
				   int flags,
				   const struct smbiov_open_opts *opts,
				   struct smbiov_iter *dst,
				   struct smbiov_first_read *rd,
				   struct smbiov_file **out)
{
	if (!rd || !dst || dst->source)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "open_ex_read: bad arguments");
	*rd = (struct smbiov_first_read){.got = -1};
	if (mem_user_check(dst))
		return smb_error_set(-EFAULT, 0, SMBIOV_PHASE_IO,
				     "open_ex_read: bad buffer");
	return open_ex(c, path, flags, opts, dst, rd, out);
}

SMBIOV_API int smbiov_open_info(struct smbiov_file *f,
				struct smbiov_open_info *out)
{
	struct fs_file *ff;

	if (!f || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!f->map)
		return 0;
	ff = file_of(f->map);
	out->handle_id = ff->handle_id;
	out->reused = ff->reused;
	out->r_kept = !ff->r_lost;
	return 0;
}

/* Drop the cache and CLOSE (unless a break did already). */
static int close_for_good(struct smbiov_file *f)
{
	struct fs_file *ff = file_of(f->map);
	int err = 0, ret;

	/*
	 * A forked child touches none of it: its copy of the mapping may
	 * wait for a parent's READ that never completes here, or have a lock
	 * a parent's thread held at the fork. Its memory is left to the
	 * child's exit, as smbiov_disconnect() leaves the client's.
	 */
	if (mem_self_pid() != f->c->pid)
		return smb_client_check(f->c);

	/*
	 * The break worker must never call into @ff again, also when the
	 * connection is dead (a break may have been queued before it died);
	 * only a forked child leaves the lease table alone (its locks may be
	 * held by threads the child does not have).
	 */
	if (mem_self_pid() == f->c->pid)
		smb_lease_set_owner(f->c, f->lease, NULL, NULL);
	if (smb_client_check(f->c) == 0)
		err = fs_mapping_flush(&ff->m, 0, UINT64_MAX);
	sib_del(ff);
	/* In a forked child, or on a dead connection: dropped. */
	if (fs_mapping_destroy(&ff->m) && !err)
		err = -EIO;
	pthread_mutex_destroy(&ff->cb_lock);
	fs_sc_destroy(&ff->sc);
	free(ff->path);
	free(ff);
	f->map = NULL;
	ret = smb_file_close(f);
	if (err)
		return smb_error_set(err, 0, SMBIOV_PHASE_IO,
				     "close: write-back failed: %s",
				     smbiov_strerror(err));
	return ret;
}

/* May @f stay open after its close (deferred close)? */
static bool may_defer(struct smbiov_file *f)
{
	struct smb_lease l;

	if (!f->lease || f->delete_on_close || (f->flags & SMBIOV_O_DELETE))
		return false;
	smb_lease_snapshot(f->c, f->lease, &l);
	return l.state & SMB2_LEASE_HANDLE_CACHING;
}

SMBIOV_API int smbiov_close(struct smbiov_file *f)
{
	struct fs_file *ff;
	int err;

	if (!f)
		return 0;
	if (!f->map)
		return smb_file_close(f);
	ff = file_of(f->map);
	if (smb_api_begin(f->c) == 0 && may_defer(f)) {
		/* Write-back errors are reported by this close, not later. */
		err = fs_mapping_flush(&ff->m, 0, UINT64_MAX);
		if (err) {
			close_for_good(f);
			return smb_error_set(err, 0, SMBIOV_PHASE_IO,
					     "close: write-back failed: %s",
					     smbiov_strerror(err));
		}
		/* the caller's callback ends with its open */
		set_user_cb(ff, NULL);
		if (fs_park(&ff->fc->park, f, &ff->key) == 0)
			return 0;
	}
	return close_for_good(f);
}

/* ---- reading and writing --------------------------------------------------
 */

/* Write back the range's dirty data before a call that bypasses the cache. */
static int bypass_begin(struct smbiov_file *f, uint64_t off, uint64_t len)
{
	if (!f->map || !len)
		return 0;
	return fs_mapping_writeback(f->map, off, len);
}

/* After a write that bypassed the cache: drop what it held there. */
static void bypass_end_write(struct smbiov_file *f, uint64_t off, ssize_t n)
{
	if (f->map && n > 0) {
		fs_mapping_invalidate(f->map, off, (uint64_t)n);
		fs_mapping_extend(f->map, off + (uint64_t)n);
	}
	wrote(f, off, n);
}

/* Reads the rest of a short read from @at on (read_rest()). */
typedef ssize_t (*read_more_fn)(struct smbiov_file *f, uint64_t at, void *arg);

/*
 * A read of @f that bypassed the cache (SMBIOV_RW_DIRECT, or into a
 * local fd) ended at the server's end of file after @got bytes from
 * @off, @left bytes short, below the size this open knows: cached dirty
 * data past the range extends the file (the range's own was written
 * back). Write back what is dirty from there on and read the rest with
 * @more, so the read ends where a cached read would (the bytes in
 * between are a hole of zeros). Only a short read pays: the end of file
 * is known only from the server's answer, and writing back everything
 * past every direct read would cost reads that never come near the dirty
 * data (the mount's kernel-cached opens read through SMBIOV_RW_DIRECT).
 * Returns the bytes read in all (@got when the rest failed; its error
 * only when nothing was read), or @got's error.
 */
static ssize_t read_rest(struct smbiov_file *f, uint64_t off, ssize_t got,
			 size_t left, read_more_fn more, void *arg,
			 const char *what)
{
	uint64_t at = off + (uint64_t)got;
	ssize_t r;
	int ret;

	if (got < 0 || !left || at >= fs_mapping_size(f->map))
		return got;
	ret = fs_mapping_writeback(f->map, at, UINT64_MAX - at);
	if (ret)
		return got ? got : smb_error_keep(ret, what);
	r = more(f, at, arg);
	return r < 0 ? (got ? got : r) : got + r;
}

static ssize_t iter_more(struct smbiov_file *f, uint64_t at, void *it)
{
	return smb_io_sync(f, it, at, false);
}

/* read_rest() of a direct read into @it (what it still has room for). */
static ssize_t direct_read_rest(struct smbiov_file *f, struct smbiov_iter *it,
				uint64_t off, ssize_t got)
{
	return read_rest(f, off, got, smbiov_iter_count(it), iter_more, it,
			 "direct I/O: write-back");
}

/*
 * The end of file of @f while its lease holds read caching (the
 * mapping's size: no other client changes the size without breaking R,
 * and this client's changes move it), else UINT64_MAX: not known.
 */
static uint64_t known_eof(struct smbiov_file *f)
{
	uint64_t eof = UINT64_MAX;

	pthread_mutex_lock(&f->map->lock);
	if (f->map->caps & FS_CAN_READ)
		eof = f->map->size;
	pthread_mutex_unlock(&f->map->lock);
	return eof;
}

/*
 * A direct READ of @f at @off into @it that asks no further than the
 * end of file the open knows (known_eof()): io.c takes an answer shorter
 * than asked for the server's choice and asks again for the rest
 * (MS-SMB2 lets a server answer less below the end), so a READ of whole
 * pages of a small file cost a second round trip answered empty (the
 * mount's read of every small file the kernel caches). A cached read
 * ends there too; direct_read_rest() still reads on where the server's
 * end is below it.
 */
static ssize_t read_to_eof(struct smbiov_file *f, struct smbiov_iter *it,
			   uint64_t off)
{
	uint64_t eof = known_eof(f);
	struct smbiov_iter view;
	ssize_t r;

	if (off >= eof || smbiov_iter_count(it) <= eof - off)
		return smb_io_sync(f, it, off, false);
	view = *it;
	smbiov_iter_truncate(&view, (size_t)(eof - off));
	r = smb_io_sync(f, &view, off, false);
	if (r > 0)
		smbiov_iter_advance(it, (size_t)r);
	return r;
}

static ssize_t rw_iter(struct smbiov_file *f, struct smbiov_iter *it,
		       uint64_t off, bool write, unsigned flags)
{
	ssize_t r;
	int ret;

	if (flags & ~SMBIOV_RW_DIRECT)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "%s: unknown flags %#x",
				     write ? "write" : "read", flags);
	/* smb_io_sync() checks the arguments and the caller's memory */
	if (!f || !f->map) {
		r = smb_io_sync(f, it, off, write);
		if (write)
			wrote(f, off, r);
		return r;
	}
	ret = smb_io_check(f, it, off, write);
	if (ret)
		return ret;
	if (write)
		own_change(f);
	if (!(flags & SMBIOV_RW_DIRECT)) {
		r = write ? fs_mapping_write(f->map, it, off)
			  : fs_mapping_read(f->map, it, off);
		if (r < 0)
			smb_error_keep((int)r, write ? "write" : "read");
		else if (write)
			wrote(f, off, r);
		return r;
	}
	ret = bypass_begin(f, off, smbiov_iter_count(it));
	if (ret)
		return smb_error_keep(ret, "direct I/O: write-back");
	if (!write)
		read_sent(f);
	r = write ? smb_io_sync(f, it, off, true) : read_to_eof(f, it, off);
	if (write) {
		bypass_end_write(f, off, r);
		return r;
	}
	r = direct_read_rest(f, it, off, r);
	read_sent(f);
	return r;
}

SMBIOV_API ssize_t smbiov_read_iter(struct smbiov_file *f,
				    struct smbiov_iter *dst, uint64_t offset)
{
	return rw_iter(f, dst, offset, false, 0);
}

SMBIOV_API ssize_t smbiov_write_iter(struct smbiov_file *f,
				     struct smbiov_iter *src, uint64_t offset)
{
	return rw_iter(f, src, offset, true, 0);
}

SMBIOV_API ssize_t smbiov_read_iter_ex(struct smbiov_file *f,
				       struct smbiov_iter *dst, uint64_t offset,
				       unsigned flags)
{
	return rw_iter(f, dst, offset, false, flags);
}

SMBIOV_API ssize_t smbiov_write_iter_ex(struct smbiov_file *f,
					struct smbiov_iter *src,
					uint64_t offset, unsigned flags)
{
	return rw_iter(f, src, offset, true, flags);
}

SMBIOV_API ssize_t smbiov_pread(struct smbiov_file *f, void *buf, size_t len,
				uint64_t offset)
{
	struct smbiov_iter it;

	if (len > SMBIOV_MAX_RW_COUNT)
		len = SMBIOV_MAX_RW_COUNT;
	if (smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, len))
		return smb_error_set(-EFAULT, 0, SMBIOV_PHASE_IO,
				     "pread: bad buffer");
	return rw_iter(f, &it, offset, false, 0);
}

SMBIOV_API ssize_t smbiov_pwrite(struct smbiov_file *f, const void *buf,
				 size_t len, uint64_t offset)
{
	struct smbiov_iter it;

	if (len > SMBIOV_MAX_RW_COUNT)
		len = SMBIOV_MAX_RW_COUNT;
	/* A SOURCE iterator only reads through its pointer. */
	if (smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, (void *)(uintptr_t)buf,
			     len))
		return smb_error_set(-EFAULT, 0, SMBIOV_PHASE_IO,
				     "pwrite: bad buffer");
	return rw_iter(f, &it, offset, true, 0);
}

static int iov_iter_from(struct smbiov_iter *it, unsigned dir,
			 const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	int k;

	if (iovcnt < 0 || iovcnt > IOV_MAX || (iovcnt && !iov))
		return -EINVAL;
	for (k = 0; k < iovcnt; k++) {
		if (iov[k].iov_len > SMBIOV_MAX_RW_COUNT - total)
			return -EINVAL;
		total += iov[k].iov_len;
	}
	return smbiov_iter_iovec(it, dir, iov, (size_t)iovcnt, total);
}

SMBIOV_API ssize_t smbiov_preadv(struct smbiov_file *f, const struct iovec *iov,
				 int iovcnt, uint64_t offset)
{
	struct smbiov_iter it;
	int ret = iov_iter_from(&it, SMBIOV_ITER_DEST, iov, iovcnt);

	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "preadv: bad iovec array");
	return rw_iter(f, &it, offset, false, 0);
}

SMBIOV_API ssize_t smbiov_pwritev(struct smbiov_file *f,
				  const struct iovec *iov, int iovcnt,
				  uint64_t offset)
{
	struct smbiov_iter it;
	int ret = iov_iter_from(&it, SMBIOV_ITER_SOURCE, iov, iovcnt);

	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "pwritev: bad iovec array");
	return rw_iter(f, &it, offset, true, 0);
}

/*
 * Asynchronous I/O on a cached file bypasses the cache: the range's dirty
 * data is written back before submission, and a write drops the range's
 * cached data at submission (a cached read of the same range racing with
 * the write may see either contents, as with any concurrent read).
 */
static int aio(struct smbiov_file *f, struct smbiov_iter *it, uint64_t off,
	       bool write, smbiov_aio_done_fn done, void *arg)
{
	int ret;

	if (f && f->map) {
		ret = smb_io_check(f, it, off, write);
		if (ret)
			return ret;
		/* a read too: its completion is not seen here (stat above) */
		own_change(f);
		ret = bypass_begin(f, off, smbiov_iter_count(it));
		if (ret)
			return smb_error_keep(ret, "aio: write-back");
		if (write)
			fs_mapping_invalidate(f->map, off,
					      smbiov_iter_count(it));
	}
	/*
	 * The siblings' caches too, at submission: a sibling's read racing
	 * with the write may cache either contents, as above, and a sibling
	 * learns a size the write extends only from the server.
	 */
	if (write && f && f->c && it)
		siblings_changed(f->c->fs, f, f->path, off,
				 smbiov_iter_count(it), SIB_ZEROED);
	return smb_io_async(f, it, off, write, done, arg);
}

SMBIOV_API int smbiov_aio_read(struct smbiov_file *f, struct smbiov_iter *dst,
			       uint64_t offset, smbiov_aio_done_fn done,
			       void *arg)
{
	return aio(f, dst, offset, false, done, arg);
}

SMBIOV_API int smbiov_aio_write(struct smbiov_file *f, struct smbiov_iter *src,
				uint64_t offset, smbiov_aio_done_fn done,
				void *arg)
{
	return aio(f, src, offset, true, done, arg);
}

/*
 * A call on a cached file first does its part in the cache: only with a
 * connection (brought back by a reconnect if need be). Skipping the cache
 * when it failed would let the call itself succeed on a reconnected
 * connection with the cache's dirty data never sent. 0 without a cache.
 */
static int cache_begin(struct smbiov_file *f)
{
	return f && f->map ? smb_api_begin(f->c) : 0;
}

/*
 * The rest of a read into a local fd, where the first part left off
 * (@fd_off and the fd's position are past it). Its failure is the
 * call's (@err): part of the rest may be in @fd already (a pipe cannot
 * take it back), so the first part's count would be wrong.
 */
struct fd_rest {
	size_t left;
	int fd;
	off_t *fd_off;
	ssize_t err;
};

static ssize_t fd_more(struct smbiov_file *f, uint64_t at, void *arg)
{
	struct fd_rest *fr = arg;
	ssize_t r = smb_read_to_fd(f, at, fr->left, fr->fd, fr->fd_off);

	if (r < 0)
		fr->err = r;
	return r;
}

SMBIOV_API ssize_t smbiov_read_to_fd(struct smbiov_file *f, uint64_t offset,
				     size_t len, int fd, off_t *fd_off)
{
	struct fd_rest fr = {.fd = fd, .fd_off = fd_off};
	off_t fd_off0 = fd_off ? *fd_off : 0;
	ssize_t r;
	int ret = cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map) {
		ret = bypass_begin(f, offset, len);
		if (ret)
			return smb_error_keep(ret, "read to fd: write-back");
	}
	read_sent(f);
	r = smb_read_to_fd(f, offset, len, fd, fd_off);
	/* short at the server's end, below cached writes: as rw_iter() */
	if (f && f->map && r >= 0 && (size_t)r < len) {
		fr.left = len - (size_t)r;
		r = read_rest(f, offset, r, fr.left, fd_more, &fr,
			      "read to fd: write-back");
		if (fr.err) {
			r = fr.err;
			if (fd_off)
				*fd_off = fd_off0; /* not advanced on error */
		}
	}
	read_sent(f);
	return r;
}

SMBIOV_API ssize_t smbiov_write_from_fd(struct smbiov_file *f, uint64_t offset,
					size_t len, int fd, off_t *fd_off)
{
	ssize_t r;
	int ret = cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map) {
		own_change(f);
		ret = bypass_begin(f, offset, len);
		if (ret)
			return smb_error_keep(ret, "write from fd: write-back");
	}
	r = smb_write_from_fd(f, offset, len, fd, fd_off);
	if (f)
		bypass_end_write(f, offset, r);
	return r;
}

/* ---- the handle -------------------------------------------------------------
 */

SMBIOV_API int smbiov_fsync(struct smbiov_file *f)
{
	int err = 0, ret = cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map)
		err = fs_mapping_flush(f->map, 0, UINT64_MAX);
	ret = smb_fsync(f);
	if (err)
		return smb_error_set(err, 0, SMBIOV_PHASE_IO,
				     "fsync: write-back failed: %s",
				     smbiov_strerror(err));
	return ret;
}

SMBIOV_API int smbiov_fstat(struct smbiov_file *f, struct smbiov_stat *st)
{
	int ret = cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map && st && stat_kept(file_of(f->map), st))
		return 0;
	/* The server's size and times are right once it has the data. */
	if (f && f->map) {
		ret = fs_mapping_writeback(f->map, 0, UINT64_MAX);
		if (ret)
			return smb_error_keep(ret, "fstat: write-back");
	}
	return smb_fstat(f, st);
}

SMBIOV_API int smbiov_fallocate(struct smbiov_file *f, int mode,
				uint64_t offset, uint64_t len)
{
	const int keep = SMBIOV_FALLOC_KEEP_SIZE;
	struct smbiov_stat st;
	uint64_t end;
	bool zero;
	int ret;

	if (!f)
		return -EINVAL;
	ret = smb_api_begin(f->c);
	if (ret)
		return ret;
	zero = mode == (SMBIOV_FALLOC_PUNCH_HOLE | keep) ||
	       (mode & ~keep) == SMBIOV_FALLOC_ZERO_RANGE;
	if (mode != 0 && !zero)
		return smb_error_set(-EOPNOTSUPP, 0, SMBIOV_PHASE_IO,
				     "fallocate: mode %#x not supported", mode);
	if (offset > INT64_MAX || len > INT64_MAX - offset || !len)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "fallocate: bad range");
	end = offset + len;
	if (f->map) {
		own_change(f);
		ret = fs_mapping_writeback(f->map, offset, len);
		if (ret)
			return smb_error_keep(ret, "fallocate: write-back");
		fs_mapping_invalidate(f->map, offset, len);
	}
	/* the size first: the server zeroes only below it */
	ret = smb_fstat(f, &st);
	if (!ret && !(mode & keep) && end > st.size)
		ret = smb_ftruncate(f, end);
	if (!ret && zero && offset < ((mode & keep) ? st.size : end))
		ret = smb_zero_data(f, offset,
				    (mode & keep) && end > st.size ? st.size
								   : end);
	if (!ret && f->map && !(mode & keep))
		fs_mapping_extend(f->map, end);
	if (!ret)
		siblings_changed(f->c->fs, f, f->path, offset, len,
				 (mode & keep) ? SIB_ZEROED : SIB_WROTE);
	return ret;
}

SMBIOV_API int smbiov_writeback(struct smbiov_file *f)
{
	int ret;

	if (!f)
		return -EINVAL;
	ret = smb_api_begin(f->c);
	if (ret || !f->map)
		return ret;
	ret = fs_mapping_writeback(f->map, 0, UINT64_MAX);
	if (ret)
		return smb_error_keep(ret, "write-back");
	return 0;
}

static int fset_attr(struct smbiov_file *f, const struct smbiov_setattr *a,
		     struct smbiov_stat *st)
{
	int ret;

	if (!f || !a)
		return -EINVAL;
	ret = smb_api_begin(f->c);
	if (ret)
		return ret;
	/* a write-back after it would move the modification time again */
	if (f->map) {
		own_change(f);
		ret = fs_mapping_writeback(f->map, 0, UINT64_MAX);
		if (ret)
			return smb_error_keep(ret, "set_attr: write-back");
	}
	ret = smb_fset_attr(f, a, st);
	siblings_changed(f->c->fs, f, f->path, 0, 0, SIB_ATTRS);
	return ret;
}

SMBIOV_API int smbiov_fset_attr(struct smbiov_file *f,
				const struct smbiov_setattr *a)
{
	return fset_attr(f, a, NULL);
}

SMBIOV_API int smbiov_fset_attr_stat(struct smbiov_file *f,
				     const struct smbiov_setattr *a,
				     struct smbiov_stat *st)
{
	if (!st)
		return -EINVAL;
	return fset_attr(f, a, st);
}

SMBIOV_API int smbiov_ftruncate(struct smbiov_file *f, uint64_t size)
{
	int ret = cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map) {
		own_change(f);
		/*
		 * Simple and exact: everything cached goes to the server and
		 * out of the cache, then the server cuts or extends.
		 */
		ret = fs_mapping_writeback(f->map, 0, UINT64_MAX);
		if (ret)
			return smb_error_keep(ret, "ftruncate: write-back");
		fs_mapping_invalidate(f->map, 0, UINT64_MAX);
	}
	ret = smb_ftruncate(f, size);
	if (!ret && f->map)
		fs_mapping_resize(f->map, size);
	if (!ret && f)
		siblings_changed(f->c->fs, f, f->path, size, 0, SIB_RESIZED);
	return ret;
}
