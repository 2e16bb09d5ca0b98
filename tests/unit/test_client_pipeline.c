// SPDX-License-Identifier: MIT
/*
 * A lone synchronous large READ/WRITE goes out as two pieces in flight
 * together (io.c io_chunk(), split.c smb_split_pieces()), against a scripted
 * server on an AF_UNIX socketpair that holds a file in memory and answers
 * nothing until it has read as many requests as the test says: a 1 MiB
 * pwrite and pread each arrive as two requests, both read by the server
 * before it answers either. The call's result is what it was as one
 * request: a first piece answered short ends the call at its end (even
 * when the second is answered first and whole), an error in either piece
 * fails it, a read past the end of file ends at the end of file. A call
 * sent while another's pieces are still in flight goes out whole, and so
 * does an asynchronous one.
 */
#include "client/engine.h"
#include "client/file.h"
#include "peer.h"
#include "proto/le.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_MAX (4u << 20)
#define MiB	 ((size_t)1 << 20)
#define MAX_REQ	 16

struct held {
	struct smb2_hdr h;
	uint8_t *m;
	uint32_t len;
};

struct fake {
	int fd;
	pthread_t th;
	uint8_t *data; /* the file */
	size_t size;
	/* the script */
	unsigned hold;	    /* answer nothing until this many were read */
	bool reverse;	    /* answer the held requests last one first */
	uint32_t short_to;  /* answer request 1 with this many bytes */
	unsigned fail_nth;  /* answer request number fail_nth (1-based) */
	uint32_t fail_with; /* ... with this status */
	/* what happened; @n also under @mu, @cv signalled as it grows */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned n;		     /* requests read */
	uint32_t len[MAX_REQ];	     /* their Length */
	uint64_t off[MAX_REQ];	     /* their Offset */
	unsigned read_before_answer; /* n at the first answer */
};

static uint8_t pat(uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 12) * 7 + 1);
}

static void reply(struct fake *f, const struct smb2_hdr *req, uint32_t status,
		  const void *body, size_t blen, const void *data, size_t dlen)
{
	if (!f->read_before_answer)
		f->read_before_answer = f->n;
	peer_reply(f->fd, req, status, body, blen, data, dlen);
}

/* Answer request number @k (1-based) of the script. */
static void answer(struct fake *f, const struct held *q, unsigned k)
{
	static const uint8_t err[9] = {9};
	const uint8_t *b = q->m + SMB2_HDR_SIZE;
	uint32_t len = le32_get(b + 4);
	uint64_t off = le64_get(b + 8);

	if (k == f->fail_nth) {
		reply(f, &q->h, f->fail_with, err, sizeof(err), NULL, 0);
		return;
	}
	if (k == 1 && f->short_to)
		len = f->short_to;
	if (q->h.command == SMB2_WRITE) {
		uint8_t w[SMB2_WRITE_RSP_FIXED] = {17};

		T_ASSERT(off + len <= FILE_MAX);
		memcpy(f->data + off, q->m + SMB2_WRITE_DATA_OFFSET, len);
		if (off + len > f->size)
			f->size = off + len;
		le32_put(w + 4, len); /* Count */
		reply(f, &q->h, STATUS_SUCCESS, w, sizeof(w), NULL, 0);
	} else {
		uint8_t r[SMB2_READ_RSP_FIXED] = {SMB2_READ_RSP_SIZE, 0,
						  SMB2_READ_RSP_HDR_LEN};

		if (off >= f->size) {
			reply(f, &q->h, STATUS_END_OF_FILE, err, sizeof(err),
			      NULL, 0);
			return;
		}
		if (len > f->size - off)
			len = (uint32_t)(f->size - off);
		le32_put(r + 4, len); /* DataLength */
		reply(f, &q->h, STATUS_SUCCESS, r, sizeof(r), f->data + off,
		      len);
	}
}

/*
 * Read requests; hold them until f->hold were read (or one asks for a
 * whole MiB: the client did not split it, and holding would only make
 * it wait for its deadline), then answer them; later ones at once.
 */
static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	struct held q[MAX_REQ];
	unsigned first = 0; /* request number of q[0] */
	unsigned nq = 0;

	for (;;) {
		struct held *h = &q[nq];
		bool whole;

		h->m = peer_read_frame(f->fd, &h->len);
		if (!h->m)
			break;
		T_ASSERT(smb2_hdr_decode(h->m, h->len, &h->h) == 0);
		T_ASSERT(h->h.command == SMB2_WRITE ||
			 h->h.command == SMB2_READ);
		T_ASSERT(h->len >= SMB2_HDR_SIZE + 16 && f->n < MAX_REQ);
		f->len[f->n] = le32_get(h->m + SMB2_HDR_SIZE + 4);
		f->off[f->n] = le64_get(h->m + SMB2_HDR_SIZE + 8);
		whole = f->len[f->n] >= MiB;
		if (!first)
			first = f->n + 1;
		pthread_mutex_lock(&f->mu);
		f->n++;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		nq++;
		if (nq < f->hold && !whole)
			continue;
		for (unsigned i = 0; i < nq; i++) {
			unsigned j = f->reverse ? nq - 1 - i : i;

			answer(f, &q[j], first + j);
			free(q[j].m);
		}
		nq = 0;
		first = 0;
		f->hold = 0;
	}
	for (unsigned i = 0; i < nq; i++)
		free(q[i].m);
	return NULL;
}

