// SPDX-License-Identifier: MIT
/*
 * A reconnect's waits end by its bound (reconnect.c smb_rc_cap_ms(),
 * issue 15): one try against a server that accepts TCP and never answers
 * NEGOTIATE used to wait its whole request timeout, so a reconnect bound
 * of 10 s with --timeout 30 took up to 40 s. Each wait of a try is now
 * the smaller of its own timeout and what is left of the bound. Chosen
 * numbers, no clock: every case says when now is and when the bound
 * ends.
 */
#include "client/reconnect.h"
#include "peer.h"
#include "proto/rw.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MS ((uint64_t)1000000) /* ns */
#define T0 ((uint64_t)1000 * 1000 * MS)

static void test_outside_a_reconnect(void)
{
	/* no bound: every wait as asked, unbounded ones too */
	T_EXPECT_EQ(smb_rc_cap_ms(30000, T0, 0), 30000);
	T_EXPECT_EQ(smb_rc_cap_ms(-1, T0, 0), -1);
	T_EXPECT_EQ(smb_rc_cap_ms(0, T0, 0), 0);
	/* and the thread's own (no reconnect on this thread) */
	T_EXPECT_EQ(smb_rc_timeout(30000), 30000);
	T_EXPECT_EQ(smb_rc_timeout(-1), -1);
}

static void test_capped_by_the_bound(void)
{
	uint64_t until = T0 + 10000 * MS; /* --reconnect 10 */

	/* the first try: the 30 s timeout is cut to the 10 s bound */
	T_EXPECT_EQ(smb_rc_cap_ms(30000, T0, until), 10000);
	/* 9.2 s in: 800 ms left for NEGOTIATE's wait */
	T_EXPECT_EQ(smb_rc_cap_ms(30000, T0 + 9200 * MS, until), 800);
	/* a shorter timeout stays itself */
	T_EXPECT_EQ(smb_rc_cap_ms(3000, T0, until), 3000);
	T_EXPECT_EQ(smb_rc_cap_ms(3000, T0 + 7000 * MS, until), 3000);
	T_EXPECT_EQ(smb_rc_cap_ms(3000, T0 + 7001 * MS, until), 2999);
	/* an unbounded wait gets what is left */
	T_EXPECT_EQ(smb_rc_cap_ms(-1, T0 + 4000 * MS, until), 6000);
	T_EXPECT_EQ(smb_rc_cap_ms(0, T0 + 4000 * MS, until), 6000);
}

static void test_rounding_and_the_end(void)
{
	uint64_t until = T0 + 10000 * MS;

	/* part of a ms left: rounded up, never 0 (0 means no timeout) */
	T_EXPECT_EQ(smb_rc_cap_ms(30000, until - 1, until), 1);
	T_EXPECT_EQ(smb_rc_cap_ms(30000, until - MS - 1, until), 2);
	/* at or past the end: 1 ms, the wait fails at once */
	T_EXPECT_EQ(smb_rc_cap_ms(30000, until, until), 1);
	T_EXPECT_EQ(smb_rc_cap_ms(-1, until + 5000 * MS, until), 1);
	/* a bound past INT_MAX ms does not wrap */
	T_EXPECT_EQ(smb_rc_cap_ms(-1, T0, T0 + (uint64_t)INT_MAX * 4 * MS),
		    INT_MAX);
}

static void test_frozen_server(void)
{
	struct smbiov_client *c;
	char port[16];
	int lfd = peer_frozen_listener(port), peer, ret;

	c = peer_client(&peer, 600000); /* 10 min per request */
	peer_rc_on(c, port, 200);
	/* the connection is lost; the reconnect dials the frozen server */
	smb_conn_kill(c, -ECONNRESET);
	ret = smb_reconnect(c, smb_rc_gen(c));
	T_EXPECT_EQ(ret, -ENOTCONN);
	T_EXPECT_EQ(smbiov_conn_state(c), SMBIOV_CONN_FAILED);
	/* NEGOTIATE's wait ended at the bound: a timeout */
	T_EXPECT_EQ(c->rc_err, -ETIMEDOUT);
	fprintf(stderr, "gave up: %s\n", c->rc_why);
	peer_client_stop(c);
	close(peer);
	close(lfd);
}

