/* SPDX-License-Identifier: MIT */
/*
 * smbiov get [-r] URL [LOCAL]  and  smbiov cat URL...
 * A regular-file destination is written under a temporary name and renamed
 * on success (localfile.h); stdout, pipes and devices are written directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "localfile.h"
#include "resume.h"
#include "xfer.h"

/*
 * The first read, sent with the open as one compound: a file up to this
 * size costs one round trip for open and data, plus the close.
 */
#define GET_FIRST ((size_t)1 << 20)

/*
 * Why the part file @lo cannot continue the download of @now (the remote
 * file as it is): NULL when it can, from g->r.done.
 */
static const char *get_resume_check(struct resume_job *g,
				    const struct resume_rec *now,
				    const struct local_out *lo,
				    const uint8_t *first, size_t n)
{
	const char *why = resume_source_differs(&g->r, now);
	uint8_t *have;
	ssize_t got;

	if (why)
		return why;
	if (strcmp(g->r.temp, lo->tmp) || g->r.temp_id != lo->part_ino)
		return "the partial file is not the one recorded";
	if (g->r.done > lo->kept)
		return "the partial file is shorter than recorded";
	/* The bytes that came with the open must be the ones kept. */
	have = malloc(n ? n : 1);
	if (!have)
		return "out of memory";
	got = local_read_full(lo->fd, have, n, &(off_t){0});
	why = got == (ssize_t)n && !memcmp(have, first, n)
		      ? NULL
		      : "its first bytes differ from the server's";
	free(have);
	return why;
}

/*
 * get -C: continue the part file @lo if its record matches the remote file
 * @f, else start it over; either way keep a record from now on. Without a
 * state directory there is no resume, and a failure removes the part file.
 */
static void get_resume_plan(struct resume_job *g, const struct cli_conn *cc,
			    const char *rpath, struct smbiov_file *f,
			    struct local_out *lo, const char *dest,
			    const uint8_t *first, size_t n)
{
	struct resume_rec now = {0};
	struct smbiov_stat rst;
	const char *why = NULL;
	bool had = lo->kept > 0;
	int ret;

	if (!lo->keep)
		return; /* not a part file of ours: nothing to continue */
	ret = resume_init(&g->r, "get", dest, cc->url.host, cc->url.share,
			  rpath);
	if (!ret)
		ret = smbiov_fstat(f, &rst);
	if (ret) {
		fprintf(stderr,
			"smbiov: %s: cannot keep a resume record (%s); a "
			"failed download will not be kept\n",
			dest,
			ret == -ENOENT ? "no HOME or SMBIOV_STATE_DIR"
				       : smbiov_strerror(ret));
		lo->keep = false;
		resume_release(&g->r);
		return;
	}
	now = (struct resume_rec){.size = rst.size,
				  .mtime_ns = rst.mtime_ns,
				  .ctime_ns = rst.ctime_ns,
				  .id = rst.file_id};
	ret = resume_load(&g->r);
	if (ret == -EPROTO)
		why = "its resume record is damaged";
	else if (ret)
		why = "nothing recorded";
	else
		why = get_resume_check(g, &now, lo, first, n);
	had = had || ret != -ENOENT;
	if (!why && g->r.done > n) {
		g->start = g->r.done;
		resume_say_continue(dest, g->start, now.size);
	} else {
		if (why && had)
			resume_say_restart(dest, why);
		if (ftruncate(lo->fd, 0))
			lo->keep = false;
		free(g->r.temp);
		g->r.temp = strdup(lo->tmp);
		g->r.size = now.size;
		g->r.mtime_ns = now.mtime_ns;
		g->r.ctime_ns = now.ctime_ns;
		g->r.id = now.id;
		g->r.dev = 0;
		g->r.temp_id = lo->part_ino;
		g->r.done = 0;
	}
	g->on = lo->keep && g->r.temp;
	if (!g->on)
		resume_release(&g->r);
}

/*
 * A get -C that did not finish: its part file and record stay for the next
 * get -C, unless the remote file changed (nothing to continue then).
 */
