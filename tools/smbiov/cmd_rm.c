/* SPDX-License-Identifier: MIT */
/* smbiov rm [-r] URL... */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

/*
 * Depth first: children, then the directory itself, accounting each
 * removal in @t (cli_tree_note: a failing entry is reported and the rest
 * goes on). A directory one of whose entries failed is left, silently:
 * its failure was that entry's. True when the walk must stop.
 */
static bool rm_tree(const struct cli_opts *o, struct cli_conn *cc,
		    const char *path, struct cli_tree *t)
{
	uint64_t failed = t->failed;
	struct cli_list l;
	char target[1200];
	bool stop = false;
	int ret;

	ret = cli_list_dir(cc->c, path, &l);
	if (ret)
		return cli_tree_note(t, o,
				     cli_report_ret(cli_target(cc, path, target,
							       sizeof(target)),
						    ret));
	for (size_t i = 0; i < l.n && !stop; i++) {
		char *child = cli_join(path, l.e[i].name);

		if (!child) {
			stop = cli_tree_note(t, o,
					     cli_report_ret(NULL, -ENOMEM));
			break;
		}
		if (l.e[i].st.is_dir) {
			stop = rm_tree(o, cc, child, t);
		} else {
			ret = smbiov_unlink(cc->c, child);
			stop = cli_tree_note(
				t, o,
				ret ? cli_report_ret(cli_target(cc, child,
								target,
								sizeof(target)),
						     ret)
				    : 0);
		}
		free(child);
	}
	cli_list_release(&l);
	if (stop || t->failed != failed)
		return stop;
	ret = smbiov_rmdir(cc->c, path);
	return cli_tree_note(
		t, o,
		ret ? cli_report_ret(
			      cli_target(cc, path, target, sizeof(target)), ret)
		    : 0);
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
		if (st.is_dir) {
			struct cli_tree t = {0};

			rm_tree(o, cc, cc->url.path, &t);
			return cli_tree_end(&t, "rm -r");
		}
	}
	ret = smbiov_unlink(cc->c, cc->url.path);
	if (ret == -EISDIR) {
		fprintf(stderr, "smbiov: %s: is a directory (use rm -r)\n",
			target);
		return CLI_EXIT_USAGE;
	}
	return ret ? cli_report_ret(target, ret) : 0;
}

int cmd_rm(const struct cli_opts *o, int argc, char **argv)
{
	return cli_each_url(o, argc, argv, rm_one, NULL);
}
