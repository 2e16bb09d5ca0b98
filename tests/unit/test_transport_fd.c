/* SPDX-License-Identifier: MIT */
/*
 * Description: the TCP transport's file-descriptor ops over real kernel
 * sockets (loopback TCP and an AF_UNIX socketpair): recv_to_fd lands
 * exactly the asked bytes in a regular file at an offset and in a pipe,
 * send_from_fd sends header + file bytes; a failing local fd (read-only,
 * over the file size limit, a pipe nobody reads, one that ends early)
 * never desynchronises the stream: the rest is drained or padded, the fd's
 * error is reported on its own and the next message arrives intact; silent
 * and vanishing peers are -ETIMEDOUT / -ECONNRESET; shutdown wakes a
 * blocked receive.
 */
#include "t.h"
#include "transport/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG (3 * 1024 * 1024 + 17)

static uint8_t src[BIG];

static int connected_tcp(struct smb_transport **t, int timeout_ms)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), peer;
	char port[16];

	T_ASSERT(lfd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	T_ASSERT(listen(lfd, 1) == 0);
	T_ASSERT(getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
	snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
	T_ASSERT(smb_tcp_connect("127.0.0.1", port, timeout_ms, t) == 0);
	peer = accept(lfd, NULL, NULL);
	T_ASSERT(peer >= 0);
	close(lfd);
	return peer;
}

static int connected_unix(struct smb_transport **t, int timeout_ms)
{
	int sv[2];

	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	T_ASSERT(smb_tcp_from_fd(sv[0], timeout_ms, t) == 0);
	return sv[1];
}

static int tmp_file(void)
{
	char p[] = "/tmp/smbiov-tfd-XXXXXX";
	int fd = mkstemp(p);

	T_ASSERT(fd >= 0);
	unlink(p);
	return fd;
}

struct writer {
	int fd;
	const uint8_t *buf;
	size_t len;
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
	return NULL;
}

struct reader {
	int fd;
	uint8_t *buf;
	size_t cap, got;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;

	while (r->got < r->cap) {
		ssize_t n = read(r->fd, r->buf + r->got, r->cap - r->got);

		if (n <= 0)
			break;
		r->got += (size_t)n;
	}
	return NULL;
}

/* The 3-byte trailer after the payload: the stream is still in step. */
static void expect_trailer(struct smb_transport *t, const uint8_t *want)
{
	uint8_t got[3] = {0};
	struct smbiov_iter it;

	smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, got, sizeof(got));
	T_EXPECT_EQ(smb_transport_recv(t, &it), 0);
	T_EXPECT(memcmp(got, want, 3) == 0);
}

/* @len payload bytes then a trailer, written by a thread. */
static void start_peer(int peer, size_t len, pthread_t *th, struct writer *w,
		       uint8_t *stream)
{
	memcpy(stream, src, len);
	memcpy(stream + len, "XYZ", 3);
	*w = (struct writer){peer, stream, len + 3};
	pthread_create(th, NULL, write_all, w);
}

static void file_case(int (*connect_fn)(struct smb_transport **, int))
{
	static uint8_t stream[BIG + 3], back[BIG];
	struct smb_transport *t;
	int peer = connect_fn(&t, 5000), fd = tmp_file(), ferr = 1;
	struct writer w;
	pthread_t th;
	off_t off = 100;

	T_ASSERT(t->ops->recv_to_fd != NULL);
	start_peer(peer, BIG, &th, &w, stream);
	T_EXPECT_EQ(t->ops->recv_to_fd(t, fd, &off, BIG, &ferr), 0);
	T_EXPECT_EQ(ferr, 0);
	T_EXPECT_EQ(off, 100 + BIG);
	/* pwrite-style: the fd's own position did not move. */
	T_EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	expect_trailer(t, (const uint8_t *)"XYZ");
	pthread_join(th, NULL);
	T_EXPECT_EQ(pread(fd, back, BIG, 100), BIG);
	T_EXPECT(memcmp(back, src, BIG) == 0);
	T_EXPECT_EQ(t->bytes_received, BIG + 3);

	/* At the fd's position (NULL offset): it moves past the bytes. */
	T_ASSERT(lseek(fd, 5, SEEK_SET) == 5);
	start_peer(peer, 70000, &th, &w, stream);
	T_EXPECT_EQ(t->ops->recv_to_fd(t, fd, NULL, 70000, &ferr), 0);
	T_EXPECT_EQ(ferr, 0);
	T_EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5 + 70000);
	expect_trailer(t, (const uint8_t *)"XYZ");
	pthread_join(th, NULL);
	T_EXPECT_EQ(pread(fd, back, 70000, 5), 70000);
	T_EXPECT(memcmp(back, src, 70000) == 0);
	close(fd);
	smb_transport_release(t);
	close(peer);
}

/* Socket -> regular file over loopback TCP and over an AF_UNIX pair. */
static void test_recv_to_file(void)
{
	file_case(connected_tcp);
	file_case(connected_unix);
}

