// SPDX-License-Identifier: MIT
/*
 * The engine against a scripted server on a socketpair: credit refill
 * (MS-SMB2 3.2.4.1.5), asynchronous deadlines and interim responses
 * (3.2.5.1.5), unsolicited OPLOCK_BREAK while requests are in flight
 * (3.2.5.19), CANCEL (3.2.4.24), many threads racing requests whose
 * responses the server sends out of order, the idle keepalive ECHO
 * (3.2.4.14) and smbiov_aio_cancel().
 *
 * The fake server is a thread reading whole requests from its end and
 * handing each to the test's policy, which answers at once, later (from
 * the test thread) or never.
 */
#include "client/engine.h"
#include "client/file.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "peer.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fake;
typedef void (*fake_policy)(struct fake *f, const struct smb2_hdr *h,
			    const uint8_t *msg, size_t len);

struct fake {
	int fd;
	pthread_t th;
	pthread_mutex_t send_lock;
	fake_policy policy;
	/* what the policy saw; under @lock */
	pthread_mutex_t lock;
	pthread_cond_t cv;
	unsigned nreq;
	unsigned necho1;	   /* ECHOs charged 1 (refills, here) */
	unsigned necho;		   /* all ECHOs */
	uint16_t max_ask;	   /* largest CreditRequest seen */
	uint16_t max_charge;	   /* largest CreditCharge seen */
	struct smb2_hdr held[256]; /* requests not answered yet */
	unsigned nheld;
	struct smb2_hdr cancel; /* the last CANCEL */
	unsigned ncancel;
	uint16_t grant_cap; /* 0: grant what is asked (Samba) */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void msleep(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/*
 * Send one response to @req: header with @status/@flags, then @body.
 * @credits is what the response grants.
 */
static void fake_reply(struct fake *f, const struct smb2_hdr *req,
		       uint32_t status, uint32_t flags, uint64_t async_id,
		       uint16_t credits, const void *body, size_t blen)
{
	uint8_t *m = malloc(4 + SMB2_HDR_SIZE + blen);
	struct smb2_hdr h;

	T_ASSERT(m);
	peer_rsp_hdr(&h, req, status);
	h.credits = credits;
	h.flags |= flags;
	h.async_id = async_id;
	smb2_hdr_encode(m + 4, &h);
	memcpy(m + 4 + SMB2_HDR_SIZE, body, blen);
	smb2_nbss_encode(m, SMB2_HDR_SIZE + blen);
	pthread_mutex_lock(&f->send_lock);
	peer_write_full(f->fd, m, 4 + SMB2_HDR_SIZE + blen);
	pthread_mutex_unlock(&f->send_lock);
	free(m);
}

/* What a Samba-like server grants: what was asked, at most grant_cap. */
static uint16_t fake_grant(struct fake *f, const struct smb2_hdr *req)
{
	uint16_t g = req->credits ? req->credits : 1;

	if (f->grant_cap && g > f->grant_cap)
		g = f->grant_cap;
	return g;
}

/* A final success response to an ECHO (or anything: 4-byte body). */
static void fake_ok(struct fake *f, const struct smb2_hdr *req,
		    uint16_t credits)
{
	static const uint8_t body[4] = {SMB2_ECHO_SIZE, 0, 0, 0};

	fake_reply(f, req, STATUS_SUCCESS, 0, 0, credits, body, sizeof(body));
}

/* MS-SMB2 3.3.4.2: STATUS_PENDING with an AsyncId, granting credits. */
static void fake_interim(struct fake *f, const struct smb2_hdr *req,
			 uint64_t async_id, uint16_t credits)
{
	static const uint8_t body[9] = {9};

	fake_reply(f, req, STATUS_PENDING, SMB2_FLAGS_ASYNC_COMMAND, async_id,
		   credits, body, sizeof(body));
}

/* An unsolicited oplock break notification (MS-SMB2 2.2.23.1). */
static void fake_break(struct fake *f)
{
	uint8_t body[24] = {24, 0, 1};
	struct smb2_hdr h;

	memset(&h, 0, sizeof(h));
	h.command = SMB2_OPLOCK_BREAK;
	h.message_id = SMB2_UNSOLICITED_MESSAGE_ID;
	memset(body + 8, 0x5a, 16); /* FileId */
	fake_reply(f, &h, STATUS_SUCCESS, 0, 0, 0, body, sizeof(body));
}

/* A READ response carrying @len bytes of @byte. */
static void fake_read_rsp(struct fake *f, const struct smb2_hdr *req,
			  uint32_t flags, uint64_t async_id, uint16_t credits,
			  uint32_t len, uint8_t byte)
{
	uint8_t *b = malloc(SMB2_READ_RSP_FIXED + len);

	T_ASSERT(b);
	memset(b, 0, SMB2_READ_RSP_FIXED);
	b[0] = SMB2_READ_RSP_SIZE;
	b[2] = SMB2_READ_RSP_HDR_LEN; /* DataOffset */
	b[4] = (uint8_t)len;
	b[5] = (uint8_t)(len >> 8);
	b[6] = (uint8_t)(len >> 16);
	b[7] = (uint8_t)(len >> 24);
	memset(b + SMB2_READ_RSP_FIXED, byte, len);
	fake_reply(f, req, STATUS_SUCCESS, flags, async_id, credits, b,
		   SMB2_READ_RSP_FIXED + len);
	free(b);
}

static void fake_hold(struct fake *f, const struct smb2_hdr *h)
{
	pthread_mutex_lock(&f->lock);
	T_ASSERT(f->nheld < sizeof(f->held) / sizeof(f->held[0]));
	f->held[f->nheld++] = *h;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->lock);
}

/* Wait until @n requests are held; returns false after 5 s. */
static bool fake_wait_held(struct fake *f, unsigned n)
{
	struct timespec dl;
	bool ok = true;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&f->lock);
	while (f->nheld < n && ok)
		ok = pthread_cond_timedwait(&f->cv, &f->lock, &dl) == 0;
	ok = f->nheld >= n;
	pthread_mutex_unlock(&f->lock);
	return ok;
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	uint32_t len;
	uint8_t *m;