/* Connections the frozen server got (its accept queue), closed. */
static int accepted(int lfd)
{
	int n = 0, fd;

	T_ASSERT(fcntl(lfd, F_SETFL, O_NONBLOCK) == 0); /* no more to come */
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		close(fd);
		n++;
	}
	return n;
}

/*
 * A client on a scripted peer (*@peer) whose reconnect dials @port with
 * a 200 ms bound, and a READ of @len bytes into @buf set up in @r.
 */
static struct smbiov_client *read_client(const char *port, int *peer,
					 struct smb_req *r,
					 struct smbiov_iter *dst, uint8_t *buf,
					 size_t len)
{
	static const uint8_t body[SMB2_READ_REQ_FIXED + 1] = {49};
	static struct iovec v = {.iov_base = (void *)body,
				 .iov_len = sizeof(body)};
	struct smbiov_client *c = peer_client(peer, 600000);

	peer_rc_on(c, port, 200);
	c->credits.avail = 16;
	T_ASSERT(smbiov_iter_ubuf(dst, SMBIOV_ITER_DEST, buf, len) == 0);
	peer_req_init(r, SMB2_READ, &v);
	r->dst = dst;
	r->read_len = len;
	return c;
}

static struct peer_done parked = PEER_DONE_INIT;

/*
 * An asynchronous READ caught by the connection's death is parked; the
 * reviver's reconnect to the frozen server gives up at the bound, and
 * the READ fails then. It used to be parked again and the reviver tried
 * three more rounds (each a try up to the bound) after the bound had
 * passed: the frozen server saw 4 connections, now 1.
 */
static void test_frozen_server_parked(void)
{
	uint8_t buf[512];
	struct smbiov_client *c;
	struct smbiov_iter dst;
	struct smb_req r;
	char port[16];
	int lfd = peer_frozen_listener(port), peer;
	uint32_t len;
	uint8_t *m;

	c = read_client(port, &peer, &r, &dst, buf, sizeof(buf));
	r.done = peer_done_fn;
	r.priv = &parked;
	T_ASSERT(smb_submit(c, &r) == 0);
	/* the READ reached the server; then the connection is lost */
	m = peer_read_frame(peer, &len);
	T_ASSERT(m);
	free(m);
	close(peer);
	peer_wait_done(&parked, 1);
	T_EXPECT_EQ(r.result, -ENOTCONN);
	T_EXPECT_EQ(smbiov_conn_state(c), SMBIOV_CONN_FAILED);
	smb_req_release(&r);
	T_EXPECT_EQ(accepted(lfd), 1);
	peer_client_stop(c);
	close(lfd);
}

/* The server side of test_sync_gave_up: take one request, then drop. */
static void *drop_after_one(void *arg)
{
	int peer = *(int *)arg;
	uint32_t len;
	uint8_t *m = peer_read_frame(peer, &len);

	free(m);
	close(peer);
	return NULL;
}

/*
 * A synchronous call whose request was on the wire when the connection
 * died, and whose reconnect then gave up (connects refused): it fails as
 * a call made after the give-up does, with ENOTCONN and the reason the
 * reconnect gave up, not with the reset it met first (test_reconnect's
 * gone-and-back case saw either, depending on which came first).
 */
static void test_sync_gave_up(void)
{
	struct smbiov_error e;
	struct smbiov_client *c;
	struct smbiov_iter dst;
	uint8_t buf[512];
	struct smb_req r;
	char port[16];
	pthread_t th;
	int peer, ret;

	peer_refused_port(port);
	c = read_client(port, &peer, &r, &dst, buf, sizeof(buf));
	r.flags &= ~SMB_REQ_QUIET; /* its failure is worded, as a call's */
	T_ASSERT(pthread_create(&th, NULL, drop_after_one, &peer) == 0);
	ret = smb_call(c, &r);
	pthread_join(th, NULL);
	T_EXPECT_EQ(ret, -ENOTCONN);
	T_EXPECT_EQ(smbiov_conn_state(c), SMBIOV_CONN_FAILED);
	smbiov_last_error(&e);
	fprintf(stderr, "the call that met the reset: %s\n", e.message);
	T_EXPECT_EQ(e.err, -ENOTCONN);
	T_EXPECT(strstr(e.message, "READ: reconnecting failed") != NULL);
	T_EXPECT(strstr(e.message, "Connection refused") != NULL);
	smb_req_release(&r);
	peer_client_stop(c);
}

