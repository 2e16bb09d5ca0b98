// SPDX-License-Identifier: MIT
/*
 * When resending stops (reconnect.c made_progress(), resend.c
 * smb_rc_may_resend()): after SMB_RESEND_TRIES new connections in a row
 * that made no progress.
 * A connection that took megabytes of WRITEs and was cut before any
 * answer made progress: cli_reconnect with RC_MIB=128 cut a put's 8 MiB
 * of WRITEs every 3-5 MiB, no connection answered anything, and the put
 * gave up at the third cut. One that took a small request and died did
 * not (a request that kills its connection must not loop).
 *
 * No timing: the peer takes the WRITEs whole and closes without an
 * answer; the reviver's reconnect (to a refused port, 200 ms bound) counts
 * the dead connection as it starts, which the test reads after.
 *
 * And no round wasted: a request held through a reconnect and sent on
 * the new connection asks for the next one when that one dies
 * (send.c sent_gen(); test_held_through_reconnect).
 */
#include "client/reconnect.h"
#include "peer.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "t.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#define MiB ((size_t)1 << 20)

/* The peer: takes @n requests of at least @len bytes whole, then cuts. */
struct taker {
	int fd;
	unsigned n;
	size_t len;
};

static void *take_then_cut(void *arg)
{
	struct taker *t = arg;

	for (unsigned i = 0; i < t->n; i++) {
		uint32_t flen;
		uint8_t *m = peer_read_frame(t->fd, &flen);

		T_ASSERT(m);
		T_EXPECT(flen >= t->len);
		free(m);
	}
	/* before any answer: the WRITEs are parked, the reviver runs */
	close(t->fd);
	return NULL;
}

/*
 * @n asynchronous WRITEs of @len bytes each on a connection after
 * SMB_RESEND_TRIES - 1 barren ones; the peer takes them whole, then the
 * connection is cut. Returns rc_barren after the reviver's reconnect.
 */
static unsigned cut_after_writes(unsigned n, size_t len)
{
	static struct peer_done done = PEER_DONE_INIT;
	uint8_t *payload = calloc(1, len);
	uint8_t body[4][SMB2_WRITE_REQ_FIXED + 8];
	struct smb2_write_req w = {.fid = {1, 2}};
	struct smbiov_iter src[4];
	struct iovec pv = {payload, len}, v[4];
	struct smbiov_client *c;
	struct smb_req r[4];
	char port[16];
	struct taker tk = {.n = n, .len = len};
	unsigned barren;
	pthread_t th;
	int peer;

	T_ASSERT(payload && n <= 4);
	done.n = 0;
	peer_refused_port(port);
	c = peer_client(&peer, 600000);
	peer_rc_on(c, port, 200);
	c->credits.avail = 128;
	c->rc_barren = SMB_RESEND_TRIES - 1;
	tk.fd = peer;
	T_ASSERT(pthread_create(&th, NULL, take_then_cut, &tk) == 0);
	for (unsigned i = 0; i < n; i++) {
		w.offset = i * len;
		smbiov_iter_kvec(&src[i], SMBIOV_ITER_SOURCE, &pv, 1, len);
		peer_write_req_init(&r[i], body[i], sizeof(body[i]), &w,
				    &src[i], &v[i]);
		r[i].done = peer_done_fn;
		r[i].priv = &done;
		T_ASSERT(smb_submit(c, &r[i]) == 0);
	}
	pthread_join(th, NULL);
	peer_wait_done(&done, n);
	for (unsigned i = 0; i < n; i++) {
		/* (the reconnect gave up: refused) */
		T_EXPECT_EQ(r[i].result, -ENOTCONN);
		smb_req_release(&r[i]);
	}
	barren = c->rc_barren;
	fprintf(stderr, "%u x %zu bytes, cut: rc_barren %u, resend %s\n", n,
		len, barren, smb_rc_may_resend(c, 1) ? "allowed" : "refused");
	T_EXPECT_EQ(smb_rc_may_resend(c, 1), barren < SMB_RESEND_TRIES);
	peer_client_stop(c);
	free(payload);
	return barren;
}