	while ((m = peer_read_frame(f->fd, &len))) {
		struct smb2_hdr h;

		if (smb2_hdr_decode(m, len, &h)) {
			free(m);
			break;
		}
		pthread_mutex_lock(&f->lock);
		f->nreq++;
		if (h.credits > f->max_ask)
			f->max_ask = h.credits;
		if (h.credit_charge > f->max_charge)
			f->max_charge = h.credit_charge;
		if (h.command == SMB2_ECHO && h.credit_charge <= 1)
			f->necho1++;
		if (h.command == SMB2_ECHO)
			f->necho++;
		if (h.command == SMB2_CANCEL) {
			f->cancel = h;
			f->ncancel++;
			pthread_cond_broadcast(&f->cv);
		}
		pthread_mutex_unlock(&f->lock);
		f->policy(f, &h, m, len);
		free(m);
	}
	return NULL;
}

/* A client on one end of a socketpair, a fake server on the other. */
static struct smbiov_client *fake_start(struct fake *f, fake_policy policy,
					int timeout_ms)
{
	struct smbiov_client *c;

	memset(f, 0, sizeof(*f));
	f->policy = policy;
	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_init(&f->send_lock, NULL);
	pthread_cond_init(&f->cv, NULL);
	c = peer_client(&f->fd, timeout_ms);
	T_ASSERT(pthread_create(&f->th, NULL, fake_thread, f) == 0);
	return c;
}

static void fake_stop(struct fake *f, struct smbiov_client *c)
{
	peer_client_stop(c);
	pthread_join(f->th, NULL);
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	pthread_mutex_destroy(&f->send_lock);
	pthread_cond_destroy(&f->cv);
}

/* An ECHO-shaped request charged like @payload bytes of I/O. */
static int call_charged(struct smbiov_client *c, uint32_t payload)
{
	static const uint8_t body[4] = {SMB2_ECHO_SIZE, 0, 0, 0};
	struct iovec iov = {.iov_base = (void *)body, .iov_len = sizeof(body)};
	struct smb_req r;
	int ret;

	peer_req_init(&r, SMB2_ECHO, &iov);
	r.payload_len = payload;
	ret = smb_call(c, &r);
	smb_req_release(&r);
	return ret;
}

/* ---- credit refill ------------------------------------------------------ */

static void policy_grant(struct fake *f, const struct smb2_hdr *h,
			 const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	if (h->command == SMB2_CANCEL)
		return;
	fake_ok(f, h, fake_grant(f, h));
}

/*
 * A connection holding 1 credit (as after NEGOTIATE) and a request
 * charged 8, nothing in flight: it used to fail with -ENOBUFS; now an
 * ECHO asks for the shortfall and the request goes out.
 */
