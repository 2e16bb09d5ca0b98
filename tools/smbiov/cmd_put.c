/* SPDX-License-Identifier: MIT */
/*
 * smbiov put [-r] LOCAL URL — LOCAL "-" is stdin. When URL names the share
 * root or an existing directory, the file (or tree) goes inside it under
 * its own name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "localfile.h"
#include "resume.h"
#include "rtmp.h"
#include "xfer.h"

/*
 * A regular file up to this size goes in one round trip: CREATE, WRITE
 * and CLOSE as one compound (smbiov_write_file), instead of three.
 */
#define PUT_SMALL ((size_t)1 << 20)

/* Errors with which a CREATE refuses: then nothing was created. */
static bool create_refused(int err)
{
	static const int refused[] = {-EEXIST, -EACCES,	      -EPERM,
				      -ENOENT, -ENOTDIR,      -EISDIR,
				      -EROFS,  -ENAMETOOLONG, -EINVAL};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (err == refused[i])
			return true;
	return false;
}

/*
 * @len bytes to @rpath in one compound (CREATE + WRITE + CLOSE), without
 * ever leaving a mix of old and new: a new file is created exclusively (a
 * compound whose WRITE fails cuts no old file, and its new short file is
 * removed); over an existing file the bytes go to a temporary file
 * renamed over it (rtmp.h), two more round trips. -EISDIR for a directory.
 */
static ssize_t put_small_atomic(struct cli_conn *cc, const char *rpath,
				const void *buf, size_t len)
{
	struct smbiov_stat st;
	struct rtmp t = {.c = cc->c};
	ssize_t n;
	int ret;

	n = smbiov_write_file(cc->c, rpath, O_WRONLY | O_CREAT | O_EXCL, buf,
			      len);
	/*
	 * Failed past its CREATE (no space, a lost connection): the file is
	 * the one this call created, short; it goes. -EFBIG sent nothing.
	 */
	if (n < 0 && !create_refused((int)n) && n != -EFBIG)
		smbiov_unlink(cc->c, rpath);
	if (n != -EEXIST)
		return n;
	ret = smbiov_stat(cc->c, rpath, &st);
	if (ret || st.is_dir)
		return ret ? ret : -EISDIR;
	t.path = rtmp_name(rpath);
	if (!t.path)
		return -ENOMEM;
	n = smbiov_write_file(cc->c, t.path, O_WRONLY | O_CREAT | O_EXCL, buf,
			      len);
	if (n >= 0 && (size_t)n != len)
		n = -EIO;
	if (n >= 0 && (ret = smbiov_rename(cc->c, t.path, rpath, true)))
		n = ret;
	if (n < 0 && n != -EEXIST)
		rtmp_drop(&t); /* whatever the compound left */
	rtmp_release(&t);
	return n;
}

/*
 * The whole of a small regular file @fd in one call: 1 when done (or
 * failed: *@code says), 0 when this path does not apply (the file grew
 * past PUT_SMALL, the server takes smaller WRITEs): @fd is back at 0.
 */
