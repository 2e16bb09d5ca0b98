// SPDX-License-Identifier: MIT
/*
 * Opening and closing files: the file layer's state of an open is made
 * and ended here, so what it holds (its cache, its lease owner, its place
 * among the siblings and in the deferred close) comes and goes together.
 *
 * A file opened with a cache mode other than NONE gets a mapping (its
 * page cache, mapping.c) whose backend is the engine's READ and WRITE
 * paths on its handle, and whose rights follow its lease: the lease's
 * break worker calls on_lease() with each new state before it
 * acknowledges. Files without a mapping (NONE, smbiov_open(), the
 * compound opens, directories) go straight to the engine as before.
 */
#include "mem/access.h"
#include "client/file.h"
#include "client/lease.h"
#include "fs/fileapi.h"
#include "proto/create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define LOOSE_TTL_MS 1000
#define RA_MAX	     ((size_t)8 << 20)

/* ---- the backend: the engine on the file's handle -------------------------
 */

static ssize_t be_read(void *ctx, struct smbiov_iter *dst, uint64_t off)
{
	ssize_t r;

	fs_read_sent(ctx);
	r = smb_io_sync(ctx, dst, off, false);
	fs_read_sent(ctx);
	return r;
}

static ssize_t be_write(void *ctx, struct smbiov_iter *src, uint64_t off)
{
	return smb_io_sync(ctx, src, off, true);
}

/* (the mapping counts it in @inflight until @done: fs_stat_may_keep()) */
static int be_read_async(void *ctx, struct smbiov_iter *dst, uint64_t off,
			 fs_done_fn done, void *arg)
{
	fs_read_sent(ctx);
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
	struct fs_conn *fc = fs_conn_get(f->c);
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
	fs_sib_add(ff);
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
		fs_siblings_changed(f->c->fs, f, path, 0, 0, FS_SIB_RESIZED);
}

SMBIOV_API int smbiov_open(struct smbiov_client *c, const char *path, int flags,
			   struct smbiov_file **out)
{
	int ret = smb_file_open(c, path, flags, SMBIOV_CACHE_NONE, out, NULL);

	if (!ret && out)
		opened(*out, path, flags);
	return ret;
}

/* FILE_ATTRIBUTE_READONLY (MS-FSCC 2.6) */
#define FS_ATTR_READONLY 0x00000001u

/*
 * The flags a cached open's CREATE gets: write-only is opened read-write
 * (open_cached()), and is parked and taken back as such.
 */
static int cached_flags(int flags)
{
	if ((flags & O_ACCMODE) == O_WRONLY)
		return (flags & ~O_ACCMODE) | O_RDWR;
	return flags;
}

/*
 * The deferred-closed file parked as @k (its flags as the CREATE's),
 * taken back, or NULL. A file taken back is asked its name first (one
 * QUERY_INFO instead of the CREATE): another client may have renamed it
 * while it was parked without breaking its handle lease (Samba does not,
 * when the open shares delete), and the name must still lead to it.
 */
static struct smbiov_file *take_alike(struct fs_conn *fc,
				      const struct fs_park_key *k)
{
	struct smbiov_file *f;
	struct smbiov_stat st;
	struct fs_stat_tok tok;
	bool keep;

	f = fs_unpark(&fc->park,
		      &(struct fs_park_key){
			      .path = k->path,
			      .flags = park_flags(cached_flags(k->flags)),
			      .cache = k->cache,
			      .ttl_ms = k->ttl_ms,
		      });
	if (!f)
		return NULL;
	keep = fs_stat_may_keep(fs_file_of(f->map), &tok);
	/*
	 * A handle opened for writing before the file was made read-only
	 * would still write: a writer opens anew, and the server refuses.
	 */
	if (smb_file_at_path_stat(f, k->path, &st) != 1 ||
	    ((k->flags & O_ACCMODE) != O_RDONLY &&
	     (st.attributes & FS_ATTR_READONLY))) {
		fs_close_for_good(f);
		smb_error_clear();
		return NULL;
	}
	/* that answer is also the stat the open's getattr asks */
	if (keep)
		fs_stat_keep(fs_file_of(f->map), &tok, &st);
	fc->park.reused++;
	return f;
}

/*
 * A deferred-closed file opened as @k, taken back (NULL: none). Opens
 * that create or truncate take nothing back: they close what is parked
 * under the path first, so the server sees the CREATE as if the file had
 * been closed. Whatever an open takes back, the path's other parked
 * handles go: a CREATE beside them would share their lease key, which
 * takes write caching from every open of the key (smb_lease_share()), so
 * a file read and then written again ('touch f; cat f', then a write)
 * would write through; and one taken back, its key's only open again,
 * takes back the write caching a share took (smb_lease_forget()). They
 * hold nothing dirty: one CLOSE each. So the W of a lease is only ever
 * held by a file's one handle, the only kind Samba reconnects durably
 * (reopen.c).
 */
static struct smbiov_file *take_parked(struct smbiov_client *c,
				       const struct fs_park_key *k)
{
	struct fs_conn *fc = c->fs;
	struct smbiov_file *f;

	if (!fc)
		return NULL;
	if (k->flags & (O_TRUNC | O_EXCL)) {
		fs_unpark_path(&fc->park, k->path);
		return NULL;
	}
	f = take_alike(fc, k);
	fs_unpark_file(&fc->park, k->path);
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
	ret = smb_file_open(c, path, cached_flags(flags), *cache, out, x);
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
			set_user_cb(fs_file_of((*out)->map), opts);
			fs_file_of((*out)->map)->reused = true;
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
		fs_stat_keep_fresh(fs_file_of((*out)->map), rc_gen, &st);
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
	ff = fs_file_of(f->map);
	out->handle_id = ff->handle_id;
	out->reused = ff->reused;
	out->r_kept = !ff->r_lost;
	return 0;
}

int fs_close_for_good(struct smbiov_file *f)
{
	struct fs_file *ff = fs_file_of(f->map);
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
	fs_sib_del(ff);
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

/*
 * May @f stay open after its close (deferred close)? Not beside another
 * open of the file for writing: closed, it leaves that one its key's
 * only open, which takes back the write caching the two shared away.
 */
static bool may_defer(struct smbiov_file *f)
{
	struct smb_lease l;

	if (!f->lease || f->delete_on_close || (f->flags & SMBIOV_O_DELETE) ||
	    smb_lease_other_writer(f->c, f->lease))
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
	ff = fs_file_of(f->map);
	if (smb_api_begin(f->c) == 0 && may_defer(f)) {
		/* Write-back errors are reported by this close, not later. */
		err = fs_mapping_flush(&ff->m, 0, UINT64_MAX);
		if (err) {
			fs_close_for_good(f);
			return smb_error_set(err, 0, SMBIOV_PHASE_IO,
					     "close: write-back failed: %s",
					     smbiov_strerror(err));
		}
		/* its write time settles now, not after this close returned */
		smb_file_stamp_write_time(f);
		/* the caller's callback ends with its open */
		set_user_cb(ff, NULL);
		if (fs_park(&ff->fc->park, f, &ff->key) == 0)
			return 0;
	}
	return fs_close_for_good(f);
}
