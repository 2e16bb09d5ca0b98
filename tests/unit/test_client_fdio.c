// SPDX-License-Identifier: MIT
/*
 * The fd paths of the engine (SMB_REQ_FD pieces, fdio.c) against a
 * scripted server on an AF_UNIX socketpair that holds a file in memory:
 * smbiov_read_to_fd with the server answering READs out of order (the
 * pieces still land at their offsets), into a pipe (one piece at a time,
 * in order), short at EOF; smbiov_write_from_fd; no payload byte copied;
 * a destination that fails in the middle of a response fails only that
 * call and the connection keeps working. Short answers: a server that
 * answers every READ with half the bytes asked (or one) below the end of
 * file still gives smbiov_pread and smbiov_read_to_fd (into a file and a
 * pipe) every byte; an empty successful answer below the end of file
 * ends the read there (as end of file: the caller compares with the size
 * it knows), never beyond it, never with bytes that are not the file's.
 */
#include "client/engine.h"
#include "client/file.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "peer.h"
#include "proto/le.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define FILE_MAX (24u << 20)

struct fake {
	int fd;
	pthread_t th;
	uint8_t *data; /* the file */
	size_t size;
	bool reorder;	/* hold a READ and answer the next one first */
	unsigned halve; /* answer READs with len / halve bytes (at least 1) */
	uint64_t empty_at; /* answer a READ there with 0 bytes, success */
	bool held_valid;
	struct smb2_hdr held;
	uint64_t held_off;
	uint32_t held_len;
	unsigned nread, nreordered;
};

static uint8_t pat(uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 12) * 7 + 1);
}

static void reply(struct fake *f, const struct smb2_hdr *req, uint32_t status,
		  const void *body, size_t blen, const void *data, size_t dlen)
{
	peer_reply(f->fd, req, status, body, blen, data, dlen);
}

static void answer_read(struct fake *f, const struct smb2_hdr *h, uint64_t off,
			uint32_t len)
{
	static const uint8_t eof[9] = {9};
	uint8_t b[SMB2_READ_RSP_FIXED] = {SMB2_READ_RSP_SIZE, 0,
					  SMB2_READ_RSP_HDR_LEN};

	if (off >= f->size) {
		reply(f, h, STATUS_END_OF_FILE, eof, sizeof(eof), NULL, 0);
		return;
	}
	if (len > f->size - off)
		len = (uint32_t)(f->size - off);
	if (f->halve && len / f->halve)
		len /= f->halve;
	else if (f->halve)
		len = 1;
	if (f->empty_at && off == f->empty_at)
		len = 0;
	b[4] = (uint8_t)len;
	b[5] = (uint8_t)(len >> 8);
	b[6] = (uint8_t)(len >> 16);
	b[7] = (uint8_t)(len >> 24);
	reply(f, h, STATUS_SUCCESS, b, sizeof(b), f->data + off, len);
}

static void handle(struct fake *f, const struct smb2_hdr *h, const uint8_t *m,
		   size_t len)
{
	const uint8_t *b = m + SMB2_HDR_SIZE;

	if (h->command == SMB2_READ && len >= SMB2_HDR_SIZE + 16) {
		uint32_t rl = le32_get(b + 4);
		uint64_t off = le64_get(b + 8);

		f->nread++;
		if (f->reorder && !f->held_valid) {
			f->held = *h;
			f->held_off = off;
			f->held_len = rl;
			f->held_valid = true;
			return;
		}
		answer_read(f, h, off, rl);
		if (f->held_valid) {
			/* Answered after a later one: out of order. */
			f->nreordered++;
			f->held_valid = false;
			answer_read(f, &f->held, f->held_off, f->held_len);
		}
	} else if (h->command == SMB2_WRITE && len >= SMB2_HDR_SIZE + 48) {
		uint32_t wl = le32_get(b + 4);
		uint64_t off = le64_get(b + 8);
		uint8_t w[SMB2_WRITE_RSP_FIXED] = {17};

		T_ASSERT(SMB2_HDR_SIZE + 48 + (size_t)wl <= len);
		T_ASSERT(off + wl <= FILE_MAX);
		memcpy(f->data + off, m + SMB2_WRITE_DATA_OFFSET, wl);
		if (off + wl > f->size)
			f->size = off + wl;
		memcpy(w + 4, b + 4, 4); /* Count */
		reply(f, h, STATUS_SUCCESS, w, sizeof(w), NULL, 0);
	} else {
		static const uint8_t echo[4] = {SMB2_ECHO_SIZE};

		reply(f, h, STATUS_SUCCESS, echo, sizeof(echo), NULL, 0);
	}
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		uint32_t len;
		uint8_t *m;
		struct smb2_hdr h;

		/* Quiet for a while with a READ held: answer it now. */
		if (poll(&p, 1, 20) == 0) {
			if (f->held_valid) {
				f->held_valid = false;
				answer_read(f, &f->held, f->held_off,
					    f->held_len);
			}
			continue;
		}
		m = peer_read_frame(f->fd, &len);
		if (!m)
			break;
		if (smb2_hdr_decode(m, len, &h)) {
			free(m);
			break;
		}
		handle(f, &h, m, len);
		free(m);
	}
	return NULL;
}

