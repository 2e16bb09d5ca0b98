/* SPDX-License-Identifier: MIT */
/*
 * smbiov mv [-f] URL DEST — rename within one share. DEST is a URL on the
 * same share, or a path: from the share root when it starts with '/',
 * else beside the source. An existing directory DEST receives the source
 * under its own name; an existing file DEST is replaced only with -f.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Drop empty and "." components, refuse "..", '\' separates too. */
static int norm_path(const char *in, char **out)
{
	char *s = malloc(strlen(in) + 1), *w = s;
	const char *p = in;

	if (!s)
		return -ENOMEM;
	while (*p) {
		const char *start;
		size_t n;

		while (*p == '/' || *p == '\\')
			p++;
		start = p;
		while (*p && *p != '/' && *p != '\\')
			p++;
		n = (size_t)(p - start);
		if (n == 0 || (n == 1 && *start == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			free(s);
			return -EINVAL;
		}
		if (w != s)
			*w++ = '/';
		memcpy(w, start, n);
		w += n;
	}
	*w = '\0';
	*out = s;
	return 0;
}

/* Where DEST (a URL or a path) points on @cc's share; malloc'd. */
static int dest_path(struct cli_conn *cc, const char *dest, char **out)
{
	struct smbiov_url du;
	char *joined = NULL;
	int ret;

	if (cli_is_url(dest)) {
		ret = cli_url_parse(dest, &du);
		if (ret)
			return ret;
		if (!cli_same_share(&cc->url, &du)) {
			fprintf(stderr,
				"smbiov: mv: %s is not on the share of %s (use "
				"cp, then rm)\n",
				dest, cc->urlstr);
			smbiov_url_release(&du);
			return CLI_EXIT_USAGE;
		}
		*out = strdup(du.path);
		smbiov_url_release(&du);
		return *out ? 0 : cli_report_ret(NULL, -ENOMEM);
	}
	if (dest[0] == '/' || dest[0] == '\\') {
		ret = norm_path(dest, out);
	} else {
		const char *base = cli_basename(cc->url.path);
		char *dir =
			strndup(cc->url.path, (size_t)(base - cc->url.path));

		joined = dir ? cli_join(dir, dest) : NULL;
		free(dir);
		ret = joined ? norm_path(joined, out) : -ENOMEM;
		free(joined);
	}
	if (ret == -EINVAL) {
		fprintf(stderr, "smbiov: mv: %s: \"..\" is not allowed\n",
			dest);
		return CLI_EXIT_USAGE;
	}
	return ret ? cli_report_ret(NULL, ret) : 0;
}

int cmd_mv(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_conn cc;
	struct smbiov_stat st;
	char target[1200], *to = NULL;
	int ret, code;

	(void)argc;
	code = cli_connect(o, argv[0], &cc);
	if (code)
		return code;
	cli_target(&cc, cc.url.path, target, sizeof(target));
	if (!cc.url.path[0]) {
		fprintf(stderr, "smbiov: %s: cannot move a share's root\n",
			target);
		code = CLI_EXIT_USAGE;
		goto out;
	}
	code = dest_path(&cc, argv[1], &to);
	if (code)
		goto out;
	if (!smbiov_stat(cc.c, to, &st) && st.is_dir) {
		char *inside = cli_join(to, cli_basename(cc.url.path));

		if (!inside) {
			code = cli_report_ret(NULL, -ENOMEM);
			goto out;
		}
		free(to);
		to = inside;
	}
	ret = smbiov_rename(cc.c, cc.url.path, to, o->force);
	if (ret) {
		char dst[1200];

		if (ret == -EEXIST)
			fprintf(stderr,
				"smbiov: %s: file exists (use -f to replace "
				"it)\n",
				cli_target(&cc, to, dst, sizeof(dst)));
		code = ret == -EEXIST ? CLI_EXIT_EXISTS
				      : cli_report_ret(target, ret);
	}
out:
	free(to);
	cli_disconnect(&cc);
	return code;
}
