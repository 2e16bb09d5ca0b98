/* SPDX-License-Identifier: MIT */
/*
 * Option parsing. Connection options are accepted before and after the
 * command name; command options only after it, and only by the commands
 * that take them. A password is never taken from the command line.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_SIGN = 0x100,
	OPT_ENCRYPT,
	OPT_DIALECT,
	OPT_CREDENTIALS,
	OPT_USER,
	OPT_STATS,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_TIMEOUT,
	OPT_RECONNECT,
	OPT_STREAMS,
	OPT_HELP,
	OPT_INPLACE,
	OPT_FAIL_FAST,
	OPT_FSYNC,
	OPT_PASSWORD,
};

static const struct option cli_long_opts[] = {
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, 'V'},
	{"recursive", no_argument, NULL, 'r'},
	{"long", no_argument, NULL, 'l'},
	{"force", no_argument, NULL, 'f'},
	{"parents", no_argument, NULL, 'p'},
	{"human-readable", no_argument, NULL, 'H'},
	{"sign", optional_argument, NULL, OPT_SIGN},
	{"encrypt", optional_argument, NULL, OPT_ENCRYPT},
	{"dialect", required_argument, NULL, OPT_DIALECT},
	{"credentials", required_argument, NULL, OPT_CREDENTIALS},
	{"user", required_argument, NULL, OPT_USER},
	{"stats", no_argument, NULL, OPT_STATS},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"reconnect", required_argument, NULL, OPT_RECONNECT},
	{"streams", required_argument, NULL, OPT_STREAMS},
	{"fsync", no_argument, NULL, OPT_FSYNC},
	{"inplace", no_argument, NULL, OPT_INPLACE},
	{"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
	{"continue", no_argument, NULL, 'C'},
	{"dereference", no_argument, NULL, 'L'},
	/* recognised only to refuse it with a clear message */
	{"password", optional_argument, NULL, OPT_PASSWORD},
	{"pass", optional_argument, NULL, OPT_PASSWORD},
	{NULL, 0, NULL, 0},
};

void cli_opts_init(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sign = SMBIOV_AUTO;
	o->encrypt = SMBIOV_AUTO;
	o->progress = -1;
}

static const struct {
	const char *name;
	uint16_t dialect;
} cli_dialects[] = {
	{"2.0.2", SMBIOV_DIALECT_202}, {"2.02", SMBIOV_DIALECT_202},
	{"2.1", SMBIOV_DIALECT_210},   {"2.10", SMBIOV_DIALECT_210},
	{"3.0", SMBIOV_DIALECT_300},   {"3", SMBIOV_DIALECT_300},
	{"3.0.2", SMBIOV_DIALECT_302}, {"3.02", SMBIOV_DIALECT_302},
	{"3.1.1", SMBIOV_DIALECT_311}, {"3.11", SMBIOV_DIALECT_311},
};

static int dialect_one(const char *s, size_t n, uint16_t *d)
{
	for (size_t i = 0; i < sizeof(cli_dialects) / sizeof(cli_dialects[0]);
	     i++) {
		if (strlen(cli_dialects[i].name) == n &&
		    !strncmp(cli_dialects[i].name, s, n)) {
			*d = cli_dialects[i].dialect;
			return 0;
		}
	}
	return -1;
}

/* "3.1.1" (exactly), "2.1-3.0.2" (a range), "3.0-" (at least). */
int cli_parse_dialect(const char *s, uint16_t *min, uint16_t *max)
{
	const char *dash = strchr(s, '-');

	if (!dash) {
		if (dialect_one(s, strlen(s), min))
			return -1;
		*max = *min;
		return 0;
	}
	if (dash == s)
		*min = SMBIOV_DIALECT_202;
	else if (dialect_one(s, (size_t)(dash - s), min))
		return -1;
	if (!dash[1])
		*max = SMBIOV_DIALECT_311;
	else if (dialect_one(dash + 1, strlen(dash + 1), max))
		return -1;
	return *min <= *max ? 0 : -1;
}

/* NULL (the bare option) means "required". */
int cli_parse_mode(const char *s, enum smbiov_mode *m)
{
	if (!s || !strcmp(s, "required") || !strcmp(s, "yes") ||
	    !strcmp(s, "on"))
		*m = SMBIOV_REQUIRED;
	else if (!strcmp(s, "auto"))
		*m = SMBIOV_AUTO;
	else if (!strcmp(s, "disabled") || !strcmp(s, "no") ||
		 !strcmp(s, "off"))
		*m = SMBIOV_DISABLED;
	else
		return -1;
	return 0;
}

/* One line on stderr, ending with a pointer to the command's --help. */
static int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smbiov: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'smbiov %s%s--help')\n", cmd ? cmd : "",
		cmd ? " " : "");
	return CLI_EXIT_USAGE;
}

static int set_flag(unsigned allowed, unsigned flag, bool *field,
		    const char *cmd, const char *opt)
{
	if (!(allowed & flag))
		return usage_error(cmd, "option '%s' does not apply here", opt);
	*field = true;
	return 0;
}