/* Socket -> a caller's pipe, spliced directly, in order. */
static void test_recv_to_pipe(void)
{
	static uint8_t stream[BIG + 3], got[BIG];
	struct smb_transport *t;
	int peer = connected_tcp(&t, 5000), p[2], ferr = 1;
	struct reader r;
	struct writer w;
	pthread_t th, rt;
	off_t off = 0;

	T_ASSERT(pipe(p) == 0);
	r = (struct reader){p[0], got, BIG, 0};
	pthread_create(&rt, NULL, read_all, &r);
	start_peer(peer, BIG, &th, &w, stream);
	T_EXPECT_EQ(t->ops->recv_to_fd(t, p[1], NULL, BIG, &ferr), 0);
	T_EXPECT_EQ(ferr, 0);
	expect_trailer(t, (const uint8_t *)"XYZ");
	pthread_join(th, NULL);
	pthread_join(rt, NULL);
	T_EXPECT_EQ(r.got, BIG);
	T_EXPECT(memcmp(got, src, BIG) == 0);

	/* A pipe with an offset: the fd's error, the bytes drained. */
	start_peer(peer, 5000, &th, &w, stream);
	T_EXPECT_EQ(t->ops->recv_to_fd(t, p[1], &off, 5000, &ferr), 0);
	T_EXPECT_EQ(ferr, -ESPIPE);
	expect_trailer(t, (const uint8_t *)"XYZ");
	pthread_join(th, NULL);
	close(p[0]);

	/*
	 * Nobody reads the pipe any more: -EPIPE for the fd, no SIGPIPE
	 * (its default action would end this test), the stream in step.
	 */
	start_peer(peer, BIG, &th, &w, stream);
	T_EXPECT_EQ(t->ops->recv_to_fd(t, p[1], NULL, BIG, &ferr), 0);
	T_EXPECT_EQ(ferr, -EPIPE);
	expect_trailer(t, (const uint8_t *)"XYZ");
	pthread_join(th, NULL);
	close(p[1]);
	smb_transport_release(t);
	close(peer);
}

/*
 * The destination fails: before the first byte (read-only fd) and in the
 * middle (the file size limit stops it after 64 KiB with EFBIG). The call
 * still consumes the whole payload and reports only the fd's error.
 */
