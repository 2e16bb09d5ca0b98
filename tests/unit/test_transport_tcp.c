/* SPDX-License-Identifier: MIT */
/*
 * Description: the TCP transport over real kernel sockets on 127.0.0.1 —
 * header vectors + payload iterators go out in order (beyond IOV_MAX
 * segments), receives land straight in every destination iterator type,
 * and closed ports, silent peers and mid-message EOF become clear errors.
 */
#include "t.h"
#include "transport/transport.h"

#include <smbiov/mem.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG (3 * 1024 * 1024 + 17)

/* A listening socket on 127.0.0.1 with a kernel-chosen port. */
static int listen_loopback(char *port, size_t portlen)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	T_ASSERT(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	T_ASSERT(listen(fd, 4) == 0);
	T_ASSERT(getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	snprintf(port, portlen, "%u", ntohs(a.sin_port));
	return fd;
}

/* Connect a transport to a fresh listener; return the accepted peer fd. */
static int connected_pair(struct smb_transport **t, int timeout_ms)
{
	char port[16];
	int lfd = listen_loopback(port, sizeof(port)), peer;

	T_ASSERT(smb_tcp_connect("127.0.0.1", port, timeout_ms, t) == 0);
	peer = accept(lfd, NULL, NULL);
	T_ASSERT(peer >= 0);
	close(lfd);
	return peer;
}

struct reader {
	int fd;
	uint8_t *buf;
	size_t len;
	size_t got;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;

	while (r->got < r->len) {
		ssize_t n = read(r->fd, r->buf + r->got, r->len - r->got);

		if (n <= 0)
			break;
		r->got += (size_t)n;
	}
	return NULL;
}

struct writer {
	int fd;
	const uint8_t *buf;
	size_t len;
	int close_after;
};

static void *write_all(void *arg)
{
	struct writer *w = arg;
	size_t done = 0;

	while (done < w->len) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (w->close_after)
		shutdown(w->fd, SHUT_WR);
	return NULL;
}

/*
 * 2,000 payload segments of 1..3,000 bytes (more than IOV_MAX per sendmsg)
 * after two header vectors: the peer must see header then payload, in
 * order, and the payload iterator must end fully consumed.
 */
static void test_send_many_segments(void)
{
	struct smb_transport *t;
	int peer = connected_pair(&t, 5000);
	enum { NSEG = 2000 };
	static struct iovec seg[NSEG];
	static uint8_t src[NSEG * 3000];
	uint8_t h1[4] = {0, 0, 0, 1}, h2[60];
	struct iovec hdr[2] = {{h1, sizeof(h1)}, {h2, sizeof(h2)}};
	struct smbiov_iter it;
	struct reader r;
	pthread_t th;
	size_t total = 0, off = 0;

	for (size_t k = 0; k < sizeof(src); k++)
		src[k] = t_pattern(k * 7 + 3);
	for (size_t k = 0; k < sizeof(h2); k++)
		h2[k] = (uint8_t)(0xa0 + k);
	for (size_t k = 0; k < NSEG; k++) {
		size_t len = 1 + (k * 37) % 3000;

		seg[k].iov_base = src + off;
		seg[k].iov_len = len;
		off += len;
	}
	total = off;
	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, seg, NSEG, total) ==
		 0);
	r = (struct reader){peer, malloc(64 + total), 64 + total, 0};
	T_ASSERT(r.buf);
	pthread_create(&th, NULL, read_all, &r);
	T_EXPECT_EQ(smb_transport_send(t, hdr, 2, &it), 0);
	pthread_join(th, NULL);
	T_EXPECT_EQ(r.got, 64 + total);
	T_EXPECT_EQ(smbiov_iter_count(&it), 0);
	T_EXPECT(memcmp(r.buf, h1, 4) == 0);
	T_EXPECT(memcmp(r.buf + 4, h2, 60) == 0);
	T_EXPECT(memcmp(r.buf + 64, src, total) == 0);
	/* More than one sendmsg was needed: 2,002 vectors > IOV_MAX. */
	T_EXPECT(t->tx_syscalls >= 2);
	T_EXPECT_EQ(t->bytes_sent, 64 + total);
	free(r.buf);
	smb_transport_release(t);
	close(peer);
}

