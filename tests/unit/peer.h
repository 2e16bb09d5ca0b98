/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the unit tests that play the server on the other end of a
 * socketpair (fake_server.h, test_client_compound.c, test_client_fdio.c,
 * test_client_rc_*.c, ...): the client on the other end, whole reads and
 * writes of the stream, one framed message, the common fields of a
 * response header, asynchronous completions counted, and a reconnect
 * that dials a port of the test's (refused, or accepting and silent).
 */
#ifndef SMBIOV_TEST_PEER_H
#define SMBIOV_TEST_PEER_H

#include "client/engine.h"
#include "client/reconnect.h"
#include "proto/rw.h"
#include "proto/smb2.h"
#include "t.h"
#include "transport/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* One framed message to the client: @h and a body of @blen (<= 64) bytes. */
static inline void peer_send(int fd, const struct smb2_hdr *h,
			     const uint8_t *body, size_t blen)
{
	uint8_t m[4 + SMB2_HDR_SIZE + 64];

	T_ASSERT(blen <= 64);
	smb2_hdr_encode(m + 4, h);
	memcpy(m + 4 + SMB2_HDR_SIZE, body, blen);
	smb2_nbss_encode(m, SMB2_HDR_SIZE + blen);
	peer_write_full(fd, m, 4 + SMB2_HDR_SIZE + blen);
}

/*
 * A response to @req with @status to the client: @h's fields as
 * peer_rsp_hdr() sets them, a body of @blen bytes and @dlen bytes of
 * data after it (a READ's), each written where it is (no size limit).
 */
static inline void peer_reply(int fd, const struct smb2_hdr *req,
			      uint32_t status, const void *body, size_t blen,
			      const void *data, size_t dlen)
{
	uint8_t m[4 + SMB2_HDR_SIZE];
	struct smb2_hdr h;

	peer_rsp_hdr(&h, req, status);
	smb2_hdr_encode(m + 4, &h);
	smb2_nbss_encode(m, SMB2_HDR_SIZE + blen + dlen);
	peer_write_full(fd, m, sizeof(m));
	peer_write_full(fd, body, blen);
	peer_write_full(fd, data, dlen);
}

/* An ERROR Response (MS-SMB2 2.2.2) with @status to @req. */
static inline void peer_reply_error(int fd, const struct smb2_hdr *req,
				    uint32_t status)
{
	static const uint8_t err[9] = {SMB2_ERROR_RSP_SIZE};

	peer_reply(fd, req, status, err, sizeof(err), NULL, 0);
}

/*
 * One NetBIOS-framed message from the client: malloc'd, its length in
 * *@len; NULL when the client went away.
 */
static inline uint8_t *peer_read_frame(int fd, uint32_t *len)
{
	uint8_t nb[4], *m;

	if (peer_read_full(fd, nb, 4))
		return NULL;
	*len = ((uint32_t)nb[1] << 16) | ((uint32_t)nb[2] << 8) | nb[3];
	m = malloc(*len ? *len : 1);
	T_ASSERT(m);
	if (peer_read_full(fd, m, *len)) {
		free(m);
		return NULL;
	}
	return m;
}

/*
 * A scripted server's loop: each message from the client (one request
 * per message) to @handle with its header, until the client goes away
 * or sends a header that does not decode.
 */
static inline void peer_serve(int fd,
			      void (*handle)(void *arg, const uint8_t *m,
					     uint32_t len,
					     const struct smb2_hdr *h),
			      void *arg)
{
	for (;;) {
		struct smb2_hdr h;
		uint32_t len;
		uint8_t *m = peer_read_frame(fd, &len);

		if (!m)
			return;
		if (smb2_hdr_decode(m, len, &h)) {
			free(m);
			return;
		}
		handle(arg, m, len, &h);
		free(m);
	}
}

/*
 * A client on one end of a new socketpair (the peer's end in *@peer_fd),
 * engine threads running, with what NEGOTIATE and SESSION_SETUP would
 * have set: 3.1.1, LARGE_MTU, 1 MiB I/O sizes, session 0x1234, tree 7.
 * The caller adds signing keys or credits under c->lock.
 */
static inline struct smbiov_client *peer_client(int *peer_fd, int timeout_ms)
{
	struct smbiov_client *c;
	struct smb_transport *t;
	int sv[2];

	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	*peer_fd = sv[1];
	T_ASSERT(smb_tcp_from_fd(sv[0], timeout_ms, &t) == 0);
	T_ASSERT(smb_client_from_transport(t, timeout_ms, &c) == 0);
	pthread_mutex_lock(&c->lock);
	c->dialect = SMB2_DIALECT_311;
	c->server_caps = SMB2_GLOBAL_CAP_LARGE_MTU;
	c->max_read = c->max_write = c->max_transact = 1u << 20;
	c->max_frame = 2u << 20;
	c->session_id = 0x1234;
	c->tree_id = 7;
	pthread_mutex_unlock(&c->lock);
	return c;
}

