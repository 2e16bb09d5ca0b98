/* SPDX-License-Identifier: MIT */
/*
 * Dropping the test's own connection to the fixture's smbd (issue 15):
 * `ss -K` resets every established TCP connection of this process to the
 * server's port, found among this process's own sockets, so tests running
 * beside it are not touched. Both ends get an RST; smbd stays up. Used by
 * tests/integration/test_reconnect.c and tests/fault/ (the sweeps over
 * the reconnect itself).
 *
 * Makes no allocation or socket call through the wrapped calls of
 * tests/fault/ (what opendir and system() allocate is libc's, not
 * rerouted; getpeername, getsockname and getsockopt are not wrapped), so
 * a fault sweep may count from before the reset.
 */
#ifndef SMBIOV_TEST_INTEG_RESET_H
#define SMBIOV_TEST_INTEG_RESET_H

#include "t.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * The local port of @fd's established TCP connection to port @sport, or
 * 0 when @fd is no such connection (any more).
 */
static inline unsigned integ_conn_port(int fd, unsigned sport)
{
	struct sockaddr_in peer, self;
	socklen_t plen = sizeof(peer), slen = sizeof(self);
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);

	if (getpeername(fd, (struct sockaddr *)&peer, &plen) ||
	    peer.sin_family != AF_INET || ntohs(peer.sin_port) != sport ||
	    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen) ||
	    ti.tcpi_state != TCP_ESTABLISHED ||
	    getsockname(fd, (struct sockaddr *)&self, &slen))
		return 0;
	return ntohs(self.sin_port);
}

/*
 * Reset this process's established TCP connection on @fd if it goes to
 * port @sport: false when it does not. ss -K finds the socket through a
 * dump of all sockets, which can miss one while others come and go
 * (tests beside this one), so it is asked again while @fd still holds
 * that very connection (its local port: once reset, the client may
 * reconnect on the same descriptor number), a bounded number of times.
 */
static inline bool integ_reset_fd(int fd, unsigned sport)
{
	unsigned lport = integ_conn_port(fd, sport);
	char cmd[256];
	int tries = 0;

	if (!lport)
		return false;
	snprintf(cmd, sizeof(cmd),
		 "ss -K -tn state established sport = :%u dport = :%u "
		 ">/dev/null",
		 lport, sport);
	do
		T_EXPECT_EQ(system(cmd), 0);
	while (integ_conn_port(fd, sport) == lport && ++tries < 20);
	T_EXPECT(integ_conn_port(fd, sport) != lport);
	return true;
}

/*
 * integ_reset_port - reset this process's TCP connections to port @sport.
 *
 * They are found among this process's own descriptors (/proc/self/fd,
 * getpeername), not in /proc/net/tcp, whose reading can skip an entry
 * while other tests open and close connections (test_fault_reconnect
 * found none so beside cli_reconnect's resets).
 *
 * Return: how many were reset (both ends get an RST). A failing `ss`, or
 * a connection still established after it, is a failed check.
 */
static inline int integ_reset_port(unsigned sport)
{
	struct dirent *d;
	int n = 0;
	DIR *dir = opendir("/proc/self/fd");

	T_ASSERT(dir);
	while ((d = readdir(dir))) {
		char *end;
		long fd = strtol(d->d_name, &end, 10);

		if (*end || end == d->d_name || fd == dirfd(dir))
			continue;
		n += integ_reset_fd((int)fd, sport);
	}
	closedir(dir);
	return n;
}

#endif