/* Receive a stream into each destination type; the bytes land in place. */
static void test_recv_into_types(void)
{
	static uint8_t src[BIG];
	struct smb_transport *t;
	int peer = connected_pair(&t, 5000);
	struct writer w = {peer, src, BIG, 0};
	uint8_t *flat = aligned_alloc(4096, 1 << 20);
	uint8_t *ub = malloc(1 << 20);
	struct iovec kv[3];
	struct smbiov_bvec bv[2];
	struct smbiov_xarray *xa = smbiov_xarray_new();
	struct smbiov_iter it;
	pthread_t th;
	size_t pos = 0;

	T_ASSERT(flat && ub && xa);
	for (size_t k = 0; k < BIG; k++)
		src[k] = t_pattern(k * 13 + 1);
	pthread_create(&th, NULL, write_all, &w);

	/* UBUF: 1 MiB straight into one buffer. */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, ub, 1 << 20) == 0);
	T_EXPECT_EQ(smb_transport_recv(t, &it), 0);
	T_EXPECT(memcmp(ub, src + pos, 1 << 20) == 0);
	T_EXPECT_EQ(smbiov_iter_count(&it), 0);
	pos += 1 << 20;

	/* KVEC with an empty element in the middle. */
	kv[0] = (struct iovec){flat, 1000};
	kv[1] = (struct iovec){flat + 1000, 0};
	kv[2] = (struct iovec){flat + 5000, 70000};
	T_ASSERT(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, kv, 3, 71000) == 0);
	T_EXPECT_EQ(smb_transport_recv(t, &it), 0);
	T_EXPECT(memcmp(flat, src + pos, 1000) == 0);
	T_EXPECT(memcmp(flat + 5000, src + pos + 1000, 70000) == 0);
	pos += 71000;

	/* BVEC spanning pages. */
	bv[0] = (struct smbiov_bvec){flat, 100, 8000};
	bv[1] = (struct smbiov_bvec){flat + 65536, 0, 12288};
	T_ASSERT(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, bv, 2, 20288) == 0);
	T_EXPECT_EQ(smb_transport_recv(t, &it), 0);
	T_EXPECT(memcmp(flat + 100, src + pos, 8000) == 0);
	T_EXPECT(memcmp(flat + 65536, src + pos + 8000, 12288) == 0);
	pos += 20288;

	/* DISCARD: drained, nowhere stored. */
	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, 12345) == 0);
	T_EXPECT_EQ(smb_transport_recv(t, &it), 0);
	pos += 12345;

	/* XARRAY over page-cache folios of order 2, starting mid-folio. */
	T_ASSERT(smbiov_xarray_populate(xa, 0, BIG + 4096, 2) == 0);
	T_ASSERT(smbiov_iter_xarray(&it, SMBIOV_ITER_DEST, xa, 333,
				    BIG - pos) == 0);
	T_EXPECT_EQ(smb_transport_recv(t, &it), 0);
	for (size_t k = 0; k < BIG - pos; k++) {
		uint64_t fpos = 333 + k;
		struct smbiov_folio *f =
			smbiov_xarray_load(xa, fpos / SMBIOV_PAGE_SIZE);
		uint8_t got =
			((uint8_t *)
				 f->addr)[fpos - f->index * SMBIOV_PAGE_SIZE];

		if (got != src[pos + k]) {
			T_EXPECT_EQ(got, src[pos + k]);
			break;
		}
	}
	pthread_join(th, NULL);
	T_EXPECT_EQ(t->bytes_received, BIG);
	smbiov_xarray_free(xa);
	free(flat);
	free(ub);
	smb_transport_release(t);
	close(peer);
}