static struct smbiov_client *fake_start(struct fake *f, size_t size)
{
	struct smbiov_client *c;

	memset(f, 0, sizeof(*f));
	f->data = malloc(FILE_MAX);
	T_ASSERT(f->data);
	for (size_t k = 0; k < size; k++)
		f->data[k] = pat(k);
	f->size = size;
	/* A window of 64 credits: 4 MiB, pieces of up to 1 MiB in flight. */
	c = peer_client_window(&f->fd, 5000, 64);
	T_ASSERT(pthread_create(&f->th, NULL, fake_thread, f) == 0);
	return c;
}

static void fake_stop(struct fake *f, struct smbiov_client *c)
{
	peer_client_stop(c);
	pthread_join(f->th, NULL);
	close(f->fd);
	free(f->data);
}

static int tmp_file(void)
{
	char p[] = "/tmp/smbiov-cfd-XXXXXX";
	int fd = mkstemp(p);

	T_ASSERT(fd >= 0);
	unlink(p);
	return fd;
}

static bool file_is_pattern(int fd, off_t at, size_t len, uint64_t from)
{
	uint8_t *b = malloc(len + 1);
	bool ok;

	T_ASSERT(b);
	ok = pread(fd, b, len, at) == (ssize_t)len;
	for (size_t k = 0; ok && k < len; k++)
		ok = b[k] == pat(from + k);
	free(b);
	return ok;
}

/*
 * 10 MiB + 5 at remote offset 3 into a file at fd offset 11, READs
 * answered out of order: every piece lands where it belongs, nothing is
 * copied in user space, and asking past EOF is short.
 */
static void test_read_out_of_order(void)
{
	const size_t size = (10u << 20) + 8;
	struct fake f;
	struct smbiov_client *c = fake_start(&f, size);
	struct smbiov_file file = {.c = c};
	struct smbiov_stats st;
	int fd = tmp_file();
	off_t off = 11;

	f.reorder = true;
	T_EXPECT_EQ(
		smbiov_read_to_fd(&file, 3, size - 3 + (5u << 20), fd, &off),
		size - 3);
	T_EXPECT_EQ(off, 11 + (off_t)(size - 3));
	T_EXPECT(file_is_pattern(fd, 11, size - 3, 3));
	T_EXPECT(f.nread >= 4);
	T_EXPECT(f.nreordered >= 1);
	smbiov_get_stats(c, &st);
	T_EXPECT_EQ(st.payload_copied, 0);
	T_EXPECT_EQ(st.payload_received, size - 3);
	close(fd);
	fake_stop(&f, c);
}

struct drain {
	int fd;
	uint8_t *buf;
	size_t cap, got;
};

static void *drain_pipe(void *arg)
{
	struct drain *d = arg;

	for (;;) {
		ssize_t n = read(d->fd, d->buf + d->got, d->cap - d->got);

		if (n <= 0)
			break;
		d->got += (size_t)n;
	}
	return NULL;
}

