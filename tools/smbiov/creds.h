/* SPDX-License-Identifier: MIT */
/*
 * Where the password comes from: --credentials FILE (mount.cifs format),
 * else $SMBIOV_PASSWORD, else a prompt on /dev/tty with echo off. Never
 * from argv.
 */
#ifndef SMBIOV_CLI_CREDS_H
#define SMBIOV_CLI_CREDS_H

#include <stdbool.h>
#include <stddef.h>

struct cli_creds {
	char *user;	/* NULL: not given */
	char *domain;	/* NULL: not given */
	char *password; /* NULL: not given; wiped on release */
};

/**
 * creds_parse - parse a credentials file's text
 * @text: the file's bytes (need not be NUL-terminated)
 * @len: their count
 * @out: filled with what the file names (fields it lacks stay NULL)
 * @bad_line: on -EINVAL, the 1-based number of the offending line
 *
 * Lines are "key=value"; keys username/user, password/pass,
 * domain/dom/workgroup (as mount.cifs); the value runs to the end of the
 * line verbatim (a password may hold spaces and '='). Blank lines and lines
 * starting with '#' are skipped, unknown keys ignored. A username of the
 * form "DOMAIN\user" or "DOMAIN/user" also sets the domain unless domain=
 * does. A line without '=' is an error (-EINVAL). Returns 0, -EINVAL or
 * -ENOMEM; on failure @out holds nothing.
 */
int creds_parse(const char *text, size_t len, struct cli_creds *out,
		int *bad_line);

/**
 * creds_load - read and parse a credentials file
 * @path: the file
 * @out: as creds_parse()
 * @insecure: set when group or others may read the file
 *
 * Returns 0, a negative errno from opening/reading it, -EFBIG past 64 KiB,
 * or creds_parse()'s error (after printing the line number).
 */
int creds_load(const char *path, struct cli_creds *out, bool *insecure);

/**
 * creds_prompt - read a password from the controlling terminal, no echo
 * @prompt: what to print (on the terminal, not stdout)
 * @out: the password, malloc'd (the caller wipes and frees it)
 *
 * Returns 0, -ENXIO when there is no terminal, -EINTR on interrupt,
 * -ENOMEM.
 */
int creds_prompt(const char *prompt, char **out);

/* Restore the terminal if a prompt is running; async-signal-safe. */
void creds_signal_restore(void);

/* Wipe the password and free everything; @c may be reused after. */
void creds_release(struct cli_creds *c);

#endif
