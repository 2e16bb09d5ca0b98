/* SPDX-License-Identifier: MIT */
/*
 * The transport interface: one small vtable so TCP, io_uring and RDMA
 * transports can slot in under the client engine (DESIGN.md §1). Every
 * transport sends "header vectors + payload iterator" and receives straight
 * into an iterator; none of them ever copies payload into a buffer of its
 * own (DISCARD excepted: those bytes are thrown away).
 */
#ifndef SMBIOV_TRANSPORT_H
#define SMBIOV_TRANSPORT_H

#include <smbiov/iter.h>

#include <stdbool.h>

#include <sys/types.h>
#include <sys/uio.h>

struct smb_transport;

struct smb_transport_ops {
	/*
	 * Send @nhdr header vectors then all of @payload (may be NULL).
	 * Returns 0 once everything is handed to the kernel, or a negative
	 * errno; @payload is advanced by what was sent either way.
	 */
	int (*send)(struct smb_transport *t, const struct iovec *hdr,
		    size_t nhdr, struct smbiov_iter *payload);
	/*
	 * Receive exactly count(@dst) bytes into @dst (a destination
	 * iterator of any type, DISCARD included), advancing it as bytes
	 * land. Returns 0 or a negative errno.
	 */
	int (*recv)(struct smb_transport *t, struct smbiov_iter *dst);
	/*
	 * Wake every thread blocked in send or recv (they fail) and make
	 * later calls fail; the socket stays open until release. Safe to
	 * call from any thread, any number of times.
	 */
	void (*shutdown)(struct smb_transport *t);
	/* Close and free. */
	void (*release)(struct smb_transport *t);
	/*
	 * Optional (NULL: unsupported): receive exactly @len bytes from the
	 * socket into the local file descriptor @fd without them passing
	 * through user memory (splice). @off: write at *@off and advance it
	 * (pwrite-style); NULL: at @fd's position, or into a pipe.
	 * A failure of @fd (EBADF, ENOSPC, EIO, a full non-blocking pipe
	 * for timeout_ms -ETIMEDOUT...) does not stop the receive: the rest
	 * of the @len bytes is drained and thrown away, *@fd_err is set to
	 * that negative errno and 0 is returned, so the stream stays in step.
	 * Returns 0 (all @len bytes consumed from the socket) or a negative
	 * errno of the socket (-ETIMEDOUT, -ECONNRESET...): then the stream
	 * is unusable, and the part consumed (counted in bytes_received)
	 * has reached @fd unless *@fd_err says @fd failed (a pipe's reader
	 * keeps it: the engine asks only for the rest). Receiver side only.
	 */
	int (*recv_to_fd)(struct smb_transport *t, int fd, off_t *off,
			  size_t len, int *fd_err);
	/*
	 * Optional (NULL: unsupported): send @nhdr header vectors, then
	 * @len bytes read from @fd (sendfile: the kernel moves them). @off
	 * as for recv_to_fd (reading). When @fd fails or ends early, *@fd_err
	 * is set (before the rest goes out) and the missing bytes are sent
	 * as zeros, so the message keeps its announced length and the
	 * stream stays in step; the caller must fail the request. Returns 0
	 * or a negative errno of the socket (the stream is then unusable).
	 * Sender side (the one-sender rule of send applies).
	 */
	int (*send_from_fd)(struct smb_transport *t, const struct iovec *hdr,
			    size_t nhdr, int fd, off_t *off, size_t len,
			    int *fd_err);
};

/*
 * Threads: one sender and one receiver may use a transport at the same
 * time (each direction has its own state); callers serialise senders among
 * themselves and receivers among themselves.
 */
struct smb_transport {
	const struct smb_transport_ops *ops;
	int timeout_ms; /* per wait for the socket; <= 0 waits forever */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	/*
	 * System calls made, one counter per direction: the sender and the
	 * receiver run on different threads (no shared counter, no lock).
	 */
	uint64_t tx_syscalls;
	uint64_t rx_syscalls;
};

static inline int smb_transport_send(struct smb_transport *t,
				     const struct iovec *hdr, size_t nhdr,
				     struct smbiov_iter *payload)
{
	return t->ops->send(t, hdr, nhdr, payload);
}

static inline int smb_transport_recv(struct smb_transport *t,
				     struct smbiov_iter *dst)
{
	return t->ops->recv(t, dst);
}

static inline bool smb_transport_can_fd(const struct smb_transport *t)
{
	return t->ops->recv_to_fd && t->ops->send_from_fd;
}

static inline void smb_transport_shutdown(struct smb_transport *t)
{
	t->ops->shutdown(t);
}

static inline void smb_transport_release(struct smb_transport *t)
{
	if (t)
		t->ops->release(t);
}

/**
 * smb_tcp_connect - open a TCP transport to @host:@port
 * @host: name or address (IPv4 or IPv6; "[::1]" brackets are accepted)
 * @port: port number as a string
 * @timeout_ms: bound on connecting and on every later wait for the socket
 * @out: receives the transport
 *
 * Every address the name resolves to is tried in order. Returns 0, or
 * -ENXIO (name does not resolve, and only then), -ECONNREFUSED, -ETIMEDOUT,
 * -EHOSTUNREACH/-ENETUNREACH, -ENOMEM, -EINVAL.
 */
int smb_tcp_connect(const char *host, const char *port, int timeout_ms,
		    struct smb_transport **out);

/**
 * smb_tcp_from_fd - wrap a connected stream socket @fd (ownership passes)
 * Returns 0 or -ENOMEM (then @fd is closed).
 */
int smb_tcp_from_fd(int fd, int timeout_ms, struct smb_transport **out);

#endif
