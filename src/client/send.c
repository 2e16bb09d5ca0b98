// SPDX-License-Identifier: MIT
/*
 * The sending side of the engine (MS-SMB2 3.2.4.1): credits and
 * MessageIds, the 64-byte header, signing or sealing, and one transport
 * send of "header + body" followed by the caller's payload iterator.
 */
#include "client/engine.h"
#include "client/reconnect.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Per-element sizes worked out before anything is locked. */
struct elem_plan {
	size_t body_len;
	size_t pad;  /* zeros after the element (compound) */
	size_t plen; /* payload bytes (last element only) */
	uint16_t charge;
};

void smb_req_init(struct smb_req *r, uint16_t command)
{
	memset(r, 0, sizeof(*r));
	r->command = command;
}

void smb_req_release(struct smb_req *r)
{
	free(r->rsp);
	r->rsp = NULL;
	r->rsp_len = 0;
}

static pthread_condattr_t mono_attr;
static pthread_once_t mono_once = PTHREAD_ONCE_INIT;

static void mono_init(void)
{
	pthread_condattr_init(&mono_attr);
	pthread_condattr_setclock(&mono_attr, CLOCK_MONOTONIC);
}

/* A condvar whose timed waits use CLOCK_MONOTONIC (deadlines do). */
int smb_cond_init(pthread_cond_t *cv)
{
	pthread_once(&mono_once, mono_init);
	return -pthread_cond_init(cv, &mono_attr);
}

uint64_t smb_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

