// SPDX-License-Identifier: MIT
/*
 * Cancelling against a scripted server (fake_server.h): CANCEL (MS-SMB2
 * 3.2.4.24) and smbiov_aio_cancel().
 */
#include "client/engine.h"
#include "client/file.h"
#include "fake_server.h"
#include "peer.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- CANCEL ------------------------------------------------------------- */

static void policy_cancel(struct fake *f, const struct smb2_hdr *h,
			  const uint8_t *msg, size_t len)
{
	static const uint8_t err[9] = {9};

	(void)msg;
	(void)len;
	if (h->command == SMB2_CANCEL) {
		/* Answer the cancelled request (3.3.5.16), async form if so. */
		struct smb2_hdr q = *h;

		q.command = SMB2_ECHO;
		fake_reply(f, &q, STATUS_CANCELLED,
			   h->flags & SMB2_FLAGS_ASYNC_COMMAND, h->async_id, 0,
			   err, sizeof(err));
		return;
	}
	if (h->credit_charge == 2) {
		/* Goes async at once and stays pending. */
		fake_interim(f, h, 0xC0FFEE, fake_grant(f, h));
		fake_hold(f, h);
		return;
	}
	if (h->credit_charge == 3) {
		fake_hold(f, h); /* pending, never async */
		return;
	}
	fake_ok(f, h, fake_grant(f, h));
}

static bool wait_cancels(struct fake *f, unsigned n)
{
	double end = now_s() + 5;
	unsigned k;

	for (;;) {
		pthread_mutex_lock(&f->lock);
		k = f->ncancel;
		pthread_mutex_unlock(&f->lock);
		if (k >= n || now_s() > end)
			return k >= n;
		msleep(5);
	}
}

static void test_cancel(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_cancel, 5000);
	struct async_req a, b;

	T_EXPECT_EQ(call_charged(c, 0), 0);
	/* An async one: CANCEL carries its AsyncId (MS-SMB2 3.2.4.24). */
	async_init(&a, SMB2_ECHO);
	a.r.payload_len = 2 * SMB_CREDIT_UNIT;
	T_ASSERT(smb_submit(c, &a.r) == 0);
	T_ASSERT(fake_wait_held(&f, 1));
	/* The interim was sent before the hold: wait for the client. */
	for (int i = 0; i < 500; i++) {
		bool interim;

		pthread_mutex_lock(&c->lock);
		interim = a.r.e.interim;
		pthread_mutex_unlock(&c->lock);
		if (interim)
			break;
		msleep(2);
	}
	T_EXPECT_EQ(smb_cancel(c, &a.r), 0);
	T_ASSERT(wait_cancels(&f, 1));
	T_EXPECT(f.cancel.flags & SMB2_FLAGS_ASYNC_COMMAND);
	T_EXPECT_EQ(f.cancel.async_id, 0xC0FFEE);
	T_EXPECT(async_wait(&a, 2.0));
	T_EXPECT_EQ(a.r.status, STATUS_CANCELLED);
	T_EXPECT(a.r.result < 0);
	/* A sync-form one: the MessageId names it. */
	async_init(&b, SMB2_ECHO);
	b.r.payload_len = 3 * SMB_CREDIT_UNIT;
	T_ASSERT(smb_submit(c, &b.r) == 0);
	T_ASSERT(fake_wait_held(&f, 2));
	T_EXPECT_EQ(smb_cancel(c, &b.r), 0);
	T_ASSERT(wait_cancels(&f, 2));
	T_EXPECT(!(f.cancel.flags & SMB2_FLAGS_ASYNC_COMMAND));
	T_EXPECT_EQ(f.cancel.message_id, f.held[1].message_id);
	T_EXPECT(async_wait(&b, 2.0));
	T_EXPECT_EQ(b.r.status, STATUS_CANCELLED);
	T_EXPECT_EQ(smb_cancel(c, &b.r), -EALREADY);
	/* CANCEL took no credit; the connection goes on. */
	T_EXPECT_EQ(c->credits.in_flight, 0);
	T_EXPECT_EQ(call_charged(c, 0), 0);
	async_destroy(&a);
	async_destroy(&b);
	fake_stop(&f, c);
}

/* ---- smbiov_aio_cancel() ----------------------------------------------- */

