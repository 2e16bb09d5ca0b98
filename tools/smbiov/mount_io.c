/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: open files. Each FUSE open is one smbiov_open_ex() with
 * the mount's cache mode (struct mfile in fuse_file_info.fh). Who holds
 * the bytes (docs/cli.md "Caching: who holds the bytes", measured in
 * bench/RESULTS.md): an open whose lease allows read caching is replied
 * without FOPEN_DIRECT_IO, so the kernel's page cache holds its bytes
 * and serves re-reads without a round trip, FOPEN_KEEP_CACHE only while
 * the pages are known to be the server's; the lease break that takes
 * read caching away drops them (fuse_lowlevel_notify_inval_inode) before
 * the break is acknowledged. Such an open reads past the file layer's
 * cache (one copy of each byte, the kernel's). Every other open is
 * FOPEN_DIRECT_IO on the file layer's cache, as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mount_fs.h"

/*
 * A write of at least this many bytes goes to the server at once
 * (SMBIOV_RW_DIRECT) instead of into the file layer's cache: at 1 MiB a
 * write copied into fresh cache memory cost the daemon about three
 * times the CPU of sending it (bench/RESULTS.md, mount); smaller ones
 * are gathered by the cache's write-back.
 */
#define WRITE_THROUGH_MIN ((size_t)256 << 10)

static struct mfile *file_of(struct fuse_file_info *fi)
{
	return (struct mfile *)(uintptr_t)fi->fh;
}

void mount_io_set_session(struct mount_ctx *m, struct fuse_session *se)
{
	pthread_rwlock_wrlock(&m->se_lock);
	m->se = se;
	pthread_rwlock_unlock(&m->se_lock);
}

/*
 * The kernel's read-ahead of the mount, in KiB: a FUSE mount's backing
 * device reads ahead 128 KiB, which kept two 256 KiB READs in flight and
 * halved a buffered sequential read (bench/RESULTS.md, mount, kernel
 * cache); from 1 MiB on the kernel keeps several 1 MiB READs (its
 * largest, max_pages) in flight. 4 MiB, as cifs reads ahead by default.
 */
#define READ_AHEAD_KB 4096

/*
 * Raise the mount's read-ahead, once, at the first open: the kernel sets
 * it from the INIT reply (at most what it offered, 128 KiB), so only
 * after that. Only root may write sysfs; for anyone else it stays the
 * kernel's (an admin may write /sys/class/bdi/MAJ:MIN/read_ahead_kb).
 * Best effort.
 */
static void read_ahead_once(struct mount_ctx *m)
{
	char b[32];
	ssize_t got;
	int fd;

	if (__atomic_exchange_n(&m->ra_set, true, __ATOMIC_RELAXED) ||
	    !m->ra_path[0])
		return;
	fd = open(m->ra_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	got = pread(fd, b, sizeof(b) - 1, 0);
	if (got > 0) {
		b[got] = '\0';
		if (strtoul(b, NULL, 10) < READ_AHEAD_KB) {
			got = snprintf(b, sizeof(b), "%d\n", READ_AHEAD_KB);
			got = pwrite(fd, b, (size_t)got, 0);
		}
	}
	(void)got;
	close(fd);
}

static fuse_ino_t ino_of_node(const struct mnode *n)
{
	return (fuse_ino_t)(uintptr_t)n; /* never the root: files only */
}

/*
 * The kernel drops what it caches of @n's bytes [@off, @off + @len)
 * (@len 0: to the end) and its attributes. It waits for each page a
 * request in flight holds locked (a READ or WRITE of that page); the
 * mount's requests never wait for a lease break, so that ends. -ENOENT
 * (the kernel has no such inode any more: nothing cached) is no error.
 */
static void kc_inval(struct mount_ctx *m, const struct mnode *n, off_t off,
		     off_t len)
{
	pthread_rwlock_rdlock(&m->se_lock);
	if (m->se)
		fuse_lowlevel_notify_inval_inode(m->se, ino_of_node(n), off,
						 len);
	pthread_rwlock_unlock(&m->se_lock);
}

/*
 * smbiov_open_opts.on_lease, on the library's break worker after the file
 * layer took the new state and before the break is acknowledged: without
 * read caching the kernel's pages of the file are dropped now, so a read
 * after the other client's change (which waits for the acknowledgement)
 * asks the server. Losing only write or handle caching keeps them: every
 * write of this mount went through the kernel's pages to the server.
 */
static void on_lease(void *arg, struct smbiov_file *f, uint32_t state)
{
	struct mfile *mf = arg;
	struct mount_ctx *m = mf->ctx;
	struct mnode *n;

	(void)f;
	/* another client may be about to change the bytes read at the open */
	mtable_first_put(
		&m->t, __atomic_exchange_n(&mf->first, NULL, __ATOMIC_SEQ_CST));
	/*
	 * Writes replied to before they were sent (mount_op_write) reach
	 * the server before the break is acknowledged, as the file layer's
	 * write-back does: they end without the break worker.
	 */
	if (!(state & SMBIOV_LEASE_WRITE))
		mtable_wb_stop(&m->t, mf);
	else /* taken back, its file's only open again (smbiov.h) */
		__atomic_store_n(&mf->has_w, true, __ATOMIC_SEQ_CST);
	if (state & SMBIOV_LEASE_READ)
		return;
	n = mtable_kc_lost(&m->t, mf);
	if (n)
		kc_inval(m, n, 0, 0);
}

/* Does @mf's lease still allow read caching? */
static bool has_r(const struct mfile *mf)
{
	return __atomic_load_n(&mf->has_r, __ATOMIC_SEQ_CST);
}

/* Does @mf's lease still allow write caching? */
static bool has_w(const struct mfile *mf)
{
	return __atomic_load_n(&mf->has_w, __ATOMIC_SEQ_CST);
}

/* Has @mf written into the file layer's cache since its last write-back? */
static bool lib_dirty(struct mfile *mf)
{
	return __atomic_load_n(&mf->cached_gen, __ATOMIC_SEQ_CST) !=
	       __atomic_load_n(&mf->clean_gen, __ATOMIC_SEQ_CST);
}

/* Write back @mf's cached writes (all of them up to @gen, counted before). */
static int lib_writeback(struct mfile *mf, int (*wb)(struct smbiov_file *))
{
	unsigned gen = __atomic_load_n(&mf->cached_gen, __ATOMIC_SEQ_CST);
	int ret = wb(mf->f);

	if (!ret)
		__atomic_store_n(&mf->clean_gen, gen, __ATOMIC_SEQ_CST);
	return ret;
}

/* What was replied to before it was sent reached the server (or failed). */
static void wb_wait(struct mount_ctx *m, struct mfile *mf)
{
	mtable_wb_wait_file(&m->t, mf);
}

int mount_file_stat(struct mount_ctx *m, struct mfile *mf,
		    struct smbiov_stat *s)
{
	wb_wait(m, mf);
	return smbiov_fstat(mf->f, s);
}

/* The open flags the library takes (O_APPEND: see mount_op_write). */
static int smb_flags(int flags)
{
	return (flags & O_ACCMODE) | (flags & (O_CREAT | O_EXCL | O_TRUNC));
}

/*
 * The kernel may cache this open's bytes only where the file layer
 * caches (not cache=none), for buffered I/O (O_DIRECT bypasses it
 * anyway) and not O_APPEND: the kernel would put an append at the end
 * of file it knows, mount_op_write at the server's.
 */
static bool may_kc(const struct mount_ctx *m, int flags)
{
	return m->cfg->cache != SMBIOV_CACHE_NONE &&
	       !(flags & (O_DIRECT | O_APPEND));
}

static void *thread_buf(void);

/*
 * The most of a file the kernel caches that is read with its open
 * (struct mfirst): a small file's whole (its open and data in one round
 * trip instead of two); of a larger one the start of the kernel's first
 * READ, which then reads only the rest.
 */
#define FIRST_READ_MAX ((size_t)128 << 10)

/*
 * smbiov_open_ex() reading the first bytes along into @mf->first (for
 * the node @n's kernel pages; nothing kept when the mount holds too
 * many such bytes already or memory is short: the READ is sent then).
 */
static int open_reading(struct mount_ctx *m, const char *path, int flags,
			const struct smbiov_open_opts *o, struct mfile *mf,
			struct mnode *n)
{
	unsigned gen = __atomic_load_n(&n->bytes_gen, __ATOMIC_SEQ_CST);
	struct iovec v = {thread_buf(), FIRST_READ_MAX};
	struct smbiov_first_read rd;
	struct smbiov_iter it;
	struct mfirst *fr;
	int ret;

	if (!v.iov_base)
		return smbiov_open_ex(m->c, path, flags, o, &mf->f);
	smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, &v, 1, v.iov_len);
	ret = smbiov_open_ex_read(m->c, path, flags, o, &it, &rd, &mf->f);
	if (ret || rd.got < 0)
		return ret;
	fr = malloc(sizeof(*fr) + (size_t)rd.got);
	if (!fr || !mtable_first_reserve(&m->t, (size_t)rd.got)) {
		free(fr);
		return 0;
	}
	fr->len = (size_t)rd.got;
	fr->eof = rd.eof;
	fr->gen = gen;
	memcpy(fr->data, v.iov_base, fr->len);
	mf->first = fr;
	return 0;
}

static struct mfile *mfile_alloc(struct mount_ctx *m)
{
	struct mfile *mf = calloc(1, sizeof(*mf));

	if (mf) {
		mf->magic = MFILE_MAGIC;
		mf->ctx = m;
		/* until the lease says otherwise */
		mf->has_r = mf->has_w = true;
	}
	return mf;
}

/*
 * Open @path for @mf (the library reads the rest of a page a write
 * covers only in part, so a cached file opened write-only is opened for
 * reading too, as cifs does; where the server refuses that, it is opened
 * write-only and uncached). @last: the node when it may have files
 * parked with the kernel's pages (mtable_kc_parked_any), else NULL; then
 * *@taken_back tells whether the library gave one of those very handles
 * back from its deferred close with read caching held since its CREATE
 * (smbiov_open_info(): reused, r_kept, the handle's number, which no
 * other handle of the connection ever has). @want_stat: the open is
 * stat right after (the kernel's getattr, create's entry): its CREATE
 * asks the attributes in the same round trip (stat_at_open). @first:
 * the node whose kernel pages this open fills, to read its first bytes
 * along (open_reading()), or NULL.
 */
static int open_file(struct mount_ctx *m, const char *path, int flags,
		     struct mfile *mf, struct mnode *last, bool want_stat,
		     struct mnode *first, bool *taken_back)
{
	struct smbiov_open_opts o = m->oo;
	struct smbiov_lease_info li;
	struct smbiov_open_info oi;
	int ret;

	o.on_lease = on_lease;
	o.lease_arg = mf;
	o.stat_at_open = want_stat;
	*taken_back = false;
	ret = first ? open_reading(m, path, smb_flags(flags), &o, mf, first)
		    : smbiov_open_ex(m->c, path, smb_flags(flags), &o, &mf->f);
	if (!ret && !smbiov_open_info(mf->f, &oi)) {
		mf->handle_id = oi.handle_id;
		*taken_back = last && oi.reused && oi.r_kept &&
			      mtable_kc_parked(&m->t, last, oi.handle_id);
	}
	/* the state granted at open; breaks since are on_lease()'s */
	if (!ret && (smbiov_lease_info(mf->f, &li) || !li.leased))
		li.state = 0;
	if (!ret && !(li.state & SMBIOV_LEASE_READ)) {
		__atomic_store_n(&mf->has_r, false, __ATOMIC_SEQ_CST);
		/* no lease keeps them the file's: read when asked */
		mtable_first_put(&m->t, __atomic_exchange_n(&mf->first, NULL,
							    __ATOMIC_SEQ_CST));
	}
	if (!ret && !(li.state & SMBIOV_LEASE_WRITE))
		__atomic_store_n(&mf->has_w, false, __ATOMIC_SEQ_CST);
	return ret;
}

static void file_add(struct mount_ctx *m, struct mfile *mf, struct mnode *n,
		     int flags)
{
	mf->node = n;
	mf->direct = (flags & O_DIRECT) != 0;
	mf->writable = (flags & O_ACCMODE) != O_RDONLY;
	mtable_file_add(&m->t, mf);
}

static void file_drop(struct mount_ctx *m, struct mfile *mf)
{
	mtable_file_remove(&m->t, mf);
	mtable_file_put(&m->t, mf);
}

/*
 * Whether the kernel caches this open (@mf->kc_node set) and may keep the
 * pages it has; every other open is FOPEN_DIRECT_IO, and without
 * FOPEN_KEEP_CACHE the kernel drops the inode's pages at the open.
 */
static void set_open_flags(struct mount_ctx *m, struct fuse_file_info *fi,
			   struct mfile *mf, bool taken_back)
{
	bool keep = false;

	if (may_kc(m, fi->flags))
		keep = mtable_kc_open(&m->t, mf->node, mf, taken_back);
	if (!mf->kc_node)
		mtable_kc_direct_open(&m->t, mf->node);
	fi->fh = (uintptr_t)mf;
	fi->direct_io = !mf->kc_node;
	fi->keep_cache = keep;
}

/*
 * The node an open reads its first bytes for (open_reading()), or NULL:
 * only an open the kernel caches (its first READ follows unless it
 * keeps pages) that reads and does not cut the file.
 */
static struct mnode *first_node(const struct mount_ctx *m,
				const struct fuse_file_info *fi,
				struct mnode *n)
{
	if (!may_kc(m, fi->flags) || (fi->flags & O_ACCMODE) == O_WRONLY ||
	    (fi->flags & O_TRUNC))
		return NULL;
	return n;
}

void mount_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *n = mount_node_of(m, ino), *last;
	struct mfile *mf = mfile_alloc(m);
	bool taken_back = false;
	char *path = NULL;
	int ret = mf ? 0 : -ENOMEM;

	read_ahead_once(m);
	if (fi->flags & O_TRUNC)
		mount_bytes_changed(n);
	last = may_kc(m, fi->flags) && mtable_kc_parked_any(&m->t, n) ? n
								      : NULL;
	if (!ret)
		ret = mtable_path(&m->t, n, NULL, &path);
	if (!ret)
		ret = open_file(m, path, fi->flags, mf, last,
				may_kc(m, fi->flags), first_node(m, fi, n),
				&taken_back);
	free(path);
	if (ret) {
		free(mf);
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	file_add(m, mf, n, fi->flags);
	set_open_flags(m, fi, mf, taken_back);
	/*
	 * The kernel limits reads of a file it caches to the size it knows,
	 * kept actimeo: another client may have changed it since (FOPEN_
	 * DIRECT_IO reads ask whatever the size). Unless the pages are kept
	 * (the lease held all along), it asks again before reading. Only the
	 * attributes: no page lock is taken, so this cannot wait here.
	 */
	if (mf->kc_node && !fi->keep_cache)
		kc_inval(m, n, -1, 0);
	if (fuse_reply_open(req, fi))
		file_drop(m, mf); /* interrupted: no release will come */
}

void mount_op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *p = mount_node_of(m, parent), *n = NULL;
	struct mfile *mf = mfile_alloc(m);
	struct smbiov_stat s;
	bool taken_back;
	char *path = NULL;
	int ret = mf ? 0 : -ENOMEM;

	(void)mode; /* no unix extensions: the mount's file_mode */
	if (strchr(name, '\\')) {
		free(mf);
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!ret)
		ret = mtable_path(&m->t, p, name, &path);
	/* a file of the name this mount knows: its pages are dropped */
	if (!ret)
		ret = open_file(m, path, fi->flags | O_CREAT, mf, NULL, true,
				NULL, &taken_back);
	free(path);
	if (!ret)
		ret = smbiov_fstat(mf->f, &s);
	if (!ret && !(n = mtable_lookup(&m->t, p, name)))
		ret = -ENOMEM;
	if (ret) {
		if (n)
			mtable_forget(&m->t, n, 1);
		if (mf && mf->f)
			smbiov_close(mf->f);
		free(mf);
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	file_add(m, mf, n, fi->flags);
	set_open_flags(m, fi, mf, false);
	if (mount_reply_entry(req, m, n, &s, fi)) {
		/* interrupted: the kernel holds neither the file nor the node
		 */
		file_drop(m, mf);
		mtable_forget(&m->t, n, 1);
	}
}

/* Each loop thread reads into its own buffer of the largest READ. */
static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;

static void make_buf_key(void)
{
	pthread_key_create(&buf_key, free);
}

static void *thread_buf(void)
{
	void *b;

	pthread_once(&buf_once, make_buf_key);
	b = pthread_getspecific(buf_key);
	if (!b) {
		b = malloc(MOUNT_MAX_IO);
		if (b && pthread_setspecific(buf_key, b)) {
			free(b);
			b = NULL;
		}
	}
	return b;
}

/*
 * A READ or WRITE of an open the kernel caches whose lease lost read
 * caching: the pages the reply fills hold bytes another client may
 * change without a break, so they go at once after the reply (the
 * kernel cannot be told to skip caching a reply; before the reply they
 * could not: the request holds them locked). kc_before_reply() tells
 * whether that is needed and then holds @mf (a RELEASE may come as soon
 * as the reply is out); kc_after_reply() drops them and lets go. An open
 * whose lease still had read caching here needs nothing: the break that
 * takes it drops every page afterwards, these too (it waits for them).
 */
static bool kc_before_reply(struct mount_ctx *m, struct mfile *mf)
{
	if (!mf->kc_node || has_r(mf))
		return false;
	mtable_file_get(&m->t, mf);
	return true;
}

static void kc_after_reply(struct mount_ctx *m, struct mfile *mf, off_t off,
			   size_t n)
{
	if (n)
		kc_inval(m, mf->kc_node, off, (off_t)n);
	mtable_file_put(&m->t, mf);
}

/*
 * @mf's first bytes (struct mfirst), taken: they serve one READ at most.
 * NULL when there are none, or they may no longer be the file's (this
 * mount changed the node's bytes since the open, or the lease lost read
 * caching: another client may have written).
 */
static struct mfirst *first_take(struct mount_ctx *m, struct mfile *mf)
{
	struct mfirst *fr;

	if (!__atomic_load_n(&mf->first, __ATOMIC_SEQ_CST))
		return NULL;
	fr = __atomic_exchange_n(&mf->first, NULL, __ATOMIC_SEQ_CST);
	if (fr &&
	    (!has_r(mf) || fr->gen != __atomic_load_n(&mf->node->bytes_gen,
						      __ATOMIC_SEQ_CST))) {
		mtable_first_put(&m->t, fr);
		fr = NULL;
	}
	return fr;
}

/* Read @it at @off (a kernel-cached open past the library's cache). */
static ssize_t read_at(struct mfile *mf, struct smbiov_iter *it, uint64_t off)
{
	return smbiov_read_iter_ex(mf->f, it, off,
				   mf->direct || (mf->kc_node && !lib_dirty(mf))
					   ? SMBIOV_RW_DIRECT
					   : 0);
}

/*
 * The kernel's READ of [0, @size) into @buf from the first bytes @fr,
 * and from the server for what lies past them when they did not reach
 * the end of file.
 */
static ssize_t read_first(struct mfile *mf, const struct mfirst *fr, char *buf,
			  size_t size)
{
	size_t have = fr->len < size ? fr->len : size;
	struct smbiov_iter it;
	ssize_t n;

	memcpy(buf, fr->data, have);
	if (have == size || fr->eof)
		return (ssize_t)have;
	smbiov_iter_kvec(&it, SMBIOV_ITER_DEST,
			 &(struct iovec){buf + have, size - have}, 1,
			 size - have);
	n = read_at(mf, &it, have);
	return n < 0 ? n : (ssize_t)have + n;
}

void mount_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mfile *mf = file_of(fi);
	struct smbiov_iter it;
	void *buf = thread_buf();
	struct mfirst *fr;
	bool inval;
	ssize_t n;

	(void)ino;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (size > MOUNT_MAX_IO)
		size = MOUNT_MAX_IO;
	wb_wait(m, mf);
	/* O_DIRECT: answered from the completion (mount_aread.c says when) */
	if (mf->direct && mount_aread(m, req, mf, size, off))
		return;
	/*
	 * The kernel caches what an open without FOPEN_DIRECT_IO reads: the
	 * file layer does not cache it as well (one copy of each byte) --
	 * unless this open's small writes are still in that cache: a read
	 * past it would see the server's size, which they may extend (a
	 * read below them would end short at the server's end of file).
	 */
	/*
	 * The daemon's own buffer: KVEC, which the library need not probe
	 * as caller memory (two syscalls a read for UBUF).
	 */
	smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, &(struct iovec){buf, size}, 1,
			 size);
	/* the first READ of an open that read the first bytes along */
	fr = mf->kc_node ? first_take(m, mf) : NULL;
	if (fr && off == 0)
		n = read_first(mf, fr, buf, size);
	else
		n = read_at(mf, &it, (uint64_t)off);
	mtable_first_put(&m->t, fr);
	if (mf->direct)
		mount_aread_end(m);
	if (n < 0) {
		fuse_reply_err(req, mount_err((int)n));
		return;
	}
	inval = kc_before_reply(m, mf);
	fuse_reply_buf(req, buf, (size_t)n);
	if (inval)
		kc_after_reply(m, mf, off, (size_t)n);
}

