/* SPDX-License-Identifier: MIT */
/* smbiov rm [-r] URL... */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

/* Depth first: children, then the directory itself. */
static int rm_tree(struct cli_conn *cc, const char *path)
{
	struct cli_list l;
	char target[1200];
	int ret, code = 0;

	ret = cli_list_dir(cc->c, path, &l);
	if (ret)
		return cli_report_ret(
			cli_target(cc, path, target, sizeof(target)), ret);
	for (size_t i = 0; i < l.n && !code; i++) {
		char *child = cli_join(path, l.e[i].name);

		if (!child) {
			code = cli_report_ret(NULL, -ENOMEM);
			break;
		}
		if (l.e[i].st.is_dir) {
			code = rm_tree(cc, child);
		} else {
			ret = smbiov_unlink(cc->c, child);
			if (ret)
				code = cli_report_ret(
					cli_target(cc, child, target,
						   sizeof(target)),
					ret);
		}
		free(child);
	}
	cli_list_release(&l);
	if (code)
		return code;
	ret = smbiov_rmdir(cc->c, path);
	if (ret)
		return cli_report_ret(
			cli_target(cc, path, target, sizeof(target)), ret);
	return 0;
}

static int rm_one(const struct cli_opts *o, struct cli_conn *cc, void *arg)
{
	struct smbiov_stat st;
	char target[1200];
	int ret, code;

	(void)arg;
	cli_target(cc, cc->url.path, target, sizeof(target));
	code = cli_refuse_share_root(cc, target);
	if (code)
		return code;
	if (o->recursive) {
		ret = smbiov_stat(cc->c, cc->url.path, &st);
		if (ret)
			return cli_report_ret(target, ret);
		if (st.is_dir)
			return rm_tree(cc, cc->url.path);
	}
	ret = smbiov_unlink(cc->c, cc->url.path);
	return ret ? cli_report_ret(target, ret) : 0;
}

int cmd_rm(const struct cli_opts *o, int argc, char **argv)
{
	return cli_each_url(o, argc, argv, rm_one, NULL);
}
