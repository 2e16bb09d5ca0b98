/* SPDX-License-Identifier: MIT */
/* smbiov rmdir URL... (empty directories only; rm -r removes trees) */
#include "cli.h"

static int rmdir_one(const struct cli_opts *o, struct cli_conn *cc, void *arg)
{
	char target[1200];
	int ret, code;

	(void)o;
	(void)arg;
	cli_target(cc, cc->url.path, target, sizeof(target));
	code = cli_refuse_share_root(cc, target);
	if (code)
		return code;
	ret = smbiov_rmdir(cc->c, cc->url.path);
	return ret ? cli_report_ret(target, ret) : 0;
}

int cmd_rmdir(const struct cli_opts *o, int argc, char **argv)
{
	return cli_each_url(o, argc, argv, rmdir_one, NULL);
}
