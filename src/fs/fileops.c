// SPDX-License-Identifier: MIT
/*
 * The calls on an open file other than reading and writing (fsync, fstat,
 * fallocate, writeback, set_attr, ftruncate): each asks the server about
 * or changes the file as a whole, so on a cached open each first settles
 * the cache (writes back, and drops what the change makes stale) and then
 * tells the siblings.
 */
#include "client/file.h"
#include "fs/fileapi.h"

#include <errno.h>
#include <stdint.h>

SMBIOV_API int smbiov_fsync(struct smbiov_file *f)
{
	int err = 0, ret = fs_cache_begin(f);

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
	int ret = fs_cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map && st && fs_stat_kept(fs_file_of(f->map), st))
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

	ret = smb_file_api_begin(f);
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
		fs_own_change(f);
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
		fs_siblings_changed(f->c->fs, f, f->path, offset, len,
				    (mode & keep) ? FS_SIB_ZEROED
						  : FS_SIB_WROTE);
	return ret;
}

SMBIOV_API int smbiov_writeback(struct smbiov_file *f)
{
	int ret;

	ret = smb_file_api_begin(f);
	if (ret)
		return ret;
	if (f->map) {
		ret = fs_mapping_writeback(f->map, 0, UINT64_MAX);
		if (ret)
			return smb_error_keep(ret, "write-back");
	}
	/* a FUSE file's close(2): its write time settles before it returns */
	smb_file_stamp_write_time(f);
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
		fs_own_change(f);
		ret = fs_mapping_writeback(f->map, 0, UINT64_MAX);
		if (ret)
			return smb_error_keep(ret, "set_attr: write-back");
	}
	ret = smb_fset_attr(f, a, st);
	fs_siblings_changed(f->c->fs, f, f->path, 0, 0, FS_SIB_ATTRS);
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
	int ret = fs_cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map) {
		fs_own_change(f);
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
		fs_siblings_changed(f->c->fs, f, f->path, size, 0,
				    FS_SIB_RESIZED);
	return ret;
}