/* @len bytes of the pattern from file offset @from, inverted if @inv. */
static uint8_t *pattern_buf(size_t len, uint64_t from, bool inv)
{
	uint8_t *b = malloc(len);

	T_ASSERT(b);
	for (size_t k = 0; k < len; k++)
		b[k] = inv ? (uint8_t)~pat(from + k) : pat(from + k);
	return b;
}

/* The server's file: @size bytes of the pattern (room to grow to 4 MiB). */
static struct smbiov_client *fake_start(struct fake *f, size_t size)
{
	memset(f, 0, sizeof(*f));
	T_ASSERT(pthread_mutex_init(&f->mu, NULL) == 0);
	T_ASSERT(pthread_cond_init(&f->cv, NULL) == 0);
	f->data = pattern_buf(FILE_MAX, 0, false);
	f->size = size;
	/* A window of 64 credits: 4 MiB, pieces of up to 1 MiB in flight. */
	return peer_client_window(&f->fd, 5000, 64);
}

static void fake_go(struct fake *f)
{
	T_ASSERT(pthread_create(&f->th, NULL, fake_thread, f) == 0);
}

static void fake_stop(struct fake *f, struct smbiov_client *c)
{
	peer_client_stop(c);
	pthread_join(f->th, NULL);
	close(f->fd);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
}

