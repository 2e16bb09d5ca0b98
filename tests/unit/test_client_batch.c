// SPDX-License-Identifier: MIT
/*
 * Batched READs (submit.c): small SMB_REQ_BATCH READs submitted while
 * another thread is sending wait for it and go out as one compound of
 * unrelated requests; a request submitted with no send under way goes out
 * alone at once; a batch that cannot be sent completes every request in
 * it (done() once each, with an error) instead of losing them.
 *
 * No timing: the test's transport holds the first send until the test has
 * queued the others (it waits for states, never for a duration).
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

#define NREQ	 4
#define READ_LEN 8

/* The test's transport: the first send waits for @go; one may fail. */
struct hold_transport {
	struct peer_wrap w; /* first: peer_wrap_release() frees the whole */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool holding; /* the first send is waiting for @go */
	bool go;
	unsigned sends;
	unsigned fail_send; /* this send (1-based) fails with -EPIPE; 0: none */
};

static int hold_send(struct smb_transport *st, const struct iovec *hdr,
		     size_t nhdr, struct smbiov_iter *payload)
{
	struct hold_transport *h = (struct hold_transport *)st;
	unsigned n;

	pthread_mutex_lock(&h->mu);
	n = ++h->sends;
	if (n == 1) {
		h->holding = true;
		pthread_cond_broadcast(&h->cv);
		while (!h->go)
			pthread_cond_wait(&h->cv, &h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	if (n == h->fail_send)
		return -EPIPE;
	return smb_transport_send(h->w.inner, hdr, nhdr, payload);
}

static const struct smb_transport_ops hold_ops = {
	.send = hold_send,
	.recv = peer_wrap_recv,
	.shutdown = peer_wrap_shutdown,
	.release = peer_wrap_release,
};

/* What the peer saw: per frame, its elements and their flags. */
struct seen {
	unsigned frames;
	unsigned elems[NREQ];	      /* elements of frame i */
	uint32_t flags[NREQ][NREQ];   /* flags of element j of frame i */
	uint64_t offsets[NREQ][NREQ]; /* READ offsets */
};

struct peer_arg {
	int fd;
	struct seen *seen;
};

/* An answer element: header, READ body, READ_LEN bytes (88: 8-aligned). */
#define ELEM_LEN (SMB2_HDR_SIZE + SMB2_READ_RSP_FIXED + READ_LEN)

/*
 * The READ at @ro answered into @m: READ_LEN bytes, each the low byte of
 * the offset; @next: NextCommand (0: the last element).
 */
static void answer_elem(uint8_t *m, const struct smb2_hdr *q, uint64_t ro,
			uint32_t next)
{
	uint8_t *b = m + SMB2_HDR_SIZE;
	struct smb2_hdr h;

	peer_rsp_hdr(&h, q, STATUS_SUCCESS);
	h.next_command = next;
	smb2_hdr_encode(m, &h);
	memset(b, 0, SMB2_READ_RSP_FIXED);
	b[0] = SMB2_READ_RSP_SIZE;
	b[2] = SMB2_READ_RSP_HDR_LEN; /* DataOffset */
	b[4] = READ_LEN;	      /* DataLength */
	memset(b + SMB2_READ_RSP_FIXED, (int)(ro & 0xff), READ_LEN);
}

/*
 * Every frame answered with one frame: a lone READ alone, a chain of them
 * as a compound response (as Samba answers a batch whose READs it reads
 * at once), so that each element's data is received in its turn.
 */
static void *peer_main(void *arg)
{
	struct peer_arg *pa = arg;
	uint32_t len;
	uint8_t *m;

	while ((m = peer_read_frame(pa->fd, &len))) {
		uint8_t out[4 + NREQ * ELEM_LEN];
		struct seen *s = pa->seen;
		unsigned f = s->frames++;
		size_t off = 0, n = 0;

		T_ASSERT(f < NREQ);
		for (;;) {
			struct smb2_hdr q;
			unsigned e = s->elems[f]++;
			uint64_t ro = 0;

			T_ASSERT(e < NREQ);
			T_ASSERT(smb2_hdr_decode(m + off, len - off, &q) == 0);
			T_EXPECT_EQ(q.command, SMB2_READ);
			/* READ body: Offset at 8 (MS-SMB2 2.2.19) */
			for (int k = 7; k >= 0; k--)
				ro = ro << 8 | m[off + SMB2_HDR_SIZE + 8 + k];
			s->flags[f][e] = q.flags;
			s->offsets[f][e] = ro;
			answer_elem(out + 4 + n * ELEM_LEN, &q, ro,
				    q.next_command ? ELEM_LEN : 0);
			n++;
			if (!q.next_command)
				break;
			off += q.next_command;
			T_ASSERT(off < len);
		}
		free(m);
		smb2_nbss_encode(out, n * ELEM_LEN);
		peer_write_full(pa->fd, out, 4 + n * ELEM_LEN);
	}
	return NULL;
}

struct rd {
	struct smb_req r;
	uint8_t body[SMB2_READ_REQ_FIXED + 8];
	struct iovec v, dv;
	struct smbiov_iter dst;
	uint8_t data[READ_LEN];
};

static void rd_init(struct rd *d, uint64_t off, struct peer_done *done)
{
	struct smb2_read_req q = {.offset = off, .length = READ_LEN};
	ssize_t n = smb2_read_req_encode(d->body, sizeof(d->body), &q);

	T_ASSERT(n > 0);
	d->v.iov_base = d->body;
	d->v.iov_len = (size_t)n;
	peer_req_init(&d->r, SMB2_READ, &d->v);
	d->r.flags |= SMB_REQ_BATCH;
	memset(d->data, 0xee, sizeof(d->data));
	d->dv.iov_base = d->data;
	d->dv.iov_len = sizeof(d->data);
	smbiov_iter_kvec(&d->dst, SMBIOV_ITER_DEST, &d->dv, 1, READ_LEN);
	d->r.dst = &d->dst;
	d->r.read_len = READ_LEN;
	d->r.done = peer_done_fn;
	d->r.priv = done;
}

struct fixture {
	struct smbiov_client *c;
	struct hold_transport *ht;
	int peer_fd;
	pthread_t peer;
	struct peer_arg pa;
	struct seen seen;
};

static void fixture_up(struct fixture *fx, unsigned fail_send)
{
	struct hold_transport *ht = calloc(1, sizeof(*ht));
	int sv[2];

	memset(fx, 0, sizeof(*fx));
	T_ASSERT(ht);
	pthread_mutex_init(&ht->mu, NULL);
	pthread_cond_init(&ht->cv, NULL);
	ht->fail_send = fail_send;
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	T_ASSERT(smb_tcp_from_fd(sv[0], 5000, &ht->w.inner) == 0);
	ht->w.t.ops = &hold_ops;
	ht->w.t.timeout_ms = 5000;
	T_ASSERT(smb_client_from_transport(&ht->w.t, 5000, &fx->c) == 0);
	fx->c->dialect = SMB2_DIALECT_311;
	fx->c->server_caps = SMB2_GLOBAL_CAP_LARGE_MTU;
	fx->c->max_read = 1u << 20;
	fx->c->credits.avail = 64;
	fx->c->session_id = 0x1234;
	fx->c->tree_id = 7;
	fx->ht = ht;
	fx->peer_fd = sv[1];
	fx->pa.fd = sv[1];
	fx->pa.seen = &fx->seen;
	T_ASSERT(pthread_create(&fx->peer, NULL, peer_main, &fx->pa) == 0);
}

static void fixture_down(struct fixture *fx)
{
	peer_client_stop(fx->c);
	pthread_join(fx->peer, NULL);
	close(fx->peer_fd);
}

struct first_arg {
	struct smbiov_client *c;
	struct rd *d;
	int ret;
};

static void *submit_first(void *arg)
{
	struct first_arg *a = arg;

	a->ret = smb_submit(a->c, &a->d->r);
	return NULL;
}

/*
 * Request 0 is sent by a thread held inside the transport; 1..3 are
 * submitted meanwhile: they are queued (not sent by their own threads)
 * and go out together, as one chain of unrelated READs, before the first
 * submitter returns.
 */
/*
 * d[0] submitted by a thread that the transport holds in its send, d[1..]
 * by this thread meanwhile (each must be queued, not sent), then the send
 * let go; returns once all NREQ have completed.
 */
static void run_held(struct fixture *fx, struct rd *d, struct peer_done *done)
{
	struct first_arg a = {.c = fx->c, .d = &d[0]};
	pthread_t th;

	T_ASSERT(pthread_create(&th, NULL, submit_first, &a) == 0);
	pthread_mutex_lock(&fx->ht->mu);
	while (!fx->ht->holding)
		pthread_cond_wait(&fx->ht->cv, &fx->ht->mu);
	pthread_mutex_unlock(&fx->ht->mu);
	for (unsigned i = 1; i < NREQ; i++) {
		T_EXPECT_EQ(smb_submit(fx->c, &d[i].r), 0);
		T_EXPECT(smb_bq_queued(fx->c, &d[i].r));
	}
	pthread_mutex_lock(&fx->ht->mu);
	fx->ht->go = true;
	pthread_cond_broadcast(&fx->ht->cv);
	pthread_mutex_unlock(&fx->ht->mu);
	pthread_join(th, NULL);
	T_EXPECT_EQ(a.ret, 0);
	peer_wait_done(done, NREQ);
}

/* The offset request @i reads (its answer's bytes: the low byte). */
static uint64_t off_of(unsigned i)
{
	return 0x1000 * (i + 1) + i;
}

/* A client whose send @fail_send fails, max_read @room (0: as is), and
 * NREQ READs through run_held(). */
static void held_batch(struct fixture *fx, struct rd *d, struct peer_done *done,
		       unsigned fail_send, uint32_t room)
{
	fixture_up(fx, fail_send);
	if (room)
		fx->c->max_read = room;
	for (unsigned i = 0; i < NREQ; i++)
		rd_init(&d[i], off_of(i), done);
	run_held(fx, d, done);
}

static void test_queued_reads_go_as_one_compound(void)
{
	struct peer_done done = PEER_DONE_INIT;
	struct rd d[NREQ];
	struct fixture fx;

	held_batch(&fx, d, &done, 0, 0);

	/* two messages: the first READ, then the three queued ones */
	T_EXPECT_EQ(fx.seen.frames, 2);
	T_EXPECT_EQ(fx.seen.elems[0], 1);
	T_EXPECT_EQ(fx.seen.elems[1], NREQ - 1);
	for (unsigned e = 0; e < NREQ - 1; e++) {
		/* unrelated: each with its own handle, no error carried */
		T_EXPECT_EQ(fx.seen.flags[1][e] & SMB2_FLAGS_RELATED_OPERATIONS,
			    0);
		T_EXPECT_EQ(fx.seen.offsets[1][e], off_of(e + 1));
	}
	T_EXPECT_EQ(atomic_load(&fx.c->st_messages), 2);
	T_EXPECT_EQ(atomic_load(&fx.c->st_requests), NREQ);
	/* every element's data landed in place, none through a buffer */
	T_EXPECT_EQ(atomic_load(&fx.c->st_payload_copied), 0);
	/* each answer landed in its own request's buffer */
	for (unsigned i = 0; i < NREQ; i++) {
		uint8_t want[READ_LEN];

		memset(want, off_of(i) & 0xff, sizeof(want));
		T_EXPECT_EQ(d[i].r.result, 0);
		T_EXPECT_EQ(d[i].r.data_len, READ_LEN);
		T_EXPECT(memcmp(d[i].data, want, READ_LEN) == 0);
		smb_req_release(&d[i].r);
	}
	fixture_down(&fx);
}

/*
 * A batch's answer must fit where a lone READ's does (rsize=, the
 * server's MaxReadSize): room for two answers here, so the three queued
 * READs go as two messages.
 */
static void test_batch_within_max_read(void)
{
	struct peer_done done = PEER_DONE_INIT;
	struct rd d[NREQ];
	struct fixture fx;

	held_batch(&fx, d, &done, 0,
		   2 * (SMB2_READ_RSP_HDR_LEN + READ_LEN + 8));
	T_EXPECT_EQ(fx.seen.frames, 3);
	T_EXPECT_EQ(fx.seen.elems[1], 2);
	T_EXPECT_EQ(fx.seen.elems[2], 1);
	for (unsigned i = 0; i < NREQ; i++) {
		T_EXPECT_EQ(d[i].r.result, 0);
		T_EXPECT_EQ(d[i].data[0], off_of(i) & 0xff);
		smb_req_release(&d[i].r);
	}
	fixture_down(&fx);
}

/* With no send under way, a batchable READ goes out alone, at once. */
static void test_lone_read_not_held(void)
{
	struct peer_done done = PEER_DONE_INIT;
	struct fixture fx;
	struct rd d;

	fixture_up(&fx, 0);
	fx.ht->go = true;
	rd_init(&d, 0x2a, &done);
	T_EXPECT_EQ(smb_submit(fx.c, &d.r), 0);
	T_EXPECT(!smb_bq_queued(fx.c, &d.r));
	peer_wait_done(&done, 1);
	T_EXPECT_EQ(d.r.result, 0);
	T_EXPECT_EQ(fx.seen.frames, 1);
	T_EXPECT_EQ(d.data[0], 0x2a);
	smb_req_release(&d.r);
	fixture_down(&fx);
}

/*
 * The batch's send fails (the connection dies with it): every queued
 * request completes, once, with an error; none is left waiting.
 */
static void test_failed_batch_completes_all(void)
{
	struct peer_done done = PEER_DONE_INIT;
	struct rd d[NREQ];
	struct fixture fx;

	/* all four: the first by the connection's death or its answer */
	held_batch(&fx, d, &done, 2, 0);
	for (unsigned i = 1; i < NREQ; i++) {
		T_EXPECT(d[i].r.result < 0);
		T_EXPECT(d[i].r.e.complete);
		smb_req_release(&d[i].r);
	}
	pthread_mutex_lock(&done.mu);
	T_EXPECT_EQ(done.n, NREQ);
	pthread_mutex_unlock(&done.mu);
	smb_req_release(&d[0].r);
	fixture_down(&fx);
	/* and no second completion came with the disconnect */
	T_EXPECT_EQ(done.n, NREQ);
}

/*
 * The sender yields (so that threads with further reads can queue them)
 * only when other requests are in flight: at iodepth 1 nothing would
 * join, at 16 in flight the batches grow (submit.c).
 */
static void test_yield_rule(void)
{
	T_EXPECT(!smb_bq_should_yield(0));
	T_EXPECT(!smb_bq_should_yield(1)); /* its own READ alone */
	T_EXPECT(!smb_bq_should_yield(SMB_BATCH_YIELD_MIN - 1));
	T_EXPECT(smb_bq_should_yield(SMB_BATCH_YIELD_MIN));
	T_EXPECT(smb_bq_should_yield(16));
}

int main(void)
{
	T_RUN(test_yield_rule);
	T_RUN(test_queued_reads_go_as_one_compound);
	T_RUN(test_batch_within_max_read);
	T_RUN(test_lone_read_not_held);
	T_RUN(test_failed_batch_completes_all);
	return t_done();
}
