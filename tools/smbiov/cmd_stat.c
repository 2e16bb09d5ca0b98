/* SPDX-License-Identifier: MIT */
/* smbiov stat URL... */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* MS-FSCC 2.6 */
static const struct {
	uint32_t bit;
	const char *name;
} attr_names[] = {
	{0x0001, "READONLY"},	   {0x0002, "HIDDEN"},
	{0x0004, "SYSTEM"},	   {0x0010, "DIRECTORY"},
	{0x0020, "ARCHIVE"},	   {0x0080, "NORMAL"},
	{0x0100, "TEMPORARY"},	   {0x0200, "SPARSE_FILE"},
	{0x0400, "REPARSE_POINT"}, {0x0800, "COMPRESSED"},
	{0x1000, "OFFLINE"},	   {0x2000, "NOT_CONTENT_INDEXED"},
	{0x4000, "ENCRYPTED"},
};

static void fmt_time(char *buf, size_t len, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	char zone[16];

	if (frac < 0) {
		frac += 1000000000;
		t--;
	}
	if (!localtime_r(&t, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%09ld %s", frac, zone);
}

static void print_stat(const char *target, const struct smbiov_stat *st)
{
	char t[64];
	bool first = true;

	printf("  File: %s\n", target);
	printf("  Type: %s\n", st->is_dir ? "directory" : "regular file");
	printf("  Size: %llu\tAllocated: %llu\n", (unsigned long long)st->size,
	       (unsigned long long)st->alloc_size);
	printf("Attrib: 0x%08x (", (unsigned)st->attributes);
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (st->attributes & attr_names[i].bit) {
			printf("%s%s", first ? "" : " ", attr_names[i].name);
			first = false;
		}
	printf(")\n");
	printf("FileId: %llu\n", (unsigned long long)st->file_id);
	fmt_time(t, sizeof(t), st->atime_ns);
	printf("Access: %s\n", t);
	fmt_time(t, sizeof(t), st->mtime_ns);
	printf("Modify: %s\n", t);
	fmt_time(t, sizeof(t), st->ctime_ns);
	printf("Change: %s\n", t);
	fmt_time(t, sizeof(t), st->btime_ns);
	printf(" Birth: %s\n", t);
}

int cmd_stat(const struct cli_opts *o, int argc, char **argv)
{
	int code = 0;

	for (int i = 0; i < argc && !code; i++) {
		struct cli_conn cc;
		struct smbiov_stat st;
		char target[1200];
		int ret;

		code = cli_connect(o, argv[i], &cc);
		if (code)
			break;
		cli_target(&cc, cc.url.path, target, sizeof(target));
		ret = smbiov_stat(cc.c, cc.url.path, &st);
		if (ret)
			code = cli_report_ret(target, ret);
		else
			print_stat(target, &st);
		cli_disconnect(&cc);
	}
	return code;
}
