/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: directories. opendir keeps a handle; the first readdir
 * lists the whole directory (names and attributes, streamed from the
 * server in batches) and later ones serve that listing by offset, so
 * seekdir/telldir are exact; a readdir at offset 0 after that
 * (rewinddir) lists again.
 *
 * Listings read ahead: a walk (find, du, ls -R, a backup) opens every
 * subdirectory of each directory it reads, one after another, and each
 * listing is a round trip that nothing overlaps. So when a listing is
 * served to readdirplus, the listings of its subdirectories (up to
 * dirahead= of them) are asked on a few worker threads, and a
 * subdirectory's first readdir takes its listing from there, or waits
 * for the one being read. What such a listing promises is what the
 * directory's names already do (mount_meta.c): it is used only for
 * acdirmax from when it was asked, and not after a change of this mount
 * in or of the directory.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mount_fs.h"

struct mdir {
	unsigned magic; /* MDIR_MAGIC: not an mfile */
	pthread_mutex_t lock;
	struct mnode *node;
	struct mlisting l;
	bool listed, served;
	unsigned ahead; /* subdirectories of this listing queued */
};

static int listing_push(struct mlisting *l, size_t *cap,
			const struct smbiov_dirent *de)
{
	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct mdent *ne = realloc(l->e, ncap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		l->e = ne;
		*cap = ncap;
	}
	l->e[l->n].name = strdup(de->name);
	if (!l->e[l->n].name)
		return -ENOMEM;
	l->e[l->n++].st = de->st;
	return 0;
}

/*
 * The whole listing of @node into @l (empty); its names are kept as the
 * directory's (mount_meta.c), so that a lookup of another name needs no
 * round trip.
 */
static int listing_read(struct mount_ctx *m, struct mnode *node,
			struct mlisting *l)
{
	struct smbiov_dirent *de = malloc(sizeof(*de));
	struct mnames *ns = mount_dir_ttl(m) ? mnames_new() : NULL;
	struct smbiov_dir *sd = NULL;
	size_t cap = 0;
	char *path = NULL;
	int ret;

	l->at = mount_mono_ns();
	l->seq = mtable_meta_seq(&m->t);
	ret = de ? mtable_path(&m->t, node, NULL, &path) : -ENOMEM;
	if (!ret)
		ret = smbiov_opendir(m->c, path, &sd);
	while (!ret && (ret = smbiov_readdir(sd, de)) == 1) {
		/* every name, even those the mount does not show */
		if (ns && mnames_add(ns, de->name)) {
			mnames_free(ns);
			ns = NULL;
		}
		/* a name the mount could not give back to the share */
		if (!mount_name_ok(de->name))
			continue;
		ret = listing_push(l, &cap, de);
	}
	if (sd)
		smbiov_closedir(sd);
	free(path);
	free(de);
	if (ret) {
		mnames_free(ns);
		mlisting_clear(l);
		return ret;
	}
	mtable_names_keep(&m->t, node, ns, l->at, l->seq);
	return 0;
}

/* @d's listing: one read ahead if it holds, else from the server. */
static int dir_list(struct mount_ctx *m, struct mdir *d)
{
	int ret = 0;

	mlisting_clear(&d->l);
	d->listed = d->served = false;
	d->ahead = 0;
	if (mtable_ahead_take(&m->t, d->node, mount_mono_ns(), mount_dir_ttl(m),
			      &d->l))
		atomic_fetch_add(&m->ahead_used, 1);
	else
		ret = listing_read(m, d->node, &d->l);
	d->listed = !ret;
	return ret;
}

static void *ahead_main(void *arg)
{
	struct mount_ctx *m = arg;
	struct mnode *n;

	while ((n = mtable_ahead_pop(&m->t))) {
		struct mlisting *l = calloc(1, sizeof(*l));

		if (l && listing_read(m, n, l)) {
			free(l);
			l = NULL;
		}
		if (l)
			atomic_fetch_add(&m->ahead_read, 1);
		mtable_ahead_done(&m->t, n, l);
	}
	return NULL;
}

void mount_ahead_start(struct mount_ctx *m)
{
	m->ahead_nth = 0;
	m->ahead_queued = m->ahead_read = m->ahead_used = 0;
	if (!m->cfg->dirahead || !mount_dir_ttl(m))
		return;
	mtable_ahead_start(&m->t);
	/* none started: the queue is stopped again, readdirs list alone */
	for (size_t i = 0; i < sizeof(m->ahead_th) / sizeof(m->ahead_th[0]);
	     i++) {
		if (pthread_create(&m->ahead_th[m->ahead_nth], NULL, ahead_main,
				   m))
			break;
		m->ahead_nth++;
	}
	if (!m->ahead_nth)
		mtable_ahead_stop(&m->t);
}