#define AIO_LEN	  1000u
#define AIO_ASYNC 0xABCDEFull

enum aio_mode {
	AIO_CANCELLED, /* CANCEL: the READ ends with STATUS_CANCELLED */
	AIO_RACE,      /* CANCEL: too late, the READ's data goes out */
	AIO_AT_ONCE,   /* the READ is answered with data at once */
};

static _Atomic int aio_mode;

/*
 * READs go async at once (interim with AsyncId) and stay pending until a
 * CANCEL names them; the rest is answered.
 */
static void policy_aio(struct fake *f, const struct smb2_hdr *h,
		       const uint8_t *msg, size_t len)
{
	static const uint8_t err[9] = {9};
	struct smb2_hdr r;
	bool found = false;

	(void)msg;
	(void)len;
	if (h->command == SMB2_READ) {
		if (aio_mode == AIO_AT_ONCE) {
			fake_read_rsp(f, h, 0, 0, fake_grant(f, h), AIO_LEN,
				      0x5e);
			return;
		}
		fake_interim(f, h, AIO_ASYNC + h->message_id, fake_grant(f, h));
		fake_hold(f, h);
		return;
	}
	if (h->command != SMB2_CANCEL) {
		fake_ok(f, h, fake_grant(f, h));
		return;
	}
	/* 3.3.5.16: find the request by AsyncId; none: nothing to do. */
	pthread_mutex_lock(&f->lock);
	for (unsigned k = 0; k < f->nheld && !found; k++) {
		if ((h->flags & SMB2_FLAGS_ASYNC_COMMAND) &&
		    AIO_ASYNC + f->held[k].message_id == h->async_id) {
			r = f->held[k];
			f->held[k] = f->held[--f->nheld];
			found = true;
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (!found)
		return;
	if (aio_mode == AIO_RACE)
		fake_read_rsp(f, &r, SMB2_FLAGS_ASYNC_COMMAND,
			      AIO_ASYNC + r.message_id, 0, AIO_LEN, 0x5e);
	else
		fake_reply(f, &r, STATUS_CANCELLED, SMB2_FLAGS_ASYNC_COMMAND,
			   AIO_ASYNC + r.message_id, 0, err, sizeof(err));
}

struct aio_res {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int calls;
	ssize_t result;
	/* gate: done() waits while @hold, after saying it @entered */
	bool hold, entered;
	int cancel_in_done; /* smbiov_aio_cancel() from inside done() */
	struct smbiov_file *f;
};

static void aio_res_init(struct aio_res *a, struct smbiov_file *f)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->f = f;
	a->cancel_in_done = 1;
}

static void aio_res_destroy(struct aio_res *a)
{
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cv);
}

static void aio_done(void *arg, ssize_t result)
{
	struct aio_res *a = arg;
	bool hold;

	pthread_mutex_lock(&a->lock);
	a->entered = true;
	hold = a->hold;
	pthread_cond_broadcast(&a->cv);
	while (a->hold)
		pthread_cond_wait(&a->cv, &a->lock);
	pthread_mutex_unlock(&a->lock);
	if (hold)
		a->cancel_in_done = smbiov_aio_cancel(a->f);
	pthread_mutex_lock(&a->lock);
	a->calls++;
	a->result = result;
	pthread_mutex_unlock(&a->lock);
}

/* A file handle as smbiov_open() would have made it. */
static void fake_file(struct smbiov_file *file, struct smbiov_client *c)
{
	memset(file, 0, sizeof(*file));
	file->c = c;
	file->fid.persistent = 0x11;
	file->fid.volatile_id = 0x22;
	file->access = SMB_ACCESS_READ;
}

static int aio_read_buf(struct smbiov_file *file, uint8_t *buf,
			struct aio_res *a)
{
	struct smbiov_iter it;

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, AIO_LEN) == 0);
	return smbiov_aio_read(file, &it, 0, aio_done, a);
}

struct cancel_arg {
	struct smbiov_file *f;
	struct aio_res *a;
	int ret;
	int calls; /* done() calls seen when smbiov_aio_cancel() returned */
	_Atomic bool returned;
};

