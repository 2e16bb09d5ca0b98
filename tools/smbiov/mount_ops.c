/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: names and attributes (FUSE low-level requests;
 * directories' listings: mount_dir.c). Every request runs on one of the session
 * loop's threads and calls the client directly (a client is thread-safe);
 * replies are sent from the same thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <linux/limits.h>
#include <sys/statvfs.h>

#include "mount_fs.h"

#define ATTR_READONLY 0x1u /* MS-FSCC FILE_ATTRIBUTE_READONLY */

struct mount_ctx *mount_ctx_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

struct mnode *mount_node_of(struct mount_ctx *m, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &m->t.root
				   : (struct mnode *)(uintptr_t)ino;
}

static fuse_ino_t ino_of(struct mount_ctx *m, struct mnode *n)
{
	return n == &m->t.root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

int mount_err(int ret)
{
	/*
	 * The connection lost and not back within reconnect= (a later
	 * call tries again): EIO, as the issue and cifs' soft mounts say;
	 * ENOTCONN would read as "the mount itself is gone".
	 */
	if (ret == -ENOTCONN || ret == -ECONNRESET || ret == -ETIMEDOUT ||
	    ret == -EPIPE || ret == -ECONNABORTED)
		return EIO;
	return ret < 0 && ret > -4096 ? -ret : EIO;
}

/* 0 for 0, else mount_err(@ret). */
static int mount_err_or_0(int ret)
{
	return ret ? mount_err(ret) : 0;
}

/*
 * A name the share could take for another one: '\' separates paths on
 * the wire, so "a\b" would name b in a. cifs maps such characters
 * (mapchars); until the mount does, they are refused.
 */
bool mount_name_ok(const char *name)
{
	return !strchr(name, '\\');
}

/*
 * A file with several names is several FUSE nodes (a node is a name):
 * the kernel would keep each one's attributes apart, so a write through
 * one name would not show in a stat of another for actimeo. Their
 * attributes are not kept at all.
 */
double mount_attr_timeout(const struct mount_ctx *m,
			  const struct smbiov_stat *s)
{
	if (s->is_dir)
		return m->cfg->attr_timeout_dir;
	return s->nlink > 1 ? 0 : m->cfg->attr_timeout_file;
}

static void to_stat(const struct mount_ctx *m, const struct mnode *n,
		    const struct smbiov_stat *s, struct stat *st)
{
	const struct mount_cfg *cfg = m->cfg;

	memset(st, 0, sizeof(*st));
	st->st_ino = !cfg->noserverino && s->file_id ? s->file_id : n->id;
	if (s->is_dir) {
		st->st_mode = S_IFDIR | cfg->dir_mode;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | cfg->file_mode;
		/* as cifs without unix extensions: read-only drops w bits */
		if (s->attributes & ATTR_READONLY)
			st->st_mode &= ~(mode_t)0222;
		/* 0: a listing, which does not carry it */
		st->st_nlink = s->nlink ? s->nlink : 1;
	}
	st->st_uid = cfg->uid;
	st->st_gid = cfg->gid;
	st->st_size = (off_t)s->size;
	st->st_blocks = (blkcnt_t)((s->alloc_size + 511) / 512);
	/*
	 * The I/O size programs read and write in (cp, dd-less tools): with
	 * FOPEN_DIRECT_IO the kernel reads nothing ahead, so every call is
	 * one FUSE round trip; at 4 KiB cp used 128 KiB calls and ran at a
	 * third of 1 MiB ones (bench/RESULTS.md, mount). cifs says 1 MiB
	 * too.
	 */
	st->st_blksize = 1 << 20;
	st->st_atim.tv_sec = s->atime_ns / 1000000000;
	st->st_atim.tv_nsec = s->atime_ns % 1000000000;
	st->st_mtim.tv_sec = s->mtime_ns / 1000000000;
	st->st_mtim.tv_nsec = s->mtime_ns % 1000000000;
	st->st_ctim.tv_sec = s->ctime_ns / 1000000000;
	st->st_ctim.tv_nsec = s->ctime_ns % 1000000000;
}

/*
 * mfsymlinks: the target of the link file @n (or its child @name), in
 * @target; its length, or negative when it is no such link (or cannot be
 * read). Read through an open file of the node when there is one (its
 * cache), else in one round trip by name.
 */
static int link_read(struct mount_ctx *m, struct mnode *n, const char *name,
		     char target[MFSYM_MAX + 1])
{
	struct mfile *mf = name ? NULL : mtable_file_any(&m->t, n, false);
	char buf[MFSYM_SIZE];
	struct smbiov_iter it;
	char *path;
	ssize_t got;

	if (mf) {
		got = smbiov_pread(mf->f, buf, sizeof(buf), 0);
		mtable_file_put(&m->t, mf);
	} else {
		got = mtable_path(&m->t, n, name, &path);
		if (got)
			return (int)got;
		smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf));
		got = smbiov_read_file(m->c, path, &it, NULL);
		free(path);
	}
	return got < 0 ? (int)got : mfsym_parse(buf, (size_t)got, target);
}

