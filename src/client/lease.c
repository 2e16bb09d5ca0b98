// SPDX-License-Identifier: MIT
#include "client/lease.h"
#include "client/engine.h"
#include "fs/path.h"
#include "proto/oplock.h"
#include "proto/smb2.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>

/* A break notification waiting for the worker: a lease's or an oplock's. */
struct smb_break_item {
	bool oplock;
	/*
	 * Made here, not by the server (smb_lease_share()): nothing to
	 * acknowledge, no epoch, not counted as a break, and its owners
	 * are waited for without a deadline; *@done set once handled.
	 */
	bool local;
	/*
	 * Local too: the key's one entry takes back the server's state
	 * (smb_lease_forget()); @pbucket is its path's chain.
	 */
	bool raise;
	unsigned pbucket;
	bool *done;
	struct timespec arrived; /* CLOCK_MONOTONIC */
	struct smb2_lease_break b;
	struct smb2_oplock_break ob;
	struct smb_break_item *next;
};

/*
 * Leases by path, for an open's shared_key(): a walk of every lease per
 * open costs as much as the deferred close keeps files parked (an untar
 * through the mount keeps thousands).
 */
#define PATH_BUCKETS 1024u

/* A client's leases and its break worker (created on first use). */
struct smb_leases {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct smb_lease *head;
	struct smb_lease *by_path[PATH_BUCKETS];
	/*
	 * The entries of the break the worker handles now (start_owner()
	 * to break_done()): waited for and counted without a walk of every
	 * lease, of which an untar keeps thousands parked.
	 */
	struct smb_lease *brk;
	struct smb_break_item *q_head, *q_tail;
	uint64_t dropped; /* notifications lost for want of memory */
	unsigned jobs;	  /* owner jobs running */
	bool stop;
	bool started;
	pthread_t worker;
};

