/* SPDX-License-Identifier: MIT */
#ifndef SMBIOV_TRANSPORT_TCP_RTT_H
#define SMBIOV_TRANSPORT_TCP_RTT_H

#include <stdint.h>

/*
 * The link's round-trip time for TCP socket @fd in microseconds: the
 * kernel's recent minimum (tcpi_min_rtt), else its smoothed estimate; 0 if
 * unknown.
 */
uint32_t smb_tcp_rtt_us(int fd);

#endif
