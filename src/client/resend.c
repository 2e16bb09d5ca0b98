// SPDX-License-Identifier: MIT
/*
 * Sending again what a lost connection took (reconnect.c brings the
 * connection back; this file decides what may go again on it and sends
 * it). Its own file: which requests may be replayed, and how often, is
 * apart from how a connection comes back.
 *
 * Resending: the request's iterators and fd offset are restored to what
 * they were, and all but reads and queries go with
 * SMB2_FLAGS_REPLAY_OPERATION on 3.x. A FileId of a reopened handle is
 * rewritten as the message is built (reopen.c, smb_rc_patch_fid()).
 * Synchronous requests are sent again by their caller
 * (smb_resend_prepare()); asynchronous ones are kept (their body copied)
 * and parked when the connection dies, and a reviver thread reconnects
 * and sends them again.
 */
#include "client/engine.h"
#include "client/reconnect.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- resending ----------------------------------------------------------- */

static bool replayable(const struct smb_req *r)
{
	switch (r->command) {
	case SMB2_NEGOTIATE:
	case SMB2_SESSION_SETUP:
	case SMB2_LOGOFF:
	case SMB2_TREE_CONNECT:
	case SMB2_TREE_DISCONNECT:
	case SMB2_ECHO:
	case SMB2_CANCEL:
	case SMB2_OPLOCK_BREAK: /* an acknowledgement means nothing now */
		return false;
	default:
		/*
		 * A READ into a pipe goes again while nothing reached the
		 * pipe (smb_rc_park_locked()); a WRITE from one cannot: the
		 * bytes sendfile() took are gone (fdio.c never sends so).
		 */
		return !(r->flags & SMB_REQ_FD_POS) || r->command == SMB2_READ;
	}
}

static bool idempotent(uint16_t command)
{
	return command == SMB2_READ || command == SMB2_QUERY_INFO ||
	       command == SMB2_QUERY_DIRECTORY || command == SMB2_FLUSH;
}

/* Where @r's payload starts, before anything was sent or received. */
static void save_start(struct smb_req *r)
{
	if (r->src)
		r->e.src0 = *r->src;
	if (r->dst)
		r->e.dst0 = *r->dst;
	r->e.fd_off0 = r->fd_off;
	r->e.resent = 0;
}

/*
 * Make @r as it was submitted, to go again: its response dropped, its
 * iterators and fd offset back at the start, and the replay flag on what
 * is not a read or query (a FileId of a reopened handle is rewritten as
 * it is sent).
 */
static void rewind_req(struct smbiov_client *c, struct smb_req *r)
{
	smb_req_release(r);
	smb_rc_restart(r);
	if (!idempotent(r->command) && c->dialect >= SMB2_DIALECT_300)
		r->hdr_flags |= SMB2_FLAGS_REPLAY_OPERATION;
	r->e.resent++;
	atomic_fetch_add(&c->st_replayed, 1);
}

void smb_resend_save(struct smb_resend *rs, struct smb_req **reqs, size_t n)
{
	rs->n = n;
	rs->tries = 0;
	rs->gave_up = false;
	for (size_t i = 0; i < n; i++)
		save_start(reqs[i]);
}

bool smb_rc_may_resend(struct smbiov_client *c, unsigned tries)
{
	/* (anything answered since the last reconnect: progress again) */
	return tries < SMB_RESEND_MAX &&
	       (atomic_load(&c->rc_barren) < SMB_RESEND_TRIES ||
		atomic_load(&c->rc_answered) !=
			atomic_load(&c->rc_answered_at));
}

bool smb_resend_prepare(struct smbiov_client *c, struct smb_resend *rs,
			struct smb_req **reqs, int ret, uint64_t gen)
{
	bool lost = smb_rc_lost(ret);

	/* (an answer, even one that maps to ENETRESET: not lost) */
	for (size_t i = 0; i < rs->n && !lost; i++)
		lost = smb_rc_lost(reqs[i]->result) && !reqs[i]->status;
	if (!lost || !smb_rc_may_resend(c, rs->tries) ||
	    atomic_load(&c->rc_ms) <= 0 || smb_rc_inside())
		return false;
	for (size_t i = 0; i < rs->n; i++)
		if (!replayable(reqs[i]))
			return false;
	/*
	 * Also when the connection is alive again: another thread may have
	 * reconnected since these went out (smb_reconnect() sees that).
	 */
	if (smb_rc_resume(c, gen)) {
		rs->gave_up = true;
		return false;
	}
	rs->tries++;
	for (size_t i = 0; i < rs->n; i++)
		rewind_req(c, reqs[i]);
	return true;
}

/* ---- asynchronous requests ----------------------------------------------- */

int smb_rc_keep_req(struct smbiov_client *c, struct smb_req *r)
{
	size_t len = 0, off = 0;

	free(r->e.body_copy);
	r->e.body_copy = NULL;
	if (atomic_load(&c->rc_ms) <= 0 || smb_rc_inside() || !replayable(r))
		return 0;
	for (size_t k = 0; k < r->nbody; k++)
		len += r->body[k].iov_len;
	r->e.body_copy = malloc(len ? len : 1);
	if (!r->e.body_copy)
		return -ENOMEM;
	for (size_t k = 0; k < r->nbody; k++) {
		memcpy(r->e.body_copy + off, r->body[k].iov_base,
		       r->body[k].iov_len);
		off += r->body[k].iov_len;
	}
	r->e.body_vec.iov_base = r->e.body_copy;
	r->e.body_vec.iov_len = len;
	save_start(r);
	return 0;
}