static int put_small(const struct cli_opts *o, struct cli_conn *cc, int fd,
		     const char *lname, uint64_t size, const char *rpath,
		     bool *is_dir, int *code)
{
	struct progress p;
	char target[1200];
	uint8_t *buf;
	ssize_t n;

	if (size > PUT_SMALL)
		return 0;
	/*
	 * A buffer of the stat size and one byte more, which tells a file
	 * that is longer: one that grew, or one whose stat size means
	 * nothing (/proc says 0). Only then the rest, up to PUT_SMALL + 1:
	 * the general path trusts the stat size and would send none of it.
	 */
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	n = local_read_full(fd, buf, size + 1, NULL);
	if (n == (ssize_t)size + 1) {
		uint8_t *more = realloc(buf, PUT_SMALL + 1);
		ssize_t m;

		if (!more) {
			free(buf);
			return 0;
		}
		buf = more;
		m = local_read_full(fd, buf + n, PUT_SMALL + 1 - (size_t)n,
				    NULL);
		n = m < 0 ? m : n + m;
	}
	if (n < 0) {
		free(buf);
		*code = cli_report_local(lname, "read", (int)n);
		return 1;
	}
	if ((size_t)n <= PUT_SMALL && o->inplace)
		n = smbiov_write_file(cc->c, rpath,
				      O_WRONLY | O_CREAT | O_TRUNC, buf,
				      (size_t)n);
	else if ((size_t)n <= PUT_SMALL)
		n = put_small_atomic(cc, rpath, buf, (size_t)n);
	else
		n = -EFBIG;
	free(buf);
	if (n == -EFBIG) {
		if (lseek(fd, 0, SEEK_SET) == 0)
			return 0;
		*code = cli_report_local(lname, "seek", errno);
		return 1;
	}
	if (n == -EISDIR && is_dir) {
		*is_dir = true;
		return 1;
	}
	cli_target(cc, rpath, target, sizeof(target));
	if (n < 0) {
		*code = cli_report_ret(target, (int)n);
		return 1;
	}
	progress_begin(&p, o->progress, -1, cli_basename(rpath), size);
	progress_add(&p, (uint64_t)n);
	progress_end(&p);
	return 1;
}

/*
 * Why the kept upload g->r (just loaded) cannot go on from @now (the
 * source as it is), or NULL with t->f open on its temporary file.
 */
static const char *put_resume_check(struct resume_job *g,
				    const struct resume_rec *now,
				    const char *want, struct rtmp *t)
{
	const char *why = resume_source_differs(&g->r, now);
	struct smbiov_stat rst;

	if (why)
		return why;
	/* the record names the temporary file this upload's name gives */
	if (strcmp(g->r.temp, want))
		return "its resume record is damaged";
	if (smbiov_open(t->c, g->r.temp, O_WRONLY, &t->f))
		return "the partial upload is gone from the server";
	if (smbiov_fstat(t->f, &rst) || rst.is_dir ||
	    rst.file_id != g->r.temp_id || rst.size < g->r.done) {
		smbiov_close(t->f);
		t->f = NULL;
		return "the partial upload on the server was changed";
	}
	return NULL;
}

/*
 * put -C: open the temporary file a kept upload of @lname to @rpath left,
 * if its record matches the source (@before), to continue at g->start;
 * else a fresh one under the same fixed name, "DIR/.smbiov-<key>.part",
 * not delete-on-close so that it outlives a killed client. Returns 0 with
 * t->f and t->path set, 1 when no record can be kept (the caller uploads
 * the usual way), or a negative errno.
 */