static void test_recv_fd_error_drains(void)
{
	static uint8_t stream[BIG + 3];
	struct smb_transport *t;
	int peer = connected_tcp(&t, 5000), fd = tmp_file(), ro, ferr = 0;
	struct rlimit old, lim;
	struct writer w;
	pthread_t th;
	char p[64];
	off_t off = 0;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ro = open(p, O_RDONLY);
	T_ASSERT(ro >= 0);
	start_peer(peer, BIG, &th, &w, stream);
	T_EXPECT_EQ(t->ops->recv_to_fd(t, ro, &off, BIG, &ferr), 0);
	T_EXPECT_EQ(ferr, -EBADF);
	expect_trailer(t, (const uint8_t *)"XYZ");
	pthread_join(th, NULL);
	close(ro);

	signal(SIGXFSZ, SIG_IGN);
	T_ASSERT(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 65536;
	T_ASSERT(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	start_peer(peer, BIG, &th, &w, stream);
	off = 0;
	ferr = 0;
	T_EXPECT_EQ(t->ops->recv_to_fd(t, fd, &off, BIG, &ferr), 0);
	T_ASSERT(setrlimit(RLIMIT_FSIZE, &old) == 0);
	T_EXPECT_EQ(ferr, -EFBIG);
	expect_trailer(t, (const uint8_t *)"XYZ");
	pthread_join(th, NULL);
	T_EXPECT_EQ(t->bytes_received, 2 * (BIG + 3));
	close(fd);
	smb_transport_release(t);
	close(peer);
}

/* A silent peer mid-payload: -ETIMEDOUT; a peer gone: -ECONNRESET. */
static void test_recv_to_fd_peer_failures(void)
{
	struct smb_transport *t;
	int peer = connected_tcp(&t, 200), fd = tmp_file(), ferr = 0;
	off_t off = 0;

	T_ASSERT(write(peer, src, 1000) == 1000);
	T_EXPECT_EQ(t->ops->recv_to_fd(t, fd, &off, 5000, &ferr), -ETIMEDOUT);
	close(peer);
	T_EXPECT_EQ(t->ops->recv_to_fd(t, fd, &off, 5000, &ferr), -ECONNRESET);
	T_EXPECT_EQ(ferr, 0);
	close(fd);
	smb_transport_release(t);
}

struct rjob {
	struct smb_transport *t;
	int fd;
	int ret, ferr;
};

static void *rjob_run(void *arg)
{
	struct rjob *j = arg;
	off_t off = 0;

	j->ret = j->t->ops->recv_to_fd(j->t, j->fd, &off, 4096, &j->ferr);
	return NULL;
}

static void test_shutdown_wakes_recv_to_fd(void)
{
	struct smb_transport *t;
	int peer = connected_tcp(&t, 60000), fd = tmp_file();
	struct rjob j = {t, fd, 1, 0};
	pthread_t th;

	pthread_create(&th, NULL, rjob_run, &j);
	usleep(50000);
	smb_transport_shutdown(t);
	pthread_join(th, NULL);
	T_EXPECT_EQ(j.ret, -ECONNRESET);
	close(fd);
	smb_transport_release(t);
	close(peer);
}

/* Header vectors + file bytes at an offset, as one stream; then padding. */
static void test_send_from_fd(void)
{
	static uint8_t got[64 + BIG + 64 + 5000];
	uint8_t h1[4] = {0, 0, 0, 9}, h2[60];
	struct iovec hdr[2] = {{h1, sizeof(h1)}, {h2, sizeof(h2)}};
	struct smb_transport *t;
	int peer = connected_tcp(&t, 5000), fd = tmp_file(), wo, ferr = 1;
	struct reader r;
	pthread_t th;
	char p[64];
	off_t off = 10;

	for (size_t k = 0; k < sizeof(h2); k++)
		h2[k] = (uint8_t)(0xb0 + k);
	T_ASSERT(pwrite(fd, src, BIG, 0) == BIG);
	r = (struct reader){peer, got, 64 + (BIG - 10) + 64 + 5000, 0};
	pthread_create(&th, NULL, read_all, &r);
	T_EXPECT_EQ(t->ops->send_from_fd(t, hdr, 2, fd, &off, BIG - 10, &ferr),
		    0);
	T_EXPECT_EQ(ferr, 0);
	T_EXPECT_EQ(off, BIG);
	T_EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);

	/*
	 * The fd ends 1,000 bytes early: zeros keep the announced length and
	 * the fd's error is reported.
	 */
	off = BIG - 4000;
	T_EXPECT_EQ(t->ops->send_from_fd(t, hdr, 2, fd, &off, 5000, &ferr), 0);
	T_EXPECT_EQ(ferr, -ENODATA);
	pthread_join(th, NULL);
	T_EXPECT_EQ(r.got, r.cap);
	T_EXPECT(memcmp(got, h1, 4) == 0 && memcmp(got + 4, h2, 60) == 0);
	T_EXPECT(memcmp(got + 64, src + 10, BIG - 10) == 0);
	{
		const uint8_t *m = got + 64 + (BIG - 10);
		uint8_t zeros[1000] = {0};

		T_EXPECT(memcmp(m, h1, 4) == 0);
		T_EXPECT(memcmp(m + 64, src + BIG - 4000, 4000) == 0);
		T_EXPECT(memcmp(m + 64 + 4000, zeros, 1000) == 0);
	}

	/* An fd that cannot be read: all zeros, -EBADF, in step after. */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	wo = open(p, O_WRONLY);
	T_ASSERT(wo >= 0);
	r = (struct reader){peer, got, 64 + 3000, 0};
	pthread_create(&th, NULL, read_all, &r);
	off = 0;
	T_EXPECT_EQ(t->ops->send_from_fd(t, hdr, 2, wo, &off, 3000, &ferr), 0);
	T_EXPECT_EQ(ferr, -EBADF);
	pthread_join(th, NULL);
	T_EXPECT_EQ(r.got, 64 + 3000);
	for (size_t k = 64; k < r.got; k++)
		if (got[k]) {
			T_EXPECT(!"padding is not zeros");
			break;
		}
	close(wo);
	close(fd);
	smb_transport_release(t);
	close(peer);
}

/* The peer is gone: the socket's error, not SIGPIPE, not the fd's. */
static void test_send_from_fd_peer_gone(void)
{
	struct smb_transport *t;
	int peer = connected_tcp(&t, 2000), fd = tmp_file(), ret = 0, ferr;
	uint8_t h[4] = {0};
	struct iovec hdr = {h, sizeof(h)};

	T_ASSERT(pwrite(fd, src, BIG, 0) == BIG);
	close(peer);
	for (int k = 0; k < 20 && ret == 0; k++) {
		off_t off = 0;

		ret = t->ops->send_from_fd(t, &hdr, 1, fd, &off, BIG, &ferr);
	}
	T_EXPECT_EQ(ret, -ECONNRESET);
	close(fd);
	smb_transport_release(t);
}

int main(void)
{
	for (size_t k = 0; k < sizeof(src); k++)
		src[k] = t_pattern(k * 11 + 5);
	T_RUN(test_recv_to_file);
	T_RUN(test_recv_to_pipe);
	T_RUN(test_recv_fd_error_drains);
	T_RUN(test_recv_to_fd_peer_failures);
	T_RUN(test_shutdown_wakes_recv_to_fd);
	T_RUN(test_send_from_fd);
	T_RUN(test_send_from_fd_peer_gone);
	return t_done();
}