static ssize_t write_at(struct mfile *mf, const char *buf, size_t size,
			uint64_t off)
{
	struct iovec v = {(void *)buf, size};
	struct smbiov_iter it;

	/* libfuse's request buffer: the daemon's memory (KVEC, as a read's) */
	smbiov_iter_kvec(&it, SMBIOV_ITER_SOURCE, &v, 1, size);
	if (!mf->direct && size < WRITE_THROUGH_MIN) {
		__atomic_add_fetch(&mf->cached_gen, 1, __ATOMIC_SEQ_CST);
		return smbiov_write_iter_ex(mf->f, &it, off, 0);
	}
	return smbiov_write_iter_ex(mf->f, &it, off, SMBIOV_RW_DIRECT);
}

/*
 * O_APPEND: the kernel gives the end of file it knows, which is stale
 * once another client (or another mount) has written since its last
 * getattr (actimeo), and with FOPEN_DIRECT_IO it never asks again. The
 * write goes to the end the server has instead: smbiov_fstat() writes
 * back what this file holds first, so the size counts it; other
 * handles of this mount that wrote were made to write back by the
 * lease break their opens caused. Appends of this mount run one at a
 * time, so two of them never take the same end. (SMB has no atomic
 * append for a handle with write access: a writer elsewhere between
 * the size and the write is a race, as with cifs.) *@at: where it went.
 */