static void *cancel_thread(void *arg)
{
	struct cancel_arg *ca = arg;

	ca->ret = smbiov_aio_cancel(ca->f);
	if (ca->a) {
		pthread_mutex_lock(&ca->a->lock);
		ca->calls = ca->a->calls;
		pthread_mutex_unlock(&ca->a->lock);
	}
	ca->returned = true;
	return NULL;
}

/*
 * A READ the server made async (interim with AsyncId) is cancelled: the
 * CANCEL names it by AsyncId (MS-SMB2 3.2.4.24), the server ends it with
 * STATUS_CANCELLED, done() sees -ECANCELED before smbiov_aio_cancel()
 * returns 1, and the buffer may be freed at once. Two threads cancel at
 * once: both wait, done() runs once.
 */
static void test_aio_cancel(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_aio, 5000);
	struct smbiov_file file;
	struct aio_res a;
	struct cancel_arg ca[2];
	struct smb2_hdr rd;
	pthread_t th[2];
	uint8_t *buf = malloc(AIO_LEN);

	T_ASSERT(buf);
	aio_mode = AIO_CANCELLED;
	fake_file(&file, c);
	aio_res_init(&a, &file);
	T_EXPECT_EQ(smbiov_aio_cancel(&file), 0); /* nothing to cancel */
	T_EXPECT_EQ(call_charged(c, 0), 0);
	T_ASSERT(aio_read_buf(&file, buf, &a) == 0);
	T_ASSERT(fake_wait_held(&f, 1));
	rd = f.held[0];
	/* The interim went out before the hold; this reply comes after it. */
	T_EXPECT_EQ(call_charged(c, 0), 0);
	T_EXPECT_EQ(smbiov_aio_cancel(&file), 1);
	/* done() ran, exactly once, before it returned. */
	T_EXPECT_EQ(a.calls, 1);
	T_EXPECT_EQ(a.result, -ECANCELED);
	free(buf); /* nothing may write into it any more (ASan) */
	T_ASSERT(wait_cancels(&f, 1));
	T_EXPECT(f.cancel.flags & SMB2_FLAGS_ASYNC_COMMAND);
	T_EXPECT_EQ(f.cancel.async_id, AIO_ASYNC + rd.message_id);
	T_EXPECT_EQ(f.cancel.message_id, rd.message_id);
	T_EXPECT_EQ(f.cancel.session_id, 0x1234);
	T_EXPECT_EQ(f.cancel.command, SMB2_CANCEL);
	T_EXPECT_EQ(smbiov_aio_cancel(&file), 0);
	T_EXPECT_EQ(c->credits.in_flight, 0);

	/*
	 * Two threads cancel the next one at once: at least one finds it in
	 * flight; whichever does returns only after done() ran, once.
	 */
	buf = malloc(AIO_LEN);
	T_ASSERT(buf);
	aio_res_destroy(&a);
	aio_res_init(&a, &file);
	T_ASSERT(aio_read_buf(&file, buf, &a) == 0);
	T_ASSERT(fake_wait_held(&f, 1));
	T_EXPECT_EQ(call_charged(c, 0), 0);
	for (int i = 0; i < 2; i++) {
		memset(&ca[i], 0, sizeof(ca[i]));
		ca[i].f = &file;
		ca[i].a = &a;
		T_ASSERT(pthread_create(&th[i], NULL, cancel_thread, &ca[i]) ==
			 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		T_EXPECT(ca[i].ret == 0 || ca[i].ret == 1);
		if (ca[i].ret == 1)
			T_EXPECT_EQ(ca[i].calls, 1);
	}
	T_EXPECT(ca[0].ret + ca[1].ret >= 1);
	T_EXPECT_EQ(a.calls, 1);
	T_EXPECT_EQ(a.result, -ECANCELED);
	free(buf);
	T_EXPECT_EQ(call_charged(c, 0), 0);
	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	aio_res_destroy(&a);
	fake_stop(&f, c);
}

/*
 * The race: the server finished the READ just before the CANCEL reached
 * it (it finds nothing to cancel, 3.3.5.16). The operation reports its
 * normal result, and the data is in the buffer.
 */