/* peer_client() with a window of @credits credits granted. */
static inline struct smbiov_client *
peer_client_window(int *peer_fd, int timeout_ms, uint32_t credits)
{
	struct smbiov_client *c = peer_client(peer_fd, timeout_ms);

	pthread_mutex_lock(&c->lock);
	c->credits.avail = credits;
	pthread_mutex_unlock(&c->lock);
	return c;
}

/*
 * @r as a @command request whose body is the one vector @v, failures not
 * recorded as the thread's last error (expected in these tests).
 */
static inline void peer_req_init(struct smb_req *r, uint16_t command,
				 const struct iovec *v)
{
	smb_req_init(r, command);
	r->flags = SMB_REQ_QUIET;
	r->body = v;
	r->nbody = 1;
}

/*
 * @r as a WRITE of @src described by @w: its fixed body encoded into
 * @body (@cap bytes), which the one vector @v points at.
 */
static inline void peer_write_req_init(struct smb_req *r, uint8_t *body,
				       size_t cap,
				       const struct smb2_write_req *w,
				       struct smbiov_iter *src, struct iovec *v)
{
	ssize_t n = smb2_write_req_encode(body, cap, w, src);

	T_ASSERT(n > 0);
	v->iov_base = body;
	v->iov_len = (size_t)n;
	peer_req_init(r, SMB2_WRITE, v);
	r->src = src;
}

/*
 * A transport in front of a real one (@inner): a test puts its own send
 * (or recv) in the ops and these for the rest. Must come first in the
 * test's own struct, which peer_wrap_release() frees.
 */
struct peer_wrap {
	struct smb_transport t;
	struct smb_transport *inner;
};

static inline int peer_wrap_recv(struct smb_transport *st,
				 struct smbiov_iter *dst)
{
	return smb_transport_recv(((struct peer_wrap *)st)->inner, dst);
}

static inline void peer_wrap_shutdown(struct smb_transport *st)
{
	smb_transport_shutdown(((struct peer_wrap *)st)->inner);
}

static inline void peer_wrap_release(struct smb_transport *st)
{
	struct peer_wrap *w = (struct peer_wrap *)st;

	smb_transport_release(w->inner);
	free(w);
}

/*
 * Asynchronous requests' completions counted: a request whose priv is
 * @d and whose done() is peer_done_fn(); peer_wait_done() waits for the
 * count to reach @n.
 */
struct peer_done {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned n;
};

#define PEER_DONE_INIT                                                         \
	{                                                                      \
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0         \
	}

static inline void peer_done_fn(struct smb_req *r)
{
	struct peer_done *d = r->priv;

	pthread_mutex_lock(&d->mu);
	d->n++;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static inline void peer_wait_done(struct peer_done *d, unsigned n)
{
	pthread_mutex_lock(&d->mu);
	while (d->n < n)
		pthread_cond_wait(&d->cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
}

/*
 * A listening socket on 127.0.0.1 that nobody answers on (the kernel
 * completes the handshake: connects succeed, no reply); its port.
 */
static inline int peer_frozen_listener(char port[16])
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	T_ASSERT(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	T_ASSERT(listen(fd, 16) == 0);
	T_ASSERT(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	snprintf(port, 16, "%u", (unsigned)ntohs(a.sin_port));
	return fd;
}

/* A port nothing listens on: connects to it are refused. */
static inline void peer_refused_port(char port[16])
{
	close(peer_frozen_listener(port));
}

/*
 * Reconnect on for @c, dialing 127.0.0.1 port @port (a frozen listener
 * or a refused port) with a bound of @rc_ms.
 */
static inline void peer_rc_on(struct smbiov_client *c, const char *port,
			      int rc_ms)
{
	struct smbiov_options o = {.password = "x"};

	T_ASSERT(smb_rc_keep_creds(c, &o, port, "u", NULL) == 0);
	c->host = strdup("127.0.0.1");
	T_ASSERT(c->host);
	c->rc_ms = rc_ms;
}

/* Disconnect with nothing to say goodbye to (no TREE_DISCONNECT/LOGOFF). */
static inline void peer_client_stop(struct smbiov_client *c)
{
	c->tree_id = 0;
	c->session_id = 0;
	smbiov_disconnect(c);
}

#endif