static void test_refill(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_grant, 5000);

	T_EXPECT_EQ(c->credits.avail, 1);
	T_EXPECT_EQ(call_charged(c, 8 * SMB_CREDIT_UNIT), 0);
	T_EXPECT_EQ(f.necho1, 1);
	T_EXPECT_EQ(f.max_charge, 8);
	T_EXPECT(f.max_ask >= 8);
	T_EXPECT(c->credits.avail >= 8);
	T_EXPECT_EQ(c->credits.in_flight, 0);
	/* Beyond one ECHO's reach: 200 credits (the ask is not capped). */
	T_EXPECT_EQ(call_charged(c, 200 * SMB_CREDIT_UNIT), 0);
	T_EXPECT_EQ(f.max_charge, 200);
	/* A window already big enough asks for nothing extra. */
	f.necho1 = 0;
	T_EXPECT_EQ(call_charged(c, 4 * SMB_CREDIT_UNIT), 0);
	T_EXPECT_EQ(f.necho1, 0);
	fake_stop(&f, c);
}

/* A server that never grows the window: -ENOBUFS at once, no hang. */
static void test_refill_refused(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_grant, 5000);
	double t0;

	f.grant_cap = 1;
	t0 = now_s();
	T_EXPECT_EQ(call_charged(c, 8 * SMB_CREDIT_UNIT), -ENOBUFS);
	T_EXPECT(now_s() - t0 < 2.0);
	/* The connection is still fine for what fits. */
	T_EXPECT_EQ(call_charged(c, 0), 0);
	T_EXPECT_EQ(c->dead, 0);
	fake_stop(&f, c);
}

/* Many threads short of credit at once: one ECHO at a time, all pass. */
struct refill_arg {
	struct smbiov_client *c;
	int ret;
};

static void *refill_worker(void *arg)
{
	struct refill_arg *a = arg;

	a->ret = 0;
	for (int i = 0; i < 20 && !a->ret; i++)
		a->ret = call_charged(a->c,
				      (uint32_t)(1 + i % 16) * SMB_CREDIT_UNIT);
	return NULL;
}

static void test_refill_threads(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_grant, 5000);
	struct refill_arg a[8];
	pthread_t th[8];

	for (int i = 0; i < 8; i++) {
		a[i].c = c;
		T_ASSERT(pthread_create(&th[i], NULL, refill_worker, &a[i]) ==
			 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		T_EXPECT_EQ(a[i].ret, 0);
	}
	fake_stop(&f, c);
}

/* ---- asynchronous deadlines ------------------------------------------- */

struct async_req {
	struct smb_req r;
	uint8_t body[4];
	struct iovec iov;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool done;
	double when;
};

static void async_done(struct smb_req *r)
{
	struct async_req *a = r->priv;

	pthread_mutex_lock(&a->lock);
	a->done = true;
	a->when = now_s();
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->lock);
}

static void async_init(struct async_req *a, uint16_t command)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->body[0] = SMB2_ECHO_SIZE;
	a->iov.iov_base = a->body;
	a->iov.iov_len = sizeof(a->body);
	smb_req_init(&a->r, command);
	a->r.flags = SMB_REQ_QUIET;
	a->r.body = &a->iov;
	a->r.nbody = 1;
	a->r.done = async_done;
	a->r.priv = a;
}

/* Wait up to @s seconds for @a to complete. */
static bool async_wait(struct async_req *a, double s)
{
	bool done;
	double end = now_s() + s;

	for (;;) {
		pthread_mutex_lock(&a->lock);
		done = a->done;
		pthread_mutex_unlock(&a->lock);
		if (done || now_s() > end)
			return done;
		msleep(5);
	}
}

static void async_destroy(struct async_req *a)
{
	smb_req_release(&a->r);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cv);
}

/* Hold ECHOs charged 2 (the ones under test), answer the others. */
static void policy_hold_big(struct fake *f, const struct smb2_hdr *h,
			    const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	if (h->command == SMB2_CANCEL)
		return;
	if (h->credit_charge == 2) {
		fake_hold(f, h);
		return;
	}
	fake_ok(f, h, fake_grant(f, h));
}

/*
 * An asynchronous request the server never answers, while other traffic
 * keeps the socket busy: its deadline must fire on time (it used to be
 * checked only when the socket had been idle for the whole timeout, so
 * here never, and between 1x and 2x the timeout at best).
 */
