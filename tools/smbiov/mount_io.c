/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: open files. Each FUSE open is one smbiov_open_ex() with
 * the mount's cache mode (struct mfile in fuse_file_info.fh), replied
 * with FOPEN_DIRECT_IO: the kernel's page cache holds none of the file's
 * bytes, the file layer's cache does (docs/cli.md, "smbiov mount").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mount_fs.h"

static struct mfile *file_of(struct fuse_file_info *fi)
{
	return (struct mfile *)(uintptr_t)fi->fh;
}

/* The open flags the library takes (O_APPEND: see mount_op_write). */
static int smb_flags(int flags)
{
	return (flags & O_ACCMODE) | (flags & (O_CREAT | O_EXCL | O_TRUNC));
}

/*
 * The file layer reads the rest of a page a write covers only in part,
 * so a cached file opened write-only asks for read access too (as cifs
 * does); where the server refuses that, it is opened write-only and
 * uncached.
 */
static int open_file(struct mount_ctx *m, const char *path, int flags,
		     struct smbiov_file **f)
{
	/* the library opens a cached write-only file for reading too */
	return smbiov_open_ex(m->c, path, smb_flags(flags), &m->oo, f);
}

static struct mfile *file_new(struct mount_ctx *m, struct smbiov_file *f,
			      struct mnode *n, int flags)
{
	struct mfile *mf = calloc(1, sizeof(*mf));

	if (!mf)
		return NULL;
	mf->magic = MFILE_MAGIC;
	mf->f = f;
	mf->node = n;
	mf->direct = (flags & O_DIRECT) != 0;
	mf->writable = (flags & O_ACCMODE) != O_RDONLY;
	mtable_file_add(&m->t, mf);
	return mf;
}

static void file_drop(struct mount_ctx *m, struct mfile *mf)
{
	mtable_file_remove(&m->t, mf);
	mtable_file_put(&m->t, mf);
}

static void set_open_flags(struct fuse_file_info *fi, struct mfile *mf)
{
	fi->fh = (uintptr_t)mf;
	fi->direct_io = 1;
	fi->keep_cache = 0;
}

void mount_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *n = mount_node_of(m, ino);
	struct smbiov_file *f = NULL;
	struct mfile *mf;
	char *path;
	int ret;

	ret = mtable_path(&m->t, n, NULL, &path);
	if (!ret)
		ret = open_file(m, path, fi->flags, &f);
	free(path);
	mf = ret ? NULL : file_new(m, f, n, fi->flags);
	if (!ret && !mf) {
		smbiov_close(f);
		ret = -ENOMEM;
	}
	if (ret) {
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	set_open_flags(fi, mf);
	if (fuse_reply_open(req, fi))
		file_drop(m, mf); /* interrupted: no release will come */
}

void mount_op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *p = mount_node_of(m, parent), *n = NULL;
	struct smbiov_file *f = NULL;
	struct mfile *mf = NULL;
	struct smbiov_stat s;
	char *path;
	int ret;

	(void)mode; /* no unix extensions: the mount's file_mode */
	if (strchr(name, '\\')) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	ret = mtable_path(&m->t, p, name, &path);
	if (!ret)
		ret = open_file(m, path, fi->flags | O_CREAT, &f);
	free(path);
	if (!ret)
		ret = smbiov_fstat(f, &s);
	if (!ret && !(n = mtable_lookup(&m->t, p, name)))
		ret = -ENOMEM;
	if (!ret && !(mf = file_new(m, f, n, fi->flags)))
		ret = -ENOMEM;
	if (ret) {
		if (n)
			mtable_forget(&m->t, n, 1);
		if (f)
			smbiov_close(f);
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	set_open_flags(fi, mf);
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

void mount_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct mfile *mf = file_of(fi);
	struct smbiov_iter it;
	void *buf = thread_buf();
	ssize_t n;

	(void)ino;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (size > MOUNT_MAX_IO)
		size = MOUNT_MAX_IO;
	if (mf->direct) {
		smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, size);
		n = smbiov_read_iter_ex(mf->f, &it, (uint64_t)off,
					SMBIOV_RW_DIRECT);
	} else {
		n = smbiov_pread(mf->f, buf, size, (uint64_t)off);
	}
	if (n < 0)
		fuse_reply_err(req, mount_err((int)n));
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