static ssize_t write_append(struct mount_ctx *m, struct mfile *mf,
			    const char *buf, size_t size, uint64_t *at)
{
	struct smbiov_stat s;
	ssize_t n;

	pthread_mutex_lock(&m->append_lock);
	n = smbiov_fstat(mf->f, &s);
	if (!n) {
		*at = s.size;
		n = write_at(mf, buf, size, s.size);
	}
	pthread_mutex_unlock(&m->append_lock);
	return n;
}

/*
 * A large write under a lease with write caching is replied to before it
 * is sent, and sent by this thread afterwards (the request's buffer is
 * this thread's until it returns): the writer's next write(2) goes on at
 * once, so several WRITEs are in flight as with the file layer's
 * write-back, without copying the bytes into it. The lease lets nobody
 * else see the file meanwhile; its break waits for the write (on_lease).
 * This mount's other calls that ask the server about the file or read
 * it wait for it (mtable_wb_wait), overlapping writes go in order, and a
 * failure is reported by the next flush (close) or fsync, as the
 * write-back's are.
 */
/* A write's result as the error kept for the next flush (0: none). */
static int write_err(ssize_t n, size_t size)
{
	if (n < 0)
		return (int)n;
	return (size_t)n < size ? -EIO : 0;
}

static bool write_behind(struct mount_ctx *m, fuse_req_t req, struct mfile *mf,
			 const char *buf, size_t size, off_t off)
{
	struct mwrite w = {(uint64_t)off, (uint64_t)off + size, NULL};
	ssize_t n;

	if (!mtable_wb_begin(&m->t, mf->node, &w, mf))
		return false; /* W went meanwhile: sent before the reply */
	/* a RELEASE after the reply waits for mtable_wb_end(): @mf stays */
	fuse_reply_write(req, size);
	n = write_at(mf, buf, size, (uint64_t)off);
	if (mf->kc_node && !has_r(mf))
		kc_inval(m, mf->kc_node, off, (off_t)size);
	mtable_wb_end(&m->t, mf->node, &w, mf, write_err(n, size));
	return true;
}

