// SPDX-License-Identifier: MIT
/*
 * Reconnect (issue 15, first step): a connection that died of a
 * transport error comes back when the next call needs it, and a
 * synchronous request whose answer was lost is sent again on the new one.
 * This file brings the connection back; reopen.c puts the open files on
 * it and resend.c sends the requests the old one lost (their own files:
 * each is a job of its own around this loop, which calls the first and
 * is called by the second).
 *
 * Who reconnects: the first thread that finds the connection dead in
 * smb_client_check() (any public call), or whose smb_call()/
 * smb_compound() failed because it died. One at a time (@rc_lock);
 * others wait for it, and a thread that comes after it sees the
 * generation changed and just goes on. Never the receiver or the
 * watchdog (they end with the old connection and are started again).
 *
 * What it does: the old receiver and watchdog are joined; a new TCP
 * connection, NEGOTIATE with the same ClientGuid, SESSION_SETUP with the
 * kept credentials and PreviousSessionId = the old session (MS-SMB2
 * 3.2.4.2.3: the server tears down the old session, which frees durable
 * handles a silently dead connection still holds), TREE_CONNECT; then
 * every open file is reopened (reopen.c). While it runs, requests of
 * other threads wait in take_credits() (c->rc_busy). It retries with a
 * backoff of 50 ms doubling to 2 s for up to rc_ms; then the client is
 * failed for good.
 */
#include "client/engine.h"
#include "client/reconnect.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static __thread bool rc_inside; /* this thread is reconnecting */

/* When this thread's reconnect must be over (ns, smb_now_ns(); 0: none). */
static __thread uint64_t rc_until_ns;

int smb_rc_cap_ms(int ms, uint64_t now_ns, uint64_t until_ns)
{
	uint64_t left;

	if (!until_ns)
		return ms;
	left = until_ns > now_ns ? (until_ns - now_ns + 999999) / 1000000 : 1;
	if (left > INT_MAX)
		left = INT_MAX;
	return ms > 0 && (uint64_t)ms < left ? ms : (int)left;
}

int smb_rc_timeout(int ms)
{
	return rc_until_ns ? smb_rc_cap_ms(ms, smb_now_ns(), rc_until_ns) : ms;
}

bool smb_rc_inside(void)
{
	return rc_inside;
}

/* The errors a lost transport gives; anything else is not ours to fix. */
static bool transport_error(int err)
{
	switch (err) {
	case -ECONNRESET:
	case -EPIPE:
	case -ETIMEDOUT:
	case -ECONNABORTED:
	case -ENOTCONN:
	case -ENETDOWN:
	case -ENETUNREACH:
	case -ENETRESET:
	case -EHOSTUNREACH:
		return true;
	default:
		return false;
	}
}

bool smb_rc_lost(int err)
{
	return transport_error(err);
}

/*
 * May this thread reconnect at all: reconnect on, the client not going,
 * not a reconnect itself, and neither the receiver nor the watchdog
 * (they end with the connection: they must not wait for the new one).
 */
static bool may_reconnect_here(const struct smbiov_client *c)
{
	return atomic_load(&c->rc_ms) > 0 && !rc_inside && !c->closing &&
	       !(c->rx_started &&
		 pthread_equal(pthread_self(), c->rx_thread)) &&
	       !(c->wd_started && pthread_equal(pthread_self(), c->wd_thread));
}

/* After a failed reconnect, calls fail at once for this long. */
static int rc_pause_ms(const struct smbiov_client *c)
{
	int ms = atomic_load(&c->rc_ms);

	return ms < SMB_RC_PAUSE_MS ? ms : SMB_RC_PAUSE_MS;
}

/* c->dead, read under the lock. */
static int dead_now(const struct smbiov_client *c)
{
	int dead;

	pthread_mutex_lock((pthread_mutex_t *)&c->lock);
	dead = c->dead;
	pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
	return dead;
}

bool smb_rc_wanted(const struct smbiov_client *c)
{
	int dead;

	if (!may_reconnect_here(c))
		return false;
	dead = dead_now(c);
	/*
	 * (ENOMEM: the receiver ran out of memory inside a frame and ended
	 * the connection, recv.c; the stream is lost, not the server.)
	 */
	if (!transport_error(dead) && dead != -ENOMEM)
		return false;
	/*
	 * FAILED: a later call tries once more, but not within a pause
	 * after the last try (a mount's every call, or a command's
	 * clean-up after it gave up, would each wait for one more try).
	 */
	return atomic_load(&c->rc_state) != SMBIOV_CONN_FAILED ||
	       smb_now_ns() - atomic_load(&c->rc_failed_ns) >=
		       (uint64_t)rc_pause_ms(c) * 1000000u;
}