static void test_async_deadline(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_hold_big, 1000);
	struct async_req a;
	double t0, late;
	int ret = 0;

	T_EXPECT_EQ(call_charged(c, 0), 0); /* grows the window */
	async_init(&a, SMB2_ECHO);
	a.r.payload_len = 2 * SMB_CREDIT_UNIT;
	t0 = now_s();
	T_ASSERT(smb_submit(c, &a.r) == 0);
	/* Busy socket: a round trip every 50 ms, until the kill. */
	while (!ret && now_s() - t0 < 3.0) {
		ret = call_charged(c, 0);
		msleep(50);
	}
	T_EXPECT(async_wait(&a, 3.0));
	T_EXPECT_EQ(a.r.result, -ETIMEDOUT);
	late = a.when - t0;
	T_EXPECT(late >= 0.95 && late < 1.5);
	if (!(late >= 0.95 && late < 1.5))
		fprintf(stderr, "  deadline fired after %.3f s (timeout 1)\n",
			late);
	T_EXPECT_EQ(c->dead, -ETIMEDOUT);
	async_destroy(&a);
	fake_stop(&f, c);
}

/* The same on a silent socket: on time too, not at 2x. */
static void test_async_deadline_idle(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_hold_big, 1000);
	struct async_req a;
	double t0;

	T_EXPECT_EQ(call_charged(c, 0), 0);
	msleep(400); /* the receiver's socket wait started long before */
	async_init(&a, SMB2_ECHO);
	a.r.payload_len = 2 * SMB_CREDIT_UNIT;
	t0 = now_s();
	T_ASSERT(smb_submit(c, &a.r) == 0);
	T_EXPECT(async_wait(&a, 3.0));
	T_EXPECT_EQ(a.r.result, -ETIMEDOUT);
	/* Before: the receiver's next socket timeout, 1.6 s here. */
	T_EXPECT(a.when - t0 >= 0.95 && a.when - t0 < 1.5);
	async_destroy(&a);
	fake_stop(&f, c);
}

/*
 * Interim STATUS_PENDING restarts the wait (MS-SMB2 3.2.5.1.5): a final
 * response 1.5 timeouts after the request but 0.75 after the interim
 * completes it, asynchronous or not.
 */
static void test_interim_restarts_deadline(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_hold_big, 1000);
	struct async_req a;
	struct smb2_hdr h;

	T_EXPECT_EQ(call_charged(c, 0), 0);
	async_init(&a, SMB2_ECHO);
	a.r.payload_len = 2 * SMB_CREDIT_UNIT;
	T_ASSERT(smb_submit(c, &a.r) == 0);
	T_ASSERT(fake_wait_held(&f, 1));
	h = f.held[0];
	msleep(750);
	fake_interim(&f, &h, 0xA5A5, 4);
	msleep(750);
	fake_ok(&f, &h, 0); /* final async responses grant nothing */
	T_EXPECT(async_wait(&a, 2.0));
	T_EXPECT_EQ(a.r.result, 0);
	T_EXPECT_EQ(c->dead, 0);
	async_destroy(&a);
	/* Credits: the interim's grant counted, the request retired. */
	T_EXPECT_EQ(c->credits.in_flight, 0);
	fake_stop(&f, c);
}

struct sync_arg {
	struct smbiov_client *c;
	int ret;
};

static void *sync_caller(void *arg)
{
	struct sync_arg *a = arg;

	a->ret = call_charged(a->c, 2 * SMB_CREDIT_UNIT);
	return NULL;
}

/* The same for a synchronous caller, which times its own wait. */
static void test_interim_sync(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_hold_big, 1000);
	struct sync_arg a = {.c = c, .ret = 1};
	struct smb2_hdr h;
	pthread_t th;

	T_EXPECT_EQ(call_charged(c, 0), 0);
	T_ASSERT(pthread_create(&th, NULL, sync_caller, &a) == 0);
	T_ASSERT(fake_wait_held(&f, 1));
	h = f.held[0];
	msleep(750);
	fake_interim(&f, &h, 0xB6B6, 4);
	msleep(750);
	fake_ok(&f, &h, 0);
	pthread_join(th, NULL);
	T_EXPECT_EQ(a.ret, 0);
	T_EXPECT_EQ(c->dead, 0);
	fake_stop(&f, c);
}

/* ---- unsolicited OPLOCK_BREAK ----------------------------------------- */

static _Atomic unsigned breaks_seen;

static void on_break(struct smbiov_client *c, const uint8_t *msg, size_t len,
		     void *arg)
{
	(void)c;
	(void)arg;
	if (len >= SMB2_HDR_SIZE + 24 && msg[SMB2_HDR_SIZE] == 24)
		breaks_seen++;
}