bool smb_deadline_passed(const struct timespec *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->tv_sec ||
	       (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

void smb_ts_add_ms(struct timespec *t, int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

void smb_deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	smb_ts_add_ms(ts, timeout_ms);
}

static bool multi_credit(const struct smbiov_client *c)
{
	return c->dialect > SMB2_DIALECT_202 &&
	       (c->server_caps & SMB2_GLOBAL_CAP_LARGE_MTU);
}

static int req_timeout(const struct smbiov_client *c, const struct smb_req *r)
{
	/* a reconnect's own requests: within what is left of its bound */
	return smb_rc_timeout(r->timeout_ms ? r->timeout_ms : c->timeout_ms);
}

static bool req_signed(const struct smbiov_client *c, const struct smb_req *r)
{
	if (c->sealing || (r->flags & SMB_REQ_NO_SIGN))
		return false;
	return c->have_signer &&
	       (c->signing || (r->flags & SMB_REQ_FORCE_SIGN));
}

/*
 * Check the requests and size their elements. Only the last element may
 * carry a payload: a payload is sent from the caller's iterator after all
 * header bytes, so nothing can follow it on the wire.
 */
static int plan_elems(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		      struct elem_plan *p, size_t *msg_len)
{
	size_t total = 0;

	if (!n || n > SMB_COMPOUND_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct smb_req *r = reqs[i];
		uint64_t pl;

		if (!r || (r->src && (!r->src->source || i != n - 1)) ||
		    (r->dst && (r->dst->source || !r->read_len ||
				r->read_len > smbiov_iter_count(r->dst))))
			return -EINVAL;
		if (r->flags & SMB_REQ_FD) {
			/* Signing and sealing need the bytes in our memory. */
			if (r->src || r->dst || n != 1 ||
			    (r->command == SMB2_READ && !r->read_len))
				return -EINVAL;
			if (c->sealing || req_signed(c, r) ||
			    !atomic_load(&c->t_fd_ok))
				return -EOPNOTSUPP;
		}
		p[i].body_len = 0;
		for (size_t k = 0; k < r->nbody; k++)
			p[i].body_len += r->body[k].iov_len;
		p[i].plen = r->src ? smbiov_iter_count(r->src) : 0;
		if ((r->flags & SMB_REQ_FD) && r->command == SMB2_WRITE)
			p[i].plen = r->fd_len;
		pl = r->payload_len;
		if (!pl)
			pl = p[i].plen > r->read_len ? p[i].plen : r->read_len;
		if (pl > UINT32_MAX)
			return -EINVAL;
		p[i].charge = smb_credits_charge((uint32_t)pl, multi_credit(c));
		p[i].pad = 0;
		if (i != n - 1)
			p[i].pad = smb2_compound_pad(SMB2_HDR_SIZE +
						     p[i].body_len);
		total += SMB2_HDR_SIZE + p[i].body_len + p[i].pad;
	}
	if (total + p[n - 1].plen >
	    SMB2_NBSS_MAX_LEN - SMB2_TRANSFORM_HEADER_SIZE)
		return -EMSGSIZE;
	*msg_len = total;
	return 0;
}

/*
 * Take the credits for all @n requests at once (their MessageIds are then
 * consecutive) and enter them in the pending table. MS-SMB2 3.2.4.1.5: no
 * request goes out without credit; waiting is bounded by the first
 * request's timeout. Short of credit with nothing in flight (no response
 * will bring more), ask the server for them (smb_credit_refill()).
 */
static int take_credits(struct smbiov_client *c, struct smb_req **reqs,
			size_t n, const struct elem_plan *p, bool wait,
			uint16_t *ask, uint64_t *gen)
{
	struct timespec dl;
	uint32_t total = 0;
	uint64_t mid, now;
	int ret, tmo = req_timeout(c, reqs[0]);

	for (size_t i = 0; i < n; i++)
		total += p[i].charge;
	if (total > 0xFFFF)
		return -EINVAL;
	if (tmo > 0)
		smb_deadline(&dl, tmo);
	pthread_mutex_lock(&c->lock);
	for (;;) {
		/* A reconnect is on: only its own requests go now. */
		if (c->rc_busy && !smb_rc_inside()) {
			pthread_cond_wait(&c->credit_cv, &c->lock);
			continue;
		}
		/*
		 * The connection this send meets (a request held above
		 * through a reconnect meets the new one): its failure is
		 * that connection's (smb_sent_gen()).
		 */
		for (size_t i = 0; i < n; i++)
			reqs[i]->e.rc_gen = smb_rc_gen(c);
		if (c->dead) {
			ret = c->dead;
			goto out;
		}
		ret = smb_credits_take(&c->credits, (uint16_t)total, &mid);
		if (ret == -ENOBUFS && wait &&
		    !(reqs[0]->flags & SMB_REQ_NO_REFILL)) {
			pthread_mutex_unlock(&c->lock);
			ret = smb_credit_refill(c, (uint16_t)total);
			pthread_mutex_lock(&c->lock);
			if (ret)
				break;
			continue;
		}
		if (ret != -EAGAIN || !wait)
			break;
		if (tmo > 0) {
			if (pthread_cond_timedwait(&c->credit_cv, &c->lock,
						   &dl) == ETIMEDOUT) {
				ret = -ETIMEDOUT;
				break;
			}
		} else {
			pthread_cond_wait(&c->credit_cv, &c->lock);
		}
	}
	if (ret)
		goto out;
	*gen = c->conn_gen;
	if (c->credits.max_in_flight > c->st_max_credits_in_flight)
		c->st_max_credits_in_flight = c->credits.max_in_flight;
	smb_activity_locked(c);
	now = smb_now_ns();
	for (size_t i = 0; i < n; i++) {
		struct smb_req *r = reqs[i];
		int t = req_timeout(c, r);

		r->e.mid = mid;
		r->e.charge = p[i].charge;
		r->e.c = c;
		r->e.complete = false;
		r->e.interim = false;
		r->e.receiving = false;
		r->e.in_send++; /* until send_over() */
		r->e.node.mid = mid;
		r->e.sent_ns = now;
		memset(&r->e.deadline, 0, sizeof(r->e.deadline));
		if (t > 0) {
			smb_deadline(&r->e.deadline, t);
			if (!r->e.sync)
				smb_watchdog_arm_locked(c, &r->e.deadline);
		}
		r->result = 0;
		r->status = 0;
		r->data_len = 0;
		r->fd_err = 0;
		/* Cannot collide: MessageIds are never reused. */
		smb_mid_insert(&c->table, &r->e.node);
		ask[i] = smb_credits_ask(&c->credits, p[i].charge);
		mid += p[i].charge;
	}
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int smb_credit_refill(struct smbiov_client *c, uint16_t charge)
{
	static const uint8_t body[4] = {SMB2_ECHO_SIZE, 0, 0, 0};
	struct iovec iov = {.iov_base = (void *)body, .iov_len = sizeof(body)};
	struct smb_credits *cr = &c->credits;
	struct smb_req r;
	int ret = 0;

	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		ret = c->dead;
		goto out;
	}
	/* Enough now, or a response in flight will bring more: retry. */
	if (cr->avail >= charge || cr->in_flight)
		goto out;
	/* Not even one credit to ask with: the server stopped us. */
	if (!cr->avail) {
		ret = -ENOBUFS;
		goto out;
	}
	if (c->refilling) {
		/* Another thread's ECHO is on its way: retry after it. */
		while (c->refilling && !c->dead)
			pthread_cond_wait(&c->credit_cv, &c->lock);
		goto out;
	}
	c->refilling = true;
	if (cr->need < charge)
		cr->need = charge;
	pthread_mutex_unlock(&c->lock);

	/* Its CreditRequest covers cr->need (smb_credits_ask()). */
	smb_req_init(&r, SMB2_ECHO);
	r.flags = SMB_REQ_NO_TREE | SMB_REQ_QUIET | SMB_REQ_NO_REFILL;
	r.body = &iov;
	r.nbody = 1;
	ret = smb_call(c, &r);
	smb_req_release(&r);

	pthread_mutex_lock(&c->lock);
	c->refilling = false;
	cr->need = 0;
	pthread_cond_broadcast(&c->credit_cv);
	/* The server granted less than asked: it will not grow the window. */
	if (ret == -ENOBUFS || (!ret && cr->avail + cr->in_flight < charge))
		ret = -ENOBUFS;
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/*
 * Undo take_credits() for requests that did not (wholly) go out, and say
 * what the caller may report. The connection may have died meanwhile
 * (the receiver saw the reset first): smb_conn_kill() then already took
 * them out of the table and completed them, and an smb_submit() request's
 * done() is owed to send_over() (or it was parked for the reviver). Those
 * count as sent, or done() would run
 * for a request its submitter was told failed (the file layer counted it
 * out twice, and its caller's completion never came). Returns @err when
 * every request was withdrawn here, else 0, after completing the
 * withdrawn ones with @err (only compounds, synchronous, mix the two).
 */
static int withdraw(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		    int err)
{
	bool out[SMB_COMPOUND_MAX];
	size_t k = 0;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < n; i++) {
		struct smb_req *r = reqs[i];

		out[i] = !r->e.complete && !r->e.receiving &&
			 smb_mid_remove(&c->table, &r->e.node) == 0;
		if (out[i]) {
			smb_credits_done(&c->credits, r->e.charge);
			k++;
		}
	}
	if (k)
		pthread_cond_broadcast(&c->credit_cv);
	if (k != n) {
		for (size_t i = 0; i < n; i++) {
			if (!out[i])
				continue;
			reqs[i]->result = err;
			reqs[i]->e.complete = true;
		}
		err = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return err;
}

/*
 * The sender is out of the transport with @reqs (sent or not): a done()
 * their answer or the connection's death left to it (e.in_send) runs now,
 * when nothing walks their payload any more.
 */
static void send_over(struct smbiov_client *c, struct smb_req **reqs, size_t n)
{
	bool run[SMB_COMPOUND_MAX];

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < n; i++) {
		struct smb_req *r = reqs[i];

		r->e.in_send--;
		run[i] = !r->e.in_send && r->e.done_owed;
		if (run[i])
			r->e.done_owed = false;
	}
	pthread_mutex_unlock(&c->lock);
	/* (only smb_submit()'s single requests have a done()) */
	for (size_t i = 0; i < n; i++)
		if (run[i])
			reqs[i]->done(reqs[i]);
}

/* Write the headers and bodies of the chain into @msg. */
static int build_chain(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		       const struct elem_plan *p, const uint16_t *ask,
		       uint8_t *msg)
{
	uint8_t *e = msg;
	int ret;

	for (size_t i = 0; i < n; i++) {
		struct smb_req *r = reqs[i];
		struct smb2_hdr h;
		uint8_t *b = e + SMB2_HDR_SIZE;
		size_t elen = SMB2_HDR_SIZE + p[i].body_len;

		memset(&h, 0, sizeof(h));
		h.command = r->command;
		/* 2.0.2 (and NEGOTIATE, before a dialect exists): reserved. */
		h.credit_charge = multi_credit(c) ? p[i].charge : 0;
		h.credits = ask[i];
		/*
		 * 3.x: ChannelSequence (the Status field's low half), one more
		 * after every reconnect (MS-SMB2 3.2.4.1.1, 3.2.7.1, as cifs
		 * does): the server tells requests of the old connection from
		 * the new one's (3.3.5.2.10) and fails a late old WRITE with
		 * STATUS_FILE_NOT_AVAILABLE instead of applying it over newer
		 * data.
		 */
		if (c->dialect >= SMB2_DIALECT_300)
			h.status = atomic_load(&c->channel_seq);
		h.flags = r->hdr_flags &
			  ~(SMB2_FLAGS_SERVER_TO_REDIR |
			    SMB2_FLAGS_ASYNC_COMMAND | SMB2_FLAGS_SIGNED);
		/* a batch (submit.c) is a chain of unrelated requests */
		if (i && !(r->flags & SMB_REQ_BATCH))
			h.flags |= SMB2_FLAGS_RELATED_OPERATIONS;
		if (req_signed(c, r))
			h.flags |= SMB2_FLAGS_SIGNED;
		h.message_id = r->e.mid;
		h.session_id =
			(r->flags & SMB_REQ_NO_SESSION) ? 0 : c->session_id;
		h.tree_id = (r->flags & SMB_REQ_NO_TREE) ? 0 : c->tree_id;
		smb2_hdr_encode(e, &h);
		for (size_t k = 0; k < r->nbody; k++) {
			memcpy(b, r->body[k].iov_base, r->body[k].iov_len);
			b += r->body[k].iov_len;
		}
		ret = smb_rc_patch_fid(c, r->command, e + SMB2_HDR_SIZE,
				       p[i].body_len, r->e.body_copy);
		if (ret)
			return ret;
		if (i != n - 1) {
			/* NextCommand covers the padding (3.2.4.1.4). */
			int pad = smb2_compound_link(e, elen);

			if (pad < 0)
				return pad;
			memset(e + elen, 0, (size_t)pad);
		}
		e += elen + p[i].pad;
	}
	return 0;
}

/*
 * Sign every element that needs it (each over itself and its padding,
 * MS-SMB2 3.1.4.1) and feed the 3.1.1 preauth hash. Called under
 * send_lock: the signer is not thread-safe.
 */
static int sign_chain(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		      const struct elem_plan *p, uint8_t *msg)
{
	uint8_t *e = msg;
	int ret;

	for (size_t i = 0; i < n; i++) {
		struct smb_req *r = reqs[i];
		size_t elen = SMB2_HDR_SIZE + p[i].body_len + p[i].pad;
		const struct smbiov_iter *pl = i == n - 1 ? r->src : NULL;

		if (req_signed(c, r)) {
			ret = smb_signer_sign(&c->tx_signer, e, elen, pl);
			if (ret)
				return ret;
		}
		if (r->preauth) {
			ret = smb2_preauth_update(r->preauth, e, elen, pl);
			if (ret)
				return ret;
		}
		e += elen;
	}
	return 0;
}

/*
 * Seal the chain (MS-SMB2 3.2.4.1.8): header and bodies in place, the
 * payload into a library buffer (the one copy encrypted I/O makes).
 */
static int seal_and_send(struct smbiov_client *c, uint8_t *msg, size_t len,
			 struct smbiov_iter *src)
{
	uint8_t nb[SMB2_NBSS_HDR_SIZE], th[SMB2_TRANSFORM_HEADER_SIZE];
	size_t plen = src ? smbiov_iter_count(src) : 0;
	struct smbiov_iter out, ct;
	struct iovec iov[3], piov;
	uint8_t *cbuf = NULL;
	int ret;

	if (plen) {
		cbuf = malloc(plen);
		if (!cbuf)
			return -ENOMEM;
		piov.iov_base = cbuf;
		piov.iov_len = plen;
		smbiov_iter_kvec(&out, SMBIOV_ITER_DEST, &piov, 1, plen);
	}
	ret = smb_seal_encrypt(&c->tx_sealer, th, msg, len, plen ? src : NULL,
			       plen ? &out : NULL);
	if (ret)
		goto out;
	smb_stat_copied(c, plen);
	ret = smb2_nbss_encode(nb, SMB2_TRANSFORM_HEADER_SIZE + len + plen);
	if (ret)
		goto out;
	iov[0].iov_base = nb;
	iov[0].iov_len = sizeof(nb);
	iov[1].iov_base = th;
	iov[1].iov_len = sizeof(th);
	iov[2].iov_base = msg;
	iov[2].iov_len = len;
	if (plen)
		smbiov_iter_kvec(&ct, SMBIOV_ITER_SOURCE, &piov, 1, plen);
	ret = smb_transport_send(c->t, iov, 3, plen ? &ct : NULL);
out:
	free(cbuf);
	return ret;
}

int smb_send_reqs(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		  bool wait_credit)
{
	struct elem_plan p[SMB_COMPOUND_MAX];
	uint16_t ask[SMB_COMPOUND_MAX];
	struct smbiov_iter src_copy, *src = NULL;
	struct smb_req *last;
	uint64_t gen = 0;
	uint8_t *buf;
	size_t len, plen;
	int ret;

	ret = plan_elems(c, reqs, n, p, &len);
	if (ret)
		return ret;
	last = reqs[n - 1];
	plen = p[n - 1].plen;
	buf = malloc(SMB2_NBSS_HDR_SIZE + len);
	if (!buf)
		return -ENOMEM;
	ret = take_credits(c, reqs, n, p, wait_credit, ask, &gen);
	if (ret)
		goto out_free;
	ret = build_chain(c, reqs, n, p, ask, buf + SMB2_NBSS_HDR_SIZE);
	if (ret)
		goto out_untake;
	/*
	 * Send from a copy of the payload iterator and advance the caller's
	 * first: once the last byte is out the response may complete the
	 * request before the transport call even returns, and a reviver may
	 * rewind the caller's for a resend. (The segments the copy walks
	 * stay: done() waits for send_over().)
	 */
	if (last->src) {
		src_copy = *last->src;
		src = &src_copy;
	}
	pthread_mutex_lock(&c->send_lock);
	if (c->conn_gen != gen) {
		/* a reconnect came between: this was for the old one */
		pthread_mutex_unlock(&c->send_lock);
		ret = -ECONNRESET;
		goto out_untake;
	}
	ret = sign_chain(c, reqs, n, p, buf + SMB2_NBSS_HDR_SIZE);
	if (ret) {
		pthread_mutex_unlock(&c->send_lock);
		goto out_untake;
	}
	atomic_fetch_add(&c->st_requests, n);
	atomic_fetch_add(&c->st_messages, 1);
	atomic_fetch_add(&c->st_payload_sent, plen);
	if (last->src)
		smbiov_iter_advance(last->src, plen);
	if (c->sealing) {
		ret = seal_and_send(c, buf + SMB2_NBSS_HDR_SIZE, len, src);
	} else {
		struct iovec iov;

		ret = smb2_nbss_encode(buf, len + plen);
		iov.iov_base = buf;
		iov.iov_len = SMB2_NBSS_HDR_SIZE + len;
		if (!ret && (last->flags & SMB_REQ_FD) &&
		    last->command == SMB2_WRITE) {
			off_t o = last->fd_off;

			/*
			 * The transport sets fd_err before the last byte goes
			 * out, i.e. before the response can complete @last.
			 */
			ret = c->t->ops->send_from_fd(
				c->t, &iov, 1, last->fd,
				(last->flags & SMB_REQ_FD_POS) ? NULL : &o,
				plen, &last->fd_err);
			if (!ret)
				atomic_fetch_add(&c->st_payload_spliced, plen);
		} else if (!ret) {
			ret = smb_transport_send(c->t, &iov, 1, src);
		}
	}
	pthread_mutex_unlock(&c->send_lock);
	free(buf);
	if (ret) {
		/*
		 * Part of a message may be on the wire: the stream is
		 * unusable. Withdraw ours first so the kill does not
		 * complete them (the caller reports the error itself).
		 */
		int err = ret;

		ret = withdraw(c, reqs, n, err);
		smb_conn_kill(c, err);
	}
	send_over(c, reqs, n);
	return ret;

out_untake:
	ret = withdraw(c, reqs, n, ret);
	send_over(c, reqs, n);
out_free:
	free(buf);
	return ret;
}

int smb_wait(struct smbiov_client *c, struct smb_req *r)
{
	pthread_mutex_lock(&c->lock);
	while (!r->e.complete) {
		int w;

		if (!r->e.deadline.tv_sec || r->e.receiving) {
			/*
			 * No deadline, or the receiver is writing into our
			 * buffer right now: it completes us when done (its
			 * socket waits are bounded by the timeout).
			 */
			pthread_cond_wait(r->e.cv, &c->lock);
			continue;
		}
		w = pthread_cond_timedwait(r->e.cv, &c->lock, &r->e.deadline);
		/*
		 * An interim response moved the deadline while we slept
		 * (MS-SMB2 3.2.5.1.5): wait again until the new one.
		 */
		if (w == ETIMEDOUT && !r->e.complete && !r->e.receiving &&
		    smb_deadline_passed(&r->e.deadline)) {
			pthread_mutex_unlock(&c->lock);
			smb_conn_kill(c, -ETIMEDOUT);
			pthread_mutex_lock(&c->lock);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return r->result;
}

static const char *const cmd_names[SMB2_NR_COMMANDS] = {
	"NEGOTIATE",
	"SESSION_SETUP",
	"LOGOFF",
	"TREE_CONNECT",
	"TREE_DISCONNECT",
	"CREATE",
	"CLOSE",
	"FLUSH",
	"READ",
	"WRITE",
	"LOCK",
	"IOCTL",
	"CANCEL",
	"ECHO",
	"QUERY_DIRECTORY",
	"CHANGE_NOTIFY",
	"QUERY_INFO",
	"SET_INFO",
	"OPLOCK_BREAK",
	"NOTIFICATION",
};

const char *smb_cmd_name(uint16_t command)
{
	return command < SMB2_NR_COMMANDS ? cmd_names[command] : "request";
}

static void report(const struct smb_req *r)
{
	const char *name = smb_cmd_name(r->command);

	if (!r->result || (r->flags & SMB_REQ_QUIET))
		return;
	if (r->status)
		smb_error_status(r->status, SMBIOV_PHASE_IO, name);
	else
		smb_error_set(r->result, 0, SMBIOV_PHASE_IO, "%s: %s", name,
			      smb_conn_strerror(r->e.c, r->result));
}

/*
 * Send @reqs as one compound, or (@separate) each as its own message
 * without waiting in between, then wait for every one that was sent.
 */
static int call_n(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		  bool separate)
{
	pthread_cond_t cv;
	size_t sent = 0;
	int ret;

	ret = smb_client_check(c);
	if (ret)
		goto fail;
	ret = smb_cond_init(&cv);
	if (ret)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		reqs[i]->e.sync = true;
		reqs[i]->e.cv = &cv;
	}
	if (separate) {
		while (!ret && sent < n) {
			ret = smb_send_reqs(
				c, &reqs[sent], 1,
				!(reqs[sent]->flags & SMB_REQ_NOWAIT));
			sent += !ret;
		}
	} else {
		ret = smb_send_reqs(c, reqs, n,
				    !(reqs[0]->flags & SMB_REQ_NOWAIT));
		sent = ret ? 0 : n;
	}
	/* Those on the wire point at cv: wait for them whatever came next. */
	for (size_t i = 0; i < sent; i++) {
		smb_wait(c, reqs[i]);
		report(reqs[i]);
	}
	pthread_cond_destroy(&cv);
	if (!ret)
		return 0;
	reqs += sent;
	n -= sent;
fail:
	for (size_t i = 0; i < n; i++) {
		reqs[i]->result = ret;
		reqs[i]->status = 0;
	}
	if (!(reqs[0]->flags & SMB_REQ_QUIET))
		smb_error_set(ret, 0, SMBIOV_PHASE_IO, "send: %s",
			      smb_conn_strerror(c, ret));
	return ret;
}

/*
 * The reconnect that @reqs waited for gave up: they fail as the calls
 * after it do (ENOTCONN, and a message saying why it gave up), not with
 * the reset that started it, whichever of the two a call met first.
 */
static int gave_up(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		   int ret)
{
	bool quiet = true;

	for (size_t i = 0; i < n; i++) {
		if (smb_rc_lost(reqs[i]->result) && !reqs[i]->status)
			reqs[i]->result = -ENOTCONN;
		quiet = quiet && (reqs[i]->flags & SMB_REQ_QUIET);
	}
	if (smb_rc_lost(ret))
		ret = -ENOTCONN;
	if (!quiet)
		smb_error_set(-ENOTCONN, 0, SMBIOV_PHASE_IO, "%s: %s",
			      smb_cmd_name(reqs[0]->command),
			      smb_conn_strerror(c, -ENOTCONN));
	return ret;
}

/*
 * The newest reconnect generation @reqs' sends met (take_credits()), or
 * @gen, read before them. A request held through a reconnect (rc_busy)
 * was sent on the new connection: when that one dies too, the next
 * reconnect is due, whereas @gen alone said "someone reconnected since",
 * and the request went once more on the dead connection first (a wasted
 * round: test_client_rc_progress test_held_through_reconnect).
 */
uint64_t smb_sent_gen(struct smb_req **reqs, size_t n, uint64_t gen)
{
	for (size_t i = 0; i < n; i++)
		if (reqs[i]->e.rc_gen > gen)
			gen = reqs[i]->e.rc_gen;
	return gen;
}

/*
 * call_n(), and again on a new connection when this one was lost before
 * the answers came (resend.c decides whether they may go again).
 */
static int call_resend(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		       bool separate)
{
	struct smb_resend rs;
	int ret;

	if (n > SMB_COMPOUND_MAX || c->rc_ms <= 0 || smb_rc_inside())
		return call_n(c, reqs, n, separate);
	smb_resend_save(&rs, reqs, n);
	for (;;) {
		uint64_t gen = smb_rc_gen(c);

		for (size_t i = 0; i < n; i++)
			reqs[i]->e.rc_gen = gen;
		ret = call_n(c, reqs, n, separate);
		if (!smb_resend_prepare(c, &rs, reqs, ret,
					smb_sent_gen(reqs, n, gen)))
			break;
	}
	return rs.gave_up ? gave_up(c, reqs, n, ret) : ret;
}

int smb_call(struct smbiov_client *c, struct smb_req *r)
{
	int ret = call_resend(c, &r, 1, false);

	return ret ? ret : r->result;
}

int smb_compound(struct smbiov_client *c, struct smb_req **reqs, size_t n)
{
	if (!n || n > SMB_COMPOUND_MAX)
		return -EINVAL;
	return call_resend(c, reqs, n, false);
}

int smb_call_pipelined(struct smbiov_client *c, struct smb_req **reqs, size_t n)
{
	if (!n)
		return -EINVAL;
	return call_resend(c, reqs, n, true);
}

int smb_cancel(struct smbiov_client *c, struct smb_req *r)
{
	uint8_t msg[SMB2_NBSS_HDR_SIZE + SMB2_SIMPLE_MSG_LEN];
	struct smb2_hdr h;
	struct iovec iov;
	ssize_t len;
	int ret = smb_client_check(c);

	if (ret)
		return ret;
	/* not sent yet: it will be, and answered (nothing to cancel) */
	if (smb_bq_queued(c, r))
		return 0;
	memset(&h, 0, sizeof(h));
	pthread_mutex_lock(&c->lock);
	if (r->e.complete) {
		pthread_mutex_unlock(&c->lock);
		return -EALREADY;
	}
	/* MS-SMB2 3.2.4.24: same MessageId; AsyncId once it went async. */
	h.message_id = r->e.mid;
	if (r->e.interim) {
		h.flags = SMB2_FLAGS_ASYNC_COMMAND;
		h.async_id = r->e.async_id;
	}
	pthread_mutex_unlock(&c->lock);
	h.session_id = (r->flags & SMB_REQ_NO_SESSION) ? 0 : c->session_id;
	h.tree_id = (r->flags & SMB_REQ_NO_TREE) ? 0 : c->tree_id;
	if (req_signed(c, r))
		h.flags |= SMB2_FLAGS_SIGNED;
	len = smb2_cancel_req_encode(msg + SMB2_NBSS_HDR_SIZE,
				     SMB2_SIMPLE_MSG_LEN, &h);
	if (len < 0)
		return (int)len;
	pthread_mutex_lock(&c->send_lock);
	if (h.flags & SMB2_FLAGS_SIGNED)
		ret = smb_signer_sign(&c->tx_signer, msg + SMB2_NBSS_HDR_SIZE,
				      (size_t)len, NULL);
	if (!ret && c->sealing) {
		ret = seal_and_send(c, msg + SMB2_NBSS_HDR_SIZE, (size_t)len,
				    NULL);
	} else if (!ret) {
		smb2_nbss_encode(msg, (size_t)len);
		iov.iov_base = msg;
		iov.iov_len = sizeof(msg);
		ret = smb_transport_send(c->t, &iov, 1, NULL);
	}
	pthread_mutex_unlock(&c->send_lock);
	if (ret)
		smb_conn_kill(c, ret);
	return ret;
}

int smb_echo(struct smbiov_client *c)
{
	static const uint8_t body[4] = {SMB2_ECHO_SIZE, 0, 0, 0};
	struct iovec iov = {.iov_base = (void *)body, .iov_len = sizeof(body)};
	struct smb_req r;
	int ret;

	smb_req_init(&r, SMB2_ECHO);
	r.flags = SMB_REQ_NO_TREE;
	r.body = &iov;
	r.nbody = 1;
	ret = smb_call(c, &r);
	if (!ret && smb2_echo_rsp_decode(r.rsp, r.rsp_len))
		ret = smb_error_set(-EBADMSG, 0, SMBIOV_PHASE_IO,
				    "ECHO: malformed response");
	smb_req_release(&r);
	return ret;
}
