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
	uint64_t syscalls; /* sendmsg/recvmsg calls made */
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