static void get_resume_end(struct resume_job *g, struct local_out *lo,
			   const char *dest, int code)
{
	if (!g->on)
		return;
	if (!code || code == CLI_EXIT_CHANGED) {
		resume_drop(&g->r);
		lo->keep = false;
	} else {
		fprintf(stderr,
			"smbiov: %s: the partial download is kept (%llu of "
			"%llu bytes); get -C continues it\n",
			dest, (unsigned long long)g->r.done,
			(unsigned long long)g->r.size);
	}
	resume_release(&g->r);
}

/*
 * The reads ended at @done, below @size (the size at open): ask the server
 * again. A file now no longer than @done was cut by someone while we read
 * it; one still longer means the server answered a READ below its end of
 * file with nothing (the library goes on after any shorter answer), which
 * is a malformed reply. Neither is a file. Returns the exit code.
 */
static int get_ended_early(struct smbiov_file *f, const char *target,
			   uint64_t done, uint64_t size)
{
	struct smbiov_stat st;

	if (!smbiov_fstat(f, &st) && st.size > done) {
		fprintf(stderr,
			"smbiov: %s: malformed reply: no data at offset %llu "
			"of a %llu-byte file\n",
			target, (unsigned long long)done,
			(unsigned long long)st.size);
		return CLI_EXIT_PROTO;
	}
	fprintf(stderr,
		"smbiov: %s: the file changed during the transfer: %llu of "
		"%llu bytes, then end of file\n",
		target, (unsigned long long)done, (unsigned long long)size);
	return CLI_EXIT_CHANGED;
}

/*
 * Get one file. With @is_dir non-NULL a directory is not an error here:
 * *@is_dir is set and nothing is printed (the caller says what to do).
 */
static int get_file(const struct cli_opts *o, struct cli_conn *cc,
		    const char *rpath, const char *dest, bool *is_dir)
{
	const char *shown = strcmp(dest, "-") ? dest : "stdout";
	struct smbiov_file *f;
	struct smbiov_iter it;
	struct local_out lo;
	struct progress p;
	struct xfer_end src, dst;
	struct resume_job g = {0};
	uint64_t size = 0, at;
	uint8_t *first;
	char target[1200];
	ssize_t n;
	int ret, code = 0;

	cli_target(cc, rpath, target, sizeof(target));
	first = malloc(GET_FIRST);
	if (!first)
		return cli_report_ret(NULL, -ENOMEM);
	smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, first, GET_FIRST);
	/* Open and the first bytes in one round trip; the size comes along. */
	n = smbiov_open_read(cc->c, rpath, O_RDONLY, &it, &size, &f);
	if (n < 0) {
		free(first);
		if (n == -EISDIR && is_dir) {
			*is_dir = true;
			return 0;
		}
		return cli_report_ret(target, (int)n);
	}
	ret = local_out_open_keep(dest, &lo, o->resume);
	lo.fsync = o->fsync;
	if (ret) {
		smbiov_close(f);
		free(first);
		return cli_report_local(dest, "cannot write", ret);
	}
	if (o->resume) {
		get_resume_plan(&g, cc, rpath, f, &lo, dest, first, (size_t)n);
	} else if (lo.stale && !resume_init(&g.r, "get", dest, cc->url.host,
					    cc->url.share, rpath)) {
		/* a killed get -C's part file was taken over: its record goes
		 */
		resume_drop(&g.r);
		resume_release(&g.r);
	}
	/*
	 * The rest, if any, continues where the first read stopped, or where
	 * the part file a resumed download continues ends.
	 */
	at = g.start ? g.start : (uint64_t)n;
	src = (struct xfer_end){.f = f,
				.c = cc->c,
				.target = target,
				.offset = at,
				.cc = cc,
				.rpath = rpath,
				.size = size,
				.prefix = g.on ? resume_checkpoint : NULL,
				.prefix_arg = &g};
	dst = (struct xfer_end){.fd = lo.fd, .target = shown};
	progress_begin(&p, o->progress, lo.fd, cli_basename(rpath), size);
	if (g.start)
		ret = lseek(lo.fd, (off_t)g.start, SEEK_SET) < 0 ? -errno : 0;
	else
		ret = local_write_full(lo.fd, first, (size_t)n, NULL);
	if (ret)
		code = ret == -EPIPE ? CLI_EXIT_LOCAL
				     : cli_report_local(shown, "write", ret);
	else
		progress_add(&p, at);
	if (!code && g.on && !g.start)
		resume_checkpoint(&g, (uint64_t)n);
	/*
	 * More than the first read carried (it is capped by the server's
	 * MaxReadSize too), by the size at open; or the file grew since and
	 * filled the whole buffer: read on until a short read.
	 */
	if (!code &&
	    (at < size || ((uint64_t)n > size && !smbiov_iter_count(&it))))
		code = xfer_copy(&src, &dst, &p);
	/*
	 * Every read loop goes on after a short answer until the end of
	 * file (the library's reads do): fewer bytes than the size at open
	 * means the file was cut while we read it. Never a file, then.
	 */
	if (!code && p.done < size)
		code = get_ended_early(f, target, p.done, size);
	progress_end(&p);
	free(first);
	/* the data is complete; a failed close of a read handle loses none */
	smbiov_close(f);
	get_resume_end(&g, &lo, dest, code);
	if (code) {
		local_out_abort(&lo);
		return code;
	}
	ret = local_out_commit(&lo);
	if (ret)
		return cli_report_local(shown, "cannot write", ret);
	return 0;
}

