/* SPDX-License-Identifier: MIT */
/*
 * TCP transport: sendmsg of header vectors plus an iovec array built from
 * the payload iterator (chunked at IOV_MAX), recvmsg straight into the
 * destination iterator. The socket is non-blocking and every wait goes
 * through poll() with the transport's timeout, so a silent peer becomes
 * -ETIMEDOUT instead of a hang.
 */
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_MAX_IOV	  1024 /* IOV_MAX on Linux */
#define TCP_DISCARD_CHUNK 65536

struct tcp_transport {
	struct smb_transport t;
	int fd;
	/* One array per direction: a sender and a receiver run at once. */
	struct iovec send_iov[TCP_MAX_IOV];
	struct iovec recv_iov[TCP_MAX_IOV];
};

/* Wait until @fd is ready for @events or the timeout passes. */
static int tcp_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;

	do {
		n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	return 0;
}

struct iov_fill {
	struct iovec *iov;
	size_t n, max;
};

/* Step: record each span as one iovec until the array is full. */
static size_t step_fill_iov(void *base, size_t progress, size_t len, void *priv,
			    void *priv2)
{
	struct iov_fill *f = priv;

	(void)progress;
	(void)priv2;
	if (f->n == f->max)
		return len;
	f->iov[f->n].iov_base = base;
	f->iov[f->n].iov_len = len;
	f->n++;
	return 0;
}

/* Describe the front of @it as iovecs in @f without moving @it. */
static size_t tcp_iter_to_iov(const struct smbiov_iter *it, struct iov_fill *f)
{
	struct smbiov_iter copy = *it;

	return smbiov_iterate_and_advance(&copy, copy.count, f, NULL,
					  step_fill_iov);
}

static int tcp_send(struct smb_transport *st, const struct iovec *hdr,
		    size_t nhdr, struct smbiov_iter *payload)
{
	struct tcp_transport *t = (struct tcp_transport *)st;
	size_t hdr_idx = 0, hdr_off = 0;

	if (nhdr > TCP_MAX_IOV / 2 || (payload && !payload->source))
		return -EINVAL;
	for (;;) {
		struct iov_fill f = {
			.iov = t->send_iov, .n = 0, .max = TCP_MAX_IOV};
		struct msghdr msg = {0};
		size_t hdr_left = 0;
		ssize_t n;
		int ret;

		for (size_t k = hdr_idx; k < nhdr; k++) {
			size_t skip = k == hdr_idx ? hdr_off : 0;

			if (hdr[k].iov_len == skip)
				continue;
			t->send_iov[f.n].iov_base =
				(char *)hdr[k].iov_base + skip;
			t->send_iov[f.n].iov_len = hdr[k].iov_len - skip;
			hdr_left += hdr[k].iov_len - skip;
			f.n++;
		}
		if (payload && payload->count &&
		    !tcp_iter_to_iov(payload, &f) && !hdr_left)
			return -EFAULT; /* an XARRAY hole: nothing to send */
		if (!f.n)
			return 0;
		msg.msg_iov = t->send_iov;
		msg.msg_iovlen = f.n;
		n = sendmsg(t->fd, &msg, MSG_NOSIGNAL);
		st->syscalls++;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return errno == EPIPE ? -ECONNRESET : -errno;
			ret = tcp_wait(t->fd, POLLOUT, st->timeout_ms);
			if (ret)
				return ret;
			continue;
		}
		st->bytes_sent += (size_t)n;
		/* Consume headers first, then the payload iterator. */
		while ((size_t)n && hdr_idx < nhdr) {
			size_t left = hdr[hdr_idx].iov_len - hdr_off;

			if ((size_t)n < left) {
				hdr_off += (size_t)n;
				n = 0;
				break;
			}
			n -= (ssize_t)left;
			hdr_idx++;
			hdr_off = 0;
		}
		if (n)
			smbiov_iter_advance(payload, (size_t)n);
	}
}