/* The key of a lease an open of @path holds in @t, into @key. */
static bool shared_key(struct smb_leases *t, const char *path, uint8_t *key)
{
	bool found = false;

	pthread_mutex_lock(&t->lock);
	for (struct smb_lease *l =
		     t->by_path[fs_path_hash(path) % PATH_BUCKETS];
	     l && !found; l = l->pnext) {
		found = fs_path_eq(l->path, path);
		if (found)
			memcpy(key, l->key, sizeof(l->key));
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

int smb_lease_want(struct smbiov_client *c, const char *path,
		   struct smb2_lease *l)
{
	struct smb_leases *t;

	memset(l, 0, sizeof(*l));
	if (c->dialect < SMB2_DIALECT_210 ||
	    !(c->server_caps & SMB2_GLOBAL_CAP_LEASING))
		return -EOPNOTSUPP;
	l->state = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING |
		   SMB2_LEASE_WRITE_CACHING;
	l->version = c->dialect >= SMB2_DIALECT_300 ? 2 : 1;
	pthread_mutex_lock(&c->lock);
	t = c->leases;
	pthread_mutex_unlock(&c->lock);
	if (path && t && shared_key(t, path, l->key))
		return 1;
	if (getrandom(l->key, sizeof(l->key), 0) != (ssize_t)sizeof(l->key))
		return -EIO;
	return 0;
}

static struct smb_lease *find_fid(struct smb_leases *t,
				  const struct smb2_fileid *fid)
{
	for (struct smb_lease *l = t->head; l; l = l->next)
		if (l->oplock && l->fid.persistent == fid->persistent &&
		    l->fid.volatile_id == fid->volatile_id)
			return l;
	return NULL;
}

/* The caching an oplock level allows, in lease bits. */
static uint32_t oplock_state(uint8_t level)
{
	switch (level) {
	case SMB2_OPLOCK_LEVEL_BATCH:
		return SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING |
		       SMB2_LEASE_WRITE_CACHING;
	case SMB2_OPLOCK_LEVEL_EXCLUSIVE:
		return SMB2_LEASE_READ_CACHING | SMB2_LEASE_WRITE_CACHING;
	case SMB2_OPLOCK_LEVEL_II:
		return SMB2_LEASE_READ_CACHING;
	default:
		return 0;
	}
}

/*
 * Send an OPLOCK_BREAK acknowledgement body @body (@len bytes) and hand its
 * answer to @check. 0 or a negative errno.
 */
static int ack_call(struct smbiov_client *c, uint8_t *body, size_t len,
		    int (*check)(const uint8_t *rsp, size_t rsp_len,
				 const void *arg),
		    const void *arg)
{
	struct iovec v = {body, len};
	struct smb_req r;
	int ret;

	smb_req_init(&r, SMB2_OPLOCK_BREAK);
	r.body = &v;
	r.nbody = 1;
	r.flags = SMB_REQ_QUIET;
	ret = smb_call(c, &r);
	if (!ret)
		ret = check(r.rsp, r.rsp_len, arg);
	smb_req_release(&r);
	return ret;
}

/* The answer to an oplock acknowledgement names the same handle. */
static int oplock_ack_check(const uint8_t *rsp, size_t len, const void *arg)
{
	const struct smb2_oplock_break *ob = arg;
	struct smb2_oplock_break got;
	int ret = smb2_oplock_break_decode(rsp, len, &got);

	if (!ret && (got.fid.persistent != ob->fid.persistent ||
		     got.fid.volatile_id != ob->fid.volatile_id))
		ret = -EPROTO;
	return ret;
}

/*
 * Acknowledge an oplock break (MS-SMB2 3.2.4.24, 2.2.24.1): the level the
 * notification named and its FileId; the answer carries the level granted.
 */
static int send_oplock_ack(struct smbiov_client *c,
			   const struct smb2_oplock_break *ob)
{
	uint8_t body[SMB2_OPLOCK_BREAK_FIXED];
	ssize_t n = smb2_oplock_break_ack_encode(body, sizeof(body), ob);

	if (n < 0)
		return (int)n;
	return ack_call(c, body, (size_t)n, oplock_ack_check, ob);
}

/*
 * The break the worker handled for the entries on t->brk was
 * acknowledged, with result @ret, @early if before their owners were
 * done. None could go meanwhile: while one is busy, smb_lease_forget()
 * waits.
 */
static void break_done(struct smb_leases *t, const struct smb_break_item *it,
		       int ret, bool early)
{
	struct smb_lease *l, *next;

	pthread_mutex_lock(&t->lock);
	for (l = t->brk, t->brk = NULL; l; l = next) {
		next = l->brk_next;
		l->brk_next = NULL;
		if (!it->local) {
			l->breaks++;
			l->acked_early += early;
			l->ack_err = ret;
		}
		l->busy--;
	}
	if (it->done)
		*it->done = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->lock);
}

/*
 * The owner's callback for a lease, on a thread of its own so that the
 * worker can acknowledge by the deadline while the cache still writes
 * back. Called again while breaks came meanwhile: always with the
 * newest state, which is all the owner needs (it gives up what the state
 * does not allow).
 */
struct smb_owner_job {
	struct smb_leases *t;
	struct smb_lease *l;
	bool rerun; /* under t->lock */
};

static void *owner_job(void *arg)
{
	struct smb_owner_job *j = arg;
	struct smb_leases *t = j->t;
	struct smb_lease *l = j->l;

	pthread_mutex_lock(&t->lock);
	do {
		void (*fn)(void *, uint32_t) = l->on_change;
		void *owner = l->owner;
		uint32_t state = l->state;

		j->rerun = false;
		pthread_mutex_unlock(&t->lock);
		fn(owner, state);
		pthread_mutex_lock(&t->lock);
		l->held = state;
	} while (j->rerun);
	l->job = NULL;
	l->busy--;
	t->jobs--;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->lock);
	free(j);
	return NULL;
}

static bool start_job(struct smb_owner_job *j)
{
	pthread_attr_t a;
	pthread_t th;
	bool ok;

	if (pthread_attr_init(&a))
		return false;
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	ok = pthread_create(&th, &a, owner_job, j) == 0;
	pthread_attr_destroy(&a);
	return ok;
}

/*
 * Under t->lock, @l with its new state: onto t->brk (the worker's break)
 * and held; its owner takes the state on a job of its own, which
 * wait_owners() waits for. May let t->lock go (no thread for a job: the
 * owner runs here); @l stays (held).
 */