static int put_resume_open(struct resume_job *g, const struct cli_conn *cc,
			   const char *lname, const struct stat *before,
			   const char *rpath, struct rtmp *t)
{
	const struct resume_rec now = {
		.size = (uint64_t)before->st_size,
		.mtime_ns = (int64_t)before->st_mtim.tv_sec * 1000000000 +
			    before->st_mtim.tv_nsec,
		.ctime_ns = (int64_t)before->st_ctim.tv_sec * 1000000000 +
			    before->st_ctim.tv_nsec,
		.id = (uint64_t)before->st_ino,
		.dev = (uint64_t)before->st_dev};
	const char *slash = strrchr(rpath, '/'), *why = NULL;
	int dirlen = slash ? (int)(slash - rpath) + 1 : 0;
	struct smbiov_stat rst;
	char *want = NULL;
	int ret;

	ret = resume_init(&g->r, "put", lname, cc->url.host, cc->url.share,
			  rpath);
	if (ret) {
		fprintf(stderr,
			"smbiov: %s: cannot keep a resume record (%s); "
			"uploading without -C\n",
			lname,
			ret == -ENOENT ? "no HOME or SMBIOV_STATE_DIR"
				       : smbiov_strerror(ret));
		resume_release(&g->r);
		return 1;
	}
	if (asprintf(&want, "%.*s.smbiov-%s.part", dirlen, rpath,
		     strrchr(g->r.path, '/') + 1) < 0) {
		resume_release(&g->r);
		return -ENOMEM;
	}
	ret = resume_load(&g->r);
	if (!ret)
		why = put_resume_check(g, &now, want, t);
	else if (ret == -EPROTO)
		why = "its resume record is damaged";
	if (!ret && !why) {
		t->path = want;
		g->start = g->r.done;
		g->on = true;
		resume_say_continue(lname, g->start, now.size);
		return 0;
	}
	if (why)
		resume_say_restart(lname, why);
	free(g->r.temp);
	g->r = (struct resume_rec){.local = g->r.local,
				   .remote = g->r.remote,
				   .path = g->r.path,
				   .temp = want,
				   .size = now.size,
				   .mtime_ns = now.mtime_ns,
				   .ctime_ns = now.ctime_ns,
				   .id = now.id,
				   .dev = now.dev};
	memcpy(g->r.kind, "put", 4);
	t->path = strdup(want);
	if (!t->path)
		return -ENOMEM;
	ret = smbiov_open(t->c, t->path, O_WRONLY | O_CREAT | O_TRUNC, &t->f);
	if (!ret && (ret = smbiov_fstat(t->f, &rst))) {
		smbiov_close(t->f);
		t->f = NULL;
	}
	if (ret)
		return ret;
	g->r.temp_id = rst.file_id;
	g->on = true;
	resume_save(&g->r);
	return 0;
}

/*
 * A put -C that did not finish keeps its temporary file and record for
 * the next put -C, unless the source changed (nothing to continue then).
 * True when the temporary file stays.
 */
static bool put_resume_end(struct resume_job *g, struct rtmp *t,
			   const char *lname, int code)
{
	bool keep = g->on && code && code != CLI_EXIT_CHANGED;

	if (keep) {
		rtmp_release(t);
		fprintf(stderr,
			"smbiov: %s: the partial upload is kept on the server "
			"(%llu of %llu bytes); put -C continues it\n",
			lname, (unsigned long long)g->r.done,
			(unsigned long long)g->r.size);
	} else if (g->on) {
		resume_drop(&g->r);
	}
	resume_release(&g->r);
	return keep;
}

/*
 * Move @fd's contents into the open remote file @f (named @rpath for
 * further connections); @size as put_fd. Returns 0 or an exit code after
 * one line; *@sent: the bytes sent.
 */
static int put_data(const struct cli_opts *o, struct cli_conn *cc, int fd,
		    const char *lname, uint64_t size, struct smbiov_file *f,
		    const char *rpath, const char *target, struct rtmp *t,
		    struct resume_job *g, uint64_t *sent)
{
	struct xfer_end src, dst;
	struct progress p;
	int code = 0;

	src = (struct xfer_end){.fd = fd, .target = lname};
	dst = (struct xfer_end){
		.f = f,
		.c = cc->c,
		.target = target,
		.offset = g->start,
		.cc = cc,
		.rpath = rpath,
		.size = size,
		/*
		 * a kept upload must survive its client, a
		 * reconnecting one its connection (rtmp.h)
		 */
		.opened = t && !g->on && !cli_reconnects(o) ? rtmp_mark : NULL,
		.opened_arg = t,
		.prefix = g->on ? resume_checkpoint : NULL,
		.prefix_arg = g};
	/* the destination's name, not the temporary one's */
	progress_begin(&p, o->progress, -1, cli_basename(target), size);
	if (g->start && lseek(fd, (off_t)g->start, SEEK_SET) < 0)
		code = cli_report_local(lname, "seek", errno);
	progress_add(&p, g->start);
	if (!code)
		code = xfer_copy(&src, &dst, &p);
	progress_end(&p);
	*sent = p.done;
	return code;
}