void mount_to_stat(struct mount_ctx *m, struct mnode *n, const char *name,
		   const struct smbiov_stat *s, struct stat *st)
{
	char target[MFSYM_MAX + 1];
	int len;

	to_stat(m, n, s, st);
	/* cifs looks at files of exactly this size only, and so does this */
	if (!m->cfg->mfsymlinks || s->is_dir || s->size != MFSYM_SIZE)
		return;
	len = link_read(m, n, name, target);
	if (len < 0)
		return;
	st->st_mode = S_IFLNK | 0777;
	st->st_size = len;
}

/*
 * An open file of the node answers from its handle: the file layer
 * writes back what it holds first, so the size includes data not yet on
 * the server, and an unlinked file still open has its attributes.
 */
int mount_node_stat(struct mount_ctx *m, struct mnode *n, struct smbiov_stat *s)
{
	struct mfile *mf = mtable_file_any(&m->t, n, false);
	char *path;
	int ret;

	if (mf) {
		ret = smbiov_fstat(mf->f, s);
		mtable_file_put(&m->t, mf);
		return ret;
	}
	ret = mtable_path(&m->t, n, NULL, &path);
	if (ret)
		return ret;
	ret = smbiov_stat(m->c, path, s);
	free(path);
	return ret;
}

/*
 * mount_node_stat() for a request of the kernel's: a directory's
 * attributes kept less than acdirmax ago answer without a round trip
 * (the kernel asks again after every readdir only to refresh the access
 * time it dropped; any change this mount makes drops them first), and
 * a directory's answer is kept.
 */
static int node_stat_kept(struct mount_ctx *m, struct mnode *n,
			  struct smbiov_stat *s)
{
	uint64_t at = mount_mono_ns(), seq;
	int ret;

	if (mtable_attr_get(&m->t, n, s, at, mount_dir_ttl(m)))
		return 0;
	seq = mtable_meta_seq(&m->t);
	ret = mount_node_stat(m, n, s);
	if (!ret)
		mtable_attr_keep(&m->t, n, s, at, seq);
	return ret;
}

void mount_fill_entry(struct mount_ctx *m, struct mnode *n,
		      const struct smbiov_stat *s, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino_of(m, n);
	/* node addresses are reused: the generation tells them apart */
	e->generation = n->id;
	mount_to_stat(m, n, NULL, s, &e->attr);
	e->attr_timeout = mount_attr_timeout(m, s);
	e->entry_timeout = e->attr_timeout;
}

