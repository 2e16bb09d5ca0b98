// SPDX-License-Identifier: MIT
/*
 * Reconnect (issue 15, first step): a connection that died of a
 * transport error comes back when the next call needs it, and a
 * synchronous request whose answer was lost is sent again on the new one.
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
 * every open file is reopened: a durable handle with DH2C (the same
 * persistent FileId, a new volatile half), a file without one by its path
 * when that is safe (no lease: nothing cached; the same creation time, so
 * it is the same file). A file that cannot be reopened is stale: its
 * calls fail with ESTALE. While it runs, requests of other threads wait
 * in take_credits() (c->rc_busy). It retries with a backoff of 50 ms
 * doubling to 2 s for up to rc_ms; then the client is failed for good.
 *
 * Resending: the request's iterators and fd offset are restored to what
 * they were, and all but reads and queries go with
 * SMB2_FLAGS_REPLAY_OPERATION on 3.x. Any request whose FileId names a
 * handle from before a reopen — resent, or built by a call that was
 * already under way when another thread reconnected — has it rewritten
 * to the new one as its message is built (smb_rc_patch_fid()).
 */
#include "client/engine.h"
#include "client/file.h"
#include "client/lease.h"
#include "client/reconnect.h"
#include "proto/create.h"
#include "proto/le.h"

#include <errno.h>
#include <fcntl.h>
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

/* ---- open files ---------------------------------------------------------- */

void smb_rc_file_add(struct smbiov_client *c, struct smbiov_file *f)
{
	pthread_mutex_lock(&c->lock);
	f->rc_next = c->files;
	f->rc_prev = NULL;
	if (c->files)
		c->files->rc_prev = f;
	c->files = f;
	pthread_mutex_unlock(&c->lock);
}

void smb_rc_file_del(struct smbiov_client *c, struct smbiov_file *f)
{
	/* not while a reconnect walks the list */
	pthread_mutex_lock(&c->rc_lock);
	pthread_mutex_lock(&c->lock);
	if (f->rc_prev)
		f->rc_prev->rc_next = f->rc_next;
	else if (c->files == f)
		c->files = f->rc_next;
	if (f->rc_next)
		f->rc_next->rc_prev = f->rc_prev;
	f->rc_next = f->rc_prev = NULL;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&c->rc_lock);
}

/*
 * What a reopen reads from its CREATE's contexts (while they exist): the
 * on-disk ids, and the lease granted for @key (set by the caller: the
 * key asked for, or NULL).
 */
struct reopened {
	const uint8_t *key;
	bool have_id, have_lease;
	struct smb2_qfid id;
	struct smb2_lease lease;
};

/*
 * One CREATE on its own (this thread never resends: rc_inside). @rsp's
 * contexts point into the released response: what is wanted of them is
 * in @got.
 */
static int create_once(struct smbiov_client *c, const struct smb_create_args *a,
		       struct smb2_create_rsp *rsp, struct reopened *got)
{
	struct smb_create_msg m;
	struct smb_req r;
	int ret = smb_create_msg_init(&m, a);

	if (ret) {
		smb_create_msg_release(&m);
		return ret;
	}
	smb_req_init(&r, SMB2_CREATE);
	r.flags = SMB_REQ_QUIET;
	r.body = &m.vec;
	r.nbody = 1;
	ret = smb_call(c, &r);
	smb_create_msg_release(&m);
	if (!ret)
		ret = smb2_create_rsp_decode(r.rsp, r.rsp_len, rsp);
	if (!ret) {
		got->have_id = smb_file_disk_id(rsp, &got->id);
		got->have_lease = got->key &&
				  smb_file_lease_of(rsp, got->key, &got->lease);
	}
	rsp->contexts = NULL;
	rsp->contexts_len = 0;
	smb_req_release(&r);
	return ret;
}

/* DH2C (MS-SMB2 3.2.4.4 reconnect): the same handle, a new volatile id. */
static int reopen_durable(struct smbiov_client *c, struct smbiov_file *f,
			  struct smb2_fileid *fid)
{
	struct smb_create_args a = {.path = f->path};
	struct smb2_dh2q d = {.flags = 0};
	struct smb2_cc_builder b;
	struct smb2_create_rsp rsp;
	struct reopened got = {.key = f->lease_req.key};
	struct smb2_lease want;
	uint8_t ctx[256];
	int ret;

