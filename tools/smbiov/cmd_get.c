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
#include "xfer.h"

/*
 * The first read, sent with the open as one compound: a file up to this
 * size costs one round trip for open and data, plus the close.
 */
#define GET_FIRST ((size_t)1 << 20)

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
	uint64_t size = 0;
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
	ret = local_out_open(dest, &lo);
	lo.fsync = o->fsync;
	if (ret) {
		smbiov_close(f);
		free(first);
		return cli_report_local(dest, "cannot write", ret);
	}
	/* The rest, if any, continues where the first read stopped. */
	src = (struct xfer_end){.f = f,
				.c = cc->c,
				.target = target,
				.offset = (uint64_t)n,
				.cc = cc,
				.rpath = rpath,
				.size = size};
	dst = (struct xfer_end){.fd = lo.fd, .target = shown};
	progress_begin(&p, o->progress, lo.fd, cli_basename(rpath), size);
	ret = local_write_full(lo.fd, first, (size_t)n, NULL);
	if (ret)
		code = ret == -EPIPE ? CLI_EXIT_LOCAL
				     : cli_report_local(shown, "write", ret);
	else
		progress_add(&p, (uint64_t)n);
	/*
	 * More than the first read carried (it is capped by the server's
	 * MaxReadSize too), by the size at open; or the file grew since and
	 * filled the whole buffer: read on until a short read.
	 */
	if (!code && ((uint64_t)n < size ||
		      ((uint64_t)n > size && !smbiov_iter_count(&it))))
		code = xfer_copy(&src, &dst, &p);
	/*
	 * Every read loop goes on after a short answer until the end of
	 * file (the library's reads do): fewer bytes than the size at open
	 * means the file was cut while we read it. Never a file, then.
	 */
	if (!code && p.done < size) {
		fprintf(stderr,
			"smbiov: %s: the file changed during the transfer: "
			"%llu of %llu bytes, then end of file\n",
			target, (unsigned long long)p.done,
			(unsigned long long)size);
		code = CLI_EXIT_CHANGED;
	}
	progress_end(&p);
	free(first);
	/* the data is complete; a failed close of a read handle loses none */
	smbiov_close(f);
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
