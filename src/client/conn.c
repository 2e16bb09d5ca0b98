// SPDX-License-Identifier: MIT
/*
 * Client lifetime: smbiov_connect() runs the phases (resolve, TCP,
 * NEGOTIATE, SESSION_SETUP, TREE_CONNECT, validate negotiate) and
 * smbiov_disconnect() undoes them; the receiver thread's start and stop;
 * the fork guard; connection info and statistics.
 */
#include "mem/access.h"
#include "client/engine.h"
#include "client/reconnect.h"
#include "client/lease.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define DEFAULT_TIMEOUT_MS 30000
/* MS-SMB2 leaves the interval to the client; cifs.ko uses 60 s too. */
#define DEFAULT_KEEPALIVE_MS 60000

int smb_client_check(const struct smbiov_client *c)
{
	if (!c)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO, "no client");
	/*
	 * DESIGN.md §2 Fork: the child shares the parent's socket; one byte
	 * from it would corrupt the parent's stream. Nothing is touched.
	 */
	if (mem_self_pid() != c->pid)
		return smb_error_set(-ECHILD, 0, SMBIOV_PHASE_IO,
				     "client belongs to the parent process");
	/* Lost: the call that finds it so brings it back (reconnect.c). */
	if (c->dead && smb_rc_wanted(c))
		smb_reconnect((struct smbiov_client *)c, smb_rc_gen(c));
	if (c->dead)
		return smb_error_set(c->dead, 0, SMBIOV_PHASE_IO,
				     "connection lost: %s",
				     smb_conn_strerror(c, c->dead));
	return 0;
}

int smb_api_begin(const struct smbiov_client *c)
{
	int ret = smb_client_check(c);

	if (!ret)
		smb_error_clear();
	return ret;
}

void smb_set_break_handler(struct smbiov_client *c,
			   void (*fn)(struct smbiov_client *c,
				      const uint8_t *msg, size_t len,
				      void *arg),
			   void *arg)
{
	pthread_mutex_lock(&c->lock);
	c->on_break = fn;
	c->on_break_arg = arg;
	pthread_mutex_unlock(&c->lock);
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

static struct smb_req *node_req(struct smb_mid_node *n)
{
	return (struct smb_req *)((char *)n - offsetof(struct smb_req, e.node));
}

/*
 * The earliest deadline of an asynchronous request in the table, into
 * @d; false if none has one. Under c->lock. A scan, but the watchdog runs
 * it only when it wakes: at a deadline (about once per timeout while
 * requests come and go) or when an earlier one was armed.
 */
static bool earliest_deadline(struct smbiov_client *c, struct timespec *d)
{
	bool any = false;

	for (size_t i = 0; i < SMB_MID_BUCKETS; i++) {
		for (struct smb_mid_node *n = c->table.bucket[i]; n;
		     n = n->next) {
			const struct smb_req *r = node_req(n);

			/* smb_wait() times synchronous ones itself. */
			if (r->e.sync || !r->e.deadline.tv_sec ||
			    r->e.receiving)
				continue;
			if (!any || ts_cmp(&r->e.deadline, d) < 0)
				*d = r->e.deadline;
			any = true;
		}
	}
	return any;
}

void smb_watchdog_arm_locked(struct smbiov_client *c, const struct timespec *d)
{
	/*
	 * Deadlines mostly grow (same timeout, later submission): the
	 * watchdog is woken only when it sleeps with nothing to watch or
	 * until a later moment than @d.
	 */
	if (!c->wd_until.tv_sec || ts_cmp(d, &c->wd_until) < 0) {
		c->wd_until = *d;
		pthread_cond_signal(&c->wd_cv);
	}
}

void smb_activity_locked(struct smbiov_client *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->ka_last);
}

void smb_keepalive_set(struct smbiov_client *c, int ms)
{
	pthread_mutex_lock(&c->lock);
	c->keepalive_ms = ms > 0 ? ms : 0;
	smb_activity_locked(c);
	pthread_cond_signal(&c->wd_cv);
	pthread_mutex_unlock(&c->lock);
}