/* A peer that says nothing: the receive ends with -ETIMEDOUT, bounded. */
static void test_recv_timeout(void)
{
	struct smb_transport *t;
	int peer = connected_pair(&t, 200);
	uint8_t buf[16];
	struct smbiov_iter it;

	smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf));
	T_EXPECT_EQ(smb_transport_recv(t, &it), -ETIMEDOUT);
	smb_transport_release(t);
	close(peer);
}

/* EOF in the middle of a message is an error, with what arrived kept. */
static void test_recv_eof_midway(void)
{
	struct smb_transport *t;
	int peer = connected_pair(&t, 5000);
	uint8_t buf[100], src[40];
	struct smbiov_iter it;

	memset(src, 0x5a, sizeof(src));
	T_ASSERT(write(peer, src, sizeof(src)) == (ssize_t)sizeof(src));
	close(peer);
	smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf));
	T_EXPECT_EQ(smb_transport_recv(t, &it), -ECONNRESET);
	T_EXPECT_EQ(smbiov_iter_count(&it), 60);
	T_EXPECT(memcmp(buf, src, 40) == 0);
	smb_transport_release(t);
}

/* Sending to a peer that has gone is -ECONNRESET, not SIGPIPE. */
static void test_send_after_peer_closed(void)
{
	struct smb_transport *t;
	int peer = connected_pair(&t, 2000);
	static uint8_t big[1 << 20];
	struct smbiov_iter it;
	int ret = 0;

	close(peer);
	for (int k = 0; k < 20 && ret == 0; k++) {
		smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, big, sizeof(big));
		ret = smb_transport_send(t, NULL, 0, &it);
	}
	T_EXPECT(ret == -ECONNRESET);
	smb_transport_release(t);
}

static void test_connect_errors(void)
{
	struct smb_transport *t = NULL;
	char port[16];
	int lfd = listen_loopback(port, sizeof(port));

	/* A port nobody listens on: close the listener, then connect. */
	close(lfd);
	T_EXPECT_EQ(smb_tcp_connect("127.0.0.1", port, 2000, &t),
		    -ECONNREFUSED);
	/* A name that cannot resolve (the .invalid TLD is reserved). */
	T_EXPECT_EQ(smb_tcp_connect("no-such-host.invalid", "445", 2000, &t),
		    -ENXIO);
	T_EXPECT_EQ(smb_tcp_connect(NULL, "445", 2000, &t), -EINVAL);
	T_EXPECT(t == NULL);
}

/* IPv6 loopback with URL brackets, if this machine has ::1. */
static void test_connect_ipv6(void)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6};
	socklen_t al = sizeof(a);
	struct smb_transport *t;
	char port[16];
	int fd = socket(AF_INET6, SOCK_STREAM, 0), peer;

	a.sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "no IPv6 loopback here; IPv6 case not run\n");
		if (fd >= 0)
			close(fd);
		return;
	}
	T_ASSERT(listen(fd, 1) == 0);
	T_ASSERT(getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	snprintf(port, sizeof(port), "%u", ntohs(a.sin6_port));
	T_EXPECT_EQ(smb_tcp_connect("[::1]", port, 2000, &t), 0);
	peer = accept(fd, NULL, NULL);
	T_EXPECT(peer >= 0);
	smb_transport_release(t);
	close(peer);
	close(fd);
}

struct echo_peer {
	int fd;
	size_t len;
};

/* Peer side: send back every byte received, until @len bytes. */
static void *echo_back(void *arg)
{
	struct echo_peer *e = arg;
	static uint8_t buf[65536];
	size_t done = 0;

	while (done < e->len) {
		ssize_t n = read(e->fd, buf, sizeof(buf));
		size_t w = 0;

		if (n <= 0)
			break;
		while (w < (size_t)n) {
			ssize_t m = write(e->fd, buf + w, (size_t)n - w);

			if (m <= 0)
				return NULL;
			w += (size_t)m;
		}
		done += (size_t)n;
	}
	return NULL;
}