	memcpy(d.create_guid, f->create_guid, sizeof(d.create_guid));
	smb2_cc_builder_init(&b, ctx, sizeof(ctx));
	ret = smb2_cc_add_dh2c(&b, &f->fid, &d);
	if (!ret && f->lease && f->lease_req.version) {
		want = f->lease_req;
		ret = smb2_cc_add_lease(&b, &want);
		a.oplock_level = SMB2_OPLOCK_LEVEL_LEASE;
	} else if (!ret && f->lease) {
		a.oplock_level = SMB2_OPLOCK_LEVEL_BATCH;
	}
	if (ret)
		return ret;
	a.access = f->access;
	a.disposition = SMB2_FILE_OPEN;
	a.options = SMB2_FILE_NON_DIRECTORY_FILE;
	a.contexts = b.buf;
	a.contexts_len = b.len;
	ret = create_once(c, &a, &rsp, &got);
	if (ret)
		return ret;
	*fid = rsp.fid;
	/* the lease as the server has it now (broken while down?) */
	if (f->lease && f->lease_req.version) {
		static const struct smb2_lease none;

		smb_lease_regranted(c, f->lease,
				    got.have_lease ? &got.lease : &none);
	}
	return 0;
}

/*
 * Does @f's lease keep nothing the server lacks? No write caching, held
 * or granted (an open's W goes when a second open of the file shares its
 * key: smb_lease_share()), and a lease, not an oplock: the caches under
 * it can be emptied with smb_lease_regranted().
 */
static bool lease_clean(struct smbiov_client *c, struct smbiov_file *f)
{
	struct smb_lease l;

	smb_lease_snapshot(c, f->lease, &l);
	return !l.oplock && !((l.state | l.held) & SMB2_LEASE_WRITE_CACHING);
}

/*
 * By its path, when nothing can be lost: no lease, or one that keeps
 * nothing unwritten (lease_clean(); what it cached goes: the server
 * could have broken it unseen), and the file there is the one we had
 * (same on-disk ids, else creation time). Samba reconnects a durable
 * handle only while it is the file's only one
 * (vfs_default_durable_reconnect()), so two opens of a file come back
 * this way.
 */
static int reopen_path(struct smbiov_client *c, struct smbiov_file *f,
		       struct smb2_fileid *fid)
{
	struct smb_create_args a = {.path = f->path};
	struct smb2_create_rsp rsp;
	struct smb2_cc_builder b;
	struct reopened got = {.key = NULL};
	uint8_t ctx[64];
	bool same;
	int ret;

	if (!f->path || (f->lease && !lease_clean(c, f)))
		return -ESTALE;
	smb2_cc_builder_init(&b, ctx, sizeof(ctx));
	if (f->have_disk_id && !smb2_cc_add_qfid(&b)) {
		a.contexts = b.buf;
		a.contexts_len = b.len;
	}
	ret = smb_open_flags(f->flags & ~(O_CREAT | O_EXCL | O_TRUNC),
			     &a.access, &a.disposition);
	if (ret)
		return ret;
	a.access = f->access;
	a.options = SMB2_FILE_NON_DIRECTORY_FILE;
	ret = create_once(c, &a, &rsp, &got);
	if (ret)
		return ret;
	/* the same file: by its on-disk ids, else by its creation time */
	if (f->have_disk_id && got.have_id)
		same = got.id.disk_file_id == f->disk_id.disk_file_id &&
		       got.id.volume_id == f->disk_id.volume_id;
	else
		same = rsp.attrs.creation_time == f->creation_time;
	if (!same) {
		smb_close_fid(c, &rsp.fid);
		return -ESTALE;
	}
	*fid = rsp.fid;
	if (f->lease) {
		static const struct smb2_lease none;

		/* no lease on the new handle: the caches under it go */
		smb_lease_regranted(c, f->lease, &none);
		f->durable = false;
	}
	return 0;
}

/*
 * Not the file's fault: the new connection died, or memory ran out here
 * before the server could say anything about the handle. The file is not
 * lost for that; the reconnect tries again.
 */
static bool not_the_files(int err)
{
	return transport_error(err) || err == -ENOMEM;
}

void smb_rc_file_reopened_locked(struct smbiov_client *c, struct smbiov_file *f,
				 const struct smb2_fileid *fid)
{
	if (fid) {
		f->old_fids[f->nr_old_fids++ % SMB_OLD_FIDS] = f->fid;
		f->fid = *fid;
		atomic_fetch_add(&c->st_handles_reopened, 1);
	} else {
		f->stale = true;
		atomic_fetch_add(&c->st_handles_lost, 1);
	}
	/*
	 * From now on a message may name a handle that is gone: every one
	 * is checked as it is built (smb_rc_patch_fid()). Not "a reconnect
	 * happened" (rc_gen): it says what the check is about, set where
	 * the handle moves. (rc_gen used to be counted only after the
	 * reconnect had let the other threads' requests go (rc_busy), and
	 * the first reconnect's went out unpatched in between:
	 * test_silent_loss, the reviver's parked WRITEs with the old
	 * FileId, STATUS_FILE_CLOSED.)
	 */
	atomic_store(&c->rc_fids_moved, true);
}

/*
 * Every open file on the new connection, or stale. The new connection
 * dying meanwhile (or an allocation failing) is not the file's fault:
 * the reconnect starts over (the error is returned; files done so far
 * are done again).
 */