enum ka_state { KA_OFF, KA_LATER, KA_DUE };

/*
 * When the next keepalive ECHO is due, into @at (KA_LATER), or KA_DUE
 * now. Under c->lock. Idle means nothing sent or completed for the
 * interval and nothing in flight: a request in flight either answers
 * (the server is alive) or hits its own deadline. While something is in
 * flight the watchdog looks again an interval later rather than being
 * woken by every completion.
 */
static enum ka_state keepalive_next(struct smbiov_client *c,
				    const struct timespec *now,
				    struct timespec *at)
{
	if (c->keepalive_ms <= 0 || c->ka_busy)
		return KA_OFF;
	if (c->table.count || c->refilling) {
		*at = *now;
		smb_ts_add_ms(at, c->keepalive_ms);
		return KA_LATER;
	}
	*at = c->ka_last;
	smb_ts_add_ms(at, c->keepalive_ms);
	return ts_cmp(now, at) >= 0 ? KA_DUE : KA_LATER;
}

static void keepalive_done(struct smb_req *r)
{
	struct smbiov_client *c = r->priv;

	smb_req_release(r);
	pthread_mutex_lock(&c->lock);
	c->ka_busy = false;
	/* It sleeps until the ECHO's deadline: the next interval is shorter. */
	pthread_cond_signal(&c->wd_cv);
	pthread_mutex_unlock(&c->lock);
}

/*
 * MS-SMB2 3.2.4.14: an ECHO on an idle connection. Asynchronous, so the
 * watchdog never waits for it: an unanswered one outlives its deadline
 * and the watchdog kills the connection like for any other request, so
 * the next call fails at once instead of hanging on a dead peer. Never
 * waits for credit either (NOWAIT, no refill): short of credit, it is
 * tried again an interval later. Called with c->ka_busy set.
 */
static void keepalive_send(struct smbiov_client *c)
{
	static const uint8_t body[4] = {SMB2_ECHO_SIZE, 0, 0, 0};
	static const struct iovec iov = {.iov_base = (void *)body,
					 .iov_len = sizeof(body)};
	struct smb_req *r = &c->ka_req;
	int ret;

	smb_req_init(r, SMB2_ECHO);
	r->flags = SMB_REQ_NO_TREE | SMB_REQ_QUIET | SMB_REQ_NOWAIT |
		   SMB_REQ_NO_REFILL;
	r->body = &iov;
	r->nbody = 1;
	r->done = keepalive_done;
	r->priv = c;
	ret = smb_submit(c, r);
	if (ret) {
		/* Not sent, done() will not run. */
		pthread_mutex_lock(&c->lock);
		c->ka_busy = false;
		smb_activity_locked(c);
		pthread_mutex_unlock(&c->lock);
	}
}

/*
 * The Request Expiration Timer of MS-SMB2 3.2.6.1 for asynchronous
 * requests: kill the connection when one outlives its deadline (its
 * timeout after it was sent, or after its last interim response,
 * 3.2.5.1.5), on time rather than when the socket next idles. Failing
 * just the request would leave the server's MessageId window unknown.
 * Also the keepalive's timer (keepalive_next()).
 */