/* Megabytes taken, nothing answered: progress, resending goes on. */
static void test_megabytes_are_progress(void)
{
	T_EXPECT_EQ(cut_after_writes(2, MiB), 0);
}

/* A small request taken and the connection dead: the third barren one. */
static void test_small_request_is_not(void)
{
	T_EXPECT_EQ(cut_after_writes(1, 512), SMB_RESEND_TRIES);
}

/*
 * The peer of test_held_through_reconnect: the first FLUSH answered after
 * the generation moved on (a reconnect came, as far as the engine's
 * bookkeeping goes), the second taken and the connection cut.
 */
static struct smbiov_client *held_c;

static void *answer_then_cut(void *arg)
{
	int fd = *(int *)arg;
	static const uint8_t rsp[4] = {4}; /* FLUSH 2.2.18 */
	struct smb2_hdr q, h;
	uint32_t len;
	uint8_t *m = peer_read_frame(fd, &len);

	T_ASSERT(m && smb2_hdr_decode(m, len, &q) == 0);
	free(m);
	atomic_fetch_add(&held_c->rc_gen, 1);
	peer_rsp_hdr(&h, &q, STATUS_SUCCESS);
	peer_send(fd, &h, rsp, sizeof(rsp));
	m = peer_read_frame(fd, &len);
	T_ASSERT(m);
	free(m);
	close(fd);
	return NULL;
}

/*
 * A request that waited in take_credits() while a reconnect came and went
 * (there on rc_busy; here on credits, which the peer frees only after it
 * moved the generation on: ordered, no timing) is sent on the new
 * connection. When that one dies too, the call must ask for the next
 * reconnect at once. It used to ask with the generation it read before
 * waiting, which said "reconnected since": both FLUSHes were sent once
 * more on the dead connection first (2 replayed), a round wasted.
 */
static void test_held_through_reconnect(void)
{
	uint8_t body[2][SMB2_FLUSH_REQ_FIXED];
	struct smb2_fileid fid = {1, 2};
	struct smb_req r[2], *rp[2] = {&r[0], &r[1]};
	struct iovec v[2];
	char port[16];
	pthread_t th;
	int peer, ret;

	peer_refused_port(port);
	held_c = peer_client(&peer, 600000);
	peer_rc_on(held_c, port, 200);
	held_c->credits.avail = 1; /* the second waits for the first's */
	for (int i = 0; i < 2; i++) {
		T_ASSERT(smb2_flush_req_encode(body[i], sizeof(body[i]), &fid) >
			 0);
		v[i].iov_base = body[i];
		v[i].iov_len = sizeof(body[i]);
		peer_req_init(&r[i], SMB2_FLUSH, &v[i]);
	}
	T_ASSERT(pthread_create(&th, NULL, answer_then_cut, &peer) == 0);
	ret = smb_call_pipelined(held_c, rp, 2);
	pthread_join(th, NULL);
	fprintf(stderr, "pipelined: %d, first %d, second %d, replayed %llu\n",
		ret, r[0].result, r[1].result,
		(unsigned long long)held_c->st_replayed);
	T_EXPECT_EQ(r[0].result, 0);
	/* the reconnect came at once (refused): nothing sent again */
	T_EXPECT_EQ(held_c->st_replayed, 0);
	T_EXPECT_EQ(smbiov_conn_state(held_c), SMBIOV_CONN_FAILED);
	smb_req_release(&r[0]);
	smb_req_release(&r[1]);
	peer_client_stop(held_c);
}

int main(void)
{
	T_RUN(test_megabytes_are_progress);
	T_RUN(test_small_request_is_not);
	T_RUN(test_held_through_reconnect);
	return t_done();
}
