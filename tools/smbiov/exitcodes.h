/* SPDX-License-Identifier: MIT */
/*
 * The CLI's exit codes and the one place that maps a library failure
 * (struct smbiov_error: errno, NTSTATUS, phase) to an exit code and a
 * one-line message (DESIGN.md "the CLI maps error classes to exit codes in
 * one place"). docs/cli.md and `smbiov --help` list the same codes.
 */
#ifndef SMBIOV_CLI_EXITCODES_H
#define SMBIOV_CLI_EXITCODES_H

#include <stdio.h>

#include <smbiov/smbiov.h>

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,    /* anything not listed below */
	CLI_EXIT_USAGE = 2,    /* bad command line, URL or credentials input */
	CLI_EXIT_AUTH = 3,     /* authentication failed */
	CLI_EXIT_CONNECT = 4,  /* host not found, connection failed or lost */
	CLI_EXIT_SHARE = 5,    /* share not found */
	CLI_EXIT_PATH = 6,     /* remote path not found */
	CLI_EXIT_PERM = 7,     /* permission denied, read-only */
	CLI_EXIT_LOCAL = 8,    /* local file error (source or destination) */
	CLI_EXIT_PROTO = 9,    /* protocol error, malformed reply, downgrade */
	CLI_EXIT_INTR = 10,    /* interrupted (SIGINT, SIGTERM, SIGHUP) */
	CLI_EXIT_EXISTS = 11,  /* destination exists / directory not empty */
	CLI_EXIT_NOSPC = 12,   /* no space or quota left on the share */
	CLI_EXIT_CHANGED = 13, /* a file changed during the transfer */
};

/* What a failure means for the user. */
struct cli_exit_class {
	int code;	     /* enum cli_exit */
	const char *message; /* short, lower case, no trailing newline */
};

/**
 * cli_exit_classify - the exit code and message for a library failure
 * @e: the failure (err < 0)
 *
 * Walks the one classification table; the first matching row wins, the
 * last row matches everything. Never NULL.
 */
const struct cli_exit_class *cli_exit_classify(const struct smbiov_error *e);

/**
 * cli_error_from - the calling thread's last library error for @ret
 * @ret: the negative errno a library call returned
 * @phase: phase to assume when the library's record does not match @ret
 * @out: filled
 *
 * smbiov_last_error() describes the thread's most recent failure; when it
 * does not match @ret (an asynchronous completion on a library thread, a
 * failure the library did not record) only @ret and @phase are used.
 */
void cli_error_from(int ret, enum smbiov_phase phase, struct smbiov_error *out);

/**
 * cli_report - print one line for a library failure and return its code
 * @target: what failed (a URL or path), or NULL
 * @e: the failure
 *
 * Prints "smbiov: TARGET: MESSAGE (DETAIL)" on stderr; DETAIL is the
 * library's message, else the NTSTATUS name, else strerror.
 */
int cli_report(const char *target, const struct smbiov_error *e);

/* cli_error_from() with SMBIOV_PHASE_IO, then cli_report(). */
int cli_report_ret(const char *target, int ret);

/* A local file failure (errno > 0 or < 0): prints and returns 8. */
int cli_report_local(const char *path, const char *what, int err);

/* Format the one-line message into @buf (no newline); returns the code. */
int cli_format_error(char *buf, size_t len, const char *target,
		     const struct smbiov_error *e);

/* The documented exit codes, for --help and the tests. */
struct cli_exit_doc {
	int code;
	const char *summary;
};
extern const struct cli_exit_doc cli_exit_docs[];
extern const size_t cli_exit_docs_n;

void cli_exit_print_docs(FILE *f);

#endif
