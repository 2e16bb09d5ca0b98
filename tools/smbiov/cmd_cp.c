/* SPDX-License-Identifier: MIT */
/*
 * smbiov cp URL URL — remote to remote: within one share the server
 * copies (server-side copy), else through this machine (read, then
 * write, four chunks in flight). The two URLs may name different servers.
 * A destination that is a share root or an existing directory receives the
 * file under its own name. The destination is replaced atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "rtmp.h"
#include "xfer.h"

/* Did the remote source change while @sent of its bytes were read? */
static bool cp_source_changed(struct smbiov_file *sf,
			      const struct smbiov_stat *before, uint64_t sent)
{
	struct smbiov_stat now;

	if (smbiov_fstat(sf, &now))
		return true;
	return now.size != before->size || now.mtime_ns != before->mtime_ns ||
	       sent != before->size;
}

/* The most one server-side copy call asks: progress moves between calls. */
#define CP_STEP ((uint64_t)64 << 20)

/*
 * Both ends on one share: the server copies (smbiov_copy_range()), no
 * byte through this machine. Returns 0 (all @size bytes copied, counted
 * in @p), 1 when the server has no server-side copy and nothing was
 * copied (copy through this machine then), or a CLI exit code.
 */
static int cp_on_server(struct smbiov_file *sf, struct smbiov_file *df,
			uint64_t size, struct progress *p, const char *starget)
{
	while (p->done < size) {
		uint64_t want =
			size - p->done < CP_STEP ? size - p->done : CP_STEP;
		ssize_t n = smbiov_copy_range(sf, p->done, df, p->done,
					      (size_t)want);

		if (n == -EOPNOTSUPP && !p->done)
			return 1;
		if (n < 0)
			return cli_report_ret(starget, (int)n);
		/* the source ended early: the changed-file check says so */
		if (!n)
			return 0;
		progress_add(p, (uint64_t)n);
	}
	return 0;
}

/*
 * Atomic, as put: the copy goes to a temporary file beside @dpath (rtmp.h)
 * renamed over it once the source proved unchanged and the server holds
 * every byte; the destination is the old file or the whole copy.
 */
static int cp_file(const struct cli_opts *o, struct cli_conn *sc,
		   struct cli_conn *dc, const char *dpath)
{
	struct smbiov_file *sf;
	struct smbiov_stat st;
	struct xfer_end src, dst;
	struct progress p;
	struct rtmp t;
	char starget[1200], dtarget[1200];
	int ret, code;

	cli_target(sc, sc->url.path, starget, sizeof(starget));
	cli_target(dc, dpath, dtarget, sizeof(dtarget));
	ret = smbiov_open(sc->c, sc->url.path, O_RDONLY, &sf);
	if (ret)
		return cli_report_ret(starget, ret);
	ret = smbiov_fstat(sf, &st);
	if (ret) {
		smbiov_close(sf);
		return cli_report_ret(starget, ret);
	}
	if (st.is_dir) {
		smbiov_close(sf);
		fprintf(stderr, "smbiov: %s: is a directory\n", starget);
		return CLI_EXIT_USAGE;
	}
	ret = rtmp_open(&t, dc->c, dpath);
	if (ret) {
		smbiov_close(sf);
		return cli_report_ret(dtarget, ret);
	}
	src = (struct xfer_end){.f = sf, .c = sc->c, .target = starget};
	dst = (struct xfer_end){.f = t.f,
				.c = dc->c,
				.target = dtarget,
				.opened = cli_reconnects(o) ? NULL : rtmp_mark,
				.opened_arg = &t};
	progress_begin(&p, o->progress, -1, cli_basename(dpath), st.size);
	code = 1;
	if (sc->c == dc->c) {
		/* as xfer_copy() does once its destination is open */
		if (dst.opened)
			dst.opened(dst.opened_arg);
		code = cp_on_server(sf, t.f, st.size, &p, starget);
	}
	if (code == 1)
		code = xfer_copy(&src, &dst, &p);
	progress_end(&p);
	if (!code && cp_source_changed(sf, &st, p.done)) {
		fprintf(stderr,
			"smbiov: %s: the file changed during the transfer "
			"(%s left as it was)\n",
			starget, dtarget);
		code = CLI_EXIT_CHANGED;
	}
	if (!code && (ret = rtmp_commit(&t, p.done, dpath)))
		code = cli_report_ret(dtarget, ret);
	if (code)
		rtmp_drop(&t);
	rtmp_release(&t);
	smbiov_close(sf);
	return code;
}

int cmd_cp(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_conn sc, dcc, *dc = &dcc;
	struct smbiov_url du;
	struct smbiov_stat st;
	char *dpath = NULL;
	int code;

	(void)argc;
	if (!cli_is_url(argv[0]) || !cli_is_url(argv[1])) {
		fprintf(stderr, "smbiov: cp copies between smb:// URLs (use "
				"get or put for local files)\n");
		return CLI_EXIT_USAGE;
	}
	code = cli_url_parse(argv[1], &du);
	if (code)
		return code;
	code = cli_connect(o, argv[0], &sc);
	if (code)
		goto out_url;
	if (cli_same_share(&sc.url, &du))
		dc = &sc;
	else if ((code = cli_connect(o, argv[1], &dcc)))
		goto out_src;
	if (!du.path[0] || (!smbiov_stat(dc->c, du.path, &st) && st.is_dir))
		dpath = cli_join(du.path, cli_basename(sc.url.path));
	else
		dpath = strdup(du.path);
	if (!dpath) {
		code = cli_report_ret(NULL, -ENOMEM);
	} else if (dc == &sc && !strcasecmp(dpath, sc.url.path)) {
		fprintf(stderr, "smbiov: cp: %s and %s are the same file\n",
			argv[0], argv[1]);
		code = CLI_EXIT_USAGE;
	} else {
		code = cp_file(o, &sc, dc, dpath);
	}
	free(dpath);
	if (dc != &sc)
		cli_disconnect(dc);
out_src:
	cli_disconnect(&sc);
out_url:
	smbiov_url_release(&du);
	return code;
}