int mount_reply_entry(fuse_req_t req, struct mount_ctx *m, struct mnode *n,
		      const struct smbiov_stat *s, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;

	mount_fill_entry(m, n, s, &e);
	if (fi)
		return fuse_reply_create(req, &e, fi);
	/* the kernel did not take it (interrupted): it holds no lookup */
	if (fuse_reply_entry(req, &e)) {
		mtable_forget(&m->t, n, 1);
		return -1;
	}
	return 0;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct mount_ctx *m = userdata;
	unsigned want = FUSE_CAP_ASYNC_READ | FUSE_CAP_ATOMIC_O_TRUNC |
			FUSE_CAP_ASYNC_DIO | FUSE_CAP_PARALLEL_DIROPS |
			FUSE_CAP_READDIRPLUS;

	conn->want |= want & conn->capable;
	/*
	 * Writes reach the file layer as they are made (its write-back,
	 * its errors at fsync/close; docs/cli.md "Caching"): no kernel
	 * write-back cache; every listing with attributes; locks stay the
	 * kernel's own.
	 */
	conn->want &= ~(unsigned)(FUSE_CAP_WRITEBACK_CACHE |
				  FUSE_CAP_READDIRPLUS_AUTO |
				  FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	conn->max_write = MOUNT_MAX_IO;
	conn->max_read = m->cfg->max_read;
	/* readahead and async direct I/O: many READs in flight at once */
	conn->max_background = 64;
	conn->congestion_threshold = 48;
	conn->time_gran = 100; /* SMB times count 100 ns */
}

/*
 * No such name: a negative entry the kernel keeps acdirmax (a name of
 * the directory), so a stat of it again asks nobody (as cifs keeps its
 * negative dentries); another client's new name shows after that.
 */
static void reply_absent(fuse_req_t req, const struct mount_ctx *m)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.entry_timeout = m->cfg->attr_timeout_dir;
	fuse_reply_entry(req, &e);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *p = mount_node_of(m, parent), *n;
	struct smbiov_stat s;
	int ret;

	if (!mount_name_ok(name)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* untar looks up every name before it creates it: no round trip */
	if (mtable_names_absent(&m->t, p, name, mount_mono_ns(),
				mount_dir_ttl(m))) {
		reply_absent(req, m);
		return;
	}
	n = mtable_lookup(&m->t, p, name);
	if (!n) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ret = node_stat_kept(m, n, &s);
	if (ret) {
		mtable_forget(&m->t, n, 1);
		if (ret == -ENOENT)
			reply_absent(req, m);
		else
			fuse_reply_err(req, mount_err(ret));
		return;
	}
	mount_reply_entry(req, m, n, &s, NULL);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct mount_ctx *m = mount_ctx_of(req);

	mtable_forget(&m->t, mount_node_of(m, ino), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	struct mount_ctx *m = mount_ctx_of(req);

	for (size_t i = 0; i < count; i++)
		mtable_forget(&m->t, mount_node_of(m, forgets[i].ino),
			      forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *n = mount_node_of(m, ino);
	struct smbiov_stat s;
	struct stat st;
	int ret;

	if (mount_file_of(fi))
		ret = mount_file_stat(m, mount_file_of(fi), &s);
	else
		ret = node_stat_kept(m, n, &s);
	if (ret) {
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	mount_to_stat(m, n, NULL, &s, &st);
	fuse_reply_attr(req, &st, mount_attr_timeout(m, &s));
}

/* ---- changing names --------------------------------------------------- */

/*
 * A name being made by mkdir, symlink or link: the time and the change
 * count before the call (a new directory is known empty as of then:
 * mount_meta.c), and its attributes if the call gave them (@stated).
 */
struct made {
	uint64_t at, seq;
	bool stated;
	struct smbiov_stat st;
};

/*
 * Reply to mkdir, symlink or link with the new name @name in @p, made
 * on the server at @path (freed here) unless @ret says it failed.
 */
static void reply_made(fuse_req_t req, struct mount_ctx *m, struct mnode *p,
		       const char *name, char *path, int ret,
		       const struct made *mk)
{
	struct smbiov_stat s;
	struct mnode *n = NULL;

	if (!ret && mk->stated)
		s = mk->st;
	else if (!ret)
		ret = smbiov_stat(m->c, path, &s);
	free(path);
	if (!ret && !(n = mtable_lookup(&m->t, p, name)))
		ret = -ENOMEM;
	mtable_meta_end(&m->t, p, NULL);
	if (ret) {
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	if (s.is_dir) {
		/* untar looks up each name before it makes it: none asked */
		if (mount_dir_ttl(m))
			mtable_names_keep(&m->t, n, mnames_new(), mk->at,
					  mk->seq);
		mtable_attr_keep(&m->t, n, &s, mk->at, mk->seq);
	}
	mount_reply_entry(req, m, n, &s, NULL);
}

/*
 * Before a call that may make @name in @p: the directory's kept names
 * hold it from now on (mount_meta.c); reply_made() ends the change.
 */
static void make_begin(struct mount_ctx *m, struct mnode *p, const char *name,
		       struct made *mk)
{
	mk->at = mount_mono_ns();
	mk->seq = mtable_meta_seq(&m->t);
	mk->stated = false;
	mtable_meta_begin(&m->t, p, name);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *p = mount_node_of(m, parent);
	char *path = NULL;
	int ret;

	struct made mk;

	(void)mode; /* no unix extensions: the mount's dir_mode */
	if (!mount_name_ok(name)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	make_begin(m, p, name, &mk);
	ret = mtable_path(&m->t, p, name, &path);
	/* its attributes for the reply in the same round trip */
	if (!ret)
		ret = smbiov_mkdir_stat(m->c, path, &mk.st);
	mk.stated = !ret;
	reply_made(req, m, p, name, path, ret, &mk);
}

/*
 * symlink(2) with -o mfsymlinks: a new file of cifs' link format, made
 * and written in one round trip (O_EXCL: never over an existing name).
 * Without it EPERM, as symlink(2) says of a file system that has none.
 */
static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *p = mount_node_of(m, parent);
	char buf[MFSYM_SIZE];
	char *path = NULL;
	struct made mk;
	ssize_t n;
	int ret;

	if (!m->cfg->mfsymlinks || !mount_name_ok(name)) {
		fuse_reply_err(req, m->cfg->mfsymlinks ? EINVAL : EPERM);
		return;
	}
	make_begin(m, p, name, &mk);
	ret = mfsym_format(buf, link);
	if (!ret)
		ret = mtable_path(&m->t, p, name, &path);
	if (!ret) {
		n = smbiov_write_file(m->c, path, O_WRONLY | O_CREAT | O_EXCL,
				      buf, sizeof(buf));
		ret = n < 0 ? (int)n : 0;
	}
	reply_made(req, m, p, name, path, ret, &mk);
}

/*
 * link(2): SET_INFO FileLinkInformation. The new name is a node of its
 * own (a node is a name), with the server's file id as st_ino like the
 * first; mount_attr_timeout() keeps the kernel from holding attributes
 * of either apart.
 */
static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *np = mount_node_of(m, newparent);
	char *from = NULL, *to = NULL;
	struct made mk;
	int ret;

	if (!mount_name_ok(newname)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	make_begin(m, np, newname, &mk);
	ret = mtable_path(&m->t, mount_node_of(m, ino), NULL, &from);
	if (!ret)
		ret = mtable_path(&m->t, np, newname, &to);
	if (!ret)
		ret = smbiov_link(m->c, from, to);
	free(from);
	reply_made(req, m, np, newname, to, ret, &mk);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct mount_ctx *m = mount_ctx_of(req);
	char target[MFSYM_MAX + 1];
	int len = m->cfg->mfsymlinks
			  ? link_read(m, mount_node_of(m, ino), NULL, target)
			  : -EINVAL;

	if (len < 0)
		fuse_reply_err(req, mount_err(len));
	else
		fuse_reply_readlink(req, target);
}

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name,
			bool dir)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *p = mount_node_of(m, parent);
	char *path;
	int ret;

	mtable_meta_begin(&m->t, p, NULL);
	ret = mtable_path(&m->t, p, name, &path);
	if (!ret)
		ret = dir ? smbiov_rmdir(m->c, path)
			  : smbiov_unlink(m->c, path);
	free(path);
	if (!ret)
		mtable_unhash(&m->t, p, name);
	mtable_meta_end(&m->t, p, ret ? NULL : name);
	fuse_reply_err(req, ret ? mount_err(ret) : 0);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, true);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *p = mount_node_of(m, parent);
	struct mnode *np = mount_node_of(m, newparent);
	char *from = NULL, *to = NULL;
	int ret;

	/* RENAME_EXCHANGE and RENAME_WHITEOUT have no SMB counterpart */
	if (flags & ~(unsigned)RENAME_NOREPLACE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!mount_name_ok(newname)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/* the new name is in np's kept names from now on (mount_meta.c) */
	mtable_meta_begin(&m->t, p, NULL);
	mtable_meta_begin(&m->t, np, newname);
	ret = mtable_path(&m->t, p, name, &from);
	if (!ret)
		ret = mtable_path(&m->t, np, newname, &to);
	if (!ret)
		ret = smbiov_rename(m->c, from, to,
				    !(flags & RENAME_NOREPLACE));
	free(from);
	free(to);
	if (!ret)
		ret = mtable_rename(&m->t, p, name, np, newname);
	mtable_meta_end(&m->t, np, NULL);
	/* the old name is gone, unless it is the new one (as the server
	 * compares them: a rename to itself, or of the case only) */
	mtable_meta_end(&m->t, p,
			ret || (p == np && !strcasecmp(name, newname)) ? NULL
								       : name);
	fuse_reply_err(req, ret ? mount_err(ret) : 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct smbiov_statvfs sv;
	struct statvfs st;
	int ret;

	(void)ino;
	ret = smbiov_statvfs(m->c, &sv);
	if (ret) {
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	memset(&st, 0, sizeof(st));
	st.f_bsize = sv.block_size;
	st.f_frsize = sv.block_size;
	st.f_blocks = sv.blocks;
	st.f_bfree = sv.blocks_free;
	st.f_bavail = sv.blocks_free;
	st.f_namemax = 255;
	fuse_reply_statfs(req, &st);
}

/* ---- extended attributes ---------------------------------------------
 * user.NAME is the SMB extended attribute NAME, as cifs maps it; the
 * other namespaces (security., trusted., system.) have no SMB
 * counterpart and are EOPNOTSUPP at once, without a round trip: the
 * kernel asks for security.capability before writes.
 */
#define XATTR_USER     "user."
#define XATTR_USER_LEN 5
#define XATTR_SECURITY "security."

/*
 * The EA of the Linux xattr @name (user.NAME) of node @ino in *@ea, and
 * the node's path in *@path (freed by the caller). 0, or the positive
 * errno to reply (EOPNOTSUPP for another namespace).
 */
static int ea_target(struct mount_ctx *m, fuse_ino_t ino, const char *name,
		     const char **ea, char **path)
{
	*path = NULL;
	if (strncmp(name, XATTR_USER, XATTR_USER_LEN))
		return EOPNOTSUPP;
	*ea = name + XATTR_USER_LEN;
	return mount_err_or_0(
		mtable_path(&m->t, mount_node_of(m, ino), NULL, path));
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	struct mount_ctx *m = mount_ctx_of(req);
	char *path, *buf = NULL;
	const char *ea;
	ssize_t got;
	int err;

	if (!strncmp(name, XATTR_SECURITY, sizeof(XATTR_SECURITY) - 1))
		m->xattr_security++;
	err = ea_target(m, ino, name, &ea, &path);
	if (!err && size && !(buf = malloc(size)))
		err = ENOMEM;
	if (!err) {
		got = smbiov_getxattr(m->c, path, ea, buf, size);
		err = got < 0 ? mount_err((int)got) : 0;
	}
	if (err)
		fuse_reply_err(req, err);
	else if (!size)
		fuse_reply_xattr(req, (size_t)got);
	else
		fuse_reply_buf(req, buf, (size_t)got);
	free(buf);
	free(path);
}

/*
 * The EA names as Linux lists them, each "user." NAME NUL, in one round
 * trip: a list over XATTR_LIST_MAX (64 KiB) is E2BIG, as listxattr(2)
 * says.
 */
static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct mount_ctx *m = mount_ctx_of(req);
	char *path = NULL, *eas = NULL, *out = NULL;
	size_t need = 0, at = 0;
	ssize_t got;

	got = mtable_path(&m->t, mount_node_of(m, ino), NULL, &path);
	if (!got && !(eas = malloc(XATTR_LIST_MAX)))
		got = -ENOMEM;
	if (!got)
		got = smbiov_listxattr(m->c, path, eas, XATTR_LIST_MAX);
	for (ssize_t i = 0; got > 0 && i < got; i += strlen(eas + i) + 1)
		need += XATTR_USER_LEN + strlen(eas + i) + 1;
	if (got == -ERANGE || need > XATTR_LIST_MAX)
		got = -E2BIG;
	else if (got >= 0 && size && need > size)
		got = -ERANGE;
	if (got > 0 && size && !(out = malloc(need)))
		got = -ENOMEM;
	for (ssize_t i = 0; got > 0 && out && i < got; i += strlen(eas + i) + 1)
		at += (size_t)sprintf(out + at, "%s%s", XATTR_USER, eas + i) +
		      1;
	if (got < 0)
		fuse_reply_err(req, mount_err((int)got));
	else if (!size)
		fuse_reply_xattr(req, need);
	else
		fuse_reply_buf(req, out, need);
	free(out);
	free(eas);
	free(path);
}

/* Linux's XATTR_CREATE and XATTR_REPLACE are the library's values. */
static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	struct mount_ctx *m = mount_ctx_of(req);
	const char *ea;
	char *path;
	int err = ea_target(m, ino, name, &ea, &path);

	mtable_meta_begin(&m->t, mount_node_of(m, ino), NULL);
	if (!err)
		err = mount_err_or_0(
			smbiov_setxattr(m->c, path, ea, value, size, flags));
	mtable_meta_end(&m->t, mount_node_of(m, ino), NULL);
	free(path);
	fuse_reply_err(req, err);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct mount_ctx *m = mount_ctx_of(req);
	const char *ea;
	char *path;
	int err = ea_target(m, ino, name, &ea, &path);

	mtable_meta_begin(&m->t, mount_node_of(m, ino), NULL);
	if (!err)
		err = mount_err_or_0(smbiov_removexattr(m->c, path, ea));
	mtable_meta_end(&m->t, mount_node_of(m, ino), NULL);
	free(path);
	fuse_reply_err(req, err);
}

/*
 * A change of node @ino, or in it (@made: a name it may make), by a call
 * of mount_io.c's that replies itself (mount_meta.c: the change ends
 * after the reply). The node is held meanwhile: the kernel may forget
 * it as soon as it has the reply. (@m: taken before the reply, after
 * which @req is gone.)
 */
static struct mnode *change_begin(struct mount_ctx *m, fuse_ino_t ino,
				  const char *made)
{
	struct mnode *n = mount_node_of(m, ino);

	mtable_hold(&m->t, n);
	mtable_meta_begin(&m->t, n, made);
	return n;
}

static void change_end(struct mount_ctx *m, struct mnode *n)
{
	mtable_meta_end(&m->t, n, NULL);
	mtable_forget(&m->t, n, 1);
}

/* The directory's kept names hold @name before the CREATE goes out. */
static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *p = change_begin(m, parent, name);

	mount_op_create(req, parent, name, mode, fi);
	change_end(m, p);
}

/* A directory's kept attributes go with its setattr. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mnode *n = change_begin(m, ino, NULL);

	mount_op_setattr(req, ino, attr, to_set, fi);
	change_end(m, n);
}

const struct fuse_lowlevel_ops mount_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.opendir = mount_op_opendir,
	.readdir = mount_op_readdir,
	.readdirplus = mount_op_readdirplus,
	.releasedir = mount_op_releasedir,
	.fsyncdir = mount_op_fsyncdir,
	.mkdir = op_mkdir,
	.symlink = op_symlink,
	.readlink = op_readlink,
	.link = op_link,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.rename = op_rename,
	.statfs = op_statfs,
	.open = mount_op_open,
	.create = op_create,
	.read = mount_op_read,
	.write = mount_op_write,
	.flush = mount_op_flush,
	.release = mount_op_release,
	.fsync = mount_op_fsync,
	.fallocate = mount_op_fallocate,
	.lseek = mount_op_lseek,
	.copy_file_range = mount_op_copy_file_range,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
};