static int reopen_files(struct smbiov_client *c)
{
	for (struct smbiov_file *f = c->files; f; f = f->rc_next) {
		struct smb2_fileid fid;
		int ret = -ESTALE;

		if (f->fid_closed || f->stale || f->is_dir)
			continue;
		if (f->durable)
			ret = reopen_durable(c, f, &fid);
		if (ret && !not_the_files(ret))
			ret = reopen_path(c, f, &fid);
		if (not_the_files(ret))
			return ret;
		pthread_mutex_lock(&c->lock);
		smb_rc_file_reopened_locked(c, f, ret ? NULL : &fid);
		pthread_mutex_unlock(&c->lock);
	}
	return 0;
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
	c->t = t;
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
			ret = reopen_files(c);
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
	c->rc_busy = false;
	/* (the new session's own answers are not progress) */
	atomic_store(&c->rc_answered_at, atomic_load(&c->rc_answered));
	if (ret && !c->dead)
		c->dead = ret;
	pthread_cond_broadcast(&c->credit_cv);
	pthread_mutex_unlock(&c->lock);
	if (ret) {
		/* for good: the transport and threads go */
		drop_old(c);
		pthread_mutex_lock(&c->lock);
		c->dead = -ENOTCONN;
		c->rc_err = ret;
		/* (the last try's own words when it left some of this error) */
		snprintf(c->rc_why, sizeof(c->rc_why), "%.*s",
			 (int)sizeof(c->rc_why) - 1,
			 why.err == ret && why.message[0]
				 ? why.message
				 : smbiov_strerror(ret));
		atomic_store(&c->rc_failed_ns, smb_now_ns());
		pthread_mutex_unlock(&c->lock);
	} else {
		atomic_fetch_add(&c->st_reconnects, 1);
	}
	atomic_store(&c->rc_state,
		     ret ? SMBIOV_CONN_FAILED : SMBIOV_CONN_CONNECTED);
	if (ret)
		atomic_fetch_add(&c->rc_gen, 1);
	pthread_mutex_unlock(&c->rc_lock);
	return ret ? -ENOTCONN : 0;
}

/* ---- resending ----------------------------------------------------------- */

/* Where a command's body has its FileId, or -1. */
static int fid_offset(uint16_t command)
{
	switch (command) {
	case SMB2_CLOSE:
	case SMB2_FLUSH:
	case SMB2_LOCK:
	case SMB2_IOCTL:
	case SMB2_QUERY_DIRECTORY:
	case SMB2_CHANGE_NOTIFY:
		return 8;
	case SMB2_READ:
	case SMB2_WRITE:
	case SMB2_SET_INFO:
		return 16;
	case SMB2_QUERY_INFO:
		return 24;
	default:
		return -1;
	}
}

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

/* Was @fid one of @f's handles before a reopen (or is it its own)? */
static bool had_fid(const struct smbiov_file *f, uint64_t p, uint64_t v)
{
	unsigned n =
		f->nr_old_fids < SMB_OLD_FIDS ? f->nr_old_fids : SMB_OLD_FIDS;

	for (unsigned i = 0; i < n; i++)
		if (f->old_fids[i].persistent == p &&
		    f->old_fids[i].volatile_id == v)
			return true;
	return false;
}

int smb_rc_patch_fid(struct smbiov_client *c, uint16_t command, uint8_t *body,
		     size_t len, uint8_t *keep)
{
	int fo = fid_offset(command), ret = 0;
	uint64_t p, v;

	if (fo < 0 || len < (size_t)fo + 16 || !atomic_load(&c->rc_fids_moved))
		return 0;
	p = le64_get(body + fo);
	v = le64_get(body + fo + 8);
	pthread_mutex_lock(&c->lock);
	for (struct smbiov_file *f = c->files; f; f = f->rc_next) {
		bool cur = f->fid.persistent == p && f->fid.volatile_id == v;

		if (!cur && !had_fid(f, p, v))
			continue;
		/* lost with the connection: nothing to send it on */
		if (f->stale) {
			ret = -ESTALE;
		} else if (!cur) {
			le64_put(body + fo, f->fid.persistent);
			le64_put(body + fo + 8, f->fid.volatile_id);
			/* a later resend starts from the new handle */
			if (keep)
				memcpy(keep + fo, body + fo, 16);
		}
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
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
	bool lost = transport_error(ret);

	/* (an answer, even one that maps to ENETRESET: not lost) */
	for (size_t i = 0; i < rs->n && !lost; i++)
		lost = transport_error(reqs[i]->result) && !reqs[i]->status;
	if (!lost || !smb_rc_may_resend(c, rs->tries) ||
	    atomic_load(&c->rc_ms) <= 0 || rc_inside)
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
	if (atomic_load(&c->rc_ms) <= 0 || rc_inside || !replayable(r))
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
	if (!r->e.body_copy || r->e.sync || !transport_error(err) ||
	    r->status || c->closing || atomic_load(&c->rc_ms) <= 0 ||
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

	rc_inside = false;
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
			if (!ret && err && transport_error(err) &&
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
