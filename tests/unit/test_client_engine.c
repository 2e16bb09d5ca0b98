// SPDX-License-Identifier: MIT
/*
 * The engine against a scripted server on a socketpair (fake_server.h):
 * credit refill (MS-SMB2 3.2.4.1.5), unsolicited OPLOCK_BREAK while
 * requests are in flight (3.2.5.19), a server stopping inside a frame, a
 * send failing as the connection dies, many threads racing requests
 * whose responses the server sends out of order, and replies checked
 * against the per-command table. Deadlines and keepalive:
 * test_client_deadline.c; CANCEL and smbiov_aio_cancel():
 * test_client_cancel.c.
 */
#include "client/engine.h"
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
#include <time.h>
#include <unistd.h>

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

int main(void)
{
	T_RUN(test_reply_table);
	T_RUN(test_refill);
	T_RUN(test_refill_refused);
	T_RUN(test_refill_threads);
	T_RUN(test_stall_mid_frame);
	T_RUN(test_break_in_flight);
	T_RUN(test_send_fails_while_killed);
	T_RUN(test_race_out_of_order);
	return t_done();
}