static ssize_t write_at(struct mfile *mf, const char *buf, size_t size,
			uint64_t off)
{
	struct smbiov_iter it;

	if (!mf->direct)
		return smbiov_pwrite(mf->f, buf, size, off);
	smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, (void *)buf, size);
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
 * the size and the write is a race, as with cifs.)
 */
static ssize_t write_append(struct mount_ctx *m, struct mfile *mf,
			    const char *buf, size_t size)
{
	struct smbiov_stat s;
	ssize_t n;

	pthread_mutex_lock(&m->append_lock);
	n = smbiov_fstat(mf->f, &s);
	if (!n)
		n = write_at(mf, buf, size, s.size);
	pthread_mutex_unlock(&m->append_lock);
	return n;
}

void mount_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		    size_t size, off_t off, struct fuse_file_info *fi)
{
	struct mfile *mf = file_of(fi);
	ssize_t n;

	(void)ino;
	/* fi->flags: the descriptor's flags now (fcntl F_SETFL included) */
	if (fi->flags & O_APPEND)
		n = write_append(mount_ctx_of(req), mf, buf, size);
	else
		n = write_at(mf, buf, size, (uint64_t)off);
	if (n < 0) {
		fuse_reply_err(req, mount_err((int)n));
		return;
	}
	__atomic_store_n(&mf->written, true, __ATOMIC_RELAXED);
	fuse_reply_write(req, (size_t)n);
}

/*
 * close(2) of a descriptor: what was written through it goes to the
 * server now, so a failing write-back fails the close (the release that
 * follows runs after close(2) has returned). smbiov_writeback() leaves
 * the error to be reported again by fsync and the release's close.
 */
void mount_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfile *mf = file_of(fi);
	int ret = 0;

	(void)ino;
	if (__atomic_exchange_n(&mf->written, false, __ATOMIC_RELAXED))
		ret = smbiov_writeback(mf->f);
	fuse_reply_err(req, ret ? mount_err(ret) : 0);
}

void mount_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);

	(void)ino;
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
	__atomic_store_n(&mf->written, false, __ATOMIC_RELAXED);
	ret = smbiov_fsync(mf->f);
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
	got = smbiov_seek_data_hole(mf->f, (uint64_t)off, whence);
	if (got < 0)
		fuse_reply_err(req, mount_err((int)got));
	else
		fuse_reply_lseek(req, (off_t)got);
}

/* A file grown by more than this by truncate is marked sparse (cifs). */
#define SPARSE_GROWTH 8192

/*
 * A new size through an open file when there is one (its cache stays
 * right: the file layer writes back, then cuts), else by name. A file
 * grown by more than SPARSE_GROWTH through an open file is marked sparse
 * first, as cifs does (many Linux file systems leave such a gap a hole):
 * Samba then reports the gap as the hole its disk has (SEEK_HOLE).
 */
static int set_size(struct mount_ctx *m, struct mnode *n,
		    struct fuse_file_info *fi, uint64_t size)
{
	struct mfile *mf = mount_file_of(fi);
	struct mfile *any = mf ? NULL : mtable_file_any(&m->t, n, true);
	struct smbiov_stat s;
	char *path;
	int ret;

	if (mf || any) {
		struct smbiov_file *f = (mf ? mf : any)->f;

		if (size > SPARSE_GROWTH && !smbiov_fstat(f, &s) &&
		    size - SPARSE_GROWTH > s.size)
			smbiov_set_sparse(f, true);
		ret = smbiov_ftruncate(f, size);
		if (any)
			mtable_file_put(&m->t, any);
		return ret;
	}
	ret = mtable_path(&m->t, n, NULL, &path);
	if (!ret)
		ret = smbiov_truncate(m->c, path, size);
	free(path);
	return ret;
}