/*
 * The upload is in the temporary file: check it (the source did not
 * change, the server holds exactly the bytes sent) and rename it over
 * @rpath (rtmp_commit). Returns 0 or an exit code after one line.
 */
static int put_commit(int fd, const char *lname, const struct stat *before,
		      uint64_t sent, struct rtmp *t, const char *rpath,
		      const char *target)
{
	int ret;

	if (local_source_changed(fd, before, sent)) {
		fprintf(stderr,
			"smbiov: %s: the file changed during the transfer "
			"(%s left as it was)\n",
			lname, target);
		return CLI_EXIT_CHANGED;
	}
	ret = rtmp_commit(t, sent, rpath);
	return ret ? cli_report_ret(target, ret) : 0;
}

/*
 * Put @fd's contents at @rpath (@size: a regular file's size, 0 when not
 * known). With @is_dir non-NULL an existing directory at @rpath is not an
 * error here: *@is_dir is set and nothing is printed (the caller puts the
 * file inside it instead).
 *
 * Atomic by default: the data goes to a temporary file beside @rpath,
 * marked delete-on-close once every connection of the transfer has it
 * open (a killed client or a dropped connection leaves nothing behind),
 * and is renamed over @rpath only when the source did not change and the
 * server holds exactly the bytes sent: the remote file is the old one or
 * the whole new one. A small file (put_small) is one compound message,
 * which the server takes whole or not at all. --inplace writes @rpath
 * itself as the data arrives.
 */
static int put_fd(const struct cli_opts *o, struct cli_conn *cc, int fd,
		  const char *lname, bool regular, uint64_t size,
		  const char *rpath, bool *is_dir)
{
	struct rtmp t = {.c = cc->c};
	struct resume_job g = {0};
	struct smbiov_stat rst;
	struct stat before;
	char target[1200];
	uint64_t sent;
	int ret, code = 0;

	if (regular && put_small(o, cc, fd, lname, size, rpath, is_dir, &code))
		return code;
	if (fstat(fd, &before))
		memset(&before, 0, sizeof(before));
	cli_target(cc, rpath, target, sizeof(target));
	if (o->inplace) {
		/* A directory cannot be opened as a file: -EISDIR. */
		ret = smbiov_open(cc->c, rpath, O_WRONLY | O_CREAT | O_TRUNC,
				  &t.f);
	} else {
		ret = smbiov_stat(cc->c, rpath, &rst);
		if (!ret && rst.is_dir)
			ret = -EISDIR;
		else if (ret == -ENOENT)
			ret = 0;
		if (!ret && o->resume && regular)
			ret = put_resume_open(&g, cc, lname, &before, rpath,
					      &t);
		else if (!ret)
			ret = 1;
		if (ret == 1)
			ret = rtmp_open(&t, cc->c, rpath);
	}
	if (ret == -EISDIR && is_dir) {
		*is_dir = true;
		rtmp_release(&t);
		return 0;
	}
	if (ret) {
		rtmp_release(&t);
		resume_release(&g.r);
		return cli_report_ret(target, ret);
	}
	code = put_data(o, cc, fd, lname, size, t.f, t.path ? t.path : rpath,
			target, t.path ? &t : NULL, &g, &sent);
	if (o->inplace) {
		ret = smbiov_close(t.f);
		if (ret && !code)
			code = cli_report_ret(target, ret);
		return code;
	}
	if (!code)
		code = put_commit(fd, lname, &before, sent, &t, rpath, target);
	if (!put_resume_end(&g, &t, lname, code) && code)
		rtmp_drop(&t);
	rtmp_release(&t);
	return code;
}

static int put_file(const struct cli_opts *o, struct cli_conn *cc,
		    const char *lpath, const char *rpath, bool *is_dir)
{
	struct stat st;
	int fd, code;

	fd = open(lpath, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cli_report_local(lpath, "cannot read", errno);
	if (fstat(fd, &st))
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode))
		st.st_size = 0;
	code = put_fd(o, cc, fd, lpath, S_ISREG(st.st_mode),
		      (uint64_t)st.st_size, rpath, is_dir);
	close(fd);
	return code;
}

