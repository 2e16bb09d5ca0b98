/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "localfile.h"

/* The temporary file being written, for the signal handler. */
static char sig_tmp[PATH_MAX];
static volatile sig_atomic_t sig_tmp_set;

void local_out_signal_cleanup(void)
{
	if (sig_tmp_set)
		unlink(sig_tmp);
}

static void sig_tmp_track(const char *tmp)
{
	sig_tmp_set = 0;
	if (tmp && strlen(tmp) < sizeof(sig_tmp)) {
		memcpy(sig_tmp, tmp, strlen(tmp) + 1);
		sig_tmp_set = 1;
	}
}

int local_tmp_template(const char *dest, char **out)
{
	const char *slash = strrchr(dest, '/');
	const char *name = slash ? slash + 1 : dest;
	size_t dirlen = (size_t)(name - dest);
	int n;

	*out = NULL;
	if (!*name)
		return -EINVAL;
	/*
	 * ".NAME.smbiov-XXXXXX" is 15 bytes longer than NAME: a name within
	 * 15 bytes of NAME_MAX takes a short fixed-length one instead, so
	 * every valid name can be downloaded.
	 */
	if (strlen(name) + LOCAL_TMP_EXTRA > NAME_MAX)
		n = asprintf(out, "%.*s.smbiov-XXXXXX", (int)dirlen, dest);
	else
		n = asprintf(out, "%.*s.%s.smbiov-XXXXXX", (int)dirlen, dest,
			     name);
	if (n < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static unsigned current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return (unsigned)m;
}

/*
 * ".NAME.smbiov-part" beside @path, or ".smbiov-<hash>.part" when that
 * would not fit in NAME_MAX: one name per destination, so the next get of
 * it finds what a killed one left.
 */
static char *part_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	int dirlen = (int)(name - path);
	char *out;
	int n;

	if (strlen(name) + LOCAL_TMP_EXTRA <= NAME_MAX)
		n = asprintf(&out, "%.*s.%s.smbiov-part", dirlen, path, name);
	else
		n = asprintf(&out, "%.*s.smbiov-%016llx.part", dirlen, path,
			     (unsigned long long)local_fnv1a(
				     LOCAL_FNV_INIT, name, strlen(name)));
	return n < 0 ? NULL : out;
}

/*
 * Open and lock lo->path's part file. Whoever holds the lock (flock, so it
 * goes with the process, however it ends) owns the name; the holder renames
 * it over the destination before it lets go, so a file we locked that no
 * longer has the name was somebody's finished download: try again.
 * Unless @keep, what an earlier run left in it is dropped. -EAGAIN: a
 * running smbiov holds it.
 */
static int part_open(struct local_out *lo, bool keep)
{
	struct stat a, b;

	lo->tmp = part_name(lo->path);
	if (!lo->tmp)
		return -ENOMEM;
	for (int tries = 0; tries < 8; tries++) {
		lo->fd = open(lo->tmp,
			      O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lo->fd < 0)
			break;
		if (flock(lo->fd, LOCK_EX | LOCK_NB)) {
			close(lo->fd);
			lo->fd = -1;
			free(lo->tmp);
			lo->tmp = NULL;
			return -EAGAIN;
		}
		if (!fstat(lo->fd, &a) && !stat(lo->tmp, &b) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			if (!keep && a.st_size && ftruncate(lo->fd, 0))
				break;
			lo->stale = a.st_size > 0;
			lo->keep = keep;
			lo->kept = keep ? (uint64_t)a.st_size : 0;
			lo->part_ino = (uint64_t)a.st_ino;
			return 0;
		}
		close(lo->fd);
		lo->fd = -1;
	}
	/* an error, or the name keeps changing hands: a fresh one */
	if (lo->fd >= 0)
		close(lo->fd);
	lo->fd = -1;
	free(lo->tmp);
	lo->tmp = NULL;
	return -EAGAIN;
}

int local_out_open(const char *dest, struct local_out *lo)
{
	return local_out_open_keep(dest, lo, false);
}