/* DISCARD: the bytes must still leave the socket, into a scratch buffer. */
static int tcp_recv_discard(struct tcp_transport *t, struct smbiov_iter *dst)
{
	char scratch[TCP_DISCARD_CHUNK];

	while (dst->count) {
		ssize_t n = recv(t->fd, scratch,
				 dst->count < sizeof(scratch) ? dst->count
							      : sizeof(scratch),
				 0);
		int ret;

		t->t.syscalls++;
		if (n > 0) {
			t->t.bytes_received += (size_t)n;
			smbiov_iter_advance(dst, (size_t)n);
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		ret = tcp_wait(t->fd, POLLIN, t->t.timeout_ms);
		if (ret)
			return ret;
	}
	return 0;
}

static int tcp_recv(struct smb_transport *st, struct smbiov_iter *dst)
{
	struct tcp_transport *t = (struct tcp_transport *)st;

	if (dst->source)
		return -EINVAL;
	if (dst->type == SMBIOV_ITER_DISCARD)
		return tcp_recv_discard(t, dst);
	while (dst->count) {
		struct iov_fill f = {
			.iov = t->recv_iov, .n = 0, .max = TCP_MAX_IOV};
		struct msghdr msg = {0};
		ssize_t n;
		int ret;

		if (!tcp_iter_to_iov(dst, &f))
			return -EFAULT;
		msg.msg_iov = t->recv_iov;
		msg.msg_iovlen = f.n;
		n = recvmsg(t->fd, &msg, 0);
		st->syscalls++;
		if (n > 0) {
			st->bytes_received += (size_t)n;
			smbiov_iter_advance(dst, (size_t)n);
			continue;
		}
		if (n == 0)
			return -ECONNRESET; /* the peer closed mid-message */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		ret = tcp_wait(t->fd, POLLIN, st->timeout_ms);
		if (ret)
			return ret;
	}
	return 0;
}

static void tcp_shutdown(struct smb_transport *st)
{
	struct tcp_transport *t = (struct tcp_transport *)st;

	/* poll() then reports the socket ready and the call sees EOF/EPIPE. */
	shutdown(t->fd, SHUT_RDWR);
}

static void tcp_release(struct smb_transport *st)
{
	struct tcp_transport *t = (struct tcp_transport *)st;

	close(t->fd);
	free(t);
}

static const struct smb_transport_ops tcp_ops = {
	.send = tcp_send,
	.recv = tcp_recv,
	.shutdown = tcp_shutdown,
	.release = tcp_release,
};

int smb_tcp_from_fd(int fd, int timeout_ms, struct smb_transport **out)
{
	struct tcp_transport *t = calloc(1, sizeof(*t));
	int fl;

	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	t->t.ops = &tcp_ops;
	t->t.timeout_ms = timeout_ms;
	t->fd = fd;
	*out = &t->t;
	return 0;
}

/* Connect one address with a bounded wait. Returns an fd or -errno. */
static int tcp_connect_one(const struct addrinfo *ai, int timeout_ms)
{
	int fd, ret, err = 0, one = 1;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	/* SMB is request/response: don't let Nagle hold back small PDUs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		ret = -errno;
		goto fail;
	}
	ret = tcp_wait(fd, POLLOUT, timeout_ms);
	if (ret)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
		ret = -errno;
		goto fail;
	}
	if (err) {
		ret = -err;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return ret;
}

int smb_tcp_connect(const char *host, const char *port, int timeout_ms,
		    struct smb_transport **out)
{
	struct addrinfo hints = {0}, *res, *ai;
	char name[256];
	size_t hl;
	int ret, fd = -ENXIO;

	if (!host || !port || !out)
		return -EINVAL;
	/* Accept a bracketed IPv6 literal as it appears in URLs. */
	hl = strlen(host);
	if (hl >= sizeof(name))
		return -EINVAL;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memcpy(name, host + 1, hl - 2);
		name[hl - 2] = '\0';
	} else {
		memcpy(name, host, hl + 1);
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	ret = getaddrinfo(name, port, &hints, &res);
	if (ret == EAI_MEMORY)
		return -ENOMEM;
	if (ret == EAI_SYSTEM)
		return errno ? -errno : -ENXIO;
	if (ret)
		return -ENXIO;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = tcp_connect_one(ai, timeout_ms);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fd;
	return smb_tcp_from_fd(fd, timeout_ms, out);
}