uint64_t smb_rc_gen(const struct smbiov_client *c)
{
	return atomic_load(&c->rc_gen);
}

int smb_rc_keep_creds(struct smbiov_client *c, const struct smbiov_options *o,
		      const char *port, const char *user, const char *domain)
{
	c->rc_opts = *o;
	c->rc_sealing = c->sealing; /* after TREE_CONNECT: what it must stay */
	/* pointers in the copy would dangle: what is needed is kept below */
	c->rc_opts.user = c->rc_opts.domain = c->rc_opts.password = NULL;
	c->rc_port = strdup(port ? port : "445");
	c->rc_user = strdup(user ? user : "");
	c->rc_domain = domain ? strdup(domain) : NULL;
	c->rc_password = strdup(o->password ? o->password : "");
	if (!c->rc_port || !c->rc_user || (domain && !c->rc_domain) ||
	    !c->rc_password)
		return -ENOMEM;
	return 0;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void smb_rc_release(struct smbiov_client *c)
{
	free(c->rc_port);
	free_secret(c->rc_user);
	free_secret(c->rc_domain);
	free_secret(c->rc_password);
	c->rc_port = c->rc_user = c->rc_domain = c->rc_password = NULL;
}

/* ---- the new connection -------------------------------------------------- */

static void release_keys(struct smbiov_client *c)
{
	pthread_mutex_lock(&c->send_lock);
	/* the new session sets them again (a NEGOTIATE goes in the clear) */
	c->signing = false;
	c->sealing = false;
	if (c->have_signer) {
		smb_signer_release(&c->tx_signer);
		smb_signer_release(&c->rx_signer);
		c->have_signer = false;
	}
	if (c->have_sealer) {
		smb_sealer_release(&c->tx_sealer);
		smb_sealer_release(&c->rx_sealer);
		c->have_sealer = false;
	}
	pthread_mutex_unlock(&c->send_lock);
}

/* The old connection's threads and transport, gone. */
static void drop_old(struct smbiov_client *c)
{
	struct smb_transport *t;

	smb_conn_kill(c, -ECONNRESET); /* wakes them if still running */
	/*
	 * Already dead is not enough: a failed reconnect marks the client
	 * dead itself, its new connection's receiver still waiting for the
	 * socket (smb_conn_kill() wakes it only when it sets c->dead), and
	 * the join below waited for ever (a put's reviver, under ASan).
	 */
	pthread_mutex_lock(&c->lock);
	if (c->t)
		smb_transport_shutdown(c->t);
	pthread_mutex_unlock(&c->lock);
	if (c->rx_started) {
		pthread_join(c->rx_thread, NULL);
		c->rx_started = false;
	}
	pthread_mutex_lock(&c->lock);
	pthread_cond_signal(&c->wd_cv);
	pthread_mutex_unlock(&c->lock);
	if (c->wd_started) {
		pthread_join(c->wd_thread, NULL);
		c->wd_started = false;
	}
	/* what a receiver kept while it was inside a frame fails now */
	smb_conn_kill(c, -ECONNRESET);
	pthread_mutex_lock(&c->send_lock);
	pthread_mutex_lock(&c->lock);
	t = c->t;
	c->t = NULL;
	c->conn_gen++;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&c->send_lock);
	smb_transport_release(t);
	release_keys(c);
}