static void *watchdog_thread(void *arg)
{
	struct smbiov_client *c = arg;
	struct timespec now, d, k;
	enum ka_state ka;
	bool has_d;

	pthread_mutex_lock(&c->lock);
	while (!c->closing && !c->dead) {
		has_d = earliest_deadline(c, &d);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (has_d && ts_cmp(&now, &d) >= 0) {
			pthread_mutex_unlock(&c->lock);
			/*
			 * The server's view of the MessageId window is now
			 * unknown: the connection cannot be trusted further.
			 */
			smb_conn_kill(c, -ETIMEDOUT);
			pthread_mutex_lock(&c->lock);
			break;
		}
		ka = keepalive_next(c, &now, &k);
		if (ka == KA_DUE) {
			c->ka_busy = true;
			pthread_mutex_unlock(&c->lock);
			keepalive_send(c);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		if (ka == KA_LATER && (!has_d || ts_cmp(&k, &d) < 0)) {
			d = k;
			has_d = true;
		}
		if (!has_d) {
			c->wd_until.tv_sec = 0;
			c->wd_until.tv_nsec = 0;
			pthread_cond_wait(&c->wd_cv, &c->lock);
			continue;
		}
		c->wd_until = d;
		pthread_cond_timedwait(&c->wd_cv, &c->lock, &d);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int smb_engine_start(struct smbiov_client *c)
{
	int ret = pthread_create(&c->rx_thread, NULL, smb_recv_thread, c);

	if (ret)
		return -ret;
	c->rx_started = true;
	ret = pthread_create(&c->wd_thread, NULL, watchdog_thread, c);
	if (ret)
		return -ret;
	c->wd_started = true;
	return 0;
}

void smb_engine_stop(struct smbiov_client *c)
{
	pthread_mutex_lock(&c->lock);
	c->closing = true;
	if (c->t)
		smb_transport_shutdown(c->t);
	pthread_cond_signal(&c->wd_cv);
	pthread_mutex_unlock(&c->lock);
	if (c->rx_started) {
		pthread_join(c->rx_thread, NULL);
		c->rx_started = false;
	}
	if (c->wd_started) {
		pthread_join(c->wd_thread, NULL);
		c->wd_started = false;
	}
	/* Anything still pending (there should be nothing) fails now. */
	smb_conn_kill(c, -ESHUTDOWN);
}

void smb_aio_get(struct smbiov_client *c)
{
	pthread_mutex_lock(&c->lock);
	c->aio_pending++;
	pthread_mutex_unlock(&c->lock);
}

void smb_aio_put(struct smbiov_client *c)
{
	pthread_mutex_lock(&c->lock);
	/* A waiter may free @c once it sees 0 and we let go of the lock. */
	if (c->aio_pending && --c->aio_pending == 0)
		pthread_cond_broadcast(&c->aio_cv);
	pthread_mutex_unlock(&c->lock);
}

SMBIOV_API int smbiov_aio_wait(struct smbiov_client *c)
{
	if (!c)
		return -EINVAL;
	/* A forked child's copy of the lock may be held by a dead thread. */
	if (mem_self_pid() != c->pid)
		return smb_client_check(c);
	pthread_mutex_lock(&c->lock);
	while (c->aio_pending)
		pthread_cond_wait(&c->aio_cv, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void client_free(struct smbiov_client *c)
{
	c->rc_ms = 0;
	smb_rc_join(c);
	if (c->rx_started || c->wd_started || c->t)
		smb_engine_stop(c);
	/*
	 * After the receiver is gone (it may be in the break handler, which
	 * uses the lease table) and before the transport: a break worker
	 * waiting for an answer was failed by the stop, and any call it still
	 * makes fails at once.
	 */
	smb_leases_release(c);
	if (c->fs && c->fs_release)
		c->fs_release(c->fs);
	c->fs = NULL;
	smb_transport_release(c->t);
	if (c->have_signer) {
		smb_signer_release(&c->tx_signer);
		smb_signer_release(&c->rx_signer);
	}
	if (c->have_sealer) {
		smb_sealer_release(&c->tx_sealer);
		smb_sealer_release(&c->rx_sealer);
	}
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->rc_lock);
	pthread_mutex_destroy(&c->send_lock);
	pthread_mutex_destroy(&c->bq_lock);
	pthread_cond_destroy(&c->credit_cv);
	pthread_cond_destroy(&c->wd_cv);
	pthread_cond_destroy(&c->aio_cv);
	smb_rc_release(c);
	free(c->host);
	free(c->share);
	free(c->unc);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static struct smbiov_client *client_new(const struct smbiov_options *o)
{
	struct smbiov_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pid = mem_self_pid();
	c->timeout_ms =
		o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->max_frame = SMB_INITIAL_MAX_FRAME;
	c->cache_bytes = o ? o->cache_bytes : 0;
	c->close_timeout_ms = o ? o->close_timeout_ms : 0;
	c->break_ack_ms = o ? o->break_ack_ms : 0;
	/* off unless smbiov_connect() kept what a new session needs */
	c->rc_ms = 0;
	pthread_mutex_init(&c->rc_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->send_lock, NULL);
	pthread_mutex_init(&c->bq_lock, NULL);
	c->bq_tail = &c->bq_head;
	if (smb_cond_init(&c->credit_cv))
		goto fail_cv0;
	if (smb_cond_init(&c->wd_cv))
		goto fail_cv1;
	if (smb_cond_init(&c->aio_cv))
		goto fail_cv2;
	smb_credits_init(&c->credits, 0);
	smb_mid_table_init(&c->table);
	c->aio_ops.prev = c->aio_ops.next = &c->aio_ops;
	smb2_preauth_init(&c->preauth);
	return c;

fail_cv2:
	pthread_cond_destroy(&c->wd_cv);
fail_cv1:
	pthread_cond_destroy(&c->credit_cv);
fail_cv0:
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->send_lock);
	pthread_mutex_destroy(&c->bq_lock);
	free(c);
	return NULL;
}

int smb_client_from_transport(struct smb_transport *t, int timeout_ms,
			      struct smbiov_client **out)
{
	struct smbiov_options o = {.timeout_ms = timeout_ms};
	struct smbiov_client *c = client_new(&o);
	int ret;

	*out = NULL;
	if (!c) {
		smb_transport_release(t);
		return -ENOMEM;
	}
	smb_set_transport(c, t);
	ret = smb_engine_start(c);
	if (ret) {
		client_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

/* \\host\share, the TREE_CONNECT path (MS-SMB2 2.2.9). */
static int make_unc(struct smbiov_client *c, const struct smbiov_url *u)
{
	size_t n = strlen(u->host) + strlen(u->share) + 4;

	c->host = strdup(u->host);
	c->share = strdup(u->share);
	c->unc = malloc(n);
	if (!c->host || !c->share || !c->unc)
		return -ENOMEM;
	snprintf(c->unc, n, "\\\\%s\\%s", u->host, u->share);
	return 0;
}

static int connect_phases(struct smbiov_client *c, const struct smbiov_url *u,
			  const struct smbiov_options *o)
{
	const char *user = o->user ? o->user : u->user;
	const char *domain = o->domain ? o->domain : u->domain;
	struct smb_transport *t;
	int ret;

	ret = make_unc(c, u);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_CONNECT,
				     "out of memory");
	ret = smb_tcp_connect(u->host, u->port, c->timeout_ms, &t);
	if (!ret)
		smb_set_transport(c, t); /* (no other thread yet) */
	if (ret) {
		/* The transport returns -ENXIO for resolution failures only. */
		if (ret == -ENXIO)
			return smb_error_set(ret, 0, SMBIOV_PHASE_RESOLVE,
					     "cannot resolve %s", u->host);
		return smb_error_set(ret, 0, SMBIOV_PHASE_CONNECT,
				     "connect to %s port %s: %s", u->host,
				     u->port, smbiov_strerror(ret));
	}
	ret = smb_engine_start(c);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_CONNECT,
				     "cannot start the receiver thread");
	ret = smb_negotiate(c, o);
	if (ret)
		return ret;
	ret = smb_session_setup(c, user, domain, o->password, o);
	if (ret)
		return ret;
	ret = smb_tree_connect(c, o);
	if (!ret)
		ret = smb_validate_negotiate(c);
	if (ret || o->reconnect_ms < 0)
		return ret;
	if (smb_rc_keep_creds(c, o, u->port, user, domain))
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_CONNECT,
				     "out of memory");
	c->rc_ms = o->reconnect_ms ? o->reconnect_ms : SMB_RECONNECT_MS;
	return 0;
}

SMBIOV_API int smbiov_connect(const char *url, const struct smbiov_options *opt,
			      struct smbiov_client **out)
{
	static const struct smbiov_options defaults;
	const struct smbiov_options *o = opt ? opt : &defaults;
	struct smbiov_url u;
	struct smbiov_client *c;
	int ret;

	smb_error_clear();
	if (!url || !out)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_NONE,
				     "missing URL or result pointer");
	*out = NULL;
	ret = smbiov_url_parse(url, &u);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_NONE, "bad URL: %s",
				     smbiov_strerror(ret));
	c = client_new(o);
	if (!c) {
		smbiov_url_release(&u);
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_NONE,
				     "out of memory");
	}
	ret = connect_phases(c, &u, o);
	smbiov_url_release(&u);
	/* Not before: an ECHO needs the session (and its signing key). */
	if (!ret && o->keepalive_ms >= 0)
		smb_keepalive_set(c, o->keepalive_ms ? o->keepalive_ms
						     : DEFAULT_KEEPALIVE_MS);
	if (ret) {
		struct smbiov_error keep;

		/* Teardown must not overwrite the phase's error. */
		smbiov_last_error(&keep);
		smb_goodbye(c);
		client_free(c);
		smb_error_set(keep.err, keep.ntstatus, keep.phase, "%s",
			      keep.message);
		return ret;
	}
	*out = c;
	return 0;
}

