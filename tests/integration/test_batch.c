// SPDX-License-Identifier: MIT
/*
 * Batched READs (src/client/submit.c) against the fixture's smbd: small
 * asynchronous reads submitted while another thread is sending go out
 * with it as one compound of unrelated READs, and Samba answers each with
 * the right bytes, on a plain, a sealed and a signed connection. Plain:
 * every element lands in place (nothing copied).
 *
 * Made deterministic without timing: the test holds the connection's send
 * lock, so the first read's thread stops inside its send (it is then the
 * sender: c->bq_busy); the reads this thread submits meanwhile are queued,
 * and all go out once the lock is let go (waits for states only).
 */
#include "client/engine.h"
#include "file_common.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define FILE_LEN  ((size_t)1 << 20)
#define SEED	  0xBA7C4u
#define FILE_NAME "batch.bin"
#define NREAD	  4

/* offset and length of each read: the last at the 64 KiB batch limit */
static const struct {
	uint64_t off;
	size_t len;
} rd[NREAD] = {{0, 4096}, {65536, 8192}, {200001, 100}, {300000, 65536}};

struct op {
	struct smbiov_file *f;
	unsigned i;
	uint8_t *buf;
	struct smbiov_iter it;
	_Atomic int calls;
	_Atomic ssize_t result;
	int submit;
};

static void on_done(void *arg, ssize_t result)
{
	struct op *o = arg;

	o->result = result;
	o->calls++;
}

static int submit(struct op *o)
{
	T_ASSERT(smbiov_iter_ubuf(&o->it, SMBIOV_ITER_DEST, o->buf,
				  rd[o->i].len) == 0);
	return smbiov_aio_read(o->f, &o->it, rd[o->i].off, on_done, o);
}

static void *submit_first(void *arg)
{
	struct op *o = arg;

	o->submit = submit(o);
	return NULL;
}

static bool sender_busy(struct smbiov_client *c)
{
	bool busy;

	pthread_mutex_lock(&c->bq_lock);
	busy = c->bq_busy;
	pthread_mutex_unlock(&c->bq_lock);
	return busy;
}

static void batch_on(struct smbiov_client *c, const char *share,
		     enum fc_kind kind, void *arg)
{
	struct smbiov_stats s0, s1;
	struct smbiov_file *f;
	struct op op[NREAD];
	pthread_t th;

	(void)arg;
	fc_disk_write(share, FILE_NAME, FILE_LEN, SEED);
	T_ASSERT(smbiov_open(c, FILE_NAME, O_RDONLY, &f) == 0);
	memset(op, 0, sizeof(op));
	for (unsigned i = 0; i < NREAD; i++) {
		op[i].f = f;
		op[i].i = i;
		op[i].buf = malloc(rd[i].len);
		T_ASSERT(op[i].buf);
		memset(op[i].buf, 0xEE, rd[i].len);
	}
	fc_stats(c, &s0);

	pthread_mutex_lock(&c->send_lock);
	T_ASSERT(pthread_create(&th, NULL, submit_first, &op[0]) == 0);
	while (!sender_busy(c))
		sched_yield();
	for (unsigned i = 1; i < NREAD; i++)
		T_EXPECT_EQ(submit(&op[i]), 0);
	pthread_mutex_unlock(&c->send_lock);
	pthread_join(th, NULL);
	T_EXPECT_EQ(op[0].submit, 0);
	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	fc_stats(c, &s1);

	for (unsigned i = 0; i < NREAD; i++) {
		T_EXPECT_EQ(op[i].calls, 1);
		T_EXPECT_EQ(op[i].result, (ssize_t)rd[i].len);
		T_EXPECT_EQ(fc_check(op[i].buf, rd[i].len, SEED, rd[i].off),
			    rd[i].len);
		free(op[i].buf);
	}
	/* the first alone, the three queued in one message */
	T_EXPECT_EQ((s1.requests - s0.requests) - (s1.messages - s0.messages),
		    NREAD - 2);
	if (kind == FC_PLAIN)
		T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_unlink(c, FILE_NAME), 0);
}

static void test_batches(void)
{
	T_EXPECT(fc_for_each_share(batch_on, NULL) >= 1);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	T_RUN(test_batches);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