/*
 * The same for an asynchronous request whose own send meets the dead
 * connection (the peer stopped reading: EPIPE at once, while the
 * receiver still waits) and whose submitter's reconnect gives up: the
 * submit fails with ENOTCONN, as calls after the give-up do, not with
 * EPIPE (io.c words a READ's failure from it: "reconnecting failed").
 */
static void test_submit_gave_up(void)
{
	struct smbiov_client *c;
	struct smbiov_iter dst;
	uint8_t buf[512];
	struct smb_req r;
	char port[16];
	int peer;

	peer_refused_port(port);
	c = read_client(port, &peer, &r, &dst, buf, sizeof(buf));
	r.done = peer_done_fn;
	r.priv = &parked;
	T_ASSERT(shutdown(peer, SHUT_RD) == 0);
	T_EXPECT_EQ(smb_submit(c, &r), -ENOTCONN);
	T_EXPECT_EQ(smbiov_conn_state(c), SMBIOV_CONN_FAILED);
	smb_req_release(&r);
	peer_client_stop(c);
	close(peer);
}

/*
 * How a call's ENOTCONN is worded, from chosen states: after a give-up
 * it names the give-up's reason, also while a later call's one more try
 * runs (RECONNECTING); connected again, it is ENOTCONN's own words.
 * cli_reconnect once saw "Transport endpoint is not connected" for a get
 * whose reconnect had given up on a refused connect.
 */
static void test_wording_by_state(void)
{
	struct smbiov_client *c;
	int peer;

	c = peer_client(&peer, 600000);
	/* never failed: no reason to give */
	T_EXPECT(strstr(smb_conn_strerror(c, -ENOTCONN), "reconnecting") ==
		 NULL);
	pthread_mutex_lock(&c->lock);
	c->rc_err = -ECONNREFUSED;
	snprintf(c->rc_why, sizeof(c->rc_why), "connect to h port 1: x");
	pthread_mutex_unlock(&c->lock);
	atomic_store(&c->rc_state, SMBIOV_CONN_FAILED);
	T_EXPECT(strcmp(smb_conn_strerror(c, -ENOTCONN),
			"reconnecting failed: connect to h port 1: x") == 0);
	atomic_store(&c->rc_state, SMBIOV_CONN_RECONNECTING);
	T_EXPECT(strcmp(smb_conn_strerror(c, -ENOTCONN),
			"reconnecting failed: connect to h port 1: x") == 0);
	/* other errors keep their own words */
	T_EXPECT(strstr(smb_conn_strerror(c, -ECONNRESET), "reconnecting") ==
		 NULL);
	atomic_store(&c->rc_state, SMBIOV_CONN_CONNECTED);
	T_EXPECT(strstr(smb_conn_strerror(c, -ENOTCONN), "reconnecting") ==
		 NULL);
	peer_client_stop(c);
	close(peer);
}

struct held {
	struct smbiov_client *c;
	int ret;
};

static void *reconnect_thread(void *arg)
{
	struct held *h = arg;

	h->ret = smb_reconnect(h->c, smb_rc_gen(h->c));
	return NULL;
}

/*
 * A call made while a reconnect runs waits for it (rc_busy); when that
 * reconnect gives up, the call fails with ENOTCONN worded by the give-up
 * and finds the client FAILED at once: the reconnect says so before it
 * lets the held calls go, not after tearing the connection down. Whether
 * the call is already waiting when the give-up comes is up to the
 * scheduler: either way the same must hold.
 */
