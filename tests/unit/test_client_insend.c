// SPDX-License-Identifier: MIT
/*
 * An asynchronous request answered while its sender is still inside the
 * transport (fuzz_engine finding 3, tests/fuzz/corpus/engine-findings):
 * the transport advances the payload iterator over the last bytes after
 * its last sendmsg, and done() may free the segments it walks (io.c frees
 * an aio operation's bvec array). The reviver's resend hit it; any
 * smb_submit() sender can. done() must run only once the sender is out.
 *
 * No timing: the test's transport sends through a real socketpair, then
 * waits (inside send) until the receiver has handled the answer and the
 * unsolicited break the peer sends after it. The receiver handles frames
 * in order, so by then it has run done() if it was going to.
 */
#include "client/engine.h"
#include "peer.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PAYLOAD 4096

/* What the test's transport and the request's done() saw. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned breaks_seen;
static int done_calls;
static int done_calls_in_send = -1; /* done() calls when send held */

/* A transport that sends through @inner and holds a payload send. */
static int hold_send(struct smb_transport *st, const struct iovec *hdr,
		     size_t nhdr, struct smbiov_iter *payload)
{
	struct peer_wrap *h = (struct peer_wrap *)st;
	int ret = smb_transport_send(h->inner, hdr, nhdr, payload);

	if (ret || !payload)
		return ret;
	/* still "in the transport": the answer and the break come now */
	pthread_mutex_lock(&mu);
	while (!breaks_seen)
		pthread_cond_wait(&cv, &mu);
	done_calls_in_send = done_calls;
	pthread_mutex_unlock(&mu);
	/* a transport may look at the payload until it returns */
	T_EXPECT_EQ(smbiov_iter_count(payload), 0);
	return 0;
}

static const struct smb_transport_ops hold_ops = {
	.send = hold_send,
	.recv = peer_wrap_recv,
	.shutdown = peer_wrap_shutdown,
	.release = peer_wrap_release,
};

static void on_break(struct smbiov_client *c, const uint8_t *msg, size_t len,
		     void *arg)
{
	(void)c;
	(void)msg;
	(void)len;
	(void)arg;
	pthread_mutex_lock(&mu);
	breaks_seen++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* done() frees the payload's segment array, as io.c's completion does. */
static void insend_done(struct smb_req *r)
{
	free(r->priv);
	pthread_mutex_lock(&mu);
	done_calls++;
	pthread_mutex_unlock(&mu);
}

/* The peer: each WRITE answered (all of it written), then a break. */
static void *peer_main(void *arg)
{
	int fd = *(int *)arg;
	uint32_t len;
	uint8_t *m;

	while ((m = peer_read_frame(fd, &len))) {
		uint8_t wr[17] = {17},
			brk[24] = {24, 0, 1}; /* 2.2.22, 2.2.23.1 */
		struct smb2_hdr q, h;

		T_ASSERT(smb2_hdr_decode(m, len, &q) == 0);
		free(m);
		T_EXPECT_EQ(q.command, SMB2_WRITE);
		peer_rsp_hdr(&h, &q, STATUS_SUCCESS);
		wr[4] = PAYLOAD & 0xff; /* Count */
		wr[5] = PAYLOAD >> 8;
		peer_send(fd, &h, wr, sizeof(wr));
		memset(&h, 0, sizeof(h));
		h.command = SMB2_OPLOCK_BREAK;
		h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
		h.message_id = SMB2_UNSOLICITED_MESSAGE_ID;
		memset(brk + 8, 0x5a, 16); /* FileId */
		peer_send(fd, &h, brk, sizeof(brk));
	}
	return NULL;
}

static void test_answer_during_send(void)
{
	static uint8_t payload[PAYLOAD];
	uint8_t body[SMB2_WRITE_REQ_FIXED + 8];
	struct smb2_write_req w = {.offset = 0};
	struct peer_wrap *ht = calloc(1, sizeof(*ht));
	struct iovec *seg = malloc(sizeof(*seg)), bv;
	struct smbiov_client *c;
	struct smbiov_iter src;
	struct smb_req r;
	pthread_t th;
	int sv[2];

	T_ASSERT(ht && seg);
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	T_ASSERT(smb_tcp_from_fd(sv[0], 5000, &ht->inner) == 0);
	ht->t.ops = &hold_ops;
	ht->t.timeout_ms = 5000;
	T_ASSERT(smb_client_from_transport(&ht->t, 5000, &c) == 0);
	c->dialect = SMB2_DIALECT_311;
	c->server_caps = SMB2_GLOBAL_CAP_LARGE_MTU;
	c->max_write = 1u << 20;
	c->credits.avail = 64;
	c->session_id = 0x1234;
	c->tree_id = 7;
	smb_set_break_handler(c, on_break, NULL);
	T_ASSERT(pthread_create(&th, NULL, peer_main, &sv[1]) == 0);

	/* the payload's segment array on the heap, freed by done() */
	seg->iov_base = payload;
	seg->iov_len = sizeof(payload);
	smbiov_iter_kvec(&src, SMBIOV_ITER_SOURCE, seg, 1, sizeof(payload));
	peer_write_req_init(&r, body, sizeof(body), &w, &src, &bv);
	r.done = insend_done;
	r.priv = seg;

	T_EXPECT_EQ(smb_submit(c, &r), 0);
	/* answered while the sender was in: done() waited for it */
	T_EXPECT_EQ(done_calls_in_send, 0);
	T_EXPECT_EQ(breaks_seen, 1);
	/* and ran once, on the sender's way out, with the answer */
	T_EXPECT_EQ(done_calls, 1);
	T_EXPECT_EQ(r.result, 0);
	T_EXPECT_EQ(r.status, STATUS_SUCCESS);
	smb_req_release(&r);
	T_EXPECT_EQ(c->dead, 0);
	peer_client_stop(c);
	pthread_join(th, NULL);
	close(sv[1]);
}

int main(void)
{
	T_RUN(test_answer_during_send);
	return t_done();
}
