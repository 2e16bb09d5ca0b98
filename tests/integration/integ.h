/* SPDX-License-Identifier: MIT */
/*
 * Integration-test environment: where the fixture's smbd is.
 *
 * CTest's fixture `samba` (tests/CMakeLists.txt) starts a private smbd with
 * scripts/samba-server on a port chosen at run time and writes its KEY=VALUE
 * lines (SMB_HOST, SMB_PORT, SMB_USER, SMB_PASS, SMB_SHARE, SMB_ENC_SHARE,
 * SMB_RO_SHARE, SMB_SIGNED_PORT, SMB_SIGNED_SHARE, SMB_ROOT, SMB_STATE_DIR)
 * to a file in the build tree. A test calls integ_env_load() first and then
 * reads the values with getenv(); when it fails the test skips:
 *
 *	if (integ_env_load() < 0)
 *		return t_skip("no test server (run through ctest)");
 */
#ifndef SMBIOV_TEST_INTEG_H
#define SMBIOV_TEST_INTEG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file the fixture writes; compiled in so that a test program can be
 * run by hand while the fixture's (or a hand-started) server is up. */
#ifndef SMBIOV_INTEG_ENV_FILE
#define SMBIOV_INTEG_ENV_FILE ""
#endif

/*
 * integ_env_load - read the fixture's env file into the environment.
 *
 * The file is $SMBIOV_INTEG_ENV (set by CTest), else the compiled-in path.
 * Each KEY=VALUE line is setenv()ed unless KEY is already set, so a server
 * started by hand can be used by exporting its lines (eval "$(scripts/
 * samba-server start DIR auto)") before running the test.
 *
 * Return: 0 when SMB_HOST and SMB_PORT are set afterwards (from the file or
 * from the environment); -ENOENT (or fopen's errno) when the file cannot be
 * read and they are not already set; -EINVAL for a malformed file.
 */
static inline int integ_env_load(void)
{
	const char *path = getenv("SMBIOV_INTEG_ENV");
	char line[4096];
	FILE *f;
	int err = 0;

	if (!path || !*path)
		path = SMBIOV_INTEG_ENV_FILE;
	f = *path ? fopen(path, "r") : NULL;
	if (!f) {
		err = *path ? -errno : -ENOENT;
		if (getenv("SMB_HOST") && getenv("SMB_PORT"))
			return 0;
		fprintf(stderr, "integ: no server env file %s: %s\n",
			*path ? path : "(none)", strerror(-err));
		return err;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		char *eq;

		if (line[n] == '\0' && !feof(f)) {
			err = -EINVAL; /* a line longer than the buffer */
			break;
		}
		line[n] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq || eq == line) {
			err = -EINVAL;
			break;
		}
		*eq = '\0';
		if (setenv(line, eq + 1, 0) < 0) {
			err = -errno;
			break;
		}
	}
	fclose(f);
	if (err == 0 && !(getenv("SMB_HOST") && getenv("SMB_PORT")))
		err = -EINVAL;
	if (err < 0)
		fprintf(stderr, "integ: bad server env file %s: %s\n", path,
			strerror(-err));
	return err;
}

/* Where the server's logs are, for a failing test's message. */
static inline void integ_print_logs_hint(void)
{
	const char *dir = getenv("SMB_STATE_DIR");

	if (dir)
		fprintf(stderr,
			"integ: smbd logs: %s/log/ and "
			"%s/signed-instance/log/\n",
			dir, dir);
}

#endif