#define ATTR_READONLY 0x1u
#define ATTR_NORMAL   0x80u
/* the attributes FileBasicInformation may set (MS-FSCC 2.6) */
#define ATTR_SETTABLE 0x31a7u

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_ns(&ts);
}

/*
 * chmod as cifs maps it without unix extensions: a file with no write
 * bit for anyone gets the read-only attribute, one with a write bit
 * loses it; nothing else of the mode is kept. Directories keep theirs.
 * Returns the attributes to set, or 0 for no change.
 */
static uint32_t mode_attributes(const struct smbiov_stat *s, mode_t mode)
{
	bool ro = !(mode & 0222), was = s->attributes & ATTR_READONLY;
	uint32_t a = s->attributes & ATTR_SETTABLE;

	if (s->is_dir || ro == was)
		return 0;
	a = ro ? a | ATTR_READONLY : a & ~ATTR_READONLY;
	return a ? a : ATTR_NORMAL;
}

/*
 * Times (utimensat, touch) and the mode's write bits, through a file
 * open for writing when there is one (its cached writes go first, or
 * they would set the time again), else by name. @s: the attributes now.
 */
static int set_times_mode(struct mount_ctx *m, struct mnode *n,
			  struct fuse_file_info *fi, const struct stat *attr,
			  int to_set, const struct smbiov_stat *s)
{
	struct smbiov_setattr a = {SMBIOV_TIME_OMIT, SMBIOV_TIME_OMIT,
				   SMBIOV_TIME_OMIT, SMBIOV_TIME_OMIT, 0};
	struct mfile *mf = mount_file_of(fi), *any = NULL;
	char *path;
	int ret;

	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		a.atime_ns = now_ns();
	else if (to_set & FUSE_SET_ATTR_ATIME)
		a.atime_ns = ts_ns(&attr->st_atim);
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		a.mtime_ns = now_ns();
	else if (to_set & FUSE_SET_ATTR_MTIME)
		a.mtime_ns = ts_ns(&attr->st_mtim);
	if (to_set & FUSE_SET_ATTR_MODE)
		a.attributes = mode_attributes(s, attr->st_mode);
	if (a.atime_ns == SMBIOV_TIME_OMIT && a.mtime_ns == SMBIOV_TIME_OMIT &&
	    !a.attributes)
		return 0;
	if (!mf || !mf->writable)
		mf = any = mtable_file_any(&m->t, n, true);
	if (mf) {
		ret = smbiov_fset_attr(mf->f, &a);
		if (any)
			mtable_file_put(&m->t, any);
		return ret;
	}
	ret = mtable_path(&m->t, n, NULL, &path);
	if (!ret)
		ret = smbiov_set_attr(m->c, path, &a);
	free(path);
	return ret;
}

static int node_fstat(struct mount_ctx *m, struct mnode *n,
		      struct fuse_file_info *fi, struct smbiov_stat *s)
{
	struct mfile *mf = mount_file_of(fi);

	return mf ? smbiov_fstat(mf->f, s) : mount_node_stat(m, n, s);
}

/*
 * Owner changes are accepted and change nothing: without the unix
 * extensions the server has no owner to show (uid=, gid= are shown),
 * as cifs does.
 */
void mount_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		      int to_set, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *n = mount_node_of(m, ino);
	struct smbiov_stat s = {0};
	struct stat st;
	int ret = 0;

	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (attr->st_size < 0)
			ret = -EINVAL;
		else
			ret = set_size(m, n, fi, (uint64_t)attr->st_size);
	}
	if (!ret && (to_set & FUSE_SET_ATTR_MODE))
		ret = node_fstat(m, n, fi, &s);
	if (!ret)
		ret = set_times_mode(m, n, fi, attr, to_set, &s);
	if (!ret)
		ret = node_fstat(m, n, fi, &s);
	if (ret) {
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	mount_to_stat(m, n, NULL, &s, &st);
	fuse_reply_attr(req, &st, mount_attr_timeout(m, &s));
}