void mount_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		    size_t size, off_t off, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mfile *mf = file_of(fi);
	uint64_t at = (uint64_t)off;
	bool inval;
	ssize_t n;

	(void)ino;
	mount_bytes_changed(mf->node);
	if (!mf->direct && size >= WRITE_THROUGH_MIN &&
	    !(fi->flags & O_APPEND) && has_w(mf)) {
		__atomic_store_n(&mf->written, true, __ATOMIC_RELAXED);
		if (write_behind(m, req, mf, buf, size, off))
			return;
	}
	/* in order behind writes replied to before */
	wb_wait(m, mf);
	/* fi->flags: the descriptor's flags now (fcntl F_SETFL included) */
	if (fi->flags & O_APPEND)
		n = write_append(m, mf, buf, size, &at);
	else
		n = write_at(mf, buf, size, at);
	if (n < 0) {
		fuse_reply_err(req, mount_err((int)n));
		return;
	}
	/*
	 * A write the kernel's pages did not see (FOPEN_DIRECT_IO): what
	 * they hold of its range goes before the write returns, or an open
	 * of the file that caches would read the old bytes.
	 */
	if (!mf->kc_node && n && mtable_kc_any(&m->t, mf->node))
		kc_inval(m, mf->node, (off_t)at, n);
	__atomic_store_n(&mf->written, true, __ATOMIC_RELAXED);
	inval = kc_before_reply(m, mf);
	fuse_reply_write(req, (size_t)n);
	if (inval)
		kc_after_reply(m, mf, (off_t)at, (size_t)n);
}

