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

static int df_one(const struct cli_opts *o, struct cli_conn *cc, void *arg)
{
	struct smbiov_statvfs sv;
	char target[1200], sz[32], used[32], avail[32];
	uint64_t total, free_b, u;
	int ret;

	(void)arg;
	cli_target(cc, "", target, sizeof(target));
	ret = smbiov_statvfs(cc->c, &sv);
	if (ret)
		return cli_report_ret(target, ret);
	total = sv.blocks * sv.block_size;
	free_b = sv.blocks_free * sv.block_size;
	df_size(o, sz, sizeof(sz), total);
	u = total > free_b ? total - free_b : 0;
	df_size(o, used, sizeof(used), u);
	df_size(o, avail, sizeof(avail), free_b);
	printf("%-32s %14s %14s %14s %4.0f%%\n", target, sz, used, avail,
	       total ? 100.0 * (double)u / (double)total : 0.0);
	return 0;
}

int cmd_df(const struct cli_opts *o, int argc, char **argv)
{
	printf("%-32s %14s %14s %14s %5s\n", "Share",
	       o->human ? "Size" : "1K-blocks", "Used", "Available", "Use%");
	return cli_each_url(o, argc, argv, df_one, NULL);
}