static int remote_mkdir(struct cli_conn *cc, const char *rdir)
{
	struct smbiov_stat st;
	char target[1200];
	int ret = smbiov_mkdir(cc->c, rdir);

	if (ret == -EEXIST && !smbiov_stat(cc->c, rdir, &st) && st.is_dir)
		return 0;
	if (ret)
		return cli_report_ret(
			cli_target(cc, rdir, target, sizeof(target)), ret);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in @dir (without . and ..), sorted; *@names is malloc'd. */
static int local_names(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		char **nn;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = realloc(*names, cap * sizeof(*nn));
			if (!nn)
				goto nomem;
			*names = nn;
		}
		(*names)[*n] = strdup(de->d_name);
		if (!(*names)[*n])
			goto nomem;
		(*n)++;
	}
	if (errno) {
		int err = -errno;

		closedir(d);
		return err;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
nomem:
	closedir(d);
	return -ENOMEM;
}

/* The directories from the top of a put -r down to the current one. */
struct dir_chain {
	dev_t dev;
	ino_t ino;
	const struct dir_chain *up;
};

static bool on_chain(const struct dir_chain *c, const struct stat *st)
{
	for (; c; c = c->up)
		if (c->dev == st->st_dev && c->ino == st->st_ino)
			return true;
	return false;
}

/*
 * Copy the local tree @ldir to @rdir, entry by entry, accounting each in
 * @t (cli_tree_note); true when the walk must stop. @up: the directories
 * above, so that a link followed with -L back into them is not a loop.
 */
