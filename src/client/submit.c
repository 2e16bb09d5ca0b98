// SPDX-License-Identifier: MIT
/*
 * Asynchronous requests (smb_submit()), sent again on a new connection
 * as resend.c allows, and the batching of small READs: READs submitted
 * while another thread is sending wait for that thread, which sends them
 * together as one compound of unrelated requests (MS-SMB2 3.2.4.1.4)
 * before it leaves smb_submit().
 *
 * Why batch: at 16 random 4 KiB O_DIRECT reads in flight through the
 * mount, Samba's main process was the bottleneck, and most of its cost is
 * per request: each READ is a socket wake-up, a hand-off to its aio
 * thread pool and a reply of its own. A compounded READ that is not the
 * last of its chain is read at once by smbd's main thread (no aio
 * hand-off), and the chain is one receive and (until the last element)
 * one reply. Batching only what arrives while a send is already under way
 * adds no wait: a lone request goes out at once, as before. Measured in
 * bench/RESULTS.md (rand16) and docs/design.md §4 "Batched READs".
 *
 * Only single-credit READs qualify (SMB_BATCH_READ_MAX): a big READ gains
 * nothing from sharing a message.
 *
 * The sender yields its CPU once (sched_yield) after its own send when
 * other requests are in flight, before it takes the queue: the threads
 * that the kernel just woke with further reads (FUSE threads of the
 * mount) then run and queue theirs, and the batches grow. Measured at 16
 * random 4 KiB reads in flight through the mount: 3.5 READs per message
 * instead of 1.2, smbd's CPU per read 11-12 us instead of 26-27, 46-50k
 * IOPS instead of 30-32k (bench/RESULTS.md). With fewer in flight
 * (iodepth 1) nothing would join, so it does not yield. The cost: a
 * thread that yields while a CPU-bound task shares its CPU waits for that
 * task's slice before it sends the queue.
 */
#include "client/engine.h"
#include "client/reconnect.h"

#include "proto/rw.h"
#include "proto/smb2.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

bool smb_bq_should_yield(uint32_t in_flight)
{
	return in_flight >= SMB_BATCH_YIELD_MIN;
}

/* @r may be held back for a batch by this thread (SMB_REQ_BATCH). */
static bool bq_eligible(const struct smbiov_client *c, const struct smb_req *r)
{
	return (r->flags & SMB_REQ_BATCH) && r->command == SMB2_READ &&
	       r->dst && !r->src && !(r->flags & SMB_REQ_FD) &&
	       r->read_len <= SMB_BATCH_READ_MAX &&
	       /* the receiver must never wait for credits or the socket */
	       !(c->rx_started && pthread_equal(pthread_self(), c->rx_thread));
}

/*
 * Queue @r behind the send in progress and return true, or, when no
 * thread is sending, make the caller the sender (which must call
 * bq_take() until it returns 0) and return false.
 */
static bool bq_join(struct smbiov_client *c, struct smb_req *r)
{
	bool queued;

	pthread_mutex_lock(&c->bq_lock);
	queued = c->bq_busy;
	if (queued) {
		r->e.bq_next = NULL;
		r->e.queued = true;
		*c->bq_tail = r;
		c->bq_tail = &r->e.bq_next;
	} else {
		c->bq_busy = true;
	}
	pthread_mutex_unlock(&c->bq_lock);
	return queued;
}

/* Bytes a READ's answer takes in a compound response (padded element). */
static size_t rsp_cost(const struct smb_req *r)
{
	return SMB2_READ_RSP_HDR_LEN + (size_t)r->read_len + 8;
}

/*
 * The sender's next batch: up to @max queued requests into @reqs, in the
 * order they came. Returns their count; 0 when the queue is empty, and
 * then the caller is no longer the sender.
 */
static size_t bq_take(struct smbiov_client *c, struct smb_req **reqs,
		      size_t max)
{
	/*
	 * The answer comes as one message too: keep it within what one READ
	 * may bring (rsize=, the server's MaxReadSize), as a lone READ's is.
	 */
	size_t room = c->max_read, n = 0;

	pthread_mutex_lock(&c->bq_lock);
	while (c->bq_head && n < max && (!n || rsp_cost(c->bq_head) <= room)) {
		struct smb_req *r = c->bq_head;

		room = rsp_cost(r) < room ? room - rsp_cost(r) : 0;
		c->bq_head = r->e.bq_next;
		r->e.bq_next = NULL;
		r->e.queued = false;
		reqs[n++] = r;
	}
	if (!c->bq_head)
		c->bq_tail = &c->bq_head;
	if (!n)
		c->bq_busy = false;
	pthread_mutex_unlock(&c->bq_lock);
	return n;
}