/*
 * A file the listing says is small, whole in one round trip
 * (smbiov_read_file: CREATE + READ + CLOSE as one compound) instead of
 * open+read and close. Returns -1, having written nothing, when it was
 * not what the listing said (bigger, grown, gone to a directory):
 * get_file() then does it the general way. Else 0 or an exit code.
 */
static int get_small(const struct cli_opts *o, struct cli_conn *cc,
		     const char *rpath, const char *dest, uint64_t listed)
{
	/* A file grown past the listing reads short of its size: fallback. */
	size_t cap = listed ? (size_t)listed : 1;
	struct local_out lo;
	struct progress p;
	struct smbiov_iter it;
	uint64_t size = 0;
	uint8_t *buf;
	char target[1200];
	ssize_t n;
	int ret;

	buf = malloc(cap);
	if (!buf)
		return cli_report_ret(NULL, -ENOMEM);
	smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, cap);
	n = smbiov_read_file(cc->c, rpath, &it, &size);
	if (n == -EISDIR || (n >= 0 && (uint64_t)n != size)) {
		free(buf);
		return -1;
	}
	if (n < 0) {
		free(buf);
		return cli_report_ret(
			cli_target(cc, rpath, target, sizeof(target)), (int)n);
	}
	ret = local_out_open(dest, &lo);
	lo.fsync = o->fsync;
	if (ret) {
		free(buf);
		return cli_report_local(dest, "cannot write", ret);
	}
	progress_begin(&p, o->progress, lo.fd, cli_basename(rpath), size);
	ret = local_write_full(lo.fd, buf, (size_t)n, NULL);
	progress_add(&p, (uint64_t)n);
	progress_end(&p);
	free(buf);
	if (ret) {
		local_out_abort(&lo);
		return cli_report_local(dest, "write", ret);
	}
	ret = local_out_commit(&lo);
	if (ret)
		return cli_report_local(dest, "cannot write", ret);
	return 0;
}

/* A name from the server becomes a local path: it must be one component. */
static bool safe_name(const char *name)
{
	return name[0] && strcmp(name, ".") && strcmp(name, "..") &&
	       !strchr(name, '/');
}

static int local_mkdir(const char *dir)
{
	struct stat st;

	if (!mkdir(dir, 0777))
		return 0;
	if (errno == EEXIST && !stat(dir, &st) && S_ISDIR(st.st_mode))
		return 0;
	return cli_report_local(dir, "cannot create directory", errno);
}

/*
 * Copy the remote tree @rdir into @ldir, entry by entry, accounting each
 * in @t (cli_tree_note); true when the walk must stop.
 */