static bool put_tree(const struct cli_opts *o, struct cli_conn *cc,
		     const char *ldir, const char *rdir, struct cli_tree *t,
		     const struct dir_chain *up)
{
	struct dir_chain here = {.up = up};
	struct stat dst;
	char **names;
	size_t n, i;
	bool stop = false;
	int ret, code;

	if (!stat(ldir, &dst)) {
		here.dev = dst.st_dev;
		here.ino = dst.st_ino;
	}
	code = remote_mkdir(cc, rdir);
	if (code)
		return cli_tree_note(t, o, code);
	ret = local_names(ldir, &names, &n);
	if (ret)
		return cli_tree_note(
			t, o,
			ret == -ENOMEM
				? cli_report_ret(NULL, ret)
				: cli_report_local(
					  ldir, "cannot read directory", ret));
	for (i = 0; i < n && !stop; i++) {
		char *lp = cli_join(ldir, names[i]);
		char *rp = cli_join(rdir, names[i]);
		struct stat st;

		if (!lp || !rp)
			stop = cli_tree_note(t, o,
					     cli_report_ret(NULL, -ENOMEM));
		/* -L: a link is what it names (a dangling one fails) */
		else if (o->deref ? stat(lp, &st) : lstat(lp, &st))
			stop = cli_tree_note(
				t, o,
				cli_report_local(lp, "cannot read", errno));
		else if (S_ISDIR(st.st_mode) && on_chain(&here, &st))
			fprintf(stderr,
				"smbiov: warning: %s: skipped (a link to a "
				"directory above it: a loop)\n",
				lp);
		else if (S_ISDIR(st.st_mode))
			stop = put_tree(o, cc, lp, rp, t, &here);
		else if (S_ISREG(st.st_mode))
			stop = cli_tree_note(t, o,
					     put_file(o, cc, lp, rp, NULL));
		/*
		 * rsync's rule: a link inside a tree is not followed (it
		 * may point anywhere, /etc/passwd included), whatever it
		 * names, unless -L says so; one line says so.
		 */
		else if (S_ISLNK(st.st_mode))
			fprintf(stderr,
				"smbiov: warning: %s: skipped (a symbolic "
				"link: put -r follows links only with -L)\n",
				lp);
		else
			fprintf(stderr,
				"smbiov: warning: %s: skipped (not a regular "
				"file or directory)\n",
				lp);
		free(lp);
		free(rp);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return stop;
}

static int put_tree_top(const struct cli_opts *o, struct cli_conn *cc,
			const char *ldir, const char *rdir)
{
	struct cli_tree t = {0};

	put_tree(o, cc, ldir, rdir, &t, NULL);
	return cli_tree_end(&t, "put -r");
}

/* The local name without trailing '/'s ("dir/" -> "dir"); malloc'd. */
static char *local_base(const char *lpath)
{
	size_t n = strlen(lpath);
	char *s;

	while (n > 1 && lpath[n - 1] == '/')
		n--;
	s = strndup(lpath, n);
	if (!s)
		return NULL;
	memmove(s, cli_basename(s), strlen(cli_basename(s)) + 1);
	return s;
}

/*
 * The remote name is tried as a file first: when it names an existing
 * directory the open says so (-EISDIR) and the file goes inside it, so a
 * put to a file name costs no stat round trip. A tree (-r) still asks.
 */
int cmd_put(const struct cli_opts *o, int argc, char **argv)
{
	const char *lpath = argv[0];
	struct cli_conn cc;
	struct smbiov_stat rst;
	struct stat st;
	char target[1200], *rpath = NULL, *base = NULL;
	bool root, is_dir = false;
	int code;

	(void)argc;
	if (o->resume && o->inplace) {
		fprintf(stderr, "smbiov: put: -C and --inplace exclude each "
				"other (-C continues a temporary file)\n");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(lpath, "-") && stat(lpath, &st))
		return cli_report_local(lpath, "cannot read", errno);
	code = cli_connect(o, argv[1], &cc);
	if (code)
		return code;
	cli_target(&cc, cc.url.path, target, sizeof(target));
	root = !cc.url.path[0];
	if (!strcmp(lpath, "-")) {
		if (!root)
			code = put_fd(o, &cc, STDIN_FILENO, "stdin", false, 0,
				      cc.url.path, &is_dir);
		if (root || is_dir) {
			fprintf(stderr,
				"smbiov: %s: is a directory (put - needs a "
				"file name)\n",
				target);
			code = CLI_EXIT_USAGE;
		}
		goto out;
	}
	if (S_ISDIR(st.st_mode) && !o->recursive) {
		fprintf(stderr, "smbiov: %s: is a directory (use put -r)\n",
			lpath);
		code = CLI_EXIT_USAGE;
		goto out;
	}
	/*
	 * A URL ending in '/' names a directory, as for cp: it must exist
	 * (else no file named like it is created), and the file goes inside.
	 */
	if (!root && argv[1][0] && argv[1][strlen(argv[1]) - 1] == '/') {
		int ret = smbiov_stat(cc.c, cc.url.path, &rst);

		if (!ret && !rst.is_dir)
			ret = -ENOTDIR;
		if (ret) {
			code = cli_report_ret(target, ret);
			goto out;
		}
		is_dir = true;
	} else if (S_ISDIR(st.st_mode)) {
		is_dir = root ||
			 (!smbiov_stat(cc.c, cc.url.path, &rst) && rst.is_dir);
	} else if (root) {
		is_dir = true;
	} else {
		code = put_file(o, &cc, lpath, cc.url.path, &is_dir);
	}
	if (code || (!is_dir && !S_ISDIR(st.st_mode)))
		goto out;
	base = local_base(lpath);
	rpath = !base	 ? NULL
		: is_dir ? cli_join(cc.url.path, base)
			 : strdup(cc.url.path);
	if (!rpath)
		code = cli_report_ret(NULL, -ENOMEM);
	else if (S_ISDIR(st.st_mode))
		code = put_tree_top(o, &cc, lpath, rpath);
	else
		code = put_file(o, &cc, lpath, rpath, NULL);
out:
	free(base);
	free(rpath);
	cli_disconnect(&cc);
	return code;
}
