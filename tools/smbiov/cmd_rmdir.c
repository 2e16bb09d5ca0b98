/* SPDX-License-Identifier: MIT */
/* smbiov rmdir URL... (empty directories only; rm -r removes trees) */
#include "cli.h"

int cmd_rmdir(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_cache k;
	int code = 0;

	cli_cache_init(&k, o);
	for (int i = 0; i < argc && !code; i++) {
		struct cli_conn cc;
		char target[1200];
		int ret;

		code = cli_cache_open(&k, argv[i], &cc);
		if (code)
			break;
		cli_target(&cc, cc.url.path, target, sizeof(target));
		if (!cc.url.path[0]) {
			fprintf(stderr,
				"smbiov: %s: refusing to remove a share's "
				"root\n",
				target);
			code = CLI_EXIT_USAGE;
		} else if ((ret = smbiov_rmdir(cc.c, cc.url.path))) {
			code = cli_report_ret(target, ret);
		}
		cli_cache_done(&cc);
	}
	cli_cache_release(&k);
	return code;
}