/* Before every response: a break notification, then the response. */
static void policy_break_first(struct fake *f, const struct smb2_hdr *h,
			       const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	if (h->command == SMB2_CANCEL)
		return;
	fake_break(f);
	if (h->command == SMB2_READ) {
		/* Interim, another break, then the data. */
		fake_interim(f, h, 77, fake_grant(f, h));
		fake_break(f);
		fake_read_rsp(f, h, SMB2_FLAGS_ASYNC_COMMAND, 77, 0, 1000,
			      0x3c);
		return;
	}
	fake_ok(f, h, fake_grant(f, h));
}

static void test_break_in_flight(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_break_first, 5000);
	uint8_t body[SMB2_READ_REQ_FIXED + 8];
	uint8_t buf[1000];
	struct smb2_read_req rd = {.offset = 0, .length = sizeof(buf)};
	struct smbiov_iter it;
	struct iovec v;
	struct smb_req r;
	ssize_t n;

	/* No handler: the breaks are dropped, requests unaffected. */
	for (int i = 0; i < 20; i++)
		T_EXPECT_EQ(call_charged(c, 0), 0);
	breaks_seen = 0;
	smb_set_break_handler(c, on_break, NULL);
	for (int i = 0; i < 20; i++)
		T_EXPECT_EQ(call_charged(c, 0), 0);
	T_EXPECT_EQ(breaks_seen, 20);
	/* A READ received straight into its buffer, breaks around it. */
	n = smb2_read_req_encode(body, sizeof(body), &rd);
	T_ASSERT(n > 0);
	memset(buf, 0, sizeof(buf));
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	v.iov_base = body;
	v.iov_len = (size_t)n;
	smb_req_init(&r, SMB2_READ);
	r.body = &v;
	r.nbody = 1;
	r.dst = &it;
	r.read_len = sizeof(buf);
	T_EXPECT_EQ(smb_call(c, &r), 0);
	T_EXPECT_EQ(r.data_len, sizeof(buf));
	T_EXPECT(buf[0] == 0x3c && buf[sizeof(buf) - 1] == 0x3c);
	smb_req_release(&r);
	T_EXPECT_EQ(breaks_seen, 22);
	T_EXPECT_EQ(c->dead, 0);
	fake_stop(&f, c);
}

/* ---- a server that stops in the middle of a READ response ------------- */

static void policy_stall_read(struct fake *f, const struct smb2_hdr *h,
			      const uint8_t *msg, size_t len)
{
	uint8_t m[4 + SMB2_READ_RSP_HDR_LEN + 100];
	struct smb2_hdr r;

	(void)msg;
	(void)len;
	if (h->command != SMB2_READ) {
		if (h->command != SMB2_CANCEL)
			fake_ok(f, h, fake_grant(f, h));
		return;
	}
	/* Header, fixed part and 100 of the 1000 data bytes; then nothing. */
	memset(m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	r.command = SMB2_READ;
	r.credits = 1;
	r.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	r.message_id = h->message_id;
	smb2_hdr_encode(m + 4, &r);
	m[4 + SMB2_HDR_SIZE] = SMB2_READ_RSP_SIZE;
	m[4 + SMB2_HDR_SIZE + 2] = SMB2_READ_RSP_HDR_LEN;
	m[4 + SMB2_HDR_SIZE + 4] = 1000 & 0xff;
	m[4 + SMB2_HDR_SIZE + 5] = 1000 >> 8;
	smb2_nbss_encode(m, SMB2_READ_RSP_HDR_LEN + 1000);
	pthread_mutex_lock(&f->send_lock);
	peer_write_full(f->fd, m, sizeof(m));
	pthread_mutex_unlock(&f->send_lock);
}

/*
 * The receiver is writing into the caller's buffer, so the caller waits
 * without a clock (smb_wait()); a server silent for the whole timeout in
 * the middle of the frame must end the wait (it used to be retried
 * forever).
 */
static void test_stall_mid_frame(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_stall_read, 500);
	uint8_t body[SMB2_READ_REQ_FIXED + 8], buf[1000];
	struct smb2_read_req rd = {.length = sizeof(buf)};
	struct smbiov_iter it;
	struct iovec v;
	struct smb_req r;
	ssize_t n = smb2_read_req_encode(body, sizeof(body), &rd);
	double t0;

	T_ASSERT(n > 0);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	v.iov_base = body;
	v.iov_len = (size_t)n;
	peer_req_init(&r, SMB2_READ, &v);
	r.dst = &it;
	r.read_len = sizeof(buf);
	t0 = now_s();
	T_EXPECT_EQ(smb_call(c, &r), -ETIMEDOUT);
	T_EXPECT(now_s() - t0 < 2.0);
	smb_req_release(&r);
	fake_stop(&f, c);
}

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

