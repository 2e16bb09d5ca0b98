/* SPDX-License-Identifier: MIT */
/*
 * One table from library failures to exit codes and messages. Rows are
 * matched in order: phase-specific rows come before the errno rows that
 * would otherwise claim the same failure (a -ENOENT at tree connect is a
 * missing share, not a missing path).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exitcodes.h"

/*
 * The NTSTATUS codes this table tells apart (MS-ERREF 2.3.1). The CLI sees
 * only the public API (include/smbiov; the lint.public_api test), which
 * gives it the names (smbiov_ntstatus_name) but no values: these are wire
 * constants fixed by the specification, so a local copy of the dozen the
 * CLI compares against cannot drift, and the library does not publish a
 * list of SMBIOV_STATUS_* chosen for one caller. test_cli_ntstatus checks
 * each against the library's table.
 */
#define STATUS_OBJECT_NAME_INVALID	0xC0000033u
#define STATUS_NO_SUCH_USER		0xC0000064u
#define STATUS_WRONG_PASSWORD		0xC000006Au
#define STATUS_LOGON_FAILURE		0xC000006Du
#define STATUS_PASSWORD_EXPIRED		0xC0000071u
#define STATUS_ACCOUNT_DISABLED		0xC0000072u
#define STATUS_MEDIA_WRITE_PROTECTED	0xC00000A2u
#define STATUS_INVALID_NETWORK_RESPONSE 0xC00000C3u
#define STATUS_BAD_NETWORK_NAME		0xC00000CCu
#define STATUS_ACCOUNT_EXPIRED		0xC0000193u
#define STATUS_PASSWORD_MUST_CHANGE	0xC0000224u
#define STATUS_ACCOUNT_LOCKED_OUT	0xC0000234u
#define STATUS_DOWNGRADE_DETECTED	0xC0000388u

#define ANY_PHASE (-1)

struct cli_exit_row {
	int phase;	   /* enum smbiov_phase, or ANY_PHASE */
	uint32_t ntstatus; /* 0: any */
	int err;	   /* negative errno, 0: any */
	struct cli_exit_class cls;
};

#define ROW(ph, st, er, code, msg)                                             \
	{                                                                      \
		(ph), (st), (er),                                              \
		{                                                              \
			(code), (msg)                                          \
		}                                                              \
	}