bool smb_rc_park_locked(struct smbiov_client *c, struct smb_req *r, int err)
{
	/*
	 * Only what the connection's death caught: a server's answer that
	 * maps to a transport error (STATUS_USER_SESSION_DELETED,
	 * STATUS_NETWORK_NAME_DELETED: ENETRESET) came on a live connection,
	 * where nothing would ever revive it (fuzz_engine finding 1: a hang).
	 * Nor a READ into a pipe that got part of its data: sent again whole
	 * it would put those bytes in twice (its caller continues after
	 * them, io.c).
	 */
	if (!r->e.body_copy || r->e.sync || !smb_rc_lost(err) || r->status ||
	    c->closing || atomic_load(&c->rc_ms) <= 0 ||
	    ((r->flags & SMB_REQ_FD_POS) && r->data_len) ||
	    !smb_rc_may_resend(c, r->e.resent) ||
	    atomic_load(&c->rc_state) == SMBIOV_CONN_FAILED)
		return false;
	/* its credits went with the connection */
	smb_credits_done(&c->credits, r->e.charge);
	r->e.replay_next = c->replay;
	c->replay = r;
	return true;
}

bool smb_rc_defer(struct smbiov_client *c, struct smb_req *r)
{
	bool ok;

	if (!r->e.body_copy && smb_rc_keep_req(c, r))
		return false;
	pthread_mutex_lock(&c->lock);
	ok = r->e.body_copy && !c->closing && atomic_load(&c->rc_ms) > 0 &&
	     atomic_load(&c->rc_state) != SMBIOV_CONN_FAILED;
	if (ok) {
		r->e.sync = false;
		r->e.complete = false;
		r->e.replay_next = c->replay;
		c->replay = r;
	}
	pthread_mutex_unlock(&c->lock);
	if (ok)
		smb_rc_revive(c);
	return ok;
}

/* Complete @r, which will not be sent again, with @err. */
static void fail_parked(struct smbiov_client *c, struct smb_req *r, int err)
{
	bool run;

	pthread_mutex_lock(&c->lock);
	r->result = err;
	r->status = 0;
	r->e.complete = true;
	free(r->e.body_copy);
	r->e.body_copy = NULL;
	/* its first submitter may still be in its send */
	run = smb_req_done_due_locked(r);
	pthread_mutex_unlock(&c->lock);
	if (run)
		r->done(r);
}

/* Send @r again, as it was submitted, on the new connection. */
static int resend_async(struct smbiov_client *c, struct smb_req *r)
{
	rewind_req(c, r);
	r->body = &r->e.body_vec;
	r->nbody = 1;
	return smb_send_reqs(c, &r, 1, true);
}

/*
 * The reviver: reconnects (unless a caller already did) and sends the
 * parked requests again; those it cannot send complete with the error.
 * Runs until no request is parked.
 */
static void *reviver_main(void *arg)
{
	struct smbiov_client *c = arg;

	for (;;) {
		struct smb_req *list;
		int ret = 0;

		pthread_mutex_lock(&c->lock);
		list = c->replay;
		c->replay = NULL;
		if (!list) {
			c->reviver_running = false;
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pthread_mutex_unlock(&c->lock);
		if (c->dead)
			ret = smb_reconnect(c, smb_rc_gen(c));
		while (list) {
			struct smb_req *r = list;
			int err = ret ? ret : -ENOTCONN;

			list = r->e.replay_next;
			r->e.replay_next = NULL;
			if (!ret)
				err = resend_async(c, r);
			/*
			 * The new connection died too: once more, if allowed.
			 * Not when the reconnect itself gave up (its bound
			 * passed): another round of tries, each up to a
			 * timeout, would carry the call past the bound.
			 */
			if (!ret && err && smb_rc_lost(err) &&
			    smb_rc_may_resend(c, r->e.resent)) {
				pthread_mutex_lock(&c->lock);
				r->e.replay_next = c->replay;
				c->replay = r;
				pthread_mutex_unlock(&c->lock);
				continue;
			}
			if (err)
				fail_parked(c, r, err);
		}
	}
}

void smb_rc_revive(struct smbiov_client *c)
{
	bool start;

	pthread_mutex_lock(&c->lock);
	start = c->replay && !c->reviver_running;
	if (start)
		c->reviver_running = true;
	pthread_mutex_unlock(&c->lock);
	if (!start)
		return;
	/* the previous one has ended (not running): reap it first */
	if (c->reviver_started)
		pthread_join(c->reviver, NULL);
	c->reviver_started =
		pthread_create(&c->reviver, NULL, reviver_main, c) == 0;
	if (!c->reviver_started) {
		struct smb_req *list;

		pthread_mutex_lock(&c->lock);
		list = c->replay;
		c->replay = NULL;
		c->reviver_running = false;
		pthread_mutex_unlock(&c->lock);
		while (list) {
			struct smb_req *r = list;

			list = r->e.replay_next;
			fail_parked(c, r, -ENOTCONN);
		}
	}
}

void smb_rc_join(struct smbiov_client *c)
{
	if (c->reviver_started) {
		pthread_join(c->reviver, NULL);
		c->reviver_started = false;
	}
}