/* Into a pipe: one piece at a time, so the stream is in file order. */
static void test_read_into_pipe(void)
{
	const size_t size = (5u << 20) + 77;
	struct fake f;
	struct smbiov_client *c = fake_start(&f, size);
	struct smbiov_file file = {.c = c};
	struct drain d = {0};
	pthread_t th;
	int p[2];
	bool ok = true;

	/* Reordering would hold the only piece in flight for a while. */
	T_ASSERT(pipe(p) == 0);
	d = (struct drain){p[0], malloc(size + 1), size + 1, 0};
	T_ASSERT(d.buf);
	pthread_create(&th, NULL, drain_pipe, &d);
	T_EXPECT_EQ(smbiov_read_to_fd(&file, 0, size + 100, p[1], NULL), size);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	T_EXPECT_EQ(d.got, size);
	for (size_t k = 0; ok && k < d.got; k++)
		ok = d.buf[k] == pat(k);
	T_EXPECT(ok);
	free(d.buf);
	fake_stop(&f, c);
}

static bool buf_is_pattern(const uint8_t *b, size_t len, uint64_t from)
{
	for (size_t k = 0; k < len; k++)
		if (b[k] != pat(from + k))
			return false;
	return true;
}

/*
 * Every READ answered with a half (then a third) of what it asked: the
 * calls go on until the asked length or the end of file.
 */
static void test_short_reads_go_on(void)
{
	const size_t size = (6u << 20) + 4099;
	static const unsigned halves[] = {2, 3};

	for (unsigned i = 0; i < 2; i++) {
		struct fake f;
		struct smbiov_client *c = fake_start(&f, size);
		struct smbiov_file file = {.c = c};
		uint8_t *b = malloc(size + 10);
		off_t off = 5;
		int fd = tmp_file();
		struct drain d;
		pthread_t th;
		int p[2];

		T_ASSERT(b);
		f.halve = halves[i];
		/* memory, from offset 1, past the end: short only at EOF */
		T_EXPECT_EQ(smbiov_pread(&file, b, size + 10, 1), size - 1);
		T_EXPECT(buf_is_pattern(b, size - 1, 1));
		/* exactly what was asked, in the middle */
		T_EXPECT_EQ(smbiov_pread(&file, b, 3u << 20, 1000),
			    (ssize_t)(3u << 20));
		T_EXPECT(buf_is_pattern(b, 3u << 20, 1000));
		/* into a file at offsets */
		T_EXPECT_EQ(smbiov_read_to_fd(&file, 0, size, fd, &off), size);
		T_EXPECT_EQ(off, 5 + (off_t)size);
		T_EXPECT(file_is_pattern(fd, 5, size, 0));
		close(fd);
		/* into a pipe, in order */
		T_ASSERT(pipe(p) == 0);
		d = (struct drain){p[0], b, size + 10, 0};
		pthread_create(&th, NULL, drain_pipe, &d);
		T_EXPECT_EQ(smbiov_read_to_fd(&file, 0, size, p[1], NULL),
			    size);
		close(p[1]);
		pthread_join(th, NULL);
		close(p[0]);
		T_EXPECT_EQ(d.got, size);
		T_EXPECT(buf_is_pattern(b, d.got, 0));
		T_EXPECT(f.nread > 2 * (size >> 20));
		free(b);
		fake_stop(&f, c);
	}
}

/*
 * An empty successful answer below the end of file ends the read there:
 * the bytes before it are the file's, none after it is claimed.
 */
static void test_empty_answer_ends_read(void)
{
	const size_t size = (4u << 20) + 10;
	struct fake f;
	struct smbiov_client *c = fake_start(&f, size);
	struct smbiov_file file = {.c = c};
	uint8_t *b = malloc(size);
	ssize_t n;

	T_ASSERT(b);
	f.halve = 2;
	f.empty_at = 3u << 20;
	n = smbiov_pread(&file, b, size, 0);
	T_EXPECT(n > 0 && (size_t)n <= (3u << 20));
	T_EXPECT(buf_is_pattern(b, n > 0 ? (size_t)n : 0, 0));
	free(b);
	fake_stop(&f, c);
}

