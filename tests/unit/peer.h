/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the unit tests that play the server on the other end of a
 * socketpair (test_client_engine.c, test_client_compound.c,
 * test_client_fdio.c): whole reads and writes of the stream, and the
 * common fields of a response header.
 */
#ifndef SMBIOV_TEST_PEER_H
#define SMBIOV_TEST_PEER_H

#include "proto/smb2.h"

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Read exactly @len bytes; -1 when the client went away. */
static inline int peer_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write all of @buf; a client that went away is not an error here. */
static inline void peer_write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/*
 * The header of a response to @req with @status: same command, charge,
 * MessageId, SessionId and TreeId, the credits asked for (at least 1),
 * SERVER_TO_REDIR. Callers add flags, NextCommand, AsyncId.
 */
static inline void peer_rsp_hdr(struct smb2_hdr *h, const struct smb2_hdr *req,
				uint32_t status)
{
	memset(h, 0, sizeof(*h));
	h->command = req->command;
	h->credit_charge = req->credit_charge;
	h->status = status;
	h->credits = req->credits ? req->credits : 1;
	h->flags = SMB2_FLAGS_SERVER_TO_REDIR;
	h->message_id = req->message_id;
	h->session_id = req->session_id;
	h->tree_id = req->tree_id;
}

#endif
