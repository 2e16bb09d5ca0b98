// SPDX-License-Identifier: MIT
/*
 * smbiov_aio_cancel() under load against the fixture's smbd: many large
 * asynchronous reads, cancelled at once or while another thread is still
 * submitting. Whatever the server does with each CANCEL (finish the read
 * anyway, or end it with STATUS_CANCELLED), every done() must have run
 * exactly once when the call returns, each result must be the full length
 * with the right bytes or -ECANCELED, the buffers may be freed at once
 * (ASan watches: nothing may write into them later), no pin is left, and
 * the connection goes on working. Plain, sealed and signed.
 */
#include "file_common.h"

#include <smbiov/mem.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define MiB	  ((size_t)1 << 20)
#define NREAD	  32
#define READ_LEN  (4 * MiB)
#define FILE_LEN  (NREAD * READ_LEN) /* 128 MiB */
#define SEED	  0xCA9CE1u
#define FILE_NAME "cancel.bin"

struct op {
	_Atomic int calls;
	_Atomic ssize_t result;
	uint8_t *buf;
};

static void on_done(void *arg, ssize_t result)
{
	struct op *o = arg;

	o->result = result;
	o->calls++;
}

struct batch {
	struct smbiov_file *f;
	struct op op[NREAD];
	_Atomic int submitted;
	int submit_err;
};

static void batch_init(struct batch *b, struct smbiov_file *f)
{
	memset(b, 0, sizeof(*b));
	b->f = f;
	for (int i = 0; i < NREAD; i++) {
		b->op[i].buf = malloc(READ_LEN);
		T_ASSERT(b->op[i].buf);
	}
}

/* Submit the reads, the i-th over the i-th 4 MiB of the file. */
static void *submit_all(void *arg)
{
	struct batch *b = arg;

	for (int i = 0; i < NREAD; i++) {
		struct smbiov_iter it;
		int ret;

		T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, b->op[i].buf,
					  READ_LEN) == 0);
		ret = smbiov_aio_read(b->f, &it, (uint64_t)i * READ_LEN,
				      on_done, &b->op[i]);
		if (ret) {
			b->submit_err = ret;
			break;
		}
		b->submitted++;
	}
	return NULL;
}

/*
 * Right after the final cancel: every op done once, each whole and right
 * or cancelled; then the buffers go.
 */
static void batch_check(struct batch *b, const char *what)
{
	int whole = 0, cancelled = 0;

	T_EXPECT_EQ(b->submit_err, 0);
	T_EXPECT_EQ(b->submitted, NREAD);
	for (int i = 0; i < b->submitted; i++) {
		struct op *o = &b->op[i];
		ssize_t r = o->result;

		T_EXPECT_EQ(o->calls, 1);
		if (r == (ssize_t)READ_LEN) {
			size_t bad = fc_check(o->buf, READ_LEN, SEED,
					      (uint64_t)i * READ_LEN);

			T_EXPECT_EQ(bad, READ_LEN);
			whole++;
		} else {
			T_EXPECT_EQ(r, -ECANCELED);
			cancelled++;
		}
	}
	/*
	 * Half the buffers go at once (ASan sees a later write from user
	 * space); the other half keep a pattern that batch_release() checks
	 * after more traffic (a late recvmsg() into them is invisible to
	 * ASan, not to the pattern).
	 */
	for (int i = 0; i < NREAD; i++) {
		if (i % 2) {
			memset(b->op[i].buf, 0xEE, READ_LEN);
		} else {
			free(b->op[i].buf);
			b->op[i].buf = NULL;
		}
	}
	fprintf(stderr, "%s: %d reads whole, %d cancelled\n", what, whole,
		cancelled);
}

/* After more traffic: nothing wrote into the kept buffers; free them. */
static void batch_release(struct batch *b)
{
	for (int i = 0; i < NREAD; i++) {
		uint8_t *p = b->op[i].buf;
		size_t k = 0;

		if (!p)
			continue;
		while (k < READ_LEN && p[k] == 0xEE)
			k++;
		T_EXPECT_EQ(k, READ_LEN);
		free(p);
	}
}