int local_out_open_keep(const char *dest, struct local_out *lo, bool keep)
{
	struct stat st;
	int ret;

	memset(lo, 0, sizeof(*lo));
	lo->fd = -1;
	if (!strcmp(dest, "-")) {
		lo->fd = STDOUT_FILENO;
		lo->direct = true;
		return 0;
	}
	/*
	 * A symbolic link is written through, as cp does: the temporary file
	 * goes beside the file it names and replaces that one; a link that
	 * names nothing is refused (cp: "not writing through dangling
	 * symlink") rather than replaced by a file.
	 */
	if (!lstat(dest, &st) && S_ISLNK(st.st_mode)) {
		if (stat(dest, &st))
			return -errno;
		lo->path = S_ISREG(st.st_mode) ? realpath(dest, NULL)
					       : strdup(dest);
	} else {
		lo->path = strdup(dest);
	}
	if (!lo->path)
		return -ENOMEM;
	if (!stat(dest, &st)) {
		if (S_ISDIR(st.st_mode)) {
			ret = -EISDIR;
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			/* a pipe, a device, a socket: no rename possible */
			lo->fd = open(dest, O_WRONLY | O_CLOEXEC | O_NOCTTY);
			if (lo->fd < 0) {
				ret = -errno;
				goto fail;
			}
			lo->direct = true;
			lo->own_fd = true;
			return 0;
		}
		/* replacing a file keeps its permissions, as cp does */
		lo->mode = st.st_mode & 07777;
	} else if (errno != ENOENT) {
		ret = -errno;
		goto fail;
	} else {
		lo->mode = 0666 & ~current_umask();
	}
	ret = part_open(lo, keep);
	if (ret == -EAGAIN) {
		/* another smbiov writes that one: a fresh name of our own */
		ret = local_tmp_template(lo->path, &lo->tmp);
		if (ret)
			goto fail;
		lo->fd = mkostemp(lo->tmp, O_CLOEXEC);
		if (lo->fd < 0) {
			ret = -errno;
			free(lo->tmp);
			lo->tmp = NULL;
			goto fail;
		}
		lo->keep = false;
	} else if (ret) {
		goto fail;
	}
	lo->own_fd = true;
	if (!lo->keep)
		sig_tmp_track(lo->tmp);
	return 0;
fail:
	free(lo->path);
	lo->path = NULL;
	return ret;
}

static void local_out_release(struct local_out *lo)
{
	if (lo->own_fd && lo->fd >= 0)
		close(lo->fd);
	free(lo->path);
	free(lo->tmp);
	memset(lo, 0, sizeof(*lo));
	lo->fd = -1;
}

void local_out_abort(struct local_out *lo)
{
	if (lo->tmp && !lo->keep) {
		unlink(lo->tmp);
		sig_tmp_track(NULL);
	}
	local_out_release(lo);
}

/* Make the rename durable too; failure here loses nothing already done. */
static void fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int local_out_commit(struct local_out *lo)
{
	int ret = 0;

	if (lo->direct) {
		if (lo->own_fd && close(lo->fd))
			ret = -errno;
		lo->own_fd = false;
		local_out_release(lo);
		return ret;
	}
	if (fchmod(lo->fd, (mode_t)lo->mode) || (lo->fsync && fsync(lo->fd)))
		ret = -errno;
	/* renamed while locked: part_open() of another run must not take it */
	if (!ret && rename(lo->tmp, lo->path))
		ret = -errno;
	if (close(lo->fd) && !ret)
		ret = -errno;
	lo->own_fd = false;
	if (ret) {
		lo->keep = false;
		local_out_abort(lo);
		return ret;
	}
	sig_tmp_track(NULL);
	if (lo->fsync)
		fsync_dir_of(lo->path);
	local_out_release(lo);
	return 0;
}

bool local_source_changed(int fd, const struct stat *before, uint64_t sent)
{
	struct stat now;

	if (!S_ISREG(before->st_mode))
		return false;
	if (fstat(fd, &now))
		return true;
	return now.st_size != before->st_size ||
	       now.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	       now.st_mtim.tv_nsec != before->st_mtim.tv_nsec ||
	       (before->st_size && sent != (uint64_t)before->st_size);
}

ssize_t local_read_full(int fd, void *buf, size_t n, const off_t *off)
{
	char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = off ? pread(fd, p + got, n - got, *off + (off_t)got)
				: read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int local_write_full(int fd, const void *buf, size_t n, const off_t *off)
{
	const char *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t w =
			off ? pwrite(fd, p + done, n - done, *off + (off_t)done)
			    : write(fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (size_t)w;
	}
	return 0;
}
