/* SPDX-License-Identifier: MIT */
/*
 * The scripted server of the engine tests (test_client_engine.c,
 * test_client_deadline.c, test_client_cancel.c): a thread reading whole
 * requests from its end of a socketpair and handing each to the test's
 * policy, which answers at once, later (from the test thread) or never;
 * what it saw (requests, ECHOs, CANCELs, credits asked and charged) is
 * counted under its lock.
 */
#ifndef SMBIOV_TEST_FAKE_SERVER_H
#define SMBIOV_TEST_FAKE_SERVER_H

#include "client/engine.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "peer.h"
#include "t.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void msleep(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/*
 * Send one response to @req: header with @status/@flags, then @body.
 * @credits is what the response grants.
 */
static inline void fake_reply(struct fake *f, const struct smb2_hdr *req,
			      uint32_t status, uint32_t flags,
			      uint64_t async_id, uint16_t credits,
			      const void *body, size_t blen)
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
static inline uint16_t fake_grant(struct fake *f, const struct smb2_hdr *req)
{
	uint16_t g = req->credits ? req->credits : 1;

	if (f->grant_cap && g > f->grant_cap)
		g = f->grant_cap;
	return g;
}

/* A final success response to an ECHO (or anything: 4-byte body). */
static inline void fake_ok(struct fake *f, const struct smb2_hdr *req,
			   uint16_t credits)
{
	static const uint8_t body[4] = {SMB2_ECHO_SIZE, 0, 0, 0};

	fake_reply(f, req, STATUS_SUCCESS, 0, 0, credits, body, sizeof(body));
}

/* MS-SMB2 3.3.4.2: STATUS_PENDING with an AsyncId, granting credits. */
static inline void fake_interim(struct fake *f, const struct smb2_hdr *req,
				uint64_t async_id, uint16_t credits)
{
	static const uint8_t body[9] = {9};

	fake_reply(f, req, STATUS_PENDING, SMB2_FLAGS_ASYNC_COMMAND, async_id,
		   credits, body, sizeof(body));
}

/* An unsolicited oplock break notification (MS-SMB2 2.2.23.1). */
static inline void fake_break(struct fake *f)
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
static inline void fake_read_rsp(struct fake *f, const struct smb2_hdr *req,
				 uint32_t flags, uint64_t async_id,
				 uint16_t credits, uint32_t len, uint8_t byte)
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

static inline void fake_hold(struct fake *f, const struct smb2_hdr *h)
{
	pthread_mutex_lock(&f->lock);
	T_ASSERT(f->nheld < sizeof(f->held) / sizeof(f->held[0]));
	f->held[f->nheld++] = *h;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->lock);
}

/* Wait until @n requests are held; returns false after 5 s. */
static inline bool fake_wait_held(struct fake *f, unsigned n)
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

static inline void *fake_thread(void *arg)
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
static inline struct smbiov_client *
fake_start(struct fake *f, fake_policy policy, int timeout_ms)
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

static inline void fake_stop(struct fake *f, struct smbiov_client *c)
{
	peer_client_stop(c);
	pthread_join(f->th, NULL);
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	pthread_mutex_destroy(&f->send_lock);
	pthread_cond_destroy(&f->cv);
}

/* An ECHO-shaped request charged like @payload bytes of I/O. */
static inline int call_charged(struct smbiov_client *c, uint32_t payload)
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

/* An asynchronous request (an ECHO-shaped body) and its completion. */
struct async_req {
	struct smb_req r;
	uint8_t body[4];
	struct iovec iov;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool done;
	double when;
};

static inline void async_done(struct smb_req *r)
{
	struct async_req *a = r->priv;

	pthread_mutex_lock(&a->lock);
	a->done = true;
	a->when = now_s();
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->lock);
}

static inline void async_init(struct async_req *a, uint16_t command)
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
static inline bool async_wait(struct async_req *a, double s)
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

static inline void async_destroy(struct async_req *a)
{
	smb_req_release(&a->r);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cv);
}

#endif