void mount_ahead_stop(struct mount_ctx *m)
{
	mtable_ahead_stop(&m->t);
	for (unsigned i = 0; i < m->ahead_nth; i++)
		pthread_join(m->ahead_th[i], NULL);
	m->ahead_nth = 0;
	mtable_ahead_drain(&m->t);
}

void mount_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mdir *d = calloc(1, sizeof(*d));

	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	d->magic = MDIR_MAGIC;
	pthread_mutex_init(&d->lock, NULL);
	d->node = mount_node_of(m, ino);
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi)) {
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
}

void mount_op_releasedir(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct mdir *d = (struct mdir *)(uintptr_t)fi->fh;

	(void)ino;
	mlisting_clear(&d->l);
	pthread_mutex_destroy(&d->lock);
	free(d);
	fuse_reply_err(req, 0);
}

/*
 * One readdirplus entry: the node is looked up (the kernel holds it
 * after this reply) only once the entry is known to fit. Attributes come
 * from the listing, or from an open file of the node (its size may not
 * be on the server yet). A subdirectory's listing is queued to be read
 * ahead. Returns the bytes used, 0 when it does not fit.
 */
static size_t add_plus(fuse_req_t req, struct mount_ctx *m, struct mdir *d,
		       size_t i, char *buf, size_t room)
{
	const char *name = i == 0 ? "." : i == 1 ? ".." : d->l.e[i - 2].name;
	size_t need = fuse_add_direntry_plus(req, NULL, 0, name, NULL, 0);
	struct fuse_entry_param e;
	struct smbiov_stat s;
	struct mnode *n;
	struct mfile *mf;

	if (need > room)
		return 0;
	if (i < 2) {
		/* ino 0: the kernel links nothing for . and .. */
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = d->node->id;
		e.attr.st_mode = S_IFDIR;
		return fuse_add_direntry_plus(req, buf, room, name, &e,
					      (off_t)i + 1);
	}
	n = mtable_lookup(&m->t, d->node, name);
	if (!n)
		return 0;
	s = d->l.e[i - 2].st;
	mf = mtable_file_any(&m->t, n, false);
	if (mf) {
		smbiov_fstat(mf->f, &s);
		mtable_file_put(&m->t, mf);
	}
	/* a directory's stat after find read it needs no round trip */
	mtable_attr_keep(&m->t, n, &s, d->l.at, d->l.seq);
	if (s.is_dir && d->ahead < m->cfg->dirahead &&
	    mtable_ahead_push(&m->t, n, mount_mono_ns(), mount_dir_ttl(m))) {
		d->ahead++;
		atomic_fetch_add(&m->ahead_queued, 1);
	}
	mount_fill_entry(m, n, &s, &e);
	return fuse_add_direntry_plus(req, buf, room, name, &e, (off_t)i + 1);
}

static size_t add_plain(fuse_req_t req, struct mount_ctx *m, struct mdir *d,
			size_t i, char *buf, size_t room)
{
	const char *name = i == 0 ? "." : i == 1 ? ".." : d->l.e[i - 2].name;
	struct stat st;
	size_t need;

	memset(&st, 0, sizeof(st));
	if (i < 2) {
		st.st_ino = d->node->id;
		st.st_mode = S_IFDIR;
	} else {
		mount_to_stat(m, d->node, name, &d->l.e[i - 2].st, &st);
	}
	need = fuse_add_direntry(req, buf, room, name, &st, (off_t)i + 1);
	return need > room ? 0 : need;
}

static void do_readdir(fuse_req_t req, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct mount_ctx *m = mount_ctx_of(req);
	struct mdir *d = (struct mdir *)(uintptr_t)fi->fh;
	size_t used = 0, i;
	char *buf;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (!d->listed || (off == 0 && d->served))
		ret = dir_list(m, d);
	buf = ret ? NULL : malloc(size);
	if (!ret && !buf)
		ret = -ENOMEM;
	if (ret) {
		pthread_mutex_unlock(&d->lock);
		fuse_reply_err(req, mount_err(ret));
		return;
	}
	for (i = off < 0 ? 0 : (size_t)off; i < d->l.n + 2; i++) {
		size_t got =
			plus ? add_plus(req, m, d, i, buf + used, size - used)
			     : add_plain(req, m, d, i, buf + used, size - used);
		if (!got)
			break;
		used += got;
	}
	d->served = true;
	pthread_mutex_unlock(&d->lock);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

void mount_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)ino;
	do_readdir(req, size, off, fi, false);
}

void mount_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	do_readdir(req, size, off, fi, true);
}

void mount_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
		       struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}