struct recv_job {
	struct smb_transport *t;
	struct smbiov_iter *it;
	int ret;
};

static void *recv_job_run(void *arg)
{
	struct recv_job *j = arg;

	j->ret = smb_transport_recv(j->t, j->it);
	return NULL;
}

/*
 * One sender and one receiver on the same transport at once (the client
 * engine's shape): both directions use many-segment iovecs, so shared
 * per-transport scratch state would mix them up. The echoed bytes must
 * come back exactly.
 */
static void test_send_recv_concurrently(void)
{
	enum { NSEG = 1500, SEG = 1700 };
	static uint8_t src[NSEG * SEG], dst[NSEG * SEG];
	static struct iovec sv[NSEG], rv[NSEG];
	struct smb_transport *t;
	int peer = connected_pair(&t, 10000);
	struct echo_peer e = {peer, sizeof(src)};
	struct smbiov_iter sit, rit;
	struct recv_job j;
	pthread_t ep, rp;

	for (size_t k = 0; k < sizeof(src); k++)
		src[k] = t_pattern(k * 31 + 7);
	for (size_t k = 0; k < NSEG; k++) {
		/* Different segmentations on each side. */
		sv[k] = (struct iovec){src + k * SEG, SEG};
		rv[NSEG - 1 - k] = (struct iovec){dst + k * SEG, SEG};
	}
	T_ASSERT(smbiov_iter_iovec(&sit, SMBIOV_ITER_SOURCE, sv, NSEG,
				   sizeof(src)) == 0);
	/* The receive vector lists dst back to front, so check per segment. */
	T_ASSERT(smbiov_iter_iovec(&rit, SMBIOV_ITER_DEST, rv, NSEG,
				   sizeof(dst)) == 0);
	j = (struct recv_job){t, &rit, -1};
	pthread_create(&ep, NULL, echo_back, &e);
	pthread_create(&rp, NULL, recv_job_run, &j);
	T_EXPECT_EQ(smb_transport_send(t, NULL, 0, &sit), 0);
	pthread_join(rp, NULL);
	pthread_join(ep, NULL);
	T_EXPECT_EQ(j.ret, 0);
	for (size_t k = 0; k < NSEG; k++) {
		/* Segment k of the stream landed in rv[k]. */
		if (memcmp(rv[k].iov_base, src + k * SEG, SEG) != 0) {
			T_EXPECT(!"echoed segment differs");
			break;
		}
	}
	smb_transport_release(t);
	close(peer);
}

/* shutdown() from another thread ends a receive that would wait long. */
static void test_shutdown_wakes_recv(void)
{
	struct smb_transport *t;
	int peer = connected_pair(&t, 60000);
	uint8_t buf[64];
	struct smbiov_iter it;
	struct recv_job j;
	pthread_t rp;

	smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf));
	j = (struct recv_job){t, &it, 1};
	pthread_create(&rp, NULL, recv_job_run, &j);
	usleep(50000);
	smb_transport_shutdown(t);
	pthread_join(rp, NULL);
	T_EXPECT_EQ(j.ret, -ECONNRESET);
	/* Later calls fail too rather than block. */
	smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf));
	T_EXPECT(smb_transport_recv(t, &it) < 0);
	smb_transport_release(t);
	close(peer);
}

int main(void)
{
	T_RUN(test_send_many_segments);
	T_RUN(test_recv_into_types);
	T_RUN(test_recv_timeout);
	T_RUN(test_recv_eof_midway);
	T_RUN(test_send_after_peer_closed);
	T_RUN(test_connect_errors);
	T_RUN(test_connect_ipv6);
	T_RUN(test_send_recv_concurrently);
	T_RUN(test_shutdown_wakes_recv);
	return t_done();
}
