/* SPDX-License-Identifier: MIT */
/* smbiov rmdir URL... (empty directories only; rm -r removes trees) */
#include "cli.h"

int cmd_rmdir(const struct cli_opts *o, int argc, char **argv)
{
	int code = 0;

	for (int i = 0; i < argc && !code; i++) {
		struct cli_conn cc;
		char target[1200];
		int ret;

		code = cli_connect(o, argv[i], &cc);
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
		cli_disconnect(&cc);
	}
	return code;
}
