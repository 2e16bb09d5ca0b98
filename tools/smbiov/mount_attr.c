/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: setattr(2) of a file (size, times, mode as the read-only
 * attribute), through an open file of the inode when there is one (its
 * cache stays right: the file layer writes back, then changes), else by
 * name; answered with the attributes the server has after the change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mount_fs.h"

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

	mount_bytes_changed(n);
	if (mf || any) {
		struct smbiov_file *f = (mf ? mf : any)->f;

		if (mf)
			mtable_wb_wait_file(&m->t, mf);
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
 * they would set the time again), else by name. @s: the attributes now;
 * set through a file, the attributes after in *@s too (asked in the same
 * round trip), and *@have_after true.
 */
static int set_times_mode(struct mount_ctx *m, struct mnode *n,
			  struct fuse_file_info *fi, const struct stat *attr,
			  int to_set, struct smbiov_stat *s, bool *have_after)
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
	else
		mtable_wb_wait_file(&m->t, mf);
	if (mf) {
		ret = smbiov_fset_attr_stat(mf->f, &a, s);
		*have_after = !ret;
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

	return mf ? mount_file_stat(m, mf, s) : mount_node_stat(m, n, s);
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
	bool have = false;
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
		ret = set_times_mode(m, n, fi, attr, to_set, &s, &have);
	if (!ret && !have)
		ret = node_fstat(m, n, fi, &s);
	if (ret) {
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	mount_to_stat(m, n, NULL, &s, &st);
	fuse_reply_attr(req, &st, mount_attr_timeout(m, &s));
}