/* ---- the connection dies while a request is being sent -----------------
 * The receiver sees the peer go away (and fails everything pending) while
 * the sender is still pushing a large payload into the same socket. The
 * contract of smb_submit() must hold either way: 0 and done() exactly
 * once, or an error and done() never.
 */
static _Atomic int kill_done_calls;

static void kill_done(struct smb_req *r)
{
	(void)r;
	kill_done_calls++;
}

static void *close_later(void *arg)
{
	int *fd = arg;

	msleep(20);
	shutdown(*fd, SHUT_RDWR);
	return NULL;
}

static void test_send_fails_while_killed(void)
{
	size_t len = 4u << 20;
	uint8_t *payload = calloc(1, len);

	T_ASSERT(payload);
	for (int round = 0; round < 10; round++) {
		static const uint8_t body[4] = {SMB2_ECHO_SIZE, 0, 0, 0};
		struct iovec iov = {.iov_base = (void *)body, .iov_len = 4};
		struct iovec pv = {.iov_base = payload, .iov_len = len};
		struct smbiov_client *c;
		struct smb_transport *t;
		struct smbiov_iter src;
		struct smb_req r;
		pthread_t th;
		int sv[2], ret;

		T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		T_ASSERT(smb_tcp_from_fd(sv[0], 5000, &t) == 0);
		T_ASSERT(smb_client_from_transport(t, 5000, &c) == 0);
		c->dialect = SMB2_DIALECT_311;
		c->server_caps = SMB2_GLOBAL_CAP_LARGE_MTU;
		c->credits.avail = 512;
		kill_done_calls = 0;
		smbiov_iter_kvec(&src, SMBIOV_ITER_SOURCE, &pv, 1, len);
		peer_req_init(&r, SMB2_WRITE, &iov);
		r.src = &src;
		r.done = kill_done;
		T_ASSERT(pthread_create(&th, NULL, close_later, &sv[1]) == 0);
		ret = smb_submit(c, &r);
		pthread_join(th, NULL);
		msleep(20);
		smbiov_disconnect(c);
		T_EXPECT_EQ(kill_done_calls, ret ? 0 : 1);
		T_EXPECT(ret == 0 || ret == -ECONNRESET || ret == -EPIPE);
		smb_req_release(&r);
		close(sv[1]);
	}
	free(payload);
}

/* ---- racing threads, responses out of order ----------------------------
 * Every 4th request is held and answered after the next ones; some get an
 * interim first. Nothing may be lost or matched to the wrong waiter.
 */
static void policy_shuffle(struct fake *f, const struct smb2_hdr *h,
			   const uint8_t *msg, size_t len)
{
	struct smb2_hdr held[4];
	unsigned n = 0;

	(void)msg;
	(void)len;
	if (h->command == SMB2_CANCEL)
		return;
	if (h->message_id % 4 == 1) {
		if (h->message_id % 8 == 1)
			fake_interim(f, h, h->message_id + 1000,
				     fake_grant(f, h));
		fake_hold(f, h);
		return;
	}
	fake_ok(f, h, fake_grant(f, h));
	pthread_mutex_lock(&f->lock);
	if (f->nheld >= 2 || h->message_id % 4 == 3) {
		n = f->nheld;
		memcpy(held, f->held, n * sizeof(held[0]));
		f->nheld = 0;
	}
	pthread_mutex_unlock(&f->lock);
	while (n--) {
		bool async = held[n].message_id % 8 == 1;

		fake_reply(f, &held[n], STATUS_SUCCESS,
			   async ? SMB2_FLAGS_ASYNC_COMMAND : 0,
			   held[n].message_id + 1000,
			   async ? 0 : fake_grant(f, &held[n]),
			   (const uint8_t[4]){SMB2_ECHO_SIZE}, 4);
	}
}

struct race_arg {
	struct smbiov_client *c;
	int bad;
};

static void *race_worker(void *arg)
{
	struct race_arg *a = arg;

	for (int i = 0; i < 300; i++)
		if (call_charged(a->c, (uint32_t)(i % 3) * SMB_CREDIT_UNIT))
			a->bad++;
	return NULL;
}

static _Atomic bool flusher_stop;

