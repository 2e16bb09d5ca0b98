/* SPDX-License-Identifier: MIT */
/* smbiov mkdir [-p] URL... */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int report(struct cli_conn *cc, const char *path, int ret)
{
	char target[1200];

	return cli_report_ret(cli_target(cc, path, target, sizeof(target)),
			      ret);
}

/*
 * Create @path; with -p, each missing parent first, and no error when a
 * directory is already there.
 */
static int mkdir_one(const struct cli_opts *o, struct cli_conn *cc,
		     const char *path)
{
	size_t len = strlen(path);
	int ret;

	if (!len)
		return o->parents ? 0 : report(cc, path, -EEXIST);
	if (!o->parents) {
		ret = smbiov_mkdir(cc->c, path);
		return ret ? report(cc, path, ret) : 0;
	}
	for (size_t i = 1; i <= len; i++) {
		struct smbiov_stat st;
		char *prefix;

		if (i < len && path[i] != '/')
			continue;
		prefix = strndup(path, i);
		if (!prefix)
			return cli_report_ret(NULL, -ENOMEM);
		ret = smbiov_mkdir(cc->c, prefix);
		if (ret == -EEXIST && !smbiov_stat(cc->c, prefix, &st) &&
		    st.is_dir)
			ret = 0;
		if (ret) {
			int code = report(cc, prefix, ret);

			free(prefix);
			return code;
		}
		free(prefix);
	}
	return 0;
}

static int mkdir_url(const struct cli_opts *o, struct cli_conn *cc, void *arg)
{
	(void)arg;
	return mkdir_one(o, cc, cc->url.path);
}

int cmd_mkdir(const struct cli_opts *o, int argc, char **argv)
{
	return cli_each_url(o, argc, argv, mkdir_url, NULL);
}
