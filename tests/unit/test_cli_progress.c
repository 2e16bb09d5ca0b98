/* SPDX-License-Identifier: MIT */
/* The progress bar's formatting: sizes, ETA, and the whole line. */
#include "progress.h"
#include "t.h"

static void test_bytes(void)
{
	static const struct {
		uint64_t v;
		const char *s;
	} rows[] = {
		{0, "0 B"},
		{1, "1 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		/* just under 1 MiB would round to "1024.0 KiB" */
		{1024 * 1024 - 1, "1.0 MiB"},
		{8 << 20, "8.0 MiB"},
		{(8 << 20) + 1, "8.0 MiB"},
		{3ull << 30, "3.0 GiB"},
		{5ull << 40, "5.0 TiB"},
		{UINT64_MAX, "16.0 EiB"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		progress_fmt_bytes(buf, sizeof(buf), rows[i].v);
		t_checks++;
		if (strcmp(buf, rows[i].s)) {
			t_failures++;
			fprintf(stderr, "%llu: \"%s\", want \"%s\"\n",
				(unsigned long long)rows[i].v, buf, rows[i].s);
		}
	}
}

static void test_eta(void)
{
	static const struct {
		double s;
		const char *want;
	} rows[] = {
		{0, "0:00"},	   {0.4, "0:00"},     {7, "0:07"},
		{59.6, "1:00"},	   {754, "12:34"},    {3599, "59:59"},
		{3600, "1:00:00"}, {3723, "1:02:03"}, {-1, "--:--"},
		{1e12, "--:--"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		progress_fmt_eta(buf, sizeof(buf), rows[i].s);
		t_checks++;
		if (strcmp(buf, rows[i].want)) {
			t_failures++;
			fprintf(stderr, "%g: \"%s\", want \"%s\"\n", rows[i].s,
				buf, rows[i].want);
		}
	}
}

static void test_line(void)
{
	char buf[512];

	/* half of 10 MiB in 2 s: 2.5 MiB/s, 2 s to go */
	progress_fmt_line(buf, sizeof(buf), 80, "file.bin", 5 << 20, 10 << 20,
			  2.0);
	T_EXPECT(strstr(buf, "file.bin") == buf);
	T_EXPECT(strstr(buf, " 50%") != NULL);
	T_EXPECT(strstr(buf, "5.0 MiB/10.0 MiB") != NULL);
	T_EXPECT(strstr(buf, "2.5 MiB/s") != NULL);
	T_EXPECT(strstr(buf, "ETA 0:02") != NULL);
	T_EXPECT(strchr(buf, '[') && strchr(buf, ']'));
	T_EXPECT(strlen(buf) <= 80);

	/* done */
	progress_fmt_line(buf, sizeof(buf), 80, "f", 100, 100, 1.0);
	T_EXPECT(strstr(buf, "100%") != NULL);
	T_EXPECT(strstr(buf, "ETA 0:00") != NULL);
	T_EXPECT(strchr(buf, '>') == NULL);

	/* unknown total (a pipe): bytes and rate, no bar, no ETA */
	progress_fmt_line(buf, sizeof(buf), 80, "stdin", 3 << 20, 0, 1.0);
	T_EXPECT(strstr(buf, "3.0 MiB") != NULL);
	T_EXPECT(strstr(buf, "3.0 MiB/s") != NULL);
	T_EXPECT(!strstr(buf, "ETA") && !strchr(buf, '%') && !strchr(buf, '['));

	/* nothing transferred yet, no time elapsed: no division by zero */
	progress_fmt_line(buf, sizeof(buf), 80, "f", 0, 100, 0.0);
	T_EXPECT(strstr(buf, "ETA --:--") != NULL);
	T_EXPECT(strstr(buf, "  0%") != NULL);

	/* a long name is shortened from the left, the line fits */
	progress_fmt_line(buf, sizeof(buf), 60,
			  "a-very-long-directory-name/and-a-long-file-name.bin",
			  1, 2, 1.0);
	T_EXPECT(strlen(buf) <= 60);
	T_EXPECT(strstr(buf, "...") == buf);
	T_EXPECT(strstr(buf, ".bin") != NULL);

	/* a narrow terminal still gets the numbers */
	progress_fmt_line(buf, sizeof(buf), 20, "name", 1, 2, 1.0);
	T_EXPECT(strstr(buf, "50%") != NULL);

	/* more than the total (a growing file): capped at 100% */
	progress_fmt_line(buf, sizeof(buf), 80, "f", 300, 200, 1.0);
	T_EXPECT(strstr(buf, "100%") != NULL);

	/* a tiny buffer truncates */
	progress_fmt_line(buf, 16, 80, "name", 1, 2, 1.0);
	T_EXPECT(strlen(buf) < 16);
}

/* Off (not a TTY, or --no-progress): adds count, nothing is drawn. */
static void test_off(void)
{
	struct progress p;

	progress_begin(&p, 0, 1, "x", 10);
	T_EXPECT(!p.on);
	progress_add(&p, 4);
	progress_add(&p, 6);
	T_EXPECT_EQ(p.done, 10);
	progress_end(&p);
}

int main(void)
{
	T_RUN(test_bytes);
	T_RUN(test_eta);
	T_RUN(test_line);
	T_RUN(test_off);
	return t_done();
}