static int reestablish(struct smbiov_client *c)
{
	uint16_t dialect = c->dialect, cipher = c->cipher;
	uint32_t max_read = c->max_read, max_write = c->max_write;
	/*
	 * Not c->sealing: a try that failed after the old keys were released
	 * left it false, and the next try then saw "encryption changed" (a
	 * permanent error) on a share that always encrypts.
	 */
	bool sealing = c->rc_sealing;
	struct smb_transport *t;
	int ret;

	drop_old(c);
	if (c->session_id)
		c->prev_session_id = c->session_id;
	ret = smb_tcp_connect(c->host, c->rc_port,
			      smb_rc_timeout(c->timeout_ms), &t);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_CONNECT,
				     "connect to %s port %s: %s", c->host,
				     c->rc_port, smbiov_strerror(ret));
	/* (the try's requests are capped in send.c, not its socket waits) */
	t->timeout_ms = c->timeout_ms;
	pthread_mutex_lock(&c->send_lock);
	pthread_mutex_lock(&c->lock);
	smb_set_transport(c, t);
	c->dead = 0;
	c->refilling = false;
	c->rx_in_frame = false;
	c->max_frame = SMB_INITIAL_MAX_FRAME;
	smb_credits_init(&c->credits, 0);
	smb_activity_locked(c);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&c->send_lock);
	smb2_preauth_init(&c->preauth);
	ret = smb_engine_start(c);
	if (!ret)
		ret = smb_negotiate(c, &c->rc_opts);
	/* Other threads read these without a lock: they may not change. */
	if (!ret && (c->dialect != dialect || c->cipher != cipher ||
		     c->max_read < max_read || c->max_write < max_write)) {
		c->dialect = dialect;
		c->cipher = cipher;
		c->max_read = max_read;
		c->max_write = max_write;
		return smb_error_set(-EPROTO, 0, SMBIOV_PHASE_NEGOTIATE,
				     "reconnect: the server's dialect or "
				     "limits changed");
	}
	c->max_read = max_read;
	c->max_write = max_write;
	if (!ret)
		ret = smb_session_setup(c, c->rc_user, c->rc_domain,
					c->rc_password, &c->rc_opts);
	if (!ret)
		ret = smb_tree_connect(c, &c->rc_opts);
	/* (a share may ask for encryption: known after TREE_CONNECT) */
	if (!ret && c->sealing != sealing)
		ret = smb_error_set(-EPROTO, 0, SMBIOV_PHASE_TREE,
				    "reconnect: encryption changed");
	if (!ret)
		ret = smb_validate_negotiate(c);
	return ret;
}

/*
 * Auth refused, the server changed: trying again will not help. (Memory
 * may: ENOMEM is tried again like a lost connection.)
 */
static bool permanent(int err)
{
	return err == -EACCES || err == -EPERM || err == -EKEYREJECTED ||
	       err == -EPROTO || err == -ENOENT;
}

/*
 * The new connection already died again (its receiver saw a reset as
 * the last file came back): not back yet, the reconnect goes on.
 */
static int still_lost(struct smbiov_client *c)
{
	int dead = dead_now(c);

	return transport_error(dead) ? dead : 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Bytes the current transport has sent (0: none left). */
static uint64_t sent_now(struct smbiov_client *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->send_lock);
	n = c->t ? c->t->bytes_sent : 0;
	pthread_mutex_unlock(&c->send_lock);
	return n;
}

/*
 * Did the connection that died make progress since the last reconnect:
 * anything answered, or SMB_RC_PROGRESS_BYTES of requests taken (the new
 * session's own bytes and answers are not counted: the marks are set
 * as a reconnect ends)? Cuts closer together than the requests in flight
 * leave every connection unanswered (cli_reconnect with RC_MIB=128: a
 * put's 8 MiB of WRITEs, cuts 3 MiB apart, gave up after 3 of them);
 * the bytes tell those from a small request that kills its connection
 * (a large one that does goes SMB_RESEND_MAX times, not for ever).
 * (A transport dropped since: nothing sent on it.)
 */
static bool made_progress(struct smbiov_client *c, uint64_t sent)
{
	return atomic_load(&c->rc_answered) !=
		       atomic_load(&c->rc_answered_at) ||
	       (sent > c->rc_sent_at &&
		sent - c->rc_sent_at >= SMB_RC_PROGRESS_BYTES);
}

int smb_rc_resume(struct smbiov_client *c, uint64_t gen)
{
	if (!may_reconnect_here(c))
		return -ENOTCONN;
	return smb_reconnect(c, gen);
}

/*
 * Tries for up to rc_ms with backoff; then the client is FAILED and its
 * calls fail with ENOTCONN. Not for good: a later call makes one more try
 * (a long-lived client such as the mount comes back when the server does,
 * and a server still gone costs that call one refused connect, not
 * another rc_ms), once SMB_RC_PAUSE_MS (or rc_ms, if shorter) passed
 * since the last try.
 */