static bool get_tree(const struct cli_opts *o, struct cli_conn *cc,
		     const char *rdir, const char *ldir, struct cli_tree *t)
{
	struct cli_list l;
	char target[1200];
	bool stop = false;
	int ret, code;

	code = local_mkdir(ldir);
	if (code)
		return cli_tree_note(t, o, code);
	ret = cli_list_dir(cc->c, rdir, &l);
	if (ret)
		return cli_tree_note(t, o,
				     cli_report_ret(cli_target(cc, rdir, target,
							       sizeof(target)),
						    ret));
	for (size_t i = 0; i < l.n && !stop; i++) {
		char *r, *lp;

		if (!safe_name(l.e[i].name)) {
			fprintf(stderr,
				"smbiov: %s: malformed reply: unsafe name "
				"\"%s\" in listing\n",
				cli_target(cc, rdir, target, sizeof(target)),
				l.e[i].name);
			stop = cli_tree_note(t, o, CLI_EXIT_PROTO);
			break;
		}
		r = cli_join(rdir, l.e[i].name);
		lp = cli_join(ldir, l.e[i].name);
		if (!r || !lp) {
			stop = cli_tree_note(t, o,
					     cli_report_ret(NULL, -ENOMEM));
		} else if (l.e[i].st.is_dir) {
			stop = get_tree(o, cc, r, lp, t);
		} else {
			if (l.e[i].st.size > GET_FIRST ||
			    (code = get_small(o, cc, r, lp, l.e[i].st.size)) <
				    0)
				code = get_file(o, cc, r, lp, NULL);
			stop = cli_tree_note(t, o, code);
		}
		free(r);
		free(lp);
	}
	cli_list_release(&l);
	return stop;
}

/* LOCAL, or LOCAL/NAME when LOCAL is an existing directory. */
static char *local_dest(const char *local, const char *name)
{
	struct stat st;

	if (!local)
		return strdup(name);
	if (strcmp(local, "-") && !stat(local, &st) && S_ISDIR(st.st_mode))
		return cli_join(local, name);
	return strdup(local);
}

int cmd_get(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_conn cc;
	struct smbiov_stat st = {0};
	char target[1200], *dest = NULL;
	const char *name;
	bool is_dir = false;
	int ret, code;

	code = cli_connect(o, argv[0], &cc);
	if (code)
		return code;
	cli_target(&cc, cc.url.path, target, sizeof(target));
	/*
	 * Without -r the open comes first (the file's first MiB rides with
	 * it, get_file): a directory shows up as -EISDIR there, so a file
	 * costs no stat round trip. With -r the type decides the walk.
	 */
	if (o->recursive) {
		ret = smbiov_stat(cc.c, cc.url.path, &st);
		if (ret) {
			code = cli_report_ret(target, ret);
			goto out;
		}
		is_dir = st.is_dir;
	}
	name = cc.url.path[0] ? cli_basename(cc.url.path) : cc.url.share;
	if (!safe_name(name)) {
		fprintf(stderr, "smbiov: %s: cannot name a local file \"%s\"\n",
			target, name);
		code = CLI_EXIT_USAGE;
		goto out;
	}
	dest = local_dest(argc > 1 ? argv[1] : NULL, name);
	if (!dest) {
		code = cli_report_ret(NULL, -ENOMEM);
		goto out;
	}
	if (!o->recursive)
		code = get_file(o, &cc, cc.url.path, dest, &is_dir);
	if (is_dir && !o->recursive) {
		fprintf(stderr, "smbiov: %s: is a directory (use get -r)\n",
			target);
		code = CLI_EXIT_USAGE;
	} else if (is_dir && !strcmp(dest, "-")) {
		fprintf(stderr, "smbiov: %s: cannot write a tree to stdout\n",
			target);
		code = CLI_EXIT_USAGE;
	} else if (is_dir) {
		struct cli_tree t = {0};

		get_tree(o, &cc, cc.url.path, dest, &t);
		code = cli_tree_end(&t, "get -r");
	} else if (o->recursive) {
		code = get_file(o, &cc, cc.url.path, dest, NULL);
	}
out:
	free(dest);
	cli_disconnect(&cc);
	return code;
}

static int cat_one(const struct cli_opts *o, struct cli_conn *cc, void *arg)
{
	(void)arg;
	return get_file(o, cc, cc->url.path, "-", NULL);
}

int cmd_cat(const struct cli_opts *o, int argc, char **argv)
{
	return cli_each_url(o, argc, argv, cat_one, NULL);
}
