/* SPDX-License-Identifier: MIT */
/* smbiov df [-H] URL... */
#include <stdio.h>

#include "cli.h"
#include "progress.h"

static void df_size(const struct cli_opts *o, char *buf, size_t len,
		    uint64_t bytes)
{
	if (o->human)
		progress_fmt_bytes(buf, len, bytes);
	else
		snprintf(buf, len, "%llu", (unsigned long long)(bytes / 1024));
}

int cmd_df(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_cache k;
	int code = 0;

	cli_cache_init(&k, o);
	printf("%-32s %14s %14s %14s %5s\n", "Share",
	       o->human ? "Size" : "1K-blocks", "Used", "Available", "Use%");
	for (int i = 0; i < argc && !code; i++) {
		struct cli_conn cc;
		struct smbiov_statvfs sv;
		char target[1200], sz[32], used[32], avail[32];
		uint64_t total, free_b, u;
		int ret;

		code = cli_cache_open(&k, argv[i], &cc);
		if (code)
			break;
		cli_target(&cc, "", target, sizeof(target));
		ret = smbiov_statvfs(cc.c, &sv);
		if (ret) {
			code = cli_report_ret(target, ret);
		} else {
			total = sv.blocks * sv.block_size;
			free_b = sv.blocks_free * sv.block_size;
			df_size(o, sz, sizeof(sz), total);
			u = total > free_b ? total - free_b : 0;
			df_size(o, used, sizeof(used), u);
			df_size(o, avail, sizeof(avail), free_b);
			printf("%-32s %14s %14s %14s %4.0f%%\n", target, sz,
			       used, avail,
			       total ? 100.0 * (double)u / (double)total : 0.0);
		}
		cli_cache_done(&cc);
	}
	cli_cache_release(&k);
	return code;
}
