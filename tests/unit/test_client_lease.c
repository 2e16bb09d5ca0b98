// SPDX-License-Identifier: MIT
/*
 * Lease breaks against a scripted peer (client/lease.c): a notification
 * lowers the lease before the acknowledgement goes out; the receiver keeps
 * serving other requests while an acknowledgement waits for its answer;
 * a break for a key we do not hold is still acknowledged when asked; one
 * that asks for no acknowledgement gets none; a malformed notification is
 * dropped; an answer for another key is an error. No timing: the peer
 * holds the acknowledgement's answer until the client has shown, with an
 * ECHO, that its receiver still works.
 */
#include "client/engine.h"
#include "client/lease.h"
#include "peer.h"
#include "proto/le.h"
#include "proto/oplock.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

static const uint8_t key_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
static const uint8_t key_x[16] = {0xee, 0xee};

/* A lease break notification (MS-SMB2 2.2.23.2) to the client. */
static void send_break(int fd, const uint8_t *key, uint32_t from, uint32_t to,
		       uint16_t epoch, bool ack, size_t cut)
{
	uint8_t m[4 + SMB2_HDR_SIZE + SMB2_LEASE_BREAK_NOTIFY_FIXED] = {0};
	uint8_t *b = m + 4 + SMB2_HDR_SIZE;
	struct smb2_hdr h = {0};

	h.command = SMB2_OPLOCK_BREAK;
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	h.message_id = SMB2_UNSOLICITED_MESSAGE_ID;
	smb2_hdr_encode(m + 4, &h);
	le16_put(b, SMB2_LEASE_BREAK_NOTIFY_SIZE);
	le16_put(b + 2, epoch);
	le32_put(b + 4, ack ? SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED : 0);
	memcpy(b + 8, key, 16);
	le32_put(b + 24, from);
	le32_put(b + 28, to);
	smb2_nbss_encode(m, sizeof(m) - 4 - cut);
	peer_write_full(fd, m, sizeof(m) - cut);
}

/* The answer to a lease break acknowledgement, for @key and @state. */
static void send_ack_rsp(int fd, const struct smb2_hdr *req, const uint8_t *key,
			 uint32_t state)
{
	uint8_t m[4 + SMB2_HDR_SIZE + SMB2_LEASE_BREAK_ACK_FIXED] = {0};
	uint8_t *b = m + 4 + SMB2_HDR_SIZE;
	struct smb2_hdr h;

	peer_rsp_hdr(&h, req, 0);
	smb2_hdr_encode(m + 4, &h);
	le16_put(b, SMB2_LEASE_BREAK_ACK_SIZE);
	memcpy(b + 8, key, 16);
	le32_put(b + 24, state);
	smb2_nbss_encode(m, sizeof(m) - 4);
	peer_write_full(fd, m, sizeof(m));
}

static void send_echo_rsp(int fd, const struct smb2_hdr *req)
{
	uint8_t m[4 + SMB2_HDR_SIZE + 4] = {0};
	struct smb2_hdr h;

	peer_rsp_hdr(&h, req, 0);
	smb2_hdr_encode(m + 4, &h);
	le16_put(m + 4 + SMB2_HDR_SIZE, 4);
	smb2_nbss_encode(m, sizeof(m) - 4);
	peer_write_full(fd, m, sizeof(m));
}

/* The next request: its header, and a LEASE_BREAK ack's key and state. */
static uint16_t next_req(int fd, struct smb2_hdr *h, uint8_t *key,
			 uint32_t *state)
{
	uint32_t len;
	uint8_t *m = peer_read_frame(fd, &len);

	T_ASSERT(m && smb2_hdr_decode(m, len, h) == 0);
	if (h->command == SMB2_OPLOCK_BREAK) {
		T_ASSERT(len >= SMB2_HDR_SIZE + SMB2_LEASE_BREAK_ACK_FIXED);
		T_EXPECT_EQ(le16_get(m + SMB2_HDR_SIZE),
			    SMB2_LEASE_BREAK_ACK_SIZE);
		memcpy(key, m + SMB2_HDR_SIZE + 8, 16);
		*state = le32_get(m + SMB2_HDR_SIZE + 24);
	}
	free(m);
	return h->command;
}