int smb_reconnect(struct smbiov_client *c, uint64_t gen)
{
	uint64_t start = smb_now_ns(), limit = (uint64_t)c->rc_ms * 1000000u;
	uint64_t sent;
	struct smbiov_error caller, why;
	long delay = 50;
	bool once;
	int ret;

	pthread_mutex_lock(&c->rc_lock);
	if (smb_rc_gen(c) != gen || !c->dead) {
		/* another thread brought it back meanwhile (or failed it) */
		ret = atomic_load(&c->rc_state) == SMBIOV_CONN_FAILED
			      ? -ENOTCONN
			      : 0;
		pthread_mutex_unlock(&c->rc_lock);
		return ret;
	}
	once = atomic_load(&c->rc_state) == SMBIOV_CONN_FAILED;
	atomic_store(&c->rc_state, SMBIOV_CONN_RECONNECTING);
	sent = sent_now(c);
	pthread_mutex_lock(&c->lock);
	c->rc_busy = true;
	if (made_progress(c, sent))
		atomic_store(&c->rc_barren, 0);
	else
		atomic_fetch_add(&c->rc_barren, 1);
	pthread_mutex_unlock(&c->lock);
	rc_inside = true;
	/* every wait of a try ends by the bound (smb_rc_timeout()) */
	rc_until_ns = start + limit;
	/* the tries' errors say why it failed (rc_why), not the caller's */
	smbiov_last_error(&caller);
	for (;;) {
		smb_error_clear();
		ret = reestablish(c);
		/* requests from here on are the new channel's (send.c) */
		if (!ret)
			atomic_fetch_add(&c->channel_seq, 1);
		if (!ret)
			ret = smb_rc_reopen_files(c);
		if (!ret)
			ret = still_lost(c);
		/* (rc_ms drops to 0 when the client is being disconnected) */
		if (!ret || once || permanent(ret) ||
		    atomic_load(&c->rc_ms) <= 0 ||
		    smb_now_ns() - start + (uint64_t)delay * 1000000u > limit)
			break;
		sleep_ms(delay);
		delay = delay * 2 > 2000 ? 2000 : delay * 2;
	}
	rc_inside = false;
	rc_until_ns = 0;
	smbiov_last_error(&why);
	smb_error_restore(&caller);
	/* (the new session's own bytes are not progress either) */
	sent = sent_now(c);
	pthread_mutex_lock(&c->lock);
	c->rc_sent_at = sent;
	/*
	 * Back: counted before rc_busy lets the held requests go, so that
	 * one which fails on the new connection asks for the next
	 * reconnect (its generation is the new one) instead of being sent
	 * once more on the dead connection (a wasted round). A failed one
	 * is counted only at the end: a request let go now must find the
	 * client FAILED by the generation it read, not try once more.
	 */
	if (!ret)
		atomic_fetch_add(&c->rc_gen, 1);
	if (ret) {
		/*
		 * Failed for good, and said so before the held requests go:
		 * one let go fails at once, and its caller words its
		 * ENOTCONN from rc_why (smb_conn_strerror()) while drop_old()
		 * below may still be joining threads (cli_reconnect saw
		 * "Transport endpoint is not connected" when FAILED came
		 * only after it).
		 */
		c->dead = -ENOTCONN;
		c->rc_err = ret;
		/* (the last try's own words when it left some of this error) */
		snprintf(c->rc_why, sizeof(c->rc_why), "%.*s",
			 (int)sizeof(c->rc_why) - 1,
			 why.err == ret && why.message[0]
				 ? why.message
				 : smbiov_strerror(ret));
		atomic_store(&c->rc_failed_ns, smb_now_ns());
		atomic_store(&c->rc_state, SMBIOV_CONN_FAILED);
	}
	c->rc_busy = false;
	/* (the new session's own answers are not progress) */
	atomic_store(&c->rc_answered_at, atomic_load(&c->rc_answered));
	pthread_cond_broadcast(&c->credit_cv);
	pthread_mutex_unlock(&c->lock);
	if (ret) {
		drop_old(c); /* for good: the transport and threads go */
		atomic_fetch_add(&c->rc_gen, 1);
	} else {
		atomic_fetch_add(&c->st_reconnects, 1);
		atomic_store(&c->rc_state, SMBIOV_CONN_CONNECTED);
	}
	pthread_mutex_unlock(&c->rc_lock);
	return ret ? -ENOTCONN : 0;
}

SMBIOV_API enum smbiov_conn_state
smbiov_conn_state(const struct smbiov_client *c)
{
	if (!c)
		return SMBIOV_CONN_FAILED;
	if (atomic_load(&c->rc_state) != SMBIOV_CONN_CONNECTED)
		return (enum smbiov_conn_state)atomic_load(&c->rc_state);
	return c->dead ? (smb_rc_wanted(c) ? SMBIOV_CONN_RECONNECTING
					   : SMBIOV_CONN_FAILED)
		       : SMBIOV_CONN_CONNECTED;
}
