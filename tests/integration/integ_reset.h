/* SPDX-License-Identifier: MIT */
/*
 * Dropping the test's own connection to the fixture's smbd (issue 15):
 * `ss -K` resets every established TCP connection of this process to the
 * server's port, found by its local port in /proc/net/tcp and checked to
 * be one of this process's sockets, so tests running beside it are not
 * touched. Both ends get an RST; smbd stays up. Used by
 * tests/integration/test_reconnect.c and tests/fault/ (the sweeps over
 * the reconnect itself).
 *
 * Makes no allocation through the wrapped calls of tests/fault/ (what
 * fopen, opendir and system() allocate is libc's, not rerouted), so a
 * fault sweep may count from before the reset.
 */
#ifndef SMBIOV_TEST_INTEG_RESET_H
#define SMBIOV_TEST_INTEG_RESET_H

#include "t.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Is socket @inode one of this process's open files? */
static inline bool integ_my_socket(unsigned long inode)
{
	char want[64], link[64], p[300];
	struct dirent *d;
	bool found = false;
	DIR *dir = opendir("/proc/self/fd");

	if (!dir)
		return false;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (!found && (d = readdir(dir))) {
		ssize_t n;

		snprintf(p, sizeof(p), "/proc/self/fd/%s", d->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		found = !strcmp(link, want);
	}
	closedir(dir);
	return found;
}

/*
 * integ_reset_port - reset this process's TCP connections to port @sport.
 *
 * Return: how many were reset (both ends get an RST). A failing `ss` is
 * a failed check.
 */
static inline int integ_reset_port(unsigned sport)
{
	char line[512], cmd[256];
	int n = 0;
	FILE *f = fopen("/proc/net/tcp", "r");

	T_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned lport, rport, st;
		unsigned long inode;

		if (sscanf(line,
			   " %*d: %*x:%x %*x:%x %x %*x:%*x %*x:%*x %*x %*u %*u "
			   "%lu",
			   &lport, &rport, &st, &inode) != 4)
			continue;
		if (rport != sport || st != 1 /* ESTABLISHED */ ||
		    !integ_my_socket(inode))
			continue;
		snprintf(cmd, sizeof(cmd),
			 "ss -K -tn state established sport = :%u dport = :%u "
			 ">/dev/null",
			 lport, rport);
		T_EXPECT_EQ(system(cmd), 0);
		n++;
	}
	fclose(f);
	return n;
}

#endif