/*
 * close(2) of a descriptor: what was written through it goes to the
 * server now, so a failing write-back fails the close (the release that
 * follows runs after close(2) has returned). smbiov_writeback() leaves
 * the error to be reported again by fsync and the release's close.
 */
void mount_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mfile *mf = file_of(fi);
	int ret = 0;

	(void)ino;
	wb_wait(m, mf);
	if (__atomic_exchange_n(&mf->written, false, __ATOMIC_RELAXED))
		ret = lib_writeback(mf, smbiov_writeback);
	if (!ret)
		ret = mtable_wb_err(&m->t, mf);
	fuse_reply_err(req, ret ? mount_err(ret) : 0);
}

void mount_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);

	(void)ino;
	wb_wait(m, file_of(fi));
	file_drop(m, file_of(fi));
	fuse_reply_err(req, 0);
}

void mount_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		    struct fuse_file_info *fi)
{
	struct mfile *mf = file_of(fi);
	int ret;

	(void)ino;
	(void)datasync;
	wb_wait(mount_ctx_of(req), mf);
	__atomic_store_n(&mf->written, false, __ATOMIC_RELAXED);
	ret = lib_writeback(mf, smbiov_fsync);
	if (!ret)
		ret = mtable_wb_err(&mount_ctx_of(req)->t, mf);
	fuse_reply_err(req, ret ? mount_err(ret) : 0);
}