static void start_owner(struct smb_leases *t, struct smb_lease *l)
{
	struct smb_owner_job *j;

	l->brk_next = t->brk;
	t->brk = l;
	l->busy++;
	if (!l->on_change) {
		l->held = l->state;
		return;
	}
	if (l->job) {
		l->job->rerun = true;
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j) {
		j->t = t;
		j->l = l;
	}
	if (!j || !start_job(j)) {
		/* no thread: on this one, without a bound */
		void (*fn)(void *, uint32_t) = l->on_change;
		void *owner = l->owner;
		uint32_t state = l->state;

		free(j);
		pthread_mutex_unlock(&t->lock);
		fn(owner, state);
		pthread_mutex_lock(&t->lock);
		l->held = state;
		return;
	}
	/* it waits for t->lock, which the wait lets go */
	l->job = j;
	l->busy++;
	t->jobs++;
}

/* Is an owner of an entry of the break (t->brk) still taking its state? */
static bool owners_busy(const struct smb_leases *t)
{
	for (const struct smb_lease *l = t->brk; l; l = l->brk_next)
		if (l->job)
			return true;
	return false;
}

/*
 * Under t->lock: wait until the owners of the entries on t->brk took their
 * state, or @deadline (NULL: no bound) came first (false; their jobs go
 * on).
 */
static bool wait_owners(struct smb_leases *t, const struct timespec *deadline)
{
	while (owners_busy(t)) {
		if (!deadline)
			pthread_cond_wait(&t->cv, &t->lock);
		else if (pthread_cond_timedwait(&t->cv, &t->lock, deadline) ==
			 ETIMEDOUT)
			return !owners_busy(t);
	}
	return true;
}

/* When @it must be acknowledged (break_ack_ms after it came), or NULL. */
static const struct timespec *deadline_of(const struct smbiov_client *c,
					  const struct smb_break_item *it,
					  struct timespec *ts)
{
	int ms = c->break_ack_ms ? c->break_ack_ms : SMB_BREAK_ACK_MS;

	if (ms < 0)
		return NULL;
	*ts = it->arrived;
	smb_ts_add_ms(ts, ms);
	return ts;
}

/*
 * An oplock break, on the worker: lowered first, then acknowledged (every
 * oplock break notification wants one, 3.2.5.19.1) — unless its file was
 * closed meanwhile: a closed handle has nothing to acknowledge.
 */
static void handle_oplock_break(struct smbiov_client *c, struct smb_leases *t,
				const struct smb_break_item *it)
{
	const struct smb2_oplock_break *ob = &it->ob;
	struct timespec ts;
	struct smb_lease *l;
	bool done;
	int ret;

	pthread_mutex_lock(&t->lock);
	l = find_fid(t, &ob->fid);
	if (!l) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	l->oplock_level = ob->oplock_level;
	l->state = oplock_state(ob->oplock_level);
	start_owner(t, l);
	done = wait_owners(t, deadline_of(c, it, &ts));
	pthread_mutex_unlock(&t->lock);
	ret = send_oplock_ack(c, ob);
	break_done(t, it, ret, !done);
}

/* The answer to a lease acknowledgement names the same lease. */
static int lease_ack_check(const uint8_t *rsp, size_t len, const void *arg)
{
	const struct smb2_lease_break *b = arg;
	struct smb2_lease_ack got;
	int ret = smb2_lease_break_rsp_decode(rsp, len, &got);

	if (!ret && memcmp(got.key, b->key, sizeof(got.key)))
		ret = -EPROTO;
	return ret;
}

/*
 * Acknowledge @b (MS-SMB2 3.2.4.24: the key and the state the client
 * keeps, the notification's NewLeaseState) and check the answer.
 */
static int send_ack(struct smbiov_client *c, const struct smb2_lease_break *b)
{
	struct smb2_lease_ack ack = {.state = b->new_state};
	uint8_t body[SMB2_LEASE_BREAK_ACK_FIXED];
	ssize_t n;

	memcpy(ack.key, b->key, sizeof(ack.key));
	n = smb2_lease_break_ack_encode(body, sizeof(body), &ack);
	if (n < 0)
		return (int)n;
	return ack_call(c, body, (size_t)n, lease_ack_check, b);
}

/*
 * One break, on the worker: every open's entry of the key takes the new
 * state first (from now on nothing may be cached beyond it), their owners
 * give up what the state does not allow (until the deadline at most),
 * then the acknowledgement goes out, once. An entry granted less than
 * the key had keeps less. A break for a key we do not hold (its file was
 * just closed) is still acknowledged when the server asks: it waits for
 * that otherwise.
 */