/* Answers held requests the policy found no later request to flush. */
static void *flusher(void *arg)
{
	struct fake *f = arg;

	while (!flusher_stop) {
		struct smb2_hdr held[256];
		unsigned n;

		msleep(20);
		pthread_mutex_lock(&f->lock);
		n = f->nheld;
		memcpy(held, f->held, n * sizeof(held[0]));
		f->nheld = 0;
		pthread_mutex_unlock(&f->lock);
		while (n--) {
			bool async = held[n].message_id % 8 == 1;

			fake_reply(f, &held[n], STATUS_SUCCESS,
				   async ? SMB2_FLAGS_ASYNC_COMMAND : 0,
				   held[n].message_id + 1000,
				   async ? 0 : fake_grant(f, &held[n]),
				   (const uint8_t[4]){SMB2_ECHO_SIZE}, 4);
		}
	}
	return NULL;
}

static void test_race_out_of_order(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_shuffle, 5000);
	struct race_arg a[8];
	pthread_t th[8], fl;

	flusher_stop = false;
	T_ASSERT(pthread_create(&fl, NULL, flusher, &f) == 0);

	for (int i = 0; i < 8; i++) {
		a[i].c = c;
		a[i].bad = 0;
		T_ASSERT(pthread_create(&th[i], NULL, race_worker, &a[i]) == 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		T_EXPECT_EQ(a[i].bad, 0);
	}
	flusher_stop = true;
	pthread_join(fl, NULL);
	T_EXPECT_EQ(c->dead, 0);
	fake_stop(&f, c);
}

/* ---- replies checked against the per-command table ---------------------- */

static _Atomic int bad_reply_kind;

/*
 * 0: a well-formed ECHO reply; 1: ECHO success with a 9-byte ERROR-shaped
 * body; 2: the reply names another command; 3: an error status with a
 * non-conforming body (only the status counts).
 */
static void policy_bad_reply(struct fake *f, const struct smb2_hdr *h,
			     const uint8_t *msg, size_t len)
{
	static const uint8_t err9[9] = {9};
	static const uint8_t odd[4] = {4};
	struct smb2_hdr other;

	(void)msg;
	(void)len;
	if (h->command == SMB2_CANCEL)
		return;
	switch (bad_reply_kind) {
	case 1:
		fake_reply(f, h, STATUS_SUCCESS, 0, 0, fake_grant(f, h), err9,
			   sizeof(err9));
		break;
	case 2:
		other = *h;
		other.command = SMB2_FLUSH;
		fake_reply(f, &other, STATUS_SUCCESS, 0, 0, fake_grant(f, h),
			   odd, sizeof(odd));
		break;
	case 3:
		fake_reply(f, h, STATUS_ACCESS_DENIED, 0, 0, fake_grant(f, h),
			   odd, sizeof(odd));
		break;
	default:
		fake_ok(f, h, fake_grant(f, h));
	}
}

/*
 * DESIGN.md §6.13: a success reply whose body is not the command's, or a
 * reply to another command, fails the request (and nothing decodes it);
 * an error status is reported as such whatever body came with it.
 */
static void test_reply_table(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_bad_reply, 5000);

	bad_reply_kind = 0;
	T_EXPECT_EQ(call_charged(c, 0), 0);
	bad_reply_kind = 3;
	T_EXPECT_EQ(call_charged(c, 0), -EACCES);
	bad_reply_kind = 1;
	T_EXPECT_EQ(call_charged(c, 0), -EBADMSG);
	bad_reply_kind = 2;
	T_EXPECT_EQ(call_charged(c, 0), -EPROTO);
	fake_stop(&f, c);
}

/* ---- keepalive (MS-SMB2 3.2.4.14) -------------------------------------- */

