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
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TCP_MAX_IOV	  1024 /* IOV_MAX on Linux */
#define TCP_DISCARD_CHUNK 65536
#define TCP_PIPE_SIZE	  (1 << 20) /* the private splice pipe */
#define TCP_SENDFILE_MAX  0x40000000

struct tcp_transport {
	struct smb_transport t;
	int fd;
	/* One array per direction: a sender and a receiver run at once. */
	struct iovec send_iov[TCP_MAX_IOV];
	struct iovec recv_iov[TCP_MAX_IOV];
	/*
	 * The receiver's private pipe for recv_to_fd (socket -> pipe -> fd),
	 * made on first use; -1 until then.
	 */
	int pipe[2];
	size_t pipe_size;
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

/* sendmsg everything; @more: MSG_MORE (more of this message follows). */
static int tcp_send_flags(struct smb_transport *st, const struct iovec *hdr,
			  size_t nhdr, struct smbiov_iter *payload, bool more)
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
		n = sendmsg(t->fd, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
		st->tx_syscalls++;
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

static int tcp_send(struct smb_transport *st, const struct iovec *hdr,
		    size_t nhdr, struct smbiov_iter *payload)
{
	return tcp_send_flags(st, hdr, nhdr, payload, false);
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

		t->t.rx_syscalls++;
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

/*
 * No explicit ASan region check before recvmsg/sendmsg (DESIGN.md §6.9):
 * ASan's own interceptors of these libc calls check the iovecs (a
 * recvmsg into freed memory is reported as a heap-use-after-free WRITE),
 * checked by hand on this toolchain. splice/sendfile never touch user
 * memory. An io_uring transport, whose kernel writes no interceptor sees,
 * will need the explicit check.
 */
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
		st->rx_syscalls++;
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

/* ---- file descriptor payloads (splice, sendfile) ------------------------ */

/*
 * splice() and sendfile() into a pipe without readers or a reset socket
 * raise SIGPIPE (they take no MSG_NOSIGNAL). The library must not kill
 * its caller for that: block it on this thread around the call and
 * swallow one it generated (the error comes back as EPIPE anyway).
 */
struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pend);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	sigpending(&pend);
	g->was_pending = sigismember(&pend, SIGPIPE) == 1;
}

static void sigpipe_restore(struct sigpipe_guard *g, bool got_epipe)
{
	if (got_epipe && !g->was_pending) {
		sigset_t set;
		struct timespec zero = {0, 0};
		int n;

		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		do {
			n = sigtimedwait(&set, NULL, &zero);
		} while (n < 0 && errno == EINTR);
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* Errors that can only be the socket's (the rest may be the local fd's). */
static bool sock_errno(int err)
{
	return err == ECONNRESET || err == ENOTCONN || err == ETIMEDOUT ||
	       err == ECONNABORTED || err == EHOSTUNREACH ||
	       err == ENETUNREACH || err == ENETDOWN || err == ENOTSOCK;
}

/* Receive and throw away @n bytes (the rest of a payload whose fd failed). */
static int tcp_drain(struct tcp_transport *t, size_t n)
{
	struct smbiov_iter it;

	if (!n)
		return 0;
	smbiov_iter_discard(&it, SMBIOV_ITER_DEST, n);
	return tcp_recv_discard(t, &it);
}

static int tcp_pipe_open(struct tcp_transport *t)
{
	int sz;

	if (t->pipe[0] >= 0)
		return 0;
	if (pipe2(t->pipe, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	/* Bigger than the default 64 KiB: fewer round trips per MiB. */
	fcntl(t->pipe[1], F_SETPIPE_SZ, TCP_PIPE_SIZE);
	sz = fcntl(t->pipe[1], F_GETPIPE_SZ);
	t->pipe_size = sz > 0 ? (size_t)sz : 65536;
	return 0;
}

/* Empty @n bytes out of the private pipe (its fd failed). */
static void tcp_pipe_discard(struct tcp_transport *t, size_t n)
{
	char scratch[4096];

	while (n) {
		ssize_t r = read(t->pipe[0], scratch,
				 n < sizeof(scratch) ? n : sizeof(scratch));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* cannot happen: the bytes are in the pipe */
		n -= (size_t)r;
	}
}

/*
 * Move @n bytes from the private pipe into @fd. Returns 0 or @fd's
 * negative errno (then the pipe has been emptied).
 */
static int tcp_pipe_to_fd(struct tcp_transport *t, int fd, off_t *off, size_t n,
			  bool *epipe)
{
	while (n) {
		ssize_t m = splice(t->pipe[0], NULL, fd, off, n, SPLICE_F_MOVE);
		int err;

		t->t.rx_syscalls++;
		if (m > 0) {
			n -= (size_t)m;
			continue;
		}
		err = m < 0 ? errno : EIO;
		if (err == EINTR)
			continue;
		if (err == EAGAIN) {
			/* A non-blocking destination that is full. */
			err = -tcp_wait(fd, POLLOUT, t->t.timeout_ms);
			if (!err)
				continue;
		}
		if (err == EPIPE)
			*epipe = true;
		tcp_pipe_discard(t, n);
		return -err;
	}
	return 0;
}

static int tcp_recv_to_fd(struct smb_transport *st, int fd, off_t *off,
			  size_t len, int *fd_err)
{
	struct tcp_transport *t = (struct tcp_transport *)st;
	struct sigpipe_guard g;
	struct stat sb;
	bool direct, epipe = false;
	int ret = 0;

	*fd_err = 0;
	if (!len)
		return 0;
	if (fstat(fd, &sb)) {
		*fd_err = -errno;
		return tcp_drain(t, len);
	}
	/* A pipe takes the socket's pages itself; anything else via ours. */
	direct = S_ISFIFO(sb.st_mode);
	if (direct && off) {
		*fd_err = -ESPIPE;
		return tcp_drain(t, len);
	}
	if (!direct) {
		ret = tcp_pipe_open(t);
		if (ret) {
			*fd_err = ret;
			return tcp_drain(t, len);
		}
	}
	sigpipe_block(&g);
	while (len && !*fd_err) {
		size_t want = len;
		ssize_t n;

		if (!direct && want > t->pipe_size)
			want = t->pipe_size;
		n = splice(t->fd, NULL, direct ? fd : t->pipe[1], NULL, want,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		st->rx_syscalls++;
		if (n > 0) {
			st->bytes_received += (size_t)n;
			len -= (size_t)n;
			if (!direct)
				*fd_err = tcp_pipe_to_fd(t, fd, off, (size_t)n,
							 &epipe);
			continue;
		}
		if (n == 0) {
			ret = -ECONNRESET; /* the peer closed mid-message */
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/*
			 * Our pipe is empty here, so EAGAIN is the socket's;
			 * into a caller's pipe it may be that pipe being full.
			 */
			if (direct) {
				int w = tcp_wait(fd, POLLOUT, st->timeout_ms);

				if (w) {
					*fd_err = w;
					break;
				}
			}
			ret = tcp_wait(t->fd, POLLIN, st->timeout_ms);
			if (ret)
				break;
			continue;
		}
		if (!direct || sock_errno(errno)) {
			ret = -errno;
			break;
		}
		/* Into the caller's pipe: its error (EPIPE...). */
		if (errno == EPIPE)
			epipe = true;
		*fd_err = -errno;
	}
	sigpipe_restore(&g, epipe);
	if (ret)
		return ret;
	return tcp_drain(t, len);
}

static const char tcp_zeros[TCP_DISCARD_CHUNK];

/* Send @n zero bytes: the part of a payload its fd failed to give. */
static int tcp_send_zeros(struct smb_transport *st, size_t n)
{
	while (n) {
		size_t k = n < sizeof(tcp_zeros) ? n : sizeof(tcp_zeros);
		struct iovec v = {.iov_base = (void *)tcp_zeros, .iov_len = k};
		int ret = tcp_send_flags(st, &v, 1, NULL, n > k);

		if (ret)
			return ret;
		n -= k;
	}
	return 0;
}

static int tcp_send_from_fd(struct smb_transport *st, const struct iovec *hdr,
			    size_t nhdr, int fd, off_t *off, size_t len,
			    int *fd_err)
{
	struct tcp_transport *t = (struct tcp_transport *)st;
	struct sigpipe_guard g;
	bool epipe = false;
	int ret;

	*fd_err = 0;
	ret = tcp_send_flags(st, hdr, nhdr, NULL, len != 0);
	if (ret || !len)
		return ret;
	sigpipe_block(&g);
	while (len) {
		ssize_t n = sendfile(t->fd, fd, off,
				     len < TCP_SENDFILE_MAX ? len
							    : TCP_SENDFILE_MAX);
		int err;

		st->tx_syscalls++;
		if (n > 0) {
			st->bytes_sent += (size_t)n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			/* @fd ended before @len: zeros keep the length. */
			*fd_err = -ENODATA;
			break;
		}
		err = errno;
		if (err == EINTR)
			continue;
		if (err == EAGAIN) {
			/* @fd is a file (it never blocks): the socket is full.
			 */
			ret = tcp_wait(t->fd, POLLOUT, st->timeout_ms);
			if (ret)
				break;
			continue;
		}
		if (err == EPIPE || sock_errno(err)) {
			epipe = err == EPIPE;
			ret = err == EPIPE ? -ECONNRESET : -err;
			break;
		}
		*fd_err = -err;
		break;
	}
	sigpipe_restore(&g, epipe);
	if (ret)
		return ret;
	return tcp_send_zeros(st, len);
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
	if (t->pipe[0] >= 0) {
		close(t->pipe[0]);
		close(t->pipe[1]);
	}
	free(t);
}

static const struct smb_transport_ops tcp_ops = {
	.send = tcp_send,
	.recv = tcp_recv,
	.shutdown = tcp_shutdown,
	.release = tcp_release,
	.recv_to_fd = tcp_recv_to_fd,
	.send_from_fd = tcp_send_from_fd,
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
	t->pipe[0] = t->pipe[1] = -1;
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