static void handle_break(struct smbiov_client *c, struct smb_leases *t,
			 const struct smb_break_item *it)
{
	const struct smb2_lease_break *b = &it->b;
	struct timespec ts;
	bool done = true, any = false;
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	/*
	 * start_owner() may let the lock go; an entry on t->brk stays (held),
	 * and one added meanwhile at the head was granted after the break.
	 */
	for (struct smb_lease *l = t->head; l; l = l->next) {
		if (l->oplock || memcmp(l->key, b->key, sizeof(l->key)))
			continue;
		l->state &= b->new_state;
		if (!it->local)
			l->srv &= b->new_state;
		if (l->version == 2 && !it->local)
			l->epoch = b->new_epoch;
		start_owner(t, l);
		any = true;
	}
	if (any)
		done = wait_owners(t,
				   it->local ? NULL : deadline_of(c, it, &ts));
	pthread_mutex_unlock(&t->lock);
	if (!it->local &&
	    (b->flags & SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED))
		ret = send_ack(c, b);
	break_done(t, it, ret, !done);
}

/*
 * Under t->lock: the only lease entry of @key in path chain @pbucket
 * (NULL: none, or more than one).
 */
static struct smb_lease *lone_entry(struct smb_leases *t, unsigned pbucket,
				    const uint8_t *key)
{
	struct smb_lease *one = NULL;

	for (struct smb_lease *l = t->by_path[pbucket]; l; l = l->pnext) {
		if (l->oplock || memcmp(l->key, key, sizeof(l->key)))
			continue;
		if (one)
			return NULL;
		one = l;
	}
	return one;
}

/*
 * A raise, on the worker: the key's entry, if it is still the only one,
 * takes the server's state back, and its owner is told (in order with
 * the breaks: a break that came first has lowered @srv already).
 */
static void handle_raise(struct smb_leases *t, const struct smb_break_item *it)
{
	struct smb_lease *l;

	pthread_mutex_lock(&t->lock);
	l = lone_entry(t, it->pbucket, it->b.key);
	if (l && (l->srv & ~l->state)) {
		l->state = l->srv;
		start_owner(t, l);
		wait_owners(t, NULL);
	}
	pthread_mutex_unlock(&t->lock);
	break_done(t, it, 0, false);
}

static void *break_worker(void *arg)
{
	struct smbiov_client *c = arg;
	struct smb_leases *t = c->leases;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		struct smb_break_item *it;

		while (!t->q_head && !t->stop)
			pthread_cond_wait(&t->cv, &t->lock);
		if (!t->q_head)
			break;
		it = t->q_head;
		t->q_head = it->next;
		if (!t->q_head)
			t->q_tail = NULL;
		pthread_mutex_unlock(&t->lock);
		if (it->oplock)
			handle_oplock_break(c, t, it);
		else if (it->raise)
			handle_raise(t, it);
		else
			handle_break(c, t, it);
		free(it);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* Queue @it for the break worker. */
static void enqueue(struct smb_leases *t, struct smb_break_item *it)
{
	pthread_mutex_lock(&t->lock);
	if (t->q_tail)
		t->q_tail->next = it;
	else
		t->q_head = it;
	t->q_tail = it;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->lock);
}

/*
 * On the receiver thread (MS-SMB2 3.2.5.19.2): decode and queue; nothing
 * here waits for the server. A malformed notification is dropped (the
 * stream itself is sound: the element was framed and, if sealed,
 * authenticated).
 */
static void on_break(struct smbiov_client *c, const uint8_t *msg, size_t len,
		     void *arg)
{
	struct smb_leases *t = arg;
	struct smb_break_item *it;
	int kind = smb2_break_classify(msg, len);

	(void)c;
	if (kind != SMB2_BREAK_LEASE_NOTIFY && kind != SMB2_BREAK_OPLOCK)
		return;
	it = calloc(1, sizeof(*it));
	if (it) {
		it->oplock = kind == SMB2_BREAK_OPLOCK;
		clock_gettime(CLOCK_MONOTONIC, &it->arrived);
	}
	if (!it || (it->oplock ? smb2_oplock_break_decode(msg, len, &it->ob)
			       : smb2_lease_break_decode(msg, len, &it->b))) {
		pthread_mutex_lock(&t->lock);
		t->dropped += !it;
		pthread_mutex_unlock(&t->lock);
		free(it);
		return;
	}
	enqueue(t, it);
}