static unsigned fake_echoes(struct fake *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->necho;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Wait up to 5 s for the fake to have seen @n ECHOs. */
static bool wait_echoes(struct fake *f, unsigned n)
{
	double end = now_s() + 5;

	while (fake_echoes(f) < n) {
		if (now_s() > end)
			return false;
		msleep(5);
	}
	return true;
}

/* Wait until no keepalive ECHO is in flight (its response has arrived). */
static void wait_ka_idle(struct smbiov_client *c)
{
	bool busy = true;

	for (int i = 0; i < 1000 && busy; i++) {
		pthread_mutex_lock(&c->lock);
		busy = c->ka_busy;
		pthread_mutex_unlock(&c->lock);
		if (busy)
			msleep(5);
	}
	T_EXPECT(!busy);
}

/*
 * An idle connection sends ECHOs, one after another while it stays idle;
 * none while a request is in flight (that one proves the server alive, or
 * times out by itself).
 */
static void test_keepalive(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_hold_big, 3000);
	struct async_req a;
	struct smb2_hdr h;
	unsigned before;

	T_EXPECT_EQ(call_charged(c, 0), 0); /* grows the window */
	T_EXPECT_EQ(fake_echoes(&f), 1);
	smb_keepalive_set(c, 100);
	/* Idle: ECHOs come, answered, and keep coming. */
	T_EXPECT(wait_echoes(&f, 4));
	T_EXPECT_EQ(c->dead, 0);
	/* A request the server sits on: no ECHO for 6 intervals. */
	async_init(&a, SMB2_ECHO);
	a.r.payload_len = 2 * SMB_CREDIT_UNIT;
	T_ASSERT(smb_submit(c, &a.r) == 0);
	T_ASSERT(fake_wait_held(&f, 1));
	/*
	 * A keepalive decided just before the submit may still be on its
	 * way; once it is answered none can start while one is in flight.
	 */
	wait_ka_idle(c);
	before = fake_echoes(&f);
	msleep(600);
	T_EXPECT_EQ(fake_echoes(&f), before);
	h = f.held[0];
	fake_ok(&f, &h, 0);
	T_EXPECT(async_wait(&a, 2.0));
	T_EXPECT_EQ(a.r.result, 0);
	/* Idle again: the ECHOs resume. */
	T_EXPECT(wait_echoes(&f, before + 2));
	T_EXPECT_EQ(c->dead, 0);
	T_EXPECT_EQ(call_charged(c, 0), 0);
	/* Off: nothing more (an ECHO in flight may still land). */
	smb_keepalive_set(c, 0);
	wait_ka_idle(c);
	before = fake_echoes(&f);
	msleep(400);
	T_EXPECT_EQ(fake_echoes(&f), before);
	async_destroy(&a);
	fake_stop(&f, c);
}

/* Answer everything but ECHOs (a server that stopped answering). */
static void policy_mute_echo(struct fake *f, const struct smb2_hdr *h,
			     const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	if (h->command == SMB2_CANCEL)
		return;
	if (h->command == SMB2_ECHO && h->credit_charge == 1 &&
	    h->credits < 8) {
		fake_hold(f, h);
		return;
	}
	fake_ok(f, h, fake_grant(f, h));
}

/*
 * The keepalive ECHO goes unanswered: its deadline kills the connection,
 * and the next call fails at once with the connection's error instead of
 * going to a server that would (here: does) answer it.
 */
static void test_keepalive_dead(void)
{
	struct fake f;
	struct smbiov_client *c = fake_start(&f, policy_mute_echo, 500);
	struct smbiov_error e;
	unsigned nreq;
	int dead = 0;
	double end;

	/* Asks for many credits (>= 8): answered, unlike the keepalives. */
	T_EXPECT_EQ(call_charged(c, 8 * SMB_CREDIT_UNIT), 0);
	smb_keepalive_set(c, 100);
	T_ASSERT(fake_wait_held(&f, 1));
	T_EXPECT_EQ(f.held[0].command, SMB2_ECHO);
	end = now_s() + 5;
	while (!dead && now_s() < end) {
		pthread_mutex_lock(&c->lock);
		dead = c->dead;
		pthread_mutex_unlock(&c->lock);
		msleep(5);
	}
	T_EXPECT_EQ(dead, -ETIMEDOUT);
	pthread_mutex_lock(&f.lock);
	nreq = f.nreq;
	pthread_mutex_unlock(&f.lock);
	T_EXPECT_EQ(call_charged(c, 0), -ETIMEDOUT);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.err, -ETIMEDOUT);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_IO);
	/* One keepalive at a time, and nothing sent once dead. */
	T_EXPECT_EQ(f.nheld, 1);
	msleep(50);
	pthread_mutex_lock(&f.lock);
	T_EXPECT_EQ(f.nreq, nreq);
	pthread_mutex_unlock(&f.lock);
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
	T_RUN(test_reply_table);
	T_RUN(test_refill);
	T_RUN(test_refill_refused);
	T_RUN(test_refill_threads);
	T_RUN(test_async_deadline);
	T_RUN(test_async_deadline_idle);
	T_RUN(test_interim_restarts_deadline);
	T_RUN(test_interim_sync);
	T_RUN(test_stall_mid_frame);
	T_RUN(test_break_in_flight);
	T_RUN(test_cancel);
	T_RUN(test_send_fails_while_killed);
	T_RUN(test_race_out_of_order);
	T_RUN(test_keepalive);
	T_RUN(test_keepalive_dead);
	T_RUN(test_aio_cancel);
	T_RUN(test_aio_cancel_late);
	T_RUN(test_aio_cancel_in_done);
	return t_done();
}
