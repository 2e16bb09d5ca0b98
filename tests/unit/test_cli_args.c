/* SPDX-License-Identifier: MIT */
/*
 * CLI option parsing: dialect ranges, security modes, command-specific
 * options only where they apply, and passwords refused on the command line.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "t.h"

static void test_dialect(void)
{
	static const struct {
		const char *s;
		int ok;
		uint16_t min, max;
	} rows[] = {
		{"3.1.1", 1, SMBIOV_DIALECT_311, SMBIOV_DIALECT_311},
		{"2.0.2", 1, SMBIOV_DIALECT_202, SMBIOV_DIALECT_202},
		{"2.1", 1, SMBIOV_DIALECT_210, SMBIOV_DIALECT_210},
		{"3.0", 1, SMBIOV_DIALECT_300, SMBIOV_DIALECT_300},
		{"3.02", 1, SMBIOV_DIALECT_302, SMBIOV_DIALECT_302},
		{"2.1-3.0.2", 1, SMBIOV_DIALECT_210, SMBIOV_DIALECT_302},
		{"3.0-", 1, SMBIOV_DIALECT_300, SMBIOV_DIALECT_311},
		{"-2.1", 1, SMBIOV_DIALECT_202, SMBIOV_DIALECT_210},
		{"3.1.1-2.0.2", 0, 0, 0}, /* upside down */
		{"4.0", 0, 0, 0},
		{"", 0, 0, 0},
		{"3.1.1-x", 0, 0, 0},
		{"1.0", 0, 0, 0}, /* SMB1 is not spoken */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint16_t mn = 0, mx = 0;
		int ret = cli_parse_dialect(rows[i].s, &mn, &mx);

		t_checks++;
		if ((ret == 0) != rows[i].ok ||
		    (rows[i].ok && (mn != rows[i].min || mx != rows[i].max))) {
			t_failures++;
			fprintf(stderr, "\"%s\": ret %d %04x-%04x\n", rows[i].s,
				ret, mn, mx);
		}
	}
}

static void test_mode(void)
{
	enum smbiov_mode m;

	T_EXPECT(cli_parse_mode(NULL, &m) == 0 && m == SMBIOV_REQUIRED);
	T_EXPECT(cli_parse_mode("required", &m) == 0 && m == SMBIOV_REQUIRED);
	T_EXPECT(cli_parse_mode("auto", &m) == 0 && m == SMBIOV_AUTO);
	T_EXPECT(cli_parse_mode("disabled", &m) == 0 && m == SMBIOV_DISABLED);
	T_EXPECT(cli_parse_mode("off", &m) == 0 && m == SMBIOV_DISABLED);
	T_EXPECT(cli_parse_mode("maybe", &m) != 0);
}

/* Parse a NULL-terminated argv; stderr is silenced. */
static int parse(char **argv, struct cli_opts *o, unsigned allowed, bool global,
		 int *first)
{
	int argc = 0, ret, saved = dup(2);
	FILE *null = fopen("/dev/null", "w");

	while (argv[argc])
		argc++;
	cli_opts_init(o);
	fflush(stderr);
	dup2(fileno(null), 2);
	ret = cli_parse_args(argc, argv, o, allowed, global, first);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(null);
	return ret;
}

static void test_parse(void)
{
	struct cli_opts o;
	int first;

	{
		char *av[] = {"smbiov", "--stats", "--sign", "get",
			      "-r",	"x",	   NULL};

		T_EXPECT_EQ(parse(av, &o, 0, true, &first), 0);
		T_EXPECT(o.stats && o.sign == SMBIOV_REQUIRED);
		/* stops at the command name */
		T_EXPECT_EQ(first, 3);
		T_EXPECT(!o.recursive);
	}
	{
		/* options may follow the arguments */
		char *av[] = {"get",
			      "smb://h/s/f",
			      "out",
			      "-r",
			      "--encrypt=auto",
			      "--dialect",
			      "3.0-",
			      NULL};

		T_EXPECT_EQ(parse(av, &o, CLI_F_RECURSIVE, false, &first), 0);
		T_EXPECT(o.recursive && o.encrypt == SMBIOV_AUTO);
		T_EXPECT_EQ(o.min_dialect, SMBIOV_DIALECT_300);
		/* getopt moved the arguments behind the options */
		T_EXPECT_EQ(first, 5);
		T_EXPECT(!strcmp(av[first], "smb://h/s/f"));
		T_EXPECT(!strcmp(av[first + 1], "out"));
	}
	{
		/* -h: human sizes where sizes are printed (ls, df), help
		 * elsewhere; --help is help everywhere */
		char *a1[] = {"ls", "-h", "smb://h/s", NULL};
		char *a2[] = {"get", "-h", NULL};
		char *a3[] = {"df", "--help", NULL};
		char *a4[] = {"smbiov", "-h", NULL};

		T_EXPECT_EQ(
			parse(a1, &o, CLI_F_LONG | CLI_F_HUMAN, false, &first),
			0);
		T_EXPECT(o.human && !o.help);
		T_EXPECT_EQ(parse(a2, &o, CLI_F_RECURSIVE, false, &first), 0);
		T_EXPECT(o.help && !o.human);
		T_EXPECT_EQ(parse(a3, &o, CLI_F_HUMAN, false, &first), 0);
		T_EXPECT(o.help && !o.human);
		T_EXPECT_EQ(parse(a4, &o, 0, true, &first), 0);
		T_EXPECT(o.help);
	}
	{
		/* -r where it does not apply */
		char *av[] = {"ls", "-r", "smb://h/s", NULL};

		T_EXPECT_EQ(parse(av, &o, CLI_F_LONG, false, &first),
			    CLI_EXIT_USAGE);
	}
	{
		/* passwords never come from argv, in any spelling */
		char *a1[] = {"ls", "--password=x", "smb://h/s", NULL};
		char *a2[] = {"ls", "--password", "smb://h/s", NULL};
		char *a3[] = {"smbiov", "--pass=x", "ls", NULL};

		T_EXPECT_EQ(parse(a1, &o, 0, false, &first), CLI_EXIT_USAGE);
		T_EXPECT_EQ(parse(a2, &o, 0, false, &first), CLI_EXIT_USAGE);
		T_EXPECT_EQ(parse(a3, &o, 0, true, &first), CLI_EXIT_USAGE);
	}
	{
		char *a1[] = {"ls", "--bogus", NULL};
		char *a2[] = {"ls", "--dialect", NULL};
		char *a3[] = {"ls", "--timeout=0", NULL};
		char *a4[] = {"ls", "--timeout=5", "--no-progress", NULL};

		T_EXPECT_EQ(parse(a1, &o, 0, false, &first), CLI_EXIT_USAGE);
		T_EXPECT_EQ(parse(a2, &o, 0, false, &first), CLI_EXIT_USAGE);
		T_EXPECT_EQ(parse(a3, &o, 0, false, &first), CLI_EXIT_USAGE);
		T_EXPECT_EQ(parse(a4, &o, 0, false, &first), 0);
		T_EXPECT_EQ(o.timeout_ms, 5000);
		T_EXPECT_EQ(o.progress, 0);
	}
	{
		char *av[] = {"get", "--help", NULL};

		T_EXPECT_EQ(parse(av, &o, 0, false, &first), 0);
		T_EXPECT(o.help);
	}
}

int main(void)
{
	T_RUN(test_dialect);
	T_RUN(test_mode);
	T_RUN(test_parse);
	return t_done();
}