static const struct cli_exit_row cli_exit_table[] = {
	ROW(ANY_PHASE, 0, -EINTR, CLI_EXIT_INTR, "interrupted"),

	/* finding and reaching the server */
	ROW(SMBIOV_PHASE_RESOLVE, 0, 0, CLI_EXIT_CONNECT, "host not found"),
	ROW(SMBIOV_PHASE_CONNECT, 0, -ECONNREFUSED, CLI_EXIT_CONNECT,
	    "connection refused"),
	ROW(SMBIOV_PHASE_CONNECT, 0, -ETIMEDOUT, CLI_EXIT_CONNECT,
	    "connection timed out"),
	ROW(SMBIOV_PHASE_CONNECT, 0, 0, CLI_EXIT_CONNECT, "cannot connect"),

	/* security negotiation: refusing a downgrade is not a network error */
	ROW(ANY_PHASE, STATUS_DOWNGRADE_DETECTED, 0, CLI_EXIT_PROTO,
	    "security downgrade detected"),
	ROW(SMBIOV_PHASE_NEGOTIATE, 0, -EPROTO, CLI_EXIT_PROTO,
	    "negotiation failed"),
	ROW(SMBIOV_PHASE_NEGOTIATE, 0, -EPROTONOSUPPORT, CLI_EXIT_PROTO,
	    "no common protocol dialect"),

	/* credentials */
	ROW(SMBIOV_PHASE_AUTH, STATUS_LOGON_FAILURE, 0, CLI_EXIT_AUTH,
	    "authentication failed: wrong user name or password"),
	ROW(SMBIOV_PHASE_AUTH, STATUS_WRONG_PASSWORD, 0, CLI_EXIT_AUTH,
	    "authentication failed: wrong user name or password"),
	ROW(SMBIOV_PHASE_AUTH, STATUS_NO_SUCH_USER, 0, CLI_EXIT_AUTH,
	    "authentication failed: wrong user name or password"),
	ROW(SMBIOV_PHASE_AUTH, STATUS_ACCOUNT_DISABLED, 0, CLI_EXIT_AUTH,
	    "authentication failed: account disabled"),
	ROW(SMBIOV_PHASE_AUTH, STATUS_ACCOUNT_LOCKED_OUT, 0, CLI_EXIT_AUTH,
	    "authentication failed: account locked out"),
	ROW(SMBIOV_PHASE_AUTH, STATUS_ACCOUNT_EXPIRED, 0, CLI_EXIT_AUTH,
	    "authentication failed: account expired"),
	ROW(SMBIOV_PHASE_AUTH, STATUS_PASSWORD_EXPIRED, 0, CLI_EXIT_AUTH,
	    "authentication failed: password expired"),
	ROW(SMBIOV_PHASE_AUTH, STATUS_PASSWORD_MUST_CHANGE, 0, CLI_EXIT_AUTH,
	    "authentication failed: password must be changed"),
	ROW(SMBIOV_PHASE_AUTH, 0, -EACCES, CLI_EXIT_AUTH,
	    "authentication failed"),
	ROW(SMBIOV_PHASE_AUTH, 0, -EPERM, CLI_EXIT_AUTH,
	    "authentication failed"),
	ROW(SMBIOV_PHASE_AUTH, 0, -EKEYEXPIRED, CLI_EXIT_AUTH,
	    "authentication failed: credentials expired"),
	ROW(SMBIOV_PHASE_AUTH, 0, -EKEYREJECTED, CLI_EXIT_AUTH,
	    "authentication failed"),

	/* the share */
	ROW(SMBIOV_PHASE_TREE, STATUS_BAD_NETWORK_NAME, 0, CLI_EXIT_SHARE,
	    "share not found"),
	ROW(SMBIOV_PHASE_TREE, 0, -ENOENT, CLI_EXIT_SHARE, "share not found"),
	ROW(SMBIOV_PHASE_TREE, 0, -ENXIO, CLI_EXIT_SHARE, "share not found"),
	ROW(SMBIOV_PHASE_TREE, 0, -EACCES, CLI_EXIT_PERM,
	    "access to the share denied"),
	ROW(SMBIOV_PHASE_TREE, 0, -EPERM, CLI_EXIT_PERM,
	    "access to the share denied"),

	/* files: any phase after connecting */
	ROW(ANY_PHASE, STATUS_OBJECT_NAME_INVALID, 0, CLI_EXIT_PATH,
	    "the server refuses this name (? * : < > | \" \\ or a reserved "
	    "name)"),
	ROW(ANY_PHASE, 0, -ENOENT, CLI_EXIT_PATH, "no such file or directory"),
	ROW(ANY_PHASE, 0, -ENOTDIR, CLI_EXIT_PATH, "not a directory"),
	ROW(ANY_PHASE, 0, -ENAMETOOLONG, CLI_EXIT_PATH, "name too long"),
	ROW(ANY_PHASE, STATUS_MEDIA_WRITE_PROTECTED, 0, CLI_EXIT_PERM,
	    "read-only share"),
	ROW(ANY_PHASE, 0, -EROFS, CLI_EXIT_PERM, "read-only share"),
	ROW(ANY_PHASE, 0, -EACCES, CLI_EXIT_PERM, "permission denied"),
	ROW(ANY_PHASE, 0, -EPERM, CLI_EXIT_PERM, "permission denied"),
	ROW(ANY_PHASE, 0, -EEXIST, CLI_EXIT_EXISTS, "file exists"),
	ROW(ANY_PHASE, 0, -ENOTEMPTY, CLI_EXIT_EXISTS, "directory not empty"),
	ROW(ANY_PHASE, 0, -ENOSPC, CLI_EXIT_NOSPC, "no space left on share"),
	ROW(ANY_PHASE, 0, -EDQUOT, CLI_EXIT_NOSPC, "quota exceeded"),
	ROW(ANY_PHASE, 0, -EFBIG, CLI_EXIT_NOSPC, "file too large"),
	/* a directory where a file is wanted: as "without -r", docs/cli.md */
	ROW(ANY_PHASE, 0, -EISDIR, CLI_EXIT_USAGE, "is a directory"),
	ROW(ANY_PHASE, 0, -EBUSY, CLI_EXIT_ERROR, "file is in use"),

	/* the conversation itself */
	ROW(ANY_PHASE, STATUS_INVALID_NETWORK_RESPONSE, 0, CLI_EXIT_PROTO,
	    "malformed reply from server"),
	ROW(ANY_PHASE, 0, -EPROTO, CLI_EXIT_PROTO,
	    "protocol error or security downgrade refused"),
	ROW(ANY_PHASE, 0, -EBADMSG, CLI_EXIT_PROTO,
	    "malformed or badly signed reply from server"),
	ROW(ANY_PHASE, 0, -EPROTONOSUPPORT, CLI_EXIT_PROTO,
	    "no common protocol dialect"),
	ROW(ANY_PHASE, 0, -EILSEQ, CLI_EXIT_PROTO, "malformed reply"),
	ROW(ANY_PHASE, 0, -EKEYREJECTED, CLI_EXIT_PROTO,
	    "reply failed its signature or integrity check"),

	/* the connection went away or stopped answering */
	ROW(ANY_PHASE, 0, -ETIMEDOUT, CLI_EXIT_CONNECT, "server timed out"),
	ROW(ANY_PHASE, 0, -ECONNREFUSED, CLI_EXIT_CONNECT,
	    "connection refused"),
	ROW(ANY_PHASE, 0, -ECONNRESET, CLI_EXIT_CONNECT, "connection lost"),
	ROW(ANY_PHASE, 0, -ECONNABORTED, CLI_EXIT_CONNECT, "connection lost"),
	ROW(ANY_PHASE, 0, -EPIPE, CLI_EXIT_CONNECT, "connection lost"),
	ROW(ANY_PHASE, 0, -ENOTCONN, CLI_EXIT_CONNECT, "connection lost"),
	ROW(ANY_PHASE, 0, -ENETRESET, CLI_EXIT_CONNECT, "connection lost"),
	ROW(ANY_PHASE, 0, -EHOSTUNREACH, CLI_EXIT_CONNECT, "host unreachable"),
	ROW(ANY_PHASE, 0, -ENETUNREACH, CLI_EXIT_CONNECT,
	    "network unreachable"),

	ROW(ANY_PHASE, 0, -ENOSYS, CLI_EXIT_ERROR, "not supported"),
	ROW(ANY_PHASE, 0, -EOPNOTSUPP, CLI_EXIT_ERROR,
	    "not supported by the server"),
	ROW(SMBIOV_PHASE_NEGOTIATE, 0, 0, CLI_EXIT_PROTO, "negotiation failed"),
	ROW(ANY_PHASE, 0, 0, CLI_EXIT_ERROR, "failed"),
};