/* From a local file: the server receives exactly its bytes. */
static void test_write_from_fd(void)
{
	const size_t size = (6u << 20) + 3;
	struct fake f;
	struct smbiov_client *c = fake_start(&f, 0);
	struct smbiov_file file = {.c = c};
	struct smbiov_stats st;
	uint8_t *b = malloc(size);
	int fd = tmp_file();
	bool ok = true;

	T_ASSERT(b);
	for (size_t k = 0; k < size; k++)
		b[k] = pat(k + 1000);
	T_ASSERT(pwrite(fd, b, size, 0) == (ssize_t)size);
	T_ASSERT(lseek(fd, 1000, SEEK_SET) == 1000);
	/* From position 1000, short at the local EOF. */
	T_EXPECT_EQ(smbiov_write_from_fd(&file, 0, size, fd, NULL),
		    size - 1000);
	T_EXPECT_EQ(lseek(fd, 0, SEEK_CUR), (off_t)size);
	T_EXPECT_EQ(f.size, size - 1000);
	for (size_t k = 0; ok && k < size - 1000; k++)
		ok = f.data[k] == b[k + 1000];
	T_EXPECT(ok);
	smbiov_get_stats(c, &st);
	T_EXPECT_EQ(st.payload_copied, 0);
	T_EXPECT_EQ(st.payload_sent, size - 1000);
	free(b);
	close(fd);
	fake_stop(&f, c);
}

/*
 * The destination fails in the middle of a response (file size limit
 * 256 KiB: EFBIG): the call fails with the fd's error, the connection
 * is not killed, and the same read then succeeds.
 */
static void test_fd_error_keeps_connection(void)
{
	const size_t size = 3u << 20;
	struct fake f;
	struct smbiov_client *c = fake_start(&f, size);
	struct smbiov_file file = {.c = c};
	struct smbiov_error e;
	struct rlimit old, lim;
	int fd = tmp_file();
	ssize_t n;

	signal(SIGXFSZ, SIG_IGN);
	T_ASSERT(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 256u << 10;
	T_ASSERT(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	n = smbiov_read_to_fd(&file, 0, size, fd, NULL);
	T_ASSERT(setrlimit(RLIMIT_FSIZE, &old) == 0);
	T_EXPECT_EQ(n, -EFBIG);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_LOCAL);
	T_EXPECT_EQ(c->dead, 0);
	T_EXPECT_EQ(smbiov_read_to_fd(&file, 0, size, fd, NULL), size);
	T_EXPECT(file_is_pattern(fd, 0, size, 0));
	T_EXPECT_EQ(smb_echo(c), 0);
	close(fd);
	fake_stop(&f, c);
}

/* A signing connection cannot splice: the engine refuses SMB_REQ_FD. */
static void test_fd_req_refused_when_signing(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, 100);
	uint8_t body[SMB2_READ_REQ_FIXED + 8];
	struct smb2_read_req rd = {.offset = 0, .length = 100};
	struct smbiov_iter it;
	struct iovec iov;
	struct smb_req r;
	ssize_t n = smb2_read_req_encode(body, sizeof(body), &rd);

	T_ASSERT(n > 0);
	iov = (struct iovec){body, (size_t)n};
	smb_req_init(&r, SMB2_READ);
	r.flags = SMB_REQ_QUIET | SMB_REQ_FD;
	r.body = &iov;
	r.nbody = 1;
	r.read_len = 100;
	r.fd = 1;
	c->sealing = true; /* as a sealed session would be */
	T_EXPECT_EQ(smb_call(c, &r), -EOPNOTSUPP);
	c->sealing = false;
	/* And an fd request may not carry an iterator as well. */
	T_ASSERT(smbiov_iter_discard(&it, SMBIOV_ITER_DEST, 100) == 0);
	r.dst = &it;
	T_EXPECT_EQ(smb_call(c, &r), -EINVAL);
	smb_req_release(&r);
	T_EXPECT_EQ(c->dead, 0);
	fake_stop(&f, c);
}

int main(void)
{
	T_RUN(test_read_out_of_order);
	T_RUN(test_read_into_pipe);
	T_RUN(test_short_reads_go_on);
	T_RUN(test_empty_answer_ends_read);
	T_RUN(test_write_from_fd);
	T_RUN(test_fd_error_keeps_connection);
	T_RUN(test_fd_req_refused_when_signing);
	return t_done();
}
