// SPDX-License-Identifier: MIT
/*
 * The public sparse-file queries of the file layer: allocated ranges and
 * SEEK_DATA/SEEK_HOLE. Both write back the cached dirty data of the
 * range first, so data not yet on the server counts as data, then ask
 * the engine (client/sparse.c).
 */
#include "client/file.h"
#include "client/sparse.h"
#include "fs/cache.h"

#include <errno.h>
#include <unistd.h>

#define SEEK_BATCH 64

/* Cached dirty data at or after @off goes to the server first. */
static int writeback_from(struct smbiov_file *f, uint64_t off, uint64_t len)
{
	int ret;

	if (!f->map)
		return 0;
	ret = fs_mapping_writeback(f->map, off, len);
	return ret ? smb_error_keep(ret, "write-back") : 0;
}

SMBIOV_API ssize_t smbiov_allocated_ranges(struct smbiov_file *f,
					   uint64_t offset, uint64_t len,
					   struct smbiov_range *out, size_t max)
{
	int ret;

	if (!f || (max && !out))
		return -EINVAL;
	ret = smb_api_begin(f->c);
	if (ret)
		return ret;
	if (!len || offset > (uint64_t)INT64_MAX ||
	    len > (uint64_t)INT64_MAX - offset)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "allocated ranges: bad range");
	if (!max)
		return 0;
	ret = writeback_from(f, offset, len);
	if (ret)
		return ret;
	return smb_allocated_ranges(f, offset, len, out, max);
}

/*
 * SEEK_HOLE from @pos below @size: the end of the run of data that
 * starts at @pos, or @pos itself when it lies in a hole.
 */
static int64_t hole_from(struct smbiov_file *f, uint64_t pos, uint64_t size)
{
	struct smbiov_range r[SEEK_BATCH];
	ssize_t n;

	for (;;) {
		n = smb_allocated_ranges(f, pos, size - pos, r, SEEK_BATCH);
		if (n < 0)
			return n;
		for (ssize_t i = 0; i < n; i++) {
			if (r[i].offset > pos)
				return (int64_t)pos;
			pos = r[i].offset + r[i].length;
		}
		/* fewer than asked: none more, the rest is a hole */
		if (pos >= size || n < SEEK_BATCH)
			return (int64_t)(pos < size ? pos : size);
	}
}

SMBIOV_API int64_t smbiov_seek_data_hole(struct smbiov_file *f, uint64_t offset,
					 int whence)
{
	struct smbiov_range r;
	struct smbiov_stat st;
	int64_t got;
	ssize_t n;
	int ret;

	ret = smb_file_api_begin(f);
	if (ret)
		return ret;
	if ((whence != SEEK_DATA && whence != SEEK_HOLE) || f->is_dir)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "seek: not SEEK_DATA or SEEK_HOLE on a "
				     "file");
	if (offset >= (uint64_t)INT64_MAX)
		return smb_error_set(-ENXIO, 0, SMBIOV_PHASE_IO,
				     "seek: past the end of file");
	/* the size counts data written back, so does each range */
	ret = writeback_from(f, offset, UINT64_MAX - offset);
	if (!ret)
		ret = smb_fstat(f, &st);
	if (ret)
		return ret;
	if (offset >= st.size)
		return smb_error_set(-ENXIO, 0, SMBIOV_PHASE_IO,
				     "seek: at or past the end of file");
	if (whence == SEEK_HOLE) {
		got = hole_from(f, offset, st.size);
	} else {
		n = smb_allocated_ranges(f, offset, st.size - offset, &r, 1);
		got = n < 0 ? n : n ? (int64_t)r.offset : -ENXIO;
		if (got == -ENXIO)
			smb_error_set(-ENXIO, 0, SMBIOV_PHASE_IO,
				      "seek: only holes after %llu",
				      (unsigned long long)offset);
	}
	/*
	 * A server without the FSCTL, or a handle it will not answer on
	 * (no read access): all of it is data, as Linux says of a file
	 * system without holes.
	 */
	if (got == -EOPNOTSUPP || got == -EACCES)
		got = whence == SEEK_DATA ? (int64_t)offset : (int64_t)st.size;
	return got;
}