void mount_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			off_t length, struct fuse_file_info *fi)
{
	int ret;

	(void)ino;
	if (offset < 0 || length <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/*
	 * A punched hole is a hole on the server's disk either way (Samba
	 * punches for FSCTL_SET_ZERO_DATA), but Samba reports the holes of
	 * a file only once it is marked sparse (SEEK_HOLE would not find
	 * it): marked first, as cifs does. A server that refuses the mark
	 * still zeroes the range.
	 */
	wb_wait(mount_ctx_of(req), file_of(fi));
	mount_bytes_changed(file_of(fi)->node);
	if (mode & SMBIOV_FALLOC_PUNCH_HOLE)
		smbiov_set_sparse(file_of(fi)->f, true);
	/* the library takes Linux's FALLOC_FL_* values as they are */
	ret = smbiov_fallocate(file_of(fi)->f, mode, (uint64_t)offset,
			       (uint64_t)length);
	fuse_reply_err(req, ret ? mount_err(ret) : 0);
}

/*
 * lseek(2) SEEK_DATA and SEEK_HOLE (the kernel answers the other whence
 * values itself): the library asks the server for the file's allocated
 * ranges after writing back what this open holds, so its cached writes
 * count as data; past the end of file is ENXIO, the end a hole.
 */
void mount_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		    struct fuse_file_info *fi)
{
	struct mfile *mf = mount_file_of(fi);
	int64_t got;

	(void)ino;
	if (!mf || off < 0 || (whence != SEEK_DATA && whence != SEEK_HOLE)) {
		fuse_reply_err(req, off < 0 ? ENXIO : EINVAL);
		return;
	}
	wb_wait(mount_ctx_of(req), mf);
	got = smbiov_seek_data_hole(mf->f, (uint64_t)off, whence);
	if (got < 0)
		fuse_reply_err(req, mount_err((int)got));
	else
		fuse_reply_lseek(req, (off_t)got);
}