void smb_lease_regranted(struct smbiov_client *c, struct smb_lease *l,
			 const struct smb2_lease *got)
{
	struct smb_leases *t = c->leases;
	struct smb_break_item *it;
	bool less;

	if (!t || !l || l->oplock)
		return;
	pthread_mutex_lock(&t->lock);
	/* (@srv too: what a lone entry may take back) */
	less = ((l->state | l->srv) & ~got->state) != 0;
	pthread_mutex_unlock(&t->lock);
	if (!less)
		return;
	/*
	 * Less than held (broken while the connection was down): the
	 * worker takes the state away as for a break, after the reconnect
	 * (the owner writes back), and acknowledges nothing.
	 */
	it = calloc(1, sizeof(*it));
	if (!it) {
		pthread_mutex_lock(&t->lock);
		t->dropped++;
		pthread_mutex_unlock(&t->lock);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &it->arrived);
	memcpy(it->b.key, l->key, sizeof(it->b.key));
	it->b.new_state = got->state & l->state;
	it->b.new_epoch = got->epoch;
	enqueue(t, it);
}

/*
 * A change of this client's own to the entries of @key (@new_state for a
 * share, the server's state for a raise), on the worker: in order with
 * the server's breaks of the key, so one of its owners is never told two
 * states at once. Waits until it is handled. 0 or -ENOMEM.
 */
