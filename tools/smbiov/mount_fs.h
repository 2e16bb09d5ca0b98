/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: the FUSE file system (libfuse 3 low-level API) on the
 * public client API. mount_ops.c: names, attributes, directories;
 * mount_io.c: open files; mount.c: the command, the session, the daemon.
 */
#ifndef SMBIOV_CLI_MOUNT_FS_H
#define SMBIOV_CLI_MOUNT_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <stdint.h>
#include <time.h>

#include "mount.h"

struct mount_ctx {
	struct smbiov_client *c;
	const struct mount_cfg *cfg;
	struct mtable t;
	struct smbiov_open_opts oo; /* how files are opened */
	/* O_APPEND writes of this mount, one at a time (mount_io.c) */
	pthread_mutex_t append_lock;
	/*
	 * The session, for the kernel cache's invalidations (mount_io.c);
	 * NULL once the loop has ended. Notifications hold it shared, the
	 * session's end exclusive.
	 */
	struct fuse_session *se;
	pthread_rwlock_t se_lock;
	/* the mount's read-ahead in sysfs (mount_io_read_ahead()) */
	char ra_path[64];
	bool ra_set;
	/* O_DIRECT reads answered from their completion (mount_aread.c) */
	struct mount_areads *ar;
	/*
	 * The kernel's getxattr of a security. attribute (before writes,
	 * unless FUSE_HANDLE_KILLPRIV_V2 took: mount_init.c), for --stats.
	 */
	_Atomic unsigned long xattr_security;
	/* listings read ahead (mount_dir.c): their workers; for --stats */
	pthread_t ahead_th[4];
	unsigned ahead_nth;
	_Atomic unsigned long ahead_queued, ahead_read, ahead_used;
};

/* mount_io.c: the session the invalidations go to (NULL: none now). */
void mount_io_set_session(struct mount_ctx *m, struct fuse_session *se);

extern const struct fuse_lowlevel_ops mount_ops;

/*
 * mount_init.c: ask the kernel for FUSE_HANDLE_KILLPRIV_V2 in INIT,
 * which libfuse cannot (after fuse_session_mount(), before the loop).
 * 0, or libfuse's error (the mount works without it).
 */
int mount_init_hook(struct fuse_session *se, const struct mount_cfg *cfg);

/*
 * mount_aread.c: mount_aread() submits a read of an O_DIRECT open (no
 * kernel cache) and answers @req from its completion; false when it did
 * not: the caller reads synchronously and calls mount_aread_end() once
 * it has the result, before replying. mount_aread_stop(), after the
 * loop and before the session goes, waits for every one in flight.
 * Without mount_aread_start() (or when it failed) every read is
 * synchronous.
 */
int mount_aread_start(struct mount_ctx *m);
bool mount_aread(struct mount_ctx *m, fuse_req_t req, struct mfile *mf,
		 size_t size, off_t off);
void mount_aread_end(struct mount_ctx *m);
void mount_aread_stop(struct mount_ctx *m);

/* The open file of @fi, or NULL (none, or an open directory). */
/* This mount changes @n's bytes or size: first bytes read before go. */
static inline void mount_bytes_changed(struct mnode *n)
{
	__atomic_add_fetch(&n->bytes_gen, 1, __ATOMIC_SEQ_CST);
}

static inline struct mfile *mount_file_of(const struct fuse_file_info *fi)
{
	struct mfile *mf = fi ? (struct mfile *)(uintptr_t)fi->fh : NULL;

	return mf && mf->magic == MFILE_MAGIC ? mf : NULL;
}

/*
 * mount_dir.c: directories (opendir, readdir, readdirplus, releasedir,
 * fsyncdir) and their listings read ahead. mount_ahead_start() starts
 * the workers (none with dirahead=0 or acdirmax=0); mount_ahead_stop(),
 * after the loop, before the table goes, ends them and lets go of
 * every directory still queued.
 */
void mount_ahead_start(struct mount_ctx *m);
void mount_ahead_stop(struct mount_ctx *m);
void mount_op_opendir(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi);
void mount_op_releasedir(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi);
void mount_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi);
void mount_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			  off_t off, struct fuse_file_info *fi);
void mount_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
		       struct fuse_file_info *fi);

/* The clock of what the mount keeps (mount_meta.c): monotonic, in ns. */
static inline uint64_t mount_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* How long a directory's names and attributes hold: acdirmax, in ns. */
static inline uint64_t mount_dir_ttl(const struct mount_ctx *m)
{
	return (uint64_t)(m->cfg->attr_timeout_dir * 1e9);
}

/* mount_ops.c, for mount_io.c and mount_dir.c */
/*
 * A name the share could take for another one: '\' separates paths on
 * the wire, so "a\b" would name b in a (mount_ops.c).
 */
bool mount_name_ok(const char *name);
/* The entry of node @n with attributes @s, for a reply. */
void mount_fill_entry(struct mount_ctx *m, struct mnode *n,
		      const struct smbiov_stat *s, struct fuse_entry_param *e);
struct mount_ctx *mount_ctx_of(fuse_req_t req);
struct mnode *mount_node_of(struct mount_ctx *m, fuse_ino_t ino);
/* A library call's result as a FUSE error (a positive errno, never 0). */
int mount_err(int ret);
/*
 * The stat of node @n (or of its child @name: a listing's entry) from
 * @s; with mfsymlinks a link file shows as the link (read to know).
 */
void mount_to_stat(struct mount_ctx *m, struct mnode *n, const char *name,
		   const struct smbiov_stat *s, struct stat *st);
/* The node's attributes: from an open file of it when there is one. */
int mount_node_stat(struct mount_ctx *m, struct mnode *n,
		    struct smbiov_stat *s);
/* How long the kernel keeps @s (actimeo; 0 for a file of several names). */
double mount_attr_timeout(const struct mount_ctx *m,
			  const struct smbiov_stat *s);
/*
 * Reply to a lookup-like request with node @n (looked up once for this
 * reply), attributes @s, and for create the open file @fi. Non-zero when
 * the kernel did not take the reply: then, without @fi, the node's
 * lookup is dropped here; with @fi, the caller drops file and node.
 */
int mount_reply_entry(fuse_req_t req, struct mount_ctx *m, struct mnode *n,
		      const struct smbiov_stat *s, struct fuse_file_info *fi);

/* mount_io.c */
/* smbiov_fstat() of @mf once the writes replied to before were sent. */
int mount_file_stat(struct mount_ctx *m, struct mfile *mf,
		    struct smbiov_stat *s);
void mount_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mount_op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, struct fuse_file_info *fi);
void mount_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi);
void mount_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		    size_t size, off_t off, struct fuse_file_info *fi);
void mount_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mount_op_release(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi);
void mount_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		    struct fuse_file_info *fi);
void mount_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			off_t length, struct fuse_file_info *fi);
void mount_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		      int to_set, struct fuse_file_info *fi);
void mount_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		    struct fuse_file_info *fi);
void mount_op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			      struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			      off_t off_out, struct fuse_file_info *fi_out,
			      size_t len, int flags);

#endif