SMBIOV_API void smbiov_disconnect(struct smbiov_client *c)
{
	if (!c)
		return;
	/*
	 * A forked child must not touch the parent's socket, and its copy
	 * of the locks may be held by threads that do not exist here: the
	 * memory is left to the child's exit.
	 */
	if (mem_self_pid() != c->pid)
		return;
	/*
	 * Going away: a lost connection is not brought back for that (a
	 * reconnect under way stops at its next try), nor are requests
	 * sent again; the reviver ends.
	 */
	c->rc_ms = 0;
	smb_rc_join(c);
	/* Handles the file layer keeps open (deferred close) go first. */
	if (c->fs && c->fs_shutdown)
		c->fs_shutdown(c->fs);
	/* No ECHO after LOGOFF: the server would refuse the session. */
	smb_keepalive_set(c, 0);
	smb_goodbye(c);
	client_free(c);
}

SMBIOV_API void smbiov_get_info(const struct smbiov_client *c,
				struct smbiov_conn_info *out)
{
	uint64_t rtt;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->dialect = c->dialect;
	out->cipher = c->sealing ? c->cipher : 0;
	out->signing_alg = c->signing_alg;
	out->signing = c->signing && !c->sealing;
	out->encrypted = c->sealing;
	out->max_read = c->max_read;
	out->max_write = c->max_write;
	rtt = atomic_load(&c->st_rtt_min_ns);
	out->rtt_us = rtt ? (uint32_t)((rtt + 999) / 1000) : 0;
}

SMBIOV_API void smbiov_get_stats(const struct smbiov_client *c,
				 struct smbiov_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->requests = atomic_load(&c->st_requests);
	out->messages = atomic_load(&c->st_messages);
	out->reconnects = atomic_load(&c->st_reconnects);
	out->replayed = atomic_load(&c->st_replayed);
	out->handles_reopened = atomic_load(&c->st_handles_reopened);
	out->handles_lost = atomic_load(&c->st_handles_lost);
	out->max_credits_in_flight = atomic_load(&c->st_max_credits_in_flight);
	out->payload_sent = atomic_load(&c->st_payload_sent);
	out->payload_received = atomic_load(&c->st_payload_received);
	out->payload_copied = atomic_load(&c->st_payload_copied);
	out->payload_spliced = atomic_load(&c->st_payload_spliced);
}
