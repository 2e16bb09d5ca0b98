// SPDX-License-Identifier: MIT
/*
 * File-descriptor I/O (DESIGN.md §3 "Splice-style reads"): READ payload
 * from the socket into a local fd and WRITE payload from a local fd to the
 * socket without user space touching the bytes. The pieces are io.c's
 * (credit-sized, all in flight up to the window) carrying SMB_REQ_FD; the
 * transport moves the data with splice (socket -> pipe -> fd) and
 * sendfile (fd -> socket).
 *
 * Ordering: pieces complete in any order. They go to explicit offsets
 * when the local side is a regular file (or to /dev/null, where order is
 * meaningless), so all of them are in flight together. A pipe has no
 * offsets: a read into one keeps one piece in flight at a time, the
 * socket's pages spliced straight into it in file order.
 *
 * Fallback, always correct: when the connection signs or seals (the MAC
 * and the cipher need the bytes in our memory), when the transport cannot
 * splice, and for local fds that cannot take part (a read into an O_APPEND
 * file, a tty, a socket; a write from a pipe or from a regular file whose
 * size says 0 (/proc: it may read longer), whose length is not known
 * before the WRITE header must announce it), the data goes through one
 * bounded bounce buffer and the normal iterator path, counted in
 * payload_copied.
 */
#include "client/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FDIO_BOUNCE ((size_t)1 << 20)

/* How a local fd takes part. */
enum fd_kind {
	FD_BOUNCE,  /* through memory */
	FD_OFFSETS, /* explicit offsets, pieces in any order */
	FD_ANYHOW,  /* /dev/null: no offsets, any order */
	FD_PIPE,    /* no offsets, one piece at a time, in order */
};

static bool can_splice(const struct smbiov_client *c)
{
	return !c->signing && !c->sealing && smb_transport_can_fd(c->t);
}

static enum fd_kind classify(const struct stat *st, int fl, bool write)
{
	/*
	 * A WRITE announces its length before the first byte leaves, and
	 * sendfile's length comes from the file's size. /proc and similar
	 * files say 0 and read longer: read them to their end instead.
	 */
	if (write && S_ISREG(st->st_mode) && st->st_size == 0)
		return FD_BOUNCE;
	if (S_ISREG(st->st_mode))
		/* splice() refuses O_APPEND destinations (EINVAL). */
		return !write && (fl & O_APPEND) ? FD_BOUNCE : FD_OFFSETS;
	if (write)
		return FD_BOUNCE;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3))
		return FD_ANYHOW;
	if (S_ISFIFO(st->st_mode))
		return FD_PIPE;
	return FD_BOUNCE;
}

static int fd_check(struct smbiov_file *f, uint64_t offset, size_t *len,
		    const char *what)
{
	int ret;

	if (!f)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO, "%s: no file",
				     what);
	ret = smb_api_begin(f->c);
	if (ret)
		return ret;
	if (*len > SMBIOV_MAX_RW_COUNT)
		*len = SMBIOV_MAX_RW_COUNT;
	if (offset > INT64_MAX || *len > INT64_MAX - offset)
		return smb_error_set(-EFBIG, 0, SMBIOV_PHASE_IO,
				     "%s: offset %llu out of range", what,
				     (unsigned long long)offset);
	return 0;
}

static int local_err(int err, const char *what)
{
	return smb_error_set(err, 0, SMBIOV_PHASE_LOCAL, "%s: local file: %s",
			     what, smbiov_strerror(err));
}