/*
 * The most one copy_file_range request copies: FUSE answers with a
 * 32-bit count, and a bounded request keeps the call interruptible
 * between requests (the caller loops, as for any short copy).
 */
#define COPY_MAX ((size_t)256 << 20)

/*
 * copy_file_range(2) between two files of the mount (cp does it first):
 * the server copies (smbiov_copy_range(), FSCTL_SRV_COPYCHUNK_WRITE), so
 * no byte crosses the network. Replies written before sent reach the
 * server first; the library writes back what either file caches of its
 * range and drops the destination's; the kernel drops its own pages of
 * the destination's range after the reply, and other descriptors'
 * kernel pages of it go here as for a direct write. A server without
 * server-side copy: EOPNOTSUPP, and the kernel or cp copies through
 * this machine.
 */
void mount_op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			      struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			      off_t off_out, struct fuse_file_info *fi_out,
			      size_t len, int flags)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mfile *in = mount_file_of(fi_in), *out = mount_file_of(fi_out);
	ssize_t n;

	(void)ino_in;
	(void)ino_out;
	if (!in || !out || off_in < 0 || off_out < 0 || flags) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (len > COPY_MAX)
		len = COPY_MAX;
	wb_wait(m, in);
	wb_wait(m, out);
	mount_bytes_changed(out->node);
	n = smbiov_copy_range(in->f, (uint64_t)off_in, out->f,
			      (uint64_t)off_out, len);
	if (n < 0) {
		fuse_reply_err(req, mount_err((int)n));
		return;
	}
	if (n && mtable_kc_any(&m->t, out->node))
		kc_inval(m, out->node, off_out, (off_t)n);
	__atomic_store_n(&out->written, true, __ATOMIC_RELAXED);
	fuse_reply_write(req, (size_t)n);
}