struct script {
	int fd;
	int step_failed;
};

static void *peer_script(void *arg)
{
	struct script *s = arg;
	struct smb2_hdr ack = {0}, h = {0};
	uint8_t key[16];
	uint32_t state;

	/*
	 * 1. RWH -> RH, ack required; the ack's answer waits until the
	 * client's ECHO (sent once it saw RH, so either may come first) has
	 * been answered.
	 */
	send_break(s->fd, key_a, 7, 3, 5, true, 0);
	for (int i = 0; i < 2; i++) {
		struct smb2_hdr r;

		if (next_req(s->fd, &r, key, &state) == SMB2_ECHO) {
			h = r;
			continue;
		}
		T_EXPECT_EQ(r.command, SMB2_OPLOCK_BREAK);
		T_EXPECT(!memcmp(key, key_a, 16));
		T_EXPECT_EQ(state, 3);
		ack = r;
	}
	T_EXPECT_EQ(h.command, SMB2_ECHO);
	T_EXPECT_EQ(ack.command, SMB2_OPLOCK_BREAK);
	send_echo_rsp(s->fd, &h);
	send_ack_rsp(s->fd, &ack, key_a, 3);

	/* 2. a key nobody holds, ack required: acknowledged all the same */
	send_break(s->fd, key_x, 7, 0, 1, true, 0);
	T_EXPECT_EQ(next_req(s->fd, &ack, key, &state), SMB2_OPLOCK_BREAK);
	T_EXPECT(!memcmp(key, key_x, 16));
	T_EXPECT_EQ(state, 0);
	send_ack_rsp(s->fd, &ack, key_x, 0);

	/* 3. RH -> H without ack, 4. a cut notification: nothing is sent;
	 * the next request is the client's ECHO */
	send_break(s->fd, key_a, 3, 2, 6, false, 0);
	send_break(s->fd, key_a, 2, 0, 7, true, 20);
	T_EXPECT_EQ(next_req(s->fd, &h, key, &state), SMB2_ECHO);
	send_echo_rsp(s->fd, &h);
	/* the client has looked: a second ECHO says go on */
	T_EXPECT_EQ(next_req(s->fd, &h, key, &state), SMB2_ECHO);
	send_echo_rsp(s->fd, &h);

	/* 5. an answer for another key: the acknowledgement failed */
	send_break(s->fd, key_a, 2, 0, 8, true, 0);
	T_EXPECT_EQ(next_req(s->fd, &ack, key, &state), SMB2_OPLOCK_BREAK);
	send_ack_rsp(s->fd, &ack, key_x, 0);
	return NULL;
}

/* Lease key_a on @c, with credits for the ack and an ECHO beside it. */
static struct smb_lease *lease_a(struct smbiov_client *c,
				 struct smb2_lease *got)
{
	struct smb_lease *l;

	pthread_mutex_lock(&c->lock);
	c->credits.avail = 16;
	pthread_mutex_unlock(&c->lock);
	memcpy(got->key, key_a, 16);
	l = smb_lease_add(c, got, "dir/a", true);
	T_ASSERT(l);
	return l;
}

