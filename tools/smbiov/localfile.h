/* SPDX-License-Identifier: MIT */
/*
 * Local destinations of get/cat. A regular file (new or existing) is
 * written under a temporary name in its directory, ".NAME.smbiov-XXXXXX",
 * then renamed over NAME: a failed or interrupted transfer leaves no
 * partial file. With lo->fsync (--fsync) the file and then the rename are
 * made durable (fsync); without, as cp, curl, rsync and smbclient do, the
 * kernel writes the data back in its own time: an fsync of a 1 GiB file
 * cost 1.9 s on the disk here, more than the whole transfer
 * (bench/RESULTS.md), and the name still never shows a partial file while
 * the system runs. Anything else (stdout "-", a pipe, a character
 * device such as /dev/null, a socket) is written directly.
 */
#ifndef SMBIOV_CLI_LOCALFILE_H
#define SMBIOV_CLI_LOCALFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <stddef.h>

/*
 * FNV-1a over @n bytes at @p, from @h (LOCAL_FNV_INIT to start): names
 * derived from paths (part files, resume keys), nothing adversarial.
 */
#define LOCAL_FNV_INIT 0xcbf29ce484222325ull
static inline uint64_t local_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

struct local_out {
	int fd;
	bool direct;   /* written in place */
	bool own_fd;   /* we opened it (not stdout) */
	char *path;    /* the final name; NULL for stdout */
	char *tmp;     /* the temporary name while writing; NULL when direct */
	unsigned mode; /* permissions the final file gets */
	bool fsync;    /* set by the caller: commit makes it durable first */
	bool keep;     /* the part file stays when the transfer fails (-C) */
	uint64_t kept; /* with keep: the bytes an earlier run left in it */
	uint64_t part_ino; /* the part file's inode (a resume record's check) */
	bool stale;	   /* an earlier run had left data in the part file */
};

/*
 * local_tmp_template - ".NAME.smbiov-XXXXXX" beside @dest (malloc'd in
 * *@out, for mkstemp), or ".smbiov-XXXXXX" when the longer one would not
 * fit in NAME_MAX. Returns 0, -EINVAL for an empty name or one ending in
 * '/', -ENOMEM.
 */
#define LOCAL_TMP_EXTRA 15 /* "." + ".smbiov-XXXXXX" */
int local_tmp_template(const char *dest, char **out);

/*
 * local_out_open - open @dest for writing ("-" is stdout). Returns 0 or a
 * negative errno (-EISDIR for a directory).
 */
int local_out_open(const char *dest, struct local_out *lo);

/*
 * local_out_open_keep - as local_out_open(); with @keep a part file an
 * earlier run left is kept as it is (lo->kept bytes, for the caller to
 * continue or truncate), and stays when the transfer fails or is
 * interrupted (lo->keep; not when a running smbiov held the part name).
 */
int local_out_open_keep(const char *dest, struct local_out *lo, bool keep);

/*
 * local_out_commit - finish a successful transfer: set the mode, fsync
 * (with lo->fsync) and rename the temporary file over the destination (a no-op
 * when direct but for closing). On failure the temporary file is removed.
 * Returns 0 or a negative errno. @lo is released either way.
 */
int local_out_commit(struct local_out *lo);

/* Give up: close, remove the temporary file; @lo is released. */
void local_out_abort(struct local_out *lo);

/* From a signal handler: remove the temporary file being written, if any. */
void local_out_signal_cleanup(void);

/*
 * Whole reads and writes of a local fd, retried on EINTR and short
 * transfers; at offset *@off (pread/pwrite, *@off unchanged) or, with
 * @off NULL, at the fd's position.
 * local_read_full: bytes read, short only at end of input, or -errno.
 * local_write_full: 0 or -errno (-EIO when nothing could be written).
 */
ssize_t local_read_full(int fd, void *buf, size_t n, const off_t *off);

struct stat;
/*
 * local_source_changed - did regular file @fd change while @sent of its
 * bytes were read? Its size or modification time differs from @before
 * (fstat before the first read), or @sent is not that size (unless the
 * size said 0: a /proc file reads longer than its size). Anything but a
 * regular file: false (a pipe has no size to compare).
 */
bool local_source_changed(int fd, const struct stat *before, uint64_t sent);
int local_write_full(int fd, const void *buf, size_t n, const off_t *off);

#endif
