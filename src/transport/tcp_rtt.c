/* SPDX-License-Identifier: MIT */
/*
 * The kernel's round-trip estimate for a TCP socket. Its own file because
 * glibc's <netinet/tcp.h> struct tcp_info stops before tcpi_min_rtt and
 * cannot be included together with <linux/tcp.h>, which has it.
 */
#include "transport/tcp_rtt.h"

#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/tcp.h>

uint32_t smb_tcp_rtt_us(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	/*
	 * The least RTT seen lately is the link's own delay; the smoothed one
	 * also carries how long the peer took to read (on loopback under
	 * load, most of a millisecond). Kernels before 4.10 lack it.
	 */
	if (len >= offsetof(struct tcp_info, tcpi_min_rtt) +
			    sizeof(ti.tcpi_min_rtt) &&
	    ti.tcpi_min_rtt && ti.tcpi_min_rtt != ~0U)
		return ti.tcpi_min_rtt;
	return ti.tcpi_rtt;
}