static void test_aio_cancel_late(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_aio, 5000);
	struct smbiov_file file;
	struct aio_res a;
	uint8_t *buf = calloc(1, AIO_LEN);

	T_ASSERT(buf);
	aio_mode = AIO_RACE;
	fake_file(&file, c);
	aio_res_init(&a, &file);
	T_EXPECT_EQ(call_charged(c, 0), 0);
	T_ASSERT(aio_read_buf(&file, buf, &a) == 0);
	T_ASSERT(fake_wait_held(&f, 1));
	T_EXPECT_EQ(call_charged(c, 0), 0);
	T_EXPECT_EQ(smbiov_aio_cancel(&file), 1);
	T_EXPECT_EQ(a.calls, 1);
	T_EXPECT_EQ(a.result, AIO_LEN);
	T_EXPECT(buf[0] == 0x5e && buf[AIO_LEN - 1] == 0x5e);
	free(buf);
	T_EXPECT_EQ(f.ncancel, 1);
	T_EXPECT_EQ(c->dead, 0);
	T_EXPECT_EQ(call_charged(c, 0), 0);
	aio_res_destroy(&a);
	fake_stop(&f, c);
}

struct submit_arg {
	struct smbiov_file *f;
	uint8_t *buf;
	struct aio_res *a;
	int ret;
};

/*
 * done() may run on the submitting thread (everything completed before
 * the submit returned): submit from one that the gate may hold.
 */
static void *submit_thread(void *arg)
{
	struct submit_arg *sa = arg;

	sa->ret = aio_read_buf(sa->f, sa->buf, sa->a);
	return NULL;
}

/*
 * The response arrived before the cancel: done() is running (held on a
 * gate) while smbiov_aio_cancel() is called. No CANCEL goes out for a
 * completed piece, but the call still waits until done() has returned;
 * smbiov_aio_cancel() from inside done() is refused with -EDEADLK.
 */
static void test_aio_cancel_in_done(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_aio, 5000);
	struct smbiov_file file;
	struct aio_res a;
	struct cancel_arg ca = {0};
	struct submit_arg sa;
	pthread_t th, sth;
	uint8_t *buf = calloc(1, AIO_LEN);
	pid_t pid;
	int st;

	T_ASSERT(buf);
	aio_mode = AIO_AT_ONCE;
	fake_file(&file, c);
	aio_res_init(&a, &file);
	a.hold = true;
	T_EXPECT_EQ(call_charged(c, 0), 0);
	sa.f = &file;
	sa.buf = buf;
	sa.a = &a;
	T_ASSERT(pthread_create(&sth, NULL, submit_thread, &sa) == 0);
	pthread_mutex_lock(&a.lock);
	while (!a.entered)
		pthread_cond_wait(&a.cv, &a.lock);
	pthread_mutex_unlock(&a.lock);
	ca.f = &file;
	T_ASSERT(pthread_create(&th, NULL, cancel_thread, &ca) == 0);
	msleep(100);
	/* Cannot have returned: done() has not. */
	T_EXPECT(!ca.returned);
	pthread_mutex_lock(&a.lock);
	a.hold = false;
	pthread_cond_broadcast(&a.cv);
	pthread_mutex_unlock(&a.lock);
	pthread_join(th, NULL);
	pthread_join(sth, NULL);
	T_EXPECT_EQ(sa.ret, 0);
	T_EXPECT_EQ(ca.ret, 1);
	T_EXPECT_EQ(a.calls, 1);
	T_EXPECT_EQ(a.result, AIO_LEN);
	T_EXPECT_EQ(a.cancel_in_done, -EDEADLK);
	T_EXPECT(buf[0] == 0x5e && buf[AIO_LEN - 1] == 0x5e);
	free(buf);
	T_EXPECT_EQ(f.ncancel, 0);
	T_EXPECT_EQ(call_charged(c, 0), 0);
	/* A forked child gets -ECHILD and leaves the parent's socket alone. */
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0)
		_exit(smbiov_aio_cancel(&file) == -ECHILD ? 0 : 1);
	T_ASSERT(waitpid(pid, &st, 0) == pid);
	T_EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EXPECT_EQ(f.ncancel, 0);
	aio_res_destroy(&a);
	fake_stop(&f, c);
}

int main(void)
{
	T_RUN(test_cancel);
	T_RUN(test_aio_cancel);
	T_RUN(test_aio_cancel_late);
	T_RUN(test_aio_cancel_in_done);
	return t_done();
}