bool smb_bq_queued(struct smbiov_client *c, const struct smb_req *r)
{
	bool q;

	pthread_mutex_lock(&c->bq_lock);
	q = r->e.queued;
	pthread_mutex_unlock(&c->bq_lock);
	return q;
}

/* @r was not sent and will not be: done() will not run, nothing kept. */
static int not_sent(struct smb_req *r, int ret)
{
	free(r->e.body_copy);
	r->e.body_copy = NULL;
	return ret;
}

/*
 * Send @r, kept for a resend by smb_submit(), trying again on a new
 * connection as resend.c allows. Returns 0 (@done will run) or the
 * error that kept it from being sent (@done will not run).
 */
static int submit_send(struct smbiov_client *c, struct smb_req *r)
{
	int ret, rc;

	for (int tries = 0;; tries++) {
		uint64_t gen = smb_rc_gen(c);

		r->e.rc_gen = gen;
		ret = smb_send_reqs(c, &r, 1, !(r->flags & SMB_REQ_NOWAIT));
		gen = smb_sent_gen(&r, 1, gen);
		/*
		 * Not sent because the connection just died: bring it back,
		 * or leave it to the reviver when this thread may not (or
		 * gave up: the reviver has its own bound).
		 */
		if (!ret || !r->e.body_copy || !smb_rc_lost(ret))
			break;
		if (!smb_rc_may_resend(c, (unsigned)tries))
			return smb_rc_defer(c, r) ? 0 : not_sent(r, ret);
		rc = smb_rc_resume(c, gen);
		/*
		 * It gave up: the request fails as calls after it do (ENOTCONN,
		 * worded with why), not with the send's error that started it.
		 */
		if (rc)
			return smb_rc_defer(c, r) ? 0 : not_sent(r, rc);
		/*
		 * The failed try may have taken some of the payload before
		 * the connection died: a WRITE sent again without it said
		 * Length N over fewer bytes (STATUS_INVALID_PARAMETER).
		 */
		smb_rc_restart(r);
	}
	return ret ? not_sent(r, ret) : 0;
}

/*
 * The sender's duty: send what other threads queued while it
 * was sending, each batch as one compound, until the queue is empty. A
 * batch that fails to go out is sent again request by request (a lost
 * connection is then handled per request, as for its own); a request
 * that still cannot go is completed with the error, as its submitter
 * was told it was sent.
 */
static void submit_batches(struct smbiov_client *c)
{
	struct smb_req *b[SMB_COMPOUND_MAX];
	uint32_t in_flight;
	size_t n;

	pthread_mutex_lock(&c->lock);
	in_flight = c->credits.in_flight;
	pthread_mutex_unlock(&c->lock);
	if (smb_bq_should_yield(in_flight))
		sched_yield();
	while ((n = bq_take(c, b, SMB_COMPOUND_MAX))) {
		uint64_t gen = smb_rc_gen(c);
		int ret;

		for (size_t i = 0; i < n; i++)
			b[i]->e.rc_gen = gen;
		ret = smb_send_reqs(c, b, n, true);
		for (size_t i = 0; ret && i < n; i++) {
			int err = submit_send(c, b[i]);

			if (!err)
				continue;
			/* as its completion would, minus the credits */
			pthread_mutex_lock(&c->lock);
			b[i]->result = err;
			b[i]->status = 0;
			b[i]->e.complete = true;
			pthread_mutex_unlock(&c->lock);
			b[i]->done(b[i]);
		}
	}
}

int smb_submit(struct smbiov_client *c, struct smb_req *r)
{
	int ret;

	if (!r || !r->done) {
		ret = smb_client_check(c);
		return ret ? ret : -EINVAL;
	}
	r->e.sync = false;
	r->e.cv = NULL;
	r->e.body_copy = NULL;
	ret = smb_client_check(c);
	/* lost, and this thread may not bring it back: the reviver will */
	if (ret && smb_rc_lost(ret) && smb_rc_defer(c, r))
		return 0;
	if (ret) /* (a refused defer may have kept the body: fuzz_engine) */
		return not_sent(r, ret);
	ret = smb_rc_keep_req(c, r);
	if (ret)
		return ret;
	if (!bq_eligible(c, r))
		return submit_send(c, r);
	if (bq_join(c, r))
		return 0; /* the thread sending now sends it */
	ret = submit_send(c, r);
	submit_batches(c);
	return ret;
}
