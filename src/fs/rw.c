// SPDX-License-Identifier: MIT
/*
 * Reading and writing: the public read and write calls (iterators,
 * buffers, iovecs, asynchronous, to and from a local fd), through a
 * cached open's mapping or around it. Kept together because every one of
 * them must order its bytes against the same cache and tell the same
 * siblings.
 *
 * Calls that bypass the cache on a cached file (SMBIOV_RW_DIRECT, the
 * asynchronous calls, the fd calls) write back the cached dirty data of
 * their range first and, when they write, drop the cached data of it
 * afterwards, as the kernel's direct I/O does
 * (filemap_write_and_wait_range, invalidate_inode_pages2_range).
 */
#include "client/file.h"
#include "client/sparse.h"
#include "fs/fileapi.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>

static void wrote(struct smbiov_file *f, uint64_t off, ssize_t n)
{
	if (f && n > 0)
		fs_siblings_changed(f->c->fs, f, f->path, off, (uint64_t)n,
				    FS_SIB_WROTE);
}

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
		fs_own_change(f);
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
		fs_read_sent(f);
	r = write ? smb_io_sync(f, it, off, true) : read_to_eof(f, it, off);
	if (write) {
		bypass_end_write(f, off, r);
		return r;
	}
	r = direct_read_rest(f, it, off, r);
	fs_read_sent(f);
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
		/* a read too: its completion is not seen here (leasestat.c) */
		fs_own_change(f);
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
		fs_siblings_changed(f->c->fs, f, f->path, off,
				    smbiov_iter_count(it), FS_SIB_ZEROED);
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

int fs_cache_begin(struct smbiov_file *f)
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
	int ret = fs_cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map) {
		ret = bypass_begin(f, offset, len);
		if (ret)
			return smb_error_keep(ret, "read to fd: write-back");
	}
	fs_read_sent(f);
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
	fs_read_sent(f);
	return r;
}

SMBIOV_API ssize_t smbiov_write_from_fd(struct smbiov_file *f, uint64_t offset,
					size_t len, int fd, off_t *fd_off)
{
	ssize_t r;
	int ret = fs_cache_begin(f);

	if (ret)
		return ret;
	if (f && f->map) {
		fs_own_change(f);
		ret = bypass_begin(f, offset, len);
		if (ret)
			return smb_error_keep(ret, "write from fd: write-back");
	}
	r = smb_write_from_fd(f, offset, len, fd, fd_off);
	if (f)
		bypass_end_write(f, offset, r);
	return r;
}

/*
 * Server-side copy: the source's cached writes of the range go to the
 * server first (the server reads its own file), the destination's
 * range is written back before and dropped after, as a direct write.
 * The range is clipped to the source's end of file, as copy_file_range
 * does: the server would refuse a chunk past it.
 */
SMBIOV_API ssize_t smbiov_copy_range(struct smbiov_file *src, uint64_t src_off,
				     struct smbiov_file *dst, uint64_t dst_off,
				     size_t len)
{
	struct smbiov_stat st;
	ssize_t r;
	int ret;

	if (!src || !dst)
		return -EINVAL;
	ret = smb_api_begin(src->c);
	if (ret)
		return ret;
	if (src->c != dst->c)
		return smb_error_set(-EXDEV, 0, SMBIOV_PHASE_IO,
				     "copy: the files are on different "
				     "connections");
	if (src->is_dir || dst->is_dir)
		return smb_error_set(-EISDIR, 0, SMBIOV_PHASE_IO,
				     "copy: a directory");
	if (src_off > (uint64_t)INT64_MAX || dst_off > (uint64_t)INT64_MAX ||
	    len > (uint64_t)INT64_MAX - src_off ||
	    len > (uint64_t)INT64_MAX - dst_off ||
	    (src == dst && src_off < dst_off + len && dst_off < src_off + len))
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "copy: bad range");
	if (!len)
		return 0;
	if (src->map) {
		ret = fs_mapping_writeback(src->map, src_off, len);
		if (ret)
			return smb_error_keep(ret, "copy: source write-back");
	}
	ret = smbiov_fstat(src, &st);
	if (ret)
		return ret;
	if (src_off >= st.size)
		return 0;
	if (len > st.size - src_off)
		len = (size_t)(st.size - src_off);
	if (dst->map) {
		fs_own_change(dst);
		ret = bypass_begin(dst, dst_off, len);
		if (ret)
			return smb_error_keep(ret, "copy: write-back");
	}
	r = smb_copy_chunks(src, src_off, dst, dst_off, len);
	bypass_end_write(dst, dst_off, r);
	return r;
}