#define CLI_EXIT_ROWS (sizeof(cli_exit_table) / sizeof(cli_exit_table[0]))

const struct cli_exit_doc cli_exit_docs[] = {
	{CLI_EXIT_OK, "success"},
	{CLI_EXIT_ERROR, "error not listed below"},
	{CLI_EXIT_USAGE, "usage: bad option, argument, URL or no password"},
	{CLI_EXIT_AUTH, "authentication failed (wrong user or password)"},
	{CLI_EXIT_CONNECT,
	 "host not found, connection refused, timed out or lost"},
	{CLI_EXIT_SHARE, "share not found"},
	{CLI_EXIT_PATH, "remote path not found"},
	{CLI_EXIT_PERM, "permission denied or read-only share"},
	{CLI_EXIT_LOCAL, "local file error (source or destination)"},
	{CLI_EXIT_PROTO,
	 "protocol error, malformed reply, security downgrade refused"},
	{CLI_EXIT_INTR, "interrupted by a signal"},
	{CLI_EXIT_EXISTS, "destination exists or directory not empty"},
	{CLI_EXIT_NOSPC, "no space or quota left on the share"},
	{CLI_EXIT_CHANGED, "the file changed during the transfer"},
};
const size_t cli_exit_docs_n = sizeof(cli_exit_docs) / sizeof(cli_exit_docs[0]);

const struct cli_exit_class *cli_exit_classify(const struct smbiov_error *e)
{
	for (size_t i = 0; i < CLI_EXIT_ROWS; i++) {
		const struct cli_exit_row *r = &cli_exit_table[i];

		if (r->phase != ANY_PHASE && r->phase != (int)e->phase)
			continue;
		if (r->ntstatus && r->ntstatus != e->ntstatus)
			continue;
		if (r->err && r->err != e->err)
			continue;
		return &r->cls;
	}
	return &cli_exit_table[CLI_EXIT_ROWS - 1].cls; /* not reached */
}

/* The library's message is one line; make sure of it. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
}

int cli_format_error(char *buf, size_t len, const char *target,
		     const struct smbiov_error *e)
{
	const struct cli_exit_class *cls = cli_exit_classify(e);
	const char *detail = NULL;
	char msg[sizeof(e->message)];

	memcpy(msg, e->message, sizeof(msg));
	msg[sizeof(msg) - 1] = '\0';
	one_line(msg);
	if (msg[0])
		detail = msg;
	else if (e->ntstatus)
		detail = smbiov_ntstatus_name(e->ntstatus);
	if (!detail && e->err)
		detail = smbiov_strerror(e->err);
	/* Don't repeat the class message as its own detail. */
	if (detail && !strcasecmp(detail, cls->message))
		detail = NULL;
	snprintf(buf, len, "smbiov: %s%s%s%s%s%s", target ? target : "",
		 target ? ": " : "", cls->message, detail ? " (" : "",
		 detail ? detail : "", detail ? ")" : "");
	return cls->code;
}

int cli_report(const char *target, const struct smbiov_error *e)
{
	char line[1024];
	int code = cli_format_error(line, sizeof(line), target, e);

	fprintf(stderr, "%s\n", line);
	return code;
}

int cli_report_local(const char *path, const char *what, int err)
{
	if (err < 0)
		err = -err;
	fprintf(stderr, "smbiov: %s: %s%s%s\n", path, what ? what : "",
		what ? ": " : "", smbiov_strerror(err));
	return CLI_EXIT_LOCAL;
}

void cli_exit_print_docs(FILE *f)
{
	for (size_t i = 0; i < cli_exit_docs_n; i++)
		fprintf(f, "  %3d  %s\n", cli_exit_docs[i].code,
			cli_exit_docs[i].summary);
}