/* The connection still reads right. */
static void sync_read_ok(struct smbiov_file *f)
{
	uint8_t *buf = malloc(MiB);
	uint64_t off = FILE_LEN / 2 + 12345;

	T_ASSERT(buf);
	T_EXPECT_EQ(smbiov_pread(f, buf, MiB, off), MiB);
	T_EXPECT_EQ(fc_check(buf, MiB, SEED, off), MiB);
	free(buf);
}

struct big {
	struct smbiov_file *f;
	struct op op;
	_Atomic bool returned;
	int ret;
};

static void *submit_big(void *arg)
{
	struct big *g = arg;
	struct smbiov_iter it;

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, g->op.buf, FILE_LEN) ==
		 0);
	g->ret = smbiov_aio_read(g->f, &it, 0, on_done, &g->op);
	g->returned = true;
	return NULL;
}

/*
 * One 128 MiB read, cancelled while its submit call is still carving
 * pieces (it waits for credits): the rest is never sent, and the read
 * reports -ECANCELED (or its whole length if it got through first).
 */
static void cancel_while_carving(struct smbiov_file *f, const char *share)
{
	struct big *g = calloc(1, sizeof(*g));
	pthread_t th;
	int n = 0;

	T_ASSERT(g);
	g->f = f;
	g->op.buf = malloc(FILE_LEN);
	T_ASSERT(g->op.buf);
	T_ASSERT(pthread_create(&th, NULL, submit_big, g) == 0);
	while (!g->returned && (n = smbiov_aio_cancel(f)) == 0)
		sched_yield();
	pthread_join(th, NULL);
	T_EXPECT_EQ(g->ret, 0);
	if (!n)
		n = smbiov_aio_cancel(f);
	T_EXPECT(n == 0 || n == 1);
	T_EXPECT_EQ(g->op.calls, 1);
	if (g->op.result != (ssize_t)FILE_LEN)
		T_EXPECT_EQ(g->op.result, -ECANCELED);
	else
		T_EXPECT_EQ(fc_check(g->op.buf, FILE_LEN, SEED, 0), FILE_LEN);
	fprintf(stderr, "%s: 128 MiB read %s\n", share,
		g->op.result == -ECANCELED ? "cancelled" : "whole");
	free(g->op.buf);
	free(g);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
}

static void cancel_rounds(const char *share, const char *port)
{
	struct smbiov_client *c = fc_connect(share, port);
	struct smbiov_file *f;
	struct batch *b = malloc(sizeof(*b));
	pthread_t th;
	int n;

	T_ASSERT(c && b);
	fc_disk_write(share, FILE_NAME, FILE_LEN, SEED);
	T_ASSERT(smbiov_open(c, FILE_NAME, O_RDONLY, &f) == 0);

	/* Everything submitted, then cancelled at once. */
	batch_init(b, f);
	submit_all(b);
	n = smbiov_aio_cancel(f);
	T_EXPECT(n >= 0 && n <= NREAD);
	fprintf(stderr, "%s: cancel after submit: %d in flight\n", share, n);
	batch_check(b, share);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	sync_read_ok(f);
	batch_release(b);

	/* Cancelled while another thread is still submitting. */
	batch_init(b, f);
	T_ASSERT(pthread_create(&th, NULL, submit_all, b) == 0);
	while (b->submitted < 4 && !b->submit_err)
		sched_yield();
	n = smbiov_aio_cancel(f);
	T_EXPECT(n >= 0 && n <= NREAD);
	pthread_join(th, NULL);
	/* Everything was submitted before this one: all are covered. */
	n = smbiov_aio_cancel(f);
	T_EXPECT(n >= 0 && n <= NREAD);
	batch_check(b, share);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	sync_read_ok(f);
	batch_release(b);
	T_EXPECT_EQ(smbiov_aio_cancel(f), 0);

	cancel_while_carving(f, share);
	sync_read_ok(f);

	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(c);
	free(b);
}

static void test_cancel_plain(void)
{
	cancel_rounds(fc_env("SMB_SHARE"), NULL);
}

static void test_cancel_sealed(void)
{
	cancel_rounds(fc_env("SMB_ENC_SHARE"), NULL);
}

static void test_cancel_signed(void)
{
	cancel_rounds(fc_env("SMB_SIGNED_SHARE"), fc_env("SMB_SIGNED_PORT"));
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	T_RUN(test_cancel_plain);
	T_RUN(test_cancel_sealed);
	T_RUN(test_cancel_signed);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