/* Wait (bounded: a hang guard) until @l has handled @n breaks. */
static bool wait_breaks(struct smbiov_client *c, struct smb_lease *l,
			uint32_t n, struct smb_lease *snap)
{
	for (int i = 0; i < 3000; i++) {
		smb_lease_snapshot(c, l, snap);
		if (snap->breaks >= n)
			return true;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	return false;
}

static void test_breaks(void)
{
	struct smb2_lease got = {.state = 7, .epoch = 4, .version = 2};
	struct script s = {0};
	struct smbiov_client *c = peer_client(&s.fd, 10000);
	struct smb_lease *l, snap;
	pthread_t th;

	l = lease_a(c, &got);
	T_ASSERT(pthread_create(&th, NULL, peer_script, &s) == 0);

	/* 1: lowered before the ack goes; the receiver still answers */
	for (int i = 0; i < 3000; i++) {
		smb_lease_snapshot(c, l, &snap);
		if (snap.state == 3)
			break;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	T_EXPECT_EQ(snap.state, 3);
	T_EXPECT_EQ(snap.epoch, 5);
	T_EXPECT_EQ(smb_echo(c), 0);
	T_EXPECT(wait_breaks(c, l, 1, &snap));
	T_EXPECT_EQ(snap.ack_err, 0);

	/* 2 leaves ours alone; 3 lowers it with no ack; 4 is dropped */
	for (int i = 0; i < 3000; i++) {
		smb_lease_snapshot(c, l, &snap);
		if (snap.breaks >= 2)
			break;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	T_EXPECT_EQ(snap.state, 2);
	T_EXPECT_EQ(snap.epoch, 6);
	/* the ECHO's answer follows 4 on the stream: 4 was seen, dropped */
	T_EXPECT_EQ(smb_echo(c), 0);
	smb_lease_snapshot(c, l, &snap);
	T_EXPECT_EQ(snap.breaks, 2);
	T_EXPECT_EQ(snap.state, 2);
	T_EXPECT_EQ(smb_echo(c), 0); /* the peer goes on to 5 */

	/* 5: the answer names another lease */
	T_EXPECT(wait_breaks(c, l, 3, &snap));
	T_EXPECT_EQ(snap.ack_err, -EPROTO);
	T_EXPECT_EQ(snap.state, 0);

	pthread_join(th, NULL);
	T_EXPECT_EQ(c->dead, 0);
	smb_lease_forget(c, l);
	peer_client_stop(c);
	close(s.fd);
}

/* An oplock break notification or response body (MS-SMB2 2.2.23.1). */
static void send_oplock(int fd, const struct smb2_hdr *req, uint8_t level,
			uint64_t persistent, uint64_t volatile_id)
{
	uint8_t m[4 + SMB2_HDR_SIZE + SMB2_OPLOCK_BREAK_FIXED] = {0};
	uint8_t *b = m + 4 + SMB2_HDR_SIZE;
	struct smb2_hdr h = {0};

	if (req) {
		peer_rsp_hdr(&h, req, 0);
	} else {
		h.command = SMB2_OPLOCK_BREAK;
		h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
		h.message_id = SMB2_UNSOLICITED_MESSAGE_ID;
	}
	smb2_hdr_encode(m + 4, &h);
	le16_put(b, SMB2_OPLOCK_BREAK_SIZE);
	b[2] = level;
	le64_put(b + 8, persistent);
	le64_put(b + 16, volatile_id);
	smb2_nbss_encode(m, sizeof(m) - 4);
	peer_write_full(fd, m, sizeof(m));
}

static void *peer_oplock(void *arg)
{
	struct script *s = arg;
	struct smb2_hdr h;
	uint32_t len;
	uint8_t *m;

	/* a break for a handle nobody holds: no acknowledgement */
	send_oplock(s->fd, NULL, SMB2_OPLOCK_LEVEL_NONE, 9, 9);
	/* batch -> level II on ours: acknowledged with level and FileId */
	send_oplock(s->fd, NULL, SMB2_OPLOCK_LEVEL_II, 0x11, 0x22);
	m = peer_read_frame(s->fd, &len);
	T_ASSERT(m && smb2_hdr_decode(m, len, &h) == 0);
	T_EXPECT_EQ(h.command, SMB2_OPLOCK_BREAK);
	T_ASSERT(len >= SMB2_HDR_SIZE + SMB2_OPLOCK_BREAK_FIXED);
	T_EXPECT_EQ(le16_get(m + SMB2_HDR_SIZE), SMB2_OPLOCK_BREAK_SIZE);
	T_EXPECT_EQ(m[SMB2_HDR_SIZE + 2], SMB2_OPLOCK_LEVEL_II);
	T_EXPECT_EQ(le64_get(m + SMB2_HDR_SIZE + 8), 0x11);
	T_EXPECT_EQ(le64_get(m + SMB2_HDR_SIZE + 16), 0x22);
	free(m);
	send_oplock(s->fd, &h, SMB2_OPLOCK_LEVEL_II, 0x11, 0x22);
	return NULL;
}

static void test_oplock_break(void)
{
	struct smb2_fileid fid = {.persistent = 0x11, .volatile_id = 0x22};
	struct script s = {0};
	struct smbiov_client *c = peer_client(&s.fd, 10000);
	struct smb_lease *l, snap;
	pthread_t th;

	l = smb_oplock_add(c, &fid, SMB2_OPLOCK_LEVEL_BATCH);
	T_ASSERT(l);
	smb_lease_snapshot(c, l, &snap);
	T_EXPECT(snap.oplock && snap.state == 7);
	T_EXPECT(smb_oplock_add(c, &fid, SMB2_OPLOCK_LEVEL_NONE) == NULL);
	T_ASSERT(pthread_create(&th, NULL, peer_oplock, &s) == 0);
	T_EXPECT(wait_breaks(c, l, 1, &snap));
	T_EXPECT_EQ(snap.ack_err, 0);
	T_EXPECT_EQ(snap.state, 1);
	T_EXPECT_EQ(snap.oplock_level, SMB2_OPLOCK_LEVEL_II);
	pthread_join(th, NULL);
	T_EXPECT_EQ(c->dead, 0);
	smb_lease_forget(c, l);
	peer_client_stop(c);
	close(s.fd);
}

/*
 * The break deadline (smbiov_options.break_ack_ms): an owner that cannot
 * finish (it waits here until the peer has seen the acknowledgement) is
 * acknowledged for anyway, and a second break while its job still runs
 * is acknowledged too and folded into the job (called again with the
 * newest state). Unbounded (< 0): the acknowledgement only after the
 * owner returned. No timing: what is checked is an order of events the
 * test itself holds.
 */
struct owner {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool entered, release, returned;
	uint32_t seen[4];
	unsigned n;
};

static void owner_cb(void *arg, uint32_t state)
{
	struct owner *o = arg;

	pthread_mutex_lock(&o->lock);
	if (o->n < 4)
		o->seen[o->n++] = state;
	o->entered = true;
	pthread_cond_broadcast(&o->cv);
	while (!o->release)
		pthread_cond_wait(&o->cv, &o->lock);
	o->returned = true;
	pthread_mutex_unlock(&o->lock);
}

static void owner_release(struct owner *o)
{
	pthread_mutex_lock(&o->lock);
	o->release = true;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->lock);
}

static bool owner_returned(struct owner *o)
{
	bool r;

	pthread_mutex_lock(&o->lock);
	r = o->returned;
	pthread_mutex_unlock(&o->lock);
	return r;
}

struct dl_script {
	int fd;
	struct owner *o;
	bool bounded;
};

static void *peer_deadline(void *arg)
{
	struct dl_script *s = arg;
	struct smb2_hdr ack;
	uint8_t key[16];
	uint32_t state;

	send_break(s->fd, key_a, 7, 3, 5, true, 0);
	T_EXPECT_EQ(next_req(s->fd, &ack, key, &state), SMB2_OPLOCK_BREAK);
	T_EXPECT_EQ(state, 3);
	if (!s->bounded) {
		/* no bound: only once the owner was done */
		T_EXPECT(owner_returned(s->o));
		send_ack_rsp(s->fd, &ack, key_a, 3);
		return NULL;
	}
	T_EXPECT(!owner_returned(s->o)); /* still held: acked early */
	send_ack_rsp(s->fd, &ack, key_a, 3);
	/* a second break while the first one's job runs */
	send_break(s->fd, key_a, 3, 1, 6, true, 0);
	T_EXPECT_EQ(next_req(s->fd, &ack, key, &state), SMB2_OPLOCK_BREAK);
	T_EXPECT_EQ(state, 1);
	T_EXPECT(!owner_returned(s->o));
	owner_release(s->o);
	send_ack_rsp(s->fd, &ack, key_a, 1);
	return NULL;
}

static void run_deadline(bool bounded)
{
	struct smb2_lease got = {.state = 7, .epoch = 4, .version = 2};
	struct owner o = {.lock = PTHREAD_MUTEX_INITIALIZER,
			  .cv = PTHREAD_COND_INITIALIZER};
	struct dl_script s = {.o = &o, .bounded = bounded};
	struct smbiov_client *c = peer_client(&s.fd, 10000);
	struct smb_lease *l, snap;
	pthread_t th;

	c->break_ack_ms = bounded ? 20 : -1;
	l = lease_a(c, &got);
	smb_lease_set_owner(c, l, owner_cb, &o);
	T_ASSERT(pthread_create(&th, NULL, peer_deadline, &s) == 0);
	if (!bounded) {
		pthread_mutex_lock(&o.lock);
		while (!o.entered)
			pthread_cond_wait(&o.cv, &o.lock);
		pthread_mutex_unlock(&o.lock);
		owner_release(&o);
	}
	T_EXPECT(wait_breaks(c, l, bounded ? 2 : 1, &snap));
	T_EXPECT_EQ(snap.ack_err, 0);
	T_EXPECT_EQ(snap.acked_early, bounded ? 2u : 0u);
	pthread_join(th, NULL);
	/* waits for the owner's job to end */
	smb_lease_forget(c, l);
	T_EXPECT(o.returned);
	if (bounded) {
		/* the job ran again with the newest state, once */
		T_EXPECT_EQ(o.n, 2u);
		T_EXPECT_EQ(o.seen[0], 3u);
		T_EXPECT_EQ(o.seen[1], 1u);
	} else {
		T_EXPECT_EQ(o.n, 1u);
		T_EXPECT_EQ(o.seen[0], 3u);
	}
	T_EXPECT_EQ(c->dead, 0);
	peer_client_stop(c);
	close(s.fd);
}

static void test_break_deadline(void)
{
	run_deadline(true);
}

static void test_break_unbounded(void)
{
	run_deadline(false);
}

/*
 * Leases forgotten in any order (the list's middle, its head: the newest,
 * its tail: the oldest) leave the others found by their breaks; a break
 * for a forgotten key changes nothing (ASan: nothing freed is touched).
 */
static void test_forget_any_order(void)
{
	struct smb2_lease got = {.state = 7, .epoch = 1, .version = 2};
	struct smb_lease *l[5], snap;
	struct smbiov_client *c;
	int fd;

	c = peer_client(&fd, 10000);
	for (int i = 0; i < 5; i++) {
		memset(got.key, 0x55, 16);
		got.key[0] = (uint8_t)i;
		l[i] = smb_lease_add(c, &got, "f", true);
		T_ASSERT(l[i]);
	}
	smb_lease_forget(c, l[2]);
	smb_lease_forget(c, l[4]);
	smb_lease_forget(c, l[0]);
	for (int i = 0; i < 5; i++) {
		uint8_t key[16];

		memset(key, 0x55, 16);
		key[0] = (uint8_t)i;
		send_break(fd, key, 7, 3, 2, false, 0);
	}
	T_EXPECT(wait_breaks(c, l[1], 1, &snap));
	T_EXPECT_EQ(snap.state, 3);
	T_EXPECT(wait_breaks(c, l[3], 1, &snap));
	T_EXPECT_EQ(snap.state, 3);
	T_EXPECT_EQ(snap.breaks, 1);
	smb_lease_forget(c, l[3]);
	smb_lease_forget(c, l[1]);
	T_EXPECT_EQ(c->dead, 0);
	peer_client_stop(c);
	close(fd);
}

/*
 * What an open asks for, by dialect and the server's capabilities; the
 * key: one per file, shared by the opens of a path (however spelled),
 * fresh for another path, for NULL, and once the last open forgot it.
 */
static void test_want(void)
{
	struct smb2_lease got = {.state = 7, .version = 2};
	int fd;
	struct smbiov_client *c = peer_client(&fd, 1000);
	struct smb2_lease a, b;
	struct smb_lease *l;

	T_EXPECT_EQ(smb_lease_want(c, "f", &a), -EOPNOTSUPP); /* no cap */
	c->server_caps |= SMB2_GLOBAL_CAP_LEASING;
	T_EXPECT_EQ(smb_lease_want(c, "dir/f", &a), 0);
	T_EXPECT_EQ(a.version, 2);
	T_EXPECT_EQ(a.state, 7);
	T_EXPECT_EQ(smb_lease_want(c, "dir/f", &b), 0);
	T_EXPECT(memcmp(a.key, b.key, 16) != 0); /* nothing open: fresh */
	memcpy(got.key, a.key, 16);
	l = smb_lease_add(c, &got, "dir/f", true);
	T_ASSERT(l);
	T_EXPECT_EQ(smb_lease_want(c, "/dir//f/", &b), 1);
	T_EXPECT(!memcmp(a.key, b.key, 16)); /* the file's key */
	T_EXPECT_EQ(smb_lease_want(c, "dir/g", &b), 0);
	T_EXPECT(memcmp(a.key, b.key, 16) != 0);
	T_EXPECT_EQ(smb_lease_want(c, NULL, &b), 0);
	T_EXPECT(memcmp(a.key, b.key, 16) != 0);
	smb_lease_forget(c, l);
	T_EXPECT_EQ(smb_lease_want(c, "dir/f", &b), 0);
	T_EXPECT(memcmp(a.key, b.key, 16) != 0);
	c->dialect = SMB2_DIALECT_210;
	T_EXPECT_EQ(smb_lease_want(c, "f", &a), 0);
	T_EXPECT_EQ(a.version, 1);
	c->dialect = SMB2_DIALECT_202;
	T_EXPECT_EQ(smb_lease_want(c, "f", &a), -EOPNOTSUPP);
	peer_client_stop(c);
	close(fd);
}

/*
 * Two opens of one file share key_a, each with its own owner: one break
 * of the key reaches both owners, and one acknowledgement goes out, only
 * after both returned (no bound); an open granted less than the key had
 * (R) keeps less after the break to RH. The peer holds the order: the
 * next request after the acknowledgement is the client's ECHO, not a
 * second acknowledgement.
 */
struct sh_script {
	int fd;
	struct owner *o[2];
};

static void *peer_shared(void *arg)
{
	struct sh_script *s = arg;
	struct smb2_hdr ack, h;
	uint8_t key[16];
	uint32_t state;

	send_break(s->fd, key_a, 7, 3, 5, true, 0);
	T_EXPECT_EQ(next_req(s->fd, &ack, key, &state), SMB2_OPLOCK_BREAK);
	T_EXPECT(!memcmp(key, key_a, 16));
	T_EXPECT_EQ(state, 3);
	T_EXPECT(owner_returned(s->o[0]));
	T_EXPECT(owner_returned(s->o[1]));
	send_ack_rsp(s->fd, &ack, key_a, 3);
	T_EXPECT_EQ(next_req(s->fd, &h, key, &state), SMB2_ECHO);
	send_echo_rsp(s->fd, &h);
	return NULL;
}

static void wait_entered(struct owner *o)
{
	pthread_mutex_lock(&o->lock);
	while (!o->entered)
		pthread_cond_wait(&o->cv, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

/* The peer's last step is an ECHO: answered, it is done; both go. */
static void shared_end(struct smbiov_client *c, pthread_t th,
		       struct smb_lease **l)
{
	T_EXPECT_EQ(smb_echo(c), 0);
	pthread_join(th, NULL);
	smb_lease_forget(c, l[1]);
	smb_lease_forget(c, l[0]);
}

static void test_shared_key(void)
{
	struct smb2_lease got = {.state = 7, .epoch = 4, .version = 2};
	struct owner o[2] = {{.lock = PTHREAD_MUTEX_INITIALIZER,
			      .cv = PTHREAD_COND_INITIALIZER},
			     {.lock = PTHREAD_MUTEX_INITIALIZER,
			      .cv = PTHREAD_COND_INITIALIZER}};
	struct sh_script s = {.o = {&o[0], &o[1]}};
	struct smbiov_client *c = peer_client(&s.fd, 10000);
	struct smb_lease *l[2], snap;
	pthread_t th;

	c->break_ack_ms = -1;
	l[0] = lease_a(c, &got);
	got.state = 1; /* the second open got R */
	l[1] = smb_lease_add(c, &got, "dir/a", true);
	T_ASSERT(l[1]);
	smb_lease_set_owner(c, l[0], owner_cb, &o[0]);
	smb_lease_set_owner(c, l[1], owner_cb, &o[1]);
	T_ASSERT(pthread_create(&th, NULL, peer_shared, &s) == 0);
	for (int i = 0; i < 2; i++) {
		wait_entered(&o[i]);
		owner_release(&o[i]);
	}
	T_EXPECT(wait_breaks(c, l[0], 1, &snap));
	T_EXPECT_EQ(snap.state, 3);
	T_EXPECT_EQ(snap.epoch, 5);
	T_EXPECT_EQ(snap.ack_err, 0);
	T_EXPECT(wait_breaks(c, l[1], 1, &snap));
	T_EXPECT_EQ(snap.state, 1);
	T_EXPECT_EQ(snap.breaks, 1);
	shared_end(c, th, l);
	T_EXPECT_EQ(o[0].n, 1u);
	T_EXPECT_EQ(o[0].seen[0], 3u);
	T_EXPECT_EQ(o[1].n, 1u);
	T_EXPECT_EQ(o[1].seen[0], 1u);
	T_EXPECT_EQ(c->dead, 0);
	peer_client_stop(c);
	close(s.fd);
}

/*
 * smb_lease_share(): a second open granted the key another open holds
 * takes write caching from both, before it returns: each owner is told
 * RH (the first's, granted RWH; the second's with no owner yet keeps its
 * state in the entry), nothing is sent (the next request the peer sees
 * is an ECHO), and no break is counted.
 */
static void *peer_echo(void *arg)
{
	int *fd = arg;
	struct smb2_hdr h;
	uint8_t key[16];
	uint32_t state;

	T_EXPECT_EQ(next_req(*fd, &h, key, &state), SMB2_ECHO);
	send_echo_rsp(*fd, &h);
	return NULL;
}

/* l[0] (owned by @o) and l[1] (no owner), both of key_a at "dir/a" */
static void two_of_a(struct smbiov_client *c, struct smb2_lease *got,
		     struct owner *o, struct smb_lease **l, bool writer1)
{
	l[0] = lease_a(c, got);
	smb_lease_set_owner(c, l[0], owner_cb, o);
	l[1] = smb_lease_add(c, got, "dir/a", writer1);
	T_ASSERT(l[1]);
}

static void test_share_drops_w(void)
{
	struct smb2_lease got = {.state = 7, .epoch = 4, .version = 2};
	/* released from the start: it records and returns */
	struct owner o = {.lock = PTHREAD_MUTEX_INITIALIZER,
			  .cv = PTHREAD_COND_INITIALIZER,
			  .release = true};
	int fd;
	struct smbiov_client *c = peer_client(&fd, 10000);
	struct smb_lease *l[2], snap;
	pthread_t th;

	two_of_a(c, &got, &o, l, true);
	T_ASSERT(pthread_create(&th, NULL, peer_echo, &fd) == 0);
	T_EXPECT_EQ(smb_lease_share(c, key_a), 0);
	/* told before smb_lease_share() returned */
	T_EXPECT_EQ(o.n, 1u);
	T_EXPECT_EQ(o.seen[0], 3u);
	for (int i = 0; i < 2; i++) {
		smb_lease_snapshot(c, l[i], &snap);
		T_EXPECT_EQ(snap.state, 3);
		T_EXPECT_EQ(snap.held, 3);
		T_EXPECT_EQ(snap.epoch, 4);
		T_EXPECT_EQ(snap.breaks, 0);
	}
	shared_end(c, th, l);
	T_EXPECT_EQ(c->dead, 0);
	peer_client_stop(c);
	close(fd);
}

/*
 * smb_lease_forget() leaving one entry of a key: it takes back what the
 * server still grants the key (RWH after a share took W) and its owner
 * is told before the forget returns; not after the server lowered the
 * key meanwhile (a reconnect's answer: smb_lease_regranted()).
 * smb_lease_other_writer() tells whether another entry of the key has
 * its file open for writing.
 */
static void test_forget_raises(void)
{
	struct smb2_lease got = {.state = 7, .epoch = 4, .version = 2};
	struct smb2_lease rh = {.state = 3, .epoch = 4, .version = 2};
	struct owner o = {.lock = PTHREAD_MUTEX_INITIALIZER,
			  .cv = PTHREAD_COND_INITIALIZER,
			  .release = true};
	int fd;
	struct smbiov_client *c = peer_client(&fd, 10000);
	struct smb_lease *l[2], snap;
	pthread_t th;

	two_of_a(c, &got, &o, l, false);
	T_EXPECT(smb_lease_other_writer(c, l[1]));
	T_EXPECT(!smb_lease_other_writer(c, l[0]));
	T_EXPECT_EQ(smb_lease_share(c, key_a), 0);
	T_EXPECT_EQ(o.n, 1u);
	T_EXPECT_EQ(o.seen[0], 3u);
	/* l[0] alone again: RWH back, told before the forget returned */
	smb_lease_forget(c, l[1]);
	T_EXPECT_EQ(o.n, 2u);
	T_EXPECT_EQ(o.seen[1], 7u);
	smb_lease_snapshot(c, l[0], &snap);
	T_EXPECT_EQ(snap.state, 7);
	T_EXPECT_EQ(snap.held, 7);
	T_EXPECT_EQ(snap.breaks, 0);
	T_EXPECT(!smb_lease_other_writer(c, l[0]));
	/* shared again, then the server says RH: nothing to take back */
	l[1] = smb_lease_add(c, &got, "dir/a", false);
	T_ASSERT(l[1]);
	T_EXPECT_EQ(smb_lease_share(c, key_a), 0);
	smb_lease_regranted(c, l[0], &rh);
	smb_lease_forget(c, l[1]);
	smb_lease_snapshot(c, l[0], &snap);
	T_EXPECT_EQ(snap.state, 3);
	T_EXPECT_EQ(snap.srv, 3);
	T_EXPECT_EQ(o.seen[o.n - 1], 3u);
	/* the peer's one request: an ECHO */
	T_ASSERT(pthread_create(&th, NULL, peer_echo, &fd) == 0);
	T_EXPECT_EQ(smb_echo(c), 0);
	pthread_join(th, NULL);
	smb_lease_forget(c, l[0]);
	T_EXPECT_EQ(c->dead, 0);
	peer_client_stop(c);
	close(fd);
}

int main(void)
{
	T_RUN(test_want);
	T_RUN(test_breaks);
	T_RUN(test_oplock_break);
	T_RUN(test_break_deadline);
	T_RUN(test_break_unbounded);
	T_RUN(test_forget_any_order);
	T_RUN(test_shared_key);
	T_RUN(test_share_drops_w);
	T_RUN(test_forget_raises);
	return t_done();
}