/* Write all of @p to @fd at *@pos (or its position when @pos is NULL). */
static int put_all(int fd, const char *p, size_t n, off_t *pos)
{
	while (n) {
		ssize_t w = pos ? pwrite(fd, p, n, *pos) : write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		if (pos)
			*pos += w;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Fill @p from @fd; short only at its end. */
static ssize_t get_all(int fd, char *p, size_t n, off_t *pos)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pos ? pread(fd, p + got, n - got, *pos)
				: read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		if (pos)
			*pos += r;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The fallback: one bounce buffer, one piece at a time, in order. */
static ssize_t bounce(struct smbiov_file *f, uint64_t offset, size_t len,
		      int fd, off_t *pos, bool write)
{
	const char *what = write ? "write_from_fd" : "read_to_fd";
	size_t cap = len < FDIO_BOUNCE ? len : FDIO_BOUNCE, done = 0;
	char *buf = malloc(cap ? cap : 1);
	ssize_t ret = 0;

	if (!buf)
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "%s", what);
	while (done < len) {
		size_t want = len - done < cap ? len - done : cap;
		ssize_t n;

		if (write) {
			n = get_all(fd, buf, want, pos);
			if (n < 0) {
				ret = local_err((int)n, what);
				break;
			}
			if (n && smbiov_pwrite(f, buf, (size_t)n,
					       offset + done) != n) {
				ret = -1; /* the library recorded why */
				break;
			}
		} else {
			int err;

			n = smbiov_pread(f, buf, want, offset + done);
			if (n < 0) {
				ret = n;
				break;
			}
			err = put_all(fd, buf, (size_t)n, pos);
			if (err) {
				ret = local_err(err, what);
				break;
			}
		}
		smb_stat_copied(f->c, (uint64_t)n);
		done += (size_t)n;
		if ((size_t)n < want)
			break; /* end of file */
	}
	free(buf);
	if (ret < 0) {
		struct smbiov_error e;

		smbiov_last_error(&e);
		return e.err ? e.err : -EIO;
	}
	return (ssize_t)done;
}

/*
 * Where the fd side starts: *@fd_off, or the fd's position when @fd_off
 * is NULL (a regular file: read with lseek, moved past the bytes at the
 * end, since the pieces use explicit offsets).
 */
static int fd_base(int fd, const off_t *fd_off, off_t *base)
{
	if (fd_off) {
		if (*fd_off < 0)
			return -EINVAL;
		*base = *fd_off;
		return 0;
	}
	*base = lseek(fd, 0, SEEK_CUR);
	return *base < 0 ? -errno : 0;
}

static ssize_t fd_io(struct smbiov_file *f, uint64_t offset, size_t len, int fd,
		     off_t *fd_off, bool write)
{
	const char *what = write ? "write_from_fd" : "read_to_fd";
	enum fd_kind kind;
	struct stat st;
	off_t base = 0, pos;
	ssize_t res;
	int fl, ret;

	ret = fd_check(f, offset, &len, what);
	if (ret)
		return ret;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fstat(fd, &st))
		return local_err(-errno, what);
	if (write ? (fl & O_ACCMODE) == O_WRONLY : (fl & O_ACCMODE) == O_RDONLY)
		return local_err(-EBADF, what);
	kind = classify(&st, fl, write);
	if (kind == FD_PIPE && fd_off)
		return local_err(-ESPIPE, what);
	if (kind == FD_OFFSETS || (kind == FD_BOUNCE && fd_off)) {
		ret = fd_base(fd, fd_off, &base);
		if (ret)
			return local_err(ret, what);
	}
	if (write && kind == FD_OFFSETS) {
		/* Short at the end of the local file. */
		uint64_t avail =
			st.st_size > base ? (uint64_t)(st.st_size - base) : 0;

		if (len > avail)
			len = (size_t)avail;
	}
	if (!len)
		return 0;
	if (kind == FD_BOUNCE || !can_splice(f->c)) {
		if (kind == FD_OFFSETS && !fd_off) {
			/* The position moves as the bytes go. */
			res = bounce(f, offset, len, fd, NULL, write);
		} else if (kind == FD_OFFSETS ||
			   (kind == FD_BOUNCE && fd_off)) {
			pos = base;
			res = bounce(f, offset, len, fd, &pos, write);
		} else {
			res = bounce(f, offset, len, fd, NULL, write);
		}
		if (res > 0 && fd_off)
			*fd_off += res;
		return res;
	}
	res = smb_io_fd(f, offset, len, write, fd, base, kind != FD_OFFSETS,
			kind == FD_PIPE);
	if (res < 0)
		return res;
	if (fd_off)
		*fd_off += res;
	else if (kind == FD_OFFSETS && lseek(fd, base + res, SEEK_SET) < 0)
		return local_err(-errno, what);
	return res;
}

ssize_t smb_read_to_fd(struct smbiov_file *f, uint64_t offset, size_t len,
		       int fd, off_t *fd_off)
{
	return fd_io(f, offset, len, fd, fd_off, false);
}

ssize_t smb_write_from_fd(struct smbiov_file *f, uint64_t offset, size_t len,
			  int fd, off_t *fd_off)
{
	return fd_io(f, offset, len, fd, fd_off, true);
}