/*
 * A command's own option @c (or -h/--help, which every command takes):
 * false when @c is not one; else true, *@ret 0 or a usage error.
 */
static bool command_opt(int c, struct cli_opts *o, unsigned allowed,
			const char *cmd, int *ret)
{
	switch (c) {
	case 'h':
		/*
		 * As coreutils: -h is human sizes where sizes are
		 * printed (ls, df), and help everywhere else.
		 */
		if (allowed & CLI_F_HUMAN)
			o->human = true;
		else
			o->help = true;
		break;
	case OPT_HELP:
		o->help = true;
		break;
	case OPT_FAIL_FAST:
		*ret = set_flag(allowed, CLI_F_FAILFAST, &o->fail_fast, cmd,
				"--fail-fast");
		break;
	case OPT_INPLACE:
		*ret = set_flag(allowed, CLI_F_INPLACE, &o->inplace, cmd,
				"--inplace");
		break;
	case 'r':
		*ret = set_flag(allowed, CLI_F_RECURSIVE, &o->recursive, cmd,
				"-r");
		break;
	case 'l':
		*ret = set_flag(allowed, CLI_F_LONG, &o->long_list, cmd, "-l");
		break;
	case 'f':
		/* mount -f: foreground, as mount.fuse and sshfs */
		if (allowed & CLI_F_MOUNTFG)
			o->foreground = true;
		else
			*ret = set_flag(allowed, CLI_F_FORCE, &o->force, cmd,
					"-f");
		break;
	case 'o':
		if (!(allowed & CLI_F_MOUNTOPTS))
			*ret = usage_error(cmd,
					   "option '-o' does not apply here");
		else if (o->n_mount_o == CLI_MOUNT_O_MAX)
			*ret = usage_error(cmd, "more than %d -o options",
					   CLI_MOUNT_O_MAX);
		else
			o->mount_o[o->n_mount_o++] = optarg;
		break;
	case 'p':
		*ret = set_flag(allowed, CLI_F_PARENTS, &o->parents, cmd, "-p");
		break;
	case 'H':
		*ret = set_flag(allowed, CLI_F_HUMAN, &o->human, cmd, "-H");
		break;
	case 'C':
		*ret = set_flag(allowed, CLI_F_CONTINUE, &o->resume, cmd, "-C");
		break;
	case 'L':
		*ret = set_flag(allowed, CLI_F_DEREF, &o->deref, cmd, "-L");
		break;
	default:
		return false;
	}
	return true;
}

/* @s is a whole decimal number in [@lo, @hi], put in *@t. */
static bool parse_number(const char *s, long lo, long hi, long *t)
{
	char *end;

	*t = strtol(s, &end, 10);
	return *s != '\0' && !*end && *t >= lo && *t <= hi;
}

/*
 * A connection option @c (accepted before and after the command): false
 * when @c is not one; else true, *@ret 0 or a usage error.
 */
static bool conn_opt(int c, struct cli_opts *o, const char *cmd, int *ret)
{
	long t;

	switch (c) {
	case OPT_SIGN:
		if (cli_parse_mode(optarg, &o->sign))
			*ret = usage_error(cmd, "bad --sign mode '%s'", optarg);
		break;
	case OPT_ENCRYPT:
		if (cli_parse_mode(optarg, &o->encrypt))
			*ret = usage_error(cmd, "bad --encrypt mode '%s'",
					   optarg);
		break;
	case OPT_DIALECT:
		if (cli_parse_dialect(optarg, &o->min_dialect, &o->max_dialect))
			*ret = usage_error(cmd, "bad --dialect '%s'", optarg);
		break;
	case OPT_CREDENTIALS:
		o->credentials = optarg;
		break;
	case OPT_USER:
		o->user = optarg;
		break;
	case OPT_STATS:
		o->stats = true;
		break;
	case OPT_FSYNC:
		o->fsync = true;
		break;
	case OPT_PROGRESS:
		o->progress = 1;
		break;
	case OPT_NO_PROGRESS:
		o->progress = 0;
		break;
	case OPT_TIMEOUT:
		if (!parse_number(optarg, 1, 86400, &t))
			*ret = usage_error(cmd, "bad --timeout '%s'", optarg);
		else
			o->timeout_ms = (int)t * 1000;
		break;
	case OPT_RECONNECT:
		if (!parse_number(optarg, 0, 86400, &t))
			*ret = usage_error(cmd, "bad --reconnect '%s'", optarg);
		else
			o->reconnect_ms = t ? (int)t * 1000 : -1;
		break;
	case OPT_STREAMS:
		if (!parse_number(optarg, 1, CLI_STREAMS_MAX, &t))
			*ret = usage_error(cmd, "bad --streams '%s' (1 to %d)",
					   optarg, CLI_STREAMS_MAX);
		else
			o->streams = (int)t;
		break;
	case OPT_PASSWORD:
		fprintf(stderr, "smbiov: passwords are not taken from "
				"the command line: use SMBIOV_PASSWORD, "
				"--credentials FILE or the prompt\n");
		*ret = CLI_EXIT_USAGE;
		break;
	default:
		return false;
	}
	return true;
}