static void test_held_call_sees_give_up(void)
{
	struct smbiov_error e;
	struct smbiov_client *c;
	struct smbiov_iter dst;
	struct held h = {0};
	uint8_t buf[512];
	struct smb_req r;
	char port[16];
	pthread_t th;
	int lfd = peer_frozen_listener(port), peer, fd, ret;

	c = read_client(port, &peer, &r, &dst, buf, sizeof(buf));
	c->rc_ms = 1000; /* the frozen server: it gives up at 1 s */
	r.flags &= ~SMB_REQ_QUIET;
	smb_conn_kill(c, -ECONNRESET);
	h.c = c;
	T_ASSERT(pthread_create(&th, NULL, reconnect_thread, &h) == 0);
	/* the reconnect's connection: it is running now */
	fd = accept(lfd, NULL, NULL);
	T_ASSERT(fd >= 0);
	ret = smb_call(c, &r);
	smbiov_last_error(&e);
	T_EXPECT_EQ(smbiov_conn_state(c), SMBIOV_CONN_FAILED);
	pthread_join(th, NULL);
	T_EXPECT_EQ(h.ret, -ENOTCONN);
	T_EXPECT_EQ(ret, -ENOTCONN);
	fprintf(stderr, "the held call: %s\n", e.message);
	T_EXPECT(strstr(e.message, "READ: reconnecting failed") != NULL);
	smb_req_release(&r);
	peer_client_stop(c);
	close(fd);
	close(peer);
	close(lfd);
}

/*
 * A WRITE from a file descriptor sent after a reconnect gave up: the
 * client has no transport then (c->t NULL: the failed tries dropped it),
 * and planning the request read c->t->ops for the transport's fd
 * support: a SIGSEGV (cli_faults, "put to public, server killed: exit
 * 139", core: the reviver's resend in plan_elems()). It fails with
 * ENOTCONN now, and one sent while the client is connected still goes
 * out from the descriptor (the capability kept with the transport).
 */
static void test_fd_write_without_transport(void)
{
	static uint8_t data[64] = {1, 2, 3};
	struct smb2_write_req w = {.offset = 0};
	struct smbiov_client *c;
	uint8_t body[SMB2_WRITE_REQ_FIXED + 16];
	struct smbiov_iter len;
	struct iovec v;
	struct smb_req r, *rp;
	char port[16];
	int peer, fds[2];

	T_ASSERT(pipe(fds) == 0);
	T_ASSERT(write(fds[1], data, sizeof(data)) == (ssize_t)sizeof(data));
	peer_refused_port(port);
	c = peer_client(&peer, 600000);
	peer_rc_on(c, port, 200);
	c->credits.avail = 16;
	smb_conn_kill(c, -ECONNRESET);
	T_EXPECT_EQ(smb_reconnect(c, smb_rc_gen(c)), -ENOTCONN);
	T_EXPECT(c->t == NULL);
	/* (the iterator gives the WRITE its length; the bytes come from fds) */
	T_ASSERT(smbiov_iter_ubuf(&len, SMBIOV_ITER_SOURCE, data,
				  sizeof(data)) == 0);
	peer_write_req_init(&r, body, sizeof(body), &w, &len, &v);
	r.src = NULL;
	r.flags |= SMB_REQ_FD;
	r.fd = fds[0];
	r.fd_len = sizeof(data);
	/* as the reviver sends a parked request again (resend.c) */
	rp = &r;
	T_EXPECT_EQ(smb_send_reqs(c, &rp, 1, true), -ENOTCONN);
	T_EXPECT_EQ(smb_call(c, &r), -ENOTCONN);
	smb_req_release(&r);
	peer_client_stop(c);
	close(peer);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	T_RUN(test_outside_a_reconnect);
	T_RUN(test_capped_by_the_bound);
	T_RUN(test_rounding_and_the_end);
	T_RUN(test_frozen_server);
	T_RUN(test_frozen_server_parked);
	T_RUN(test_sync_gave_up);
	T_RUN(test_submit_gave_up);
	T_RUN(test_wording_by_state);
	T_RUN(test_held_call_sees_give_up);
	T_RUN(test_fd_write_without_transport);
	return t_done();
}