/* Wait until the server has read @n requests. */
static void fake_wait_read(struct fake *f, unsigned n)
{
	pthread_mutex_lock(&f->mu);
	while (f->n < n)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

static bool is_pattern(const uint8_t *b, size_t len, uint64_t from, bool inv)
{
	for (size_t k = 0; k < len; k++)
		if (b[k] != (uint8_t)(inv ? ~pat(from + k) : pat(from + k)))
			return false;
	return true;
}

/*
 * A 1 MiB pwrite at @off of the pattern inverted, against a server held
 * until it has read two requests, its script in @f (set after
 * fake_start(): @reverse, @short_to, @fail_nth with STATUS_DISK_FULL).
 * The caller frees f->data.
 */
static ssize_t held_pwrite(struct fake *f, uint64_t off, bool reverse,
			   uint32_t short_to, unsigned fail_nth)
{
	struct smbiov_client *c = fake_start(f, 0);
	struct smbiov_file file = {.c = c};
	uint8_t *b = pattern_buf(MiB, off, true);
	ssize_t r;

	f->hold = 2;
	f->reverse = reverse;
	f->short_to = short_to;
	f->fail_nth = fail_nth;
	f->fail_with = STATUS_DISK_FULL;
	fake_go(f);
	r = smbiov_pwrite(&file, b, MiB, off);
	fake_stop(f, c);
	free(b);
	return r;
}

/* Two 512 KiB WRITEs, both read by the server before it answers. */
static void test_write_two_in_flight(void)
{
	struct fake f;

	T_EXPECT_EQ(held_pwrite(&f, 4096, false, 0, 0), (ssize_t)MiB);
	T_EXPECT_EQ(f.n, 2);
	T_EXPECT_EQ(f.read_before_answer, 2);
	T_EXPECT_EQ(f.len[0], MiB / 2);
	T_EXPECT_EQ(f.len[1], MiB / 2);
	T_EXPECT_EQ(f.off[0], 4096);
	T_EXPECT_EQ(f.off[1], 4096 + MiB / 2);
	T_EXPECT(is_pattern(f.data + 4096, MiB, 4096, true));
	free(f.data);
}

/*
 * The same for a READ. Past the end of file it ends at the end: inside
 * the second piece, inside the first (the second answered END_OF_FILE),
 * before both.
 */
static void test_read_two_in_flight(void)
{
	static const size_t sizes[] = {3 * MiB, MiB + 700 * 1024,
				       MiB + 300 * 1024, 300 * 1024};
	static const size_t want[] = {MiB, 700 * 1024, 300 * 1024, 0};

	for (unsigned i = 0; i < 4; i++) {
		struct fake f;
		struct smbiov_client *c = fake_start(&f, sizes[i]);
		struct smbiov_file file = {.c = c};
		uint8_t *b = malloc(MiB);

		T_ASSERT(b);
		f.hold = 2;
		fake_go(&f);
		T_EXPECT_EQ(smbiov_pread(&file, b, MiB, MiB), (ssize_t)want[i]);
		T_EXPECT(is_pattern(b, want[i], MiB, false));
		fake_stop(&f, c);
		T_EXPECT_EQ(f.read_before_answer, 2);
		T_EXPECT_EQ(f.len[0], MiB / 2);
		T_EXPECT_EQ(f.len[1], MiB / 2);
		T_EXPECT_EQ(f.off[1], MiB + MiB / 2);
		free(b);
		free(f.data);
	}
}

/*
 * The first piece answered short, the second whole (before or after it):
 * the call ends where the first piece ended, as one short WRITE would.
 */
static void test_short_first_piece_ends_write(void)
{
	for (unsigned rev = 0; rev < 2; rev++) {
		struct fake f;

		T_EXPECT_EQ(held_pwrite(&f, 0, rev, 100000, 0), 100000);
		T_EXPECT_EQ(f.n, 2);
		T_EXPECT_EQ(f.read_before_answer, 2);
		free(f.data);
	}
}

/* An error in either piece fails the call, whichever is answered first. */
static void test_error_in_a_piece_fails_call(void)
{
	for (unsigned k = 1; k <= 2; k++) {
		for (unsigned rev = 0; rev < 2; rev++) {
			struct fake f;

			T_EXPECT_EQ(held_pwrite(&f, 0, rev, 0, k), -ENOSPC);
			T_EXPECT_EQ(f.n, 2);
			free(f.data);
		}
	}
}

struct writer {
	struct smbiov_file *file;
	const uint8_t *buf;
	uint64_t off;
	ssize_t res;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;

	w->res = smbiov_pwrite(w->file, w->buf, MiB, w->off);
	return NULL;
}

/*
 * A 1 MiB write sent while another's two pieces are in flight goes out
 * whole: other callers fill the link already.
 */
static void test_busy_connection_not_split(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, 0);
	struct smbiov_file file = {.c = c};
	uint8_t *b = pattern_buf(MiB, MiB, true);
	struct writer w = {&file, pattern_buf(MiB, 0, true), 0, 0};
	pthread_t th;

	f.hold = 3;
	fake_go(&f);
	T_ASSERT(pthread_create(&th, NULL, writer_thread, &w) == 0);
	fake_wait_read(&f, 2); /* the first write's two pieces, unanswered */
	T_EXPECT_EQ(smbiov_pwrite(&file, b, MiB, MiB), (ssize_t)MiB);
	pthread_join(th, NULL);
	T_EXPECT_EQ(w.res, (ssize_t)MiB);
	fake_stop(&f, c);
	T_EXPECT_EQ(f.n, 3);
	T_EXPECT_EQ(f.read_before_answer, 3);
	T_EXPECT_EQ(f.len[0], MiB / 2);
	T_EXPECT_EQ(f.len[1], MiB / 2);
	T_EXPECT_EQ(f.len[2], MiB);
	T_EXPECT(is_pattern(f.data, 2 * MiB, 0, true));
	free((void *)w.buf);
	free(b);
	free(f.data);
}

static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static ssize_t done_res;
static bool done_set;

static void aio_done(void *arg, ssize_t res)
{
	(void)arg;
	pthread_mutex_lock(&done_mu);
	done_res = res;
	done_set = true;
	pthread_cond_broadcast(&done_cv);
	pthread_mutex_unlock(&done_mu);
}

/*
 * An asynchronous 1 MiB write goes out whole: its caller overlaps calls
 * of its own (readahead, write-back).
 */
static void test_async_not_split(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, 0);
	struct smbiov_file file = {.c = c};
	uint8_t *a = pattern_buf(MiB, 0, true);
	struct smbiov_iter it;

	f.hold = 2;
	fake_go(&f);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, a, MiB) == 0);
	done_set = false;
	T_ASSERT(smbiov_aio_write(&file, &it, 0, aio_done, NULL) == 0);
	pthread_mutex_lock(&done_mu);
	while (!done_set)
		pthread_cond_wait(&done_cv, &done_mu);
	pthread_mutex_unlock(&done_mu);
	T_EXPECT_EQ(done_res, (ssize_t)MiB);
	fake_stop(&f, c);
	T_EXPECT_EQ(f.n, 1);
	T_EXPECT_EQ(f.len[0], MiB);
	T_EXPECT(is_pattern(f.data, MiB, 0, true));
	free(a);
	free(f.data);
}

int main(void)
{
	T_RUN(test_write_two_in_flight);
	T_RUN(test_read_two_in_flight);
	T_RUN(test_short_first_piece_ends_write);
	T_RUN(test_error_in_a_piece_fails_call);
	T_RUN(test_busy_connection_not_split);
	T_RUN(test_async_not_split);
	return t_done();
}