int cli_parse_args(int argc, char **argv, struct cli_opts *o, unsigned allowed,
		   bool global, int *first_arg)
{
	const char *cmd = global ? NULL : argv[0];
	/* '+': stop at the command name; ':': we report errors ourselves */
	const char *shortopts = global ? "+:hV" : ":hrlfpHCLo:";
	int c, ret = 0;

	optind = 0; /* glibc: full re-initialisation */
	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv, shortopts, cli_long_opts,
					NULL)) != -1) {
		if (c == 'V') {
			if (!global)
				return usage_error(cmd, "%s", "unknown option");
			o->version = true;
		} else if (!command_opt(c, o, allowed, cmd, &ret) &&
			   !conn_opt(c, o, cmd, &ret)) {
			if (c == ':')
				ret = usage_error(
					cmd, "option '%s' needs an argument",
					argv[optind - 1]);
			else
				ret = usage_error(cmd, "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	*first_arg = optind;
	return ret;
}

void cli_print_options(void)
{
	fputs("Connection options (before or after the command):\n"
	      "  --credentials FILE   username=, password=, domain= lines "
	      "(mount.cifs format)\n"
	      "  --user [DOMAIN;]USER override the URL's user\n"
	      "  --sign[=MODE]        signing: required (bare option), auto, "
	      "disabled\n"
	      "  --encrypt[=MODE]     encryption: required (bare option), "
	      "auto, disabled\n"
	      "  --dialect D          2.0.2 2.1 3.0 3.0.2 3.1.1, a range "
	      "\"3.0-3.1.1\" or \"3.0-\"\n"
	      "  --timeout SECONDS    per request and for connecting "
	      "(default 30)\n"
	      "  --reconnect SECONDS  try a lost connection again for so "
	      "long (default 10,\n"
	      "                       0: off)\n"
	      "  --streams N          connections for one file of 64 MiB or "
	      "more, 1 to 8\n"
	      "                       (default: 2 when signing or "
	      "encrypting, else 1)\n"
	      "  --fsync              get: make each file durable (fsync) "
	      "before it takes\n"
	      "                       its name (default: as cp, the kernel "
	      "writes it back)\n"
	      "  --stats              at exit, print dialect, cipher, signing "
	      "and counters\n"
	      "  --progress, --no-progress\n"
	      "                       progress bar on stderr (default: when "
	      "stderr is a TTY)\n"
	      "  -h, --help           help (for a command: smbiov CMD "
	      "--help)\n"
	      "The password comes from --credentials FILE, else "
	      "SMBIOV_PASSWORD, else a\nprompt on the terminal; never from "
	      "the command line.\n",
	      stdout);
}

/*
 * Newline-separated URLs need no quoting: a URL percent-escapes any
 * newline in a name. A CR before the newline (a list written on Windows)
 * and empty lines are dropped.
 */
static int read_lines(FILE *in, struct cli_urls *out)
{
	size_t cap = 0, len = 0;

	for (;;) {
		size_t got;

		if (len + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = realloc(out->buf, ncap);

			if (!nb)
				return cli_report_local("stdin", "read",
							ENOMEM);
			out->buf = nb;
			cap = ncap;
		}
		got = fread(out->buf + len, 1, cap - len - 1, in);
		len += got;
		if (got)
			continue;
		if (ferror(in))
			return cli_report_local("stdin", "read",
						errno ? errno : EIO);
		break;
	}
	out->buf[len] = '\0';
	return 0;
}

static int push(struct cli_urls *u, size_t *cap, char *s)
{
	if ((size_t)u->argc == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		char **na;

		if (ncap > INT_MAX ||
		    !(na = realloc(u->argv, ncap * sizeof(*na))))
			return cli_report_local("stdin", "read", ENOMEM);
		u->argv = na;
		*cap = ncap;
	}
	u->argv[u->argc++] = s;
	return 0;
}

int cli_urls_expand(FILE *in, int argc, char **argv, struct cli_urls *out)
{
	size_t cap = 0;
	bool read = false;
	int code = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < argc && !code; i++) {
		char *line, *next;

		if (strcmp(argv[i], "-")) {
			code = push(out, &cap, argv[i]);
			continue;
		}
		if (read) {
			fprintf(stderr, "smbiov: '-' (URLs from stdin) may "
					"be given only once\n");
			code = CLI_EXIT_USAGE;
			break;
		}
		read = true;
		code = read_lines(in, out);
		for (line = out->buf; !code && line && *line; line = next) {
			size_t n = strcspn(line, "\n");

			next = line[n] ? line + n + 1 : NULL;
			line[n] = '\0';
			if (n && line[n - 1] == '\r')
				line[--n] = '\0';
			if (n)
				code = push(out, &cap, line);
		}
	}
	if (code)
		cli_urls_release(out);
	return code;
}

void cli_urls_release(struct cli_urls *u)
{
	free(u->argv);
	free(u->buf);
	memset(u, 0, sizeof(*u));
}