static int local_change(struct smb_leases *t, const uint8_t *key,
			uint32_t new_state, bool raise, unsigned pbucket)
{
	struct smb_break_item *it = calloc(1, sizeof(*it));
	bool done = false;

	if (!it)
		return -ENOMEM;
	it->local = true;
	it->raise = raise;
	it->pbucket = pbucket;
	it->done = &done;
	clock_gettime(CLOCK_MONOTONIC, &it->arrived);
	memcpy(it->b.key, key, sizeof(it->b.key));
	it->b.new_state = new_state;
	enqueue(t, it);
	pthread_mutex_lock(&t->lock);
	while (!done && !t->stop)
		pthread_cond_wait(&t->cv, &t->lock);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int smb_lease_share(struct smbiov_client *c, const uint8_t *key)
{
	struct smb_leases *t;

	pthread_mutex_lock(&c->lock);
	t = c->leases;
	pthread_mutex_unlock(&c->lock);
	if (!t)
		return 0;
	return local_change(t, key,
			    SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING,
			    false, 0);
}

/* The table and worker, made on first use (under c->lock). */
static struct smb_leases *leases_get(struct smbiov_client *c)
{
	struct smb_leases *t;

	pthread_mutex_lock(&c->lock);
	t = c->leases;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t) {
			pthread_condattr_t ca;

			/* timed waits count on the monotonic clock */
			pthread_condattr_init(&ca);
			pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
			pthread_mutex_init(&t->lock, NULL);
			pthread_cond_init(&t->cv, &ca);
			pthread_condattr_destroy(&ca);
			c->leases = t;
			t->started = pthread_create(&t->worker, NULL,
						    break_worker, c) == 0;
			if (!t->started) {
				c->leases = NULL;
				pthread_cond_destroy(&t->cv);
				pthread_mutex_destroy(&t->lock);
				free(t);
				t = NULL;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (t)
		smb_set_break_handler(c, on_break, t);
	return t;
}

/*
 * @l onto @t's list. Doubly linked: a file's close forgets its lease in
 * O(1) (an untar through the mount closes thousands; the walk to unlink
 * showed in its profile).
 */
static void link_lease(struct smb_leases *t, struct smb_lease *l)
{
	struct smb_lease **b;

	pthread_mutex_lock(&t->lock);
	l->prev = NULL;
	l->next = t->head;
	if (t->head)
		t->head->prev = l;
	t->head = l;
	if (l->path) {
		l->pbucket = fs_path_hash(l->path) % PATH_BUCKETS;
		b = &t->by_path[l->pbucket];
		l->pprev = NULL;
		l->pnext = *b;
		if (*b)
			(*b)->pprev = l;
		*b = l;
	}
	pthread_mutex_unlock(&t->lock);
}

struct smb_lease *smb_lease_add(struct smbiov_client *c,
				const struct smb2_lease *got, const char *path,
				bool writer)
{
	struct smb_leases *t = leases_get(c);
	struct smb_lease *l;

	if (!t)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l)
		l->path = strdup(path ? path : "");
	if (!l || !l->path) {
		free(l);
		return NULL;
	}
	memcpy(l->key, got->key, sizeof(l->key));
	l->state = l->held = l->srv = got->state;
	l->writer = writer;
	l->epoch = got->epoch;
	l->version = got->version;
	link_lease(t, l);
	return l;
}

struct smb_lease *smb_oplock_add(struct smbiov_client *c,
				 const struct smb2_fileid *fid, uint8_t level)
{
	struct smb_leases *t;
	struct smb_lease *l;

	if (!oplock_state(level))
		return NULL;
	t = leases_get(c);
	if (!t)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->oplock = true;
	l->fid = *fid;
	l->oplock_level = level;
	l->state = l->held = oplock_state(level);
	link_lease(t, l);
	return l;
}

/* Take the table's lock once no break of @l is being handled. */
static void lock_idle(struct smb_leases *t, struct smb_lease *l)
{
	pthread_mutex_lock(&t->lock);
	while (l->busy)
		pthread_cond_wait(&t->cv, &t->lock);
}

void smb_lease_forget(struct smbiov_client *c, struct smb_lease *l)
{
	struct smb_leases *t = c->leases;
	struct smb_lease *lone = NULL;
	uint8_t key[SMB2_LEASE_KEY_SIZE];
	unsigned pbucket = l ? l->pbucket : 0;

	if (!t || !l)
		return;
	/* the worker finishes a break it is acknowledging for it first */
	lock_idle(t, l);
	if (l->prev)
		l->prev->next = l->next;
	else
		t->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	if (l->path) {
		if (l->pprev)
			l->pprev->pnext = l->pnext;
		else
			t->by_path[l->pbucket] = l->pnext;
		if (l->pnext)
			l->pnext->pprev = l->pprev;
		if (!l->oplock)
			lone = lone_entry(t, pbucket, l->key);
	}
	/* one open of the file again: its cache may keep what the key may */
	lone = lone && (lone->srv & ~lone->state) ? lone : NULL;
	memcpy(key, l->key, sizeof(key));
	pthread_mutex_unlock(&t->lock);
	free(l->path);
	free(l);
	if (lone)
		(void)local_change(t, key, 0, true, pbucket);
}

bool smb_lease_other_writer(struct smbiov_client *c, const struct smb_lease *l)
{
	struct smb_leases *t = c->leases;
	bool found = false;

	if (!t || !l || l->oplock || !l->path)
		return false;
	pthread_mutex_lock(&t->lock);
	for (const struct smb_lease *o = t->by_path[l->pbucket]; o && !found;
	     o = o->pnext)
		found = o != l && !o->oplock && o->writer &&
			!memcmp(o->key, l->key, sizeof(o->key));
	pthread_mutex_unlock(&t->lock);
	return found;
}

void smb_lease_set_owner(struct smbiov_client *c, struct smb_lease *l,
			 void (*fn)(void *owner, uint32_t state), void *owner)
{
	struct smb_leases *t = c->leases;

	if (!t || !l)
		return;
	lock_idle(t, l);
	l->on_change = fn;
	l->owner = owner;
	pthread_mutex_unlock(&t->lock);
}

void smb_lease_snapshot(struct smbiov_client *c, const struct smb_lease *l,
			struct smb_lease *out)
{
	struct smb_leases *t = c->leases;

	pthread_mutex_lock(&t->lock);
	*out = *l;
	out->next = out->prev = out->pnext = out->pprev = NULL;
	out->path = NULL; /* the table's */
	pthread_mutex_unlock(&t->lock);
}

void smb_leases_release(struct smbiov_client *c)
{
	struct smb_leases *t = c->leases;

	if (!t)
		return;
	smb_set_break_handler(c, NULL, NULL);
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->lock);
	if (t->started)
		pthread_join(t->worker, NULL);
	/* owner jobs still writing back: their lease goes below */
	pthread_mutex_lock(&t->lock);
	while (t->jobs)
		pthread_cond_wait(&t->cv, &t->lock);
	pthread_mutex_unlock(&t->lock);
	while (t->q_head) {
		struct smb_break_item *it = t->q_head;

		t->q_head = it->next;
		free(it);
	}
	/* files still open when the client goes hold no lease any more */
	while (t->head) {
		struct smb_lease *l = t->head;

		t->head = l->next;
		free(l->path);
		free(l);
	}
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->lock);
	free(t);
	c->leases = NULL;
}
