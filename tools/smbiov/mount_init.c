// SPDX-License-Identifier: MIT
/*
 * The one INIT flag the mount needs that libfuse 3.14 cannot ask for:
 * FUSE_HANDLE_KILLPRIV_V2. Without it the kernel asks the daemon for the
 * security.capability attribute before every write(2) to a file
 * (file_remove_privs(): a FUSE round trip per write, answered EOPNOTSUPP
 * without a message to the server, but a round trip all the same, which
 * the writer waits for); with it the superblock is SB_NOSEC and the kernel
 * asks once per inode until the inode's attributes change.
 *
 * The flag's contract: the file system clears the set-user-ID and
 * set-group-ID bits and security.capability itself when a write, a
 * truncate or a chown asks it to. This mount keeps neither: every file's
 * mode is file_mode= and the security. namespace is not supported. So it
 * takes the flag unless file_mode= has one of those bits (the kernel then
 * keeps doing it as before).
 *
 * libfuse passes on only the flags it knows, and builds the INIT reply
 * itself. Its custom I/O hook (fuse_session_custom_io(), 3.14) sees the
 * INIT request and its reply go by: the bit is added to the reply when
 * the kernel offered it. Every other message passes untouched, one
 * comparison each.
 */
#include "mount_fs.h"

#include <fuse_lowlevel.h>
#include <linux/fuse.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * One session per process. INIT is the first request and nothing else
 * comes before its reply, so the two hooks never race over these; the
 * atomics are for the threads that read later requests.
 */
static _Atomic uint64_t init_unique;
static _Atomic bool init_pending;

static ssize_t hook_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);
	const struct fuse_in_header *in = buf;
	const struct fuse_init_in *arg = (const void *)(in + 1);

	(void)userdata;
	if (__builtin_expect(n >= (ssize_t)(sizeof(*in) + sizeof(uint32_t) * 4),
			     1) &&
	    in->opcode == FUSE_INIT && (arg->flags & FUSE_HANDLE_KILLPRIV_V2)) {
		init_unique = in->unique;
		init_pending = true;
	}
	return n;
}

static ssize_t hook_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	const size_t need =
		offsetof(struct fuse_init_out, flags) + sizeof(uint32_t);

	(void)userdata;
	if (init_pending && count >= 2 &&
	    iov[0].iov_len >= sizeof(struct fuse_out_header)) {
		const struct fuse_out_header *out = iov[0].iov_base;

		if (out->unique == init_unique) {
			init_pending = false;
			if (!out->error && iov[1].iov_len >= need)
				((struct fuse_init_out *)iov[1].iov_base)
					->flags |= FUSE_HANDLE_KILLPRIV_V2;
		}
	}
	return writev(fd, iov, count);
}

int mount_init_hook(struct fuse_session *se, const struct mount_cfg *cfg)
{
	static const struct fuse_custom_io io = {
		.read = hook_read,
		.writev = hook_writev,
	};

	if (cfg->file_mode & (S_ISUID | S_ISGID))
		return 0;
	return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}
