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

int cmd_rm(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_cache k;
	int code = 0;

	cli_cache_init(&k, o);
	for (int i = 0; i < argc && !code; i++) {
		struct cli_conn cc;
		struct smbiov_stat st;
		char target[1200];
		int ret;

		code = cli_cache_open(&k, argv[i], &cc);
		if (code)
			break;
		cli_target(&cc, cc.url.path, target, sizeof(target));
		if (!cc.url.path[0]) {
			fprintf(stderr,
				"smbiov: %s: refusing to remove a "
				"share's root\n",
				target);
			code = CLI_EXIT_USAGE;
		} else if (o->recursive) {
			ret = smbiov_stat(cc.c, cc.url.path, &st);
			if (ret)
				code = cli_report_ret(target, ret);
			else if (st.is_dir)
				code = rm_tree(&cc, cc.url.path);
			else if ((ret = smbiov_unlink(cc.c, cc.url.path)))
				code = cli_report_ret(target, ret);
		} else {
			ret = smbiov_unlink(cc.c, cc.url.path);
			if (ret)
				code = cli_report_ret(target, ret);
		}
		cli_cache_done(&cc);
	}
	cli_cache_release(&k);
	return code;
}
