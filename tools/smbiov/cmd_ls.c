/* SPDX-License-Identifier: MIT */
/* smbiov ls [-l] [-H] URL... */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "progress.h"

void cli_list_release(struct cli_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cli_entry *)a)->name,
		      ((const struct cli_entry *)b)->name);
}

int cli_list_dir(struct smbiov_client *c, const char *path,
		 struct cli_list *out)
{
	struct smbiov_dirent *ent;
	struct smbiov_dir *d;
	size_t cap = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ent = malloc(sizeof(*ent));
	if (!ent)
		return -ENOMEM;
	ret = smbiov_opendir(c, path, &d);
	if (ret)
		goto out_free;
	while ((ret = smbiov_readdir(d, ent)) > 0) {
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct cli_entry *ne =
				realloc(out->e, ncap * sizeof(*ne));

			if (!ne) {
				ret = -ENOMEM;
				break;
			}
			out->e = ne;
			cap = ncap;
		}
		out->e[out->n].name = strdup(ent->name);
		if (!out->e[out->n].name) {
			ret = -ENOMEM;
			break;
		}
		out->e[out->n].st = ent->st;
		out->n++;
	}
	/* keep the first failure: closedir must not hide a readdir error */
	if (ret < 0)
		smbiov_closedir(d);
	else
		ret = smbiov_closedir(d);
	if (ret < 0)
		cli_list_release(out);
	else if (out->n)
		qsort(out->e, out->n, sizeof(*out->e), entry_cmp);
out_free:
	free(ent);
	return ret < 0 ? ret : 0;
}

static void print_entry(const struct cli_opts *o, const char *name,
			const struct smbiov_stat *st)
{
	char when[32] = "", size[32];
	time_t t = (time_t)(st->mtime_ns / 1000000000);
	struct tm tm;

	if (!o->long_list) {
		printf("%s%s\n", name, st->is_dir ? "/" : "");
		return;
	}
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (o->human)
		progress_fmt_bytes(size, sizeof(size), st->size);
	else
		snprintf(size, sizeof(size), "%llu",
			 (unsigned long long)st->size);
	printf("%c %12s %s %s\n", st->is_dir ? 'd' : '-', size, when, name);
}

static int ls_one(const struct cli_opts *o, struct cli_cache *k,
		  const char *url, bool header)
{
	struct cli_conn cc;
	struct smbiov_stat st;
	struct cli_list l;
	char target[1200];
	int ret, code;

	code = cli_cache_open(k, url, &cc);
	if (code)
		return code;
	cli_target(&cc, cc.url.path, target, sizeof(target));
	ret = smbiov_stat(cc.c, cc.url.path, &st);
	if (ret) {
		code = cli_report_ret(target, ret);
		goto out;
	}
	if (!st.is_dir) {
		print_entry(o, cli_basename(cc.url.path), &st);
		goto out;
	}
	ret = cli_list_dir(cc.c, cc.url.path, &l);
	if (ret) {
		code = cli_report_ret(target, ret);
		goto out;
	}
	if (header)
		printf("%s:\n", url);
	for (size_t i = 0; i < l.n; i++)
		print_entry(o, l.e[i].name, &l.e[i].st);
	cli_list_release(&l);
out:
	cli_cache_done(&cc);
	return code;
}

int cmd_ls(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_cache k;
	int code = 0;

	cli_cache_init(&k, o);
	for (int i = 0; i < argc && !code; i++) {
		if (i)
			putchar('\n');
		code = ls_one(o, &k, argv[i], argc > 1);
	}
	cli_cache_release(&k);
	if (fflush(stdout) && !code)
		code = cli_report_local("stdout", "write", errno);
	return code;
}
