// SPDX-License-Identifier: MIT
/*
 * smbiov_disconnect's goodbye against a scripted server on a socketpair:
 * TREE_DISCONNECT and then LOGOFF are both on the wire before either is
 * answered (one round trip, MS-SMB2 3.2.4.23 order), with the session's
 * and the tree's ids; without a tree only LOGOFF goes; a server that
 * never answers ends the goodbye at the request timeout instead of
 * stalling it (the second request fails with the killed connection).
 * Also smb_call_pipelined directly: three ECHOs out before the first
 * answer, each with its own result.
 */
#include "client/engine.h"
#include "proto/le.h"
#include "peer.h"
#include "t.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SEEN 4

enum answer {
	A_ALL,	 /* read every expected request, then answer each */
	A_NEVER, /* read them, never answer */
};

struct fake {
	int fd;
	pthread_t th;
	enum answer answer;
	int expect; /* requests to read before answering */
	int seen;
	struct smb2_hdr req[MAX_SEEN];
	bool all_before_answer; /* every request arrived before any answer */
};

/* Has the client sent more within @ms? (It must not wait for us.) */
static bool more_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

static void answer(int fd, const struct smb2_hdr *req)
{
	uint8_t m[4 + SMB2_HDR_SIZE + 4] = {0};
	struct smb2_hdr h;

	peer_rsp_hdr(&h, req, 0);
	smb2_hdr_encode(m + 4, &h);
	le16_put(m + 4 + SMB2_HDR_SIZE, 4); /* StructureSize of all three */
	T_ASSERT(smb2_nbss_encode(m, sizeof(m) - 4) == 0);
	peer_write_full(fd, m, sizeof(m));
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;

	f->all_before_answer = true;
	while (f->seen < f->expect) {
		uint32_t len;
		uint8_t *m;

		/*
		 * A client that waited for an answer before its next request
		 * would send nothing more: give it 2 s, then note it.
		 */
		if (f->seen && !more_within(f->fd, 2000)) {
			f->all_before_answer = false;
			break;
		}
		m = peer_read_frame(f->fd, &len);
		if (!m)
			break;
		T_ASSERT(len >= SMB2_HDR_SIZE);
		T_ASSERT(smb2_hdr_decode(m, len, &f->req[f->seen]) == 0);
		free(m);
		f->seen++;
	}
	if (f->answer == A_ALL)
		for (int i = 0; i < f->seen; i++)
			answer(f->fd, &f->req[i]);
	/* Until the client closes its end. */
	while (more_within(f->fd, 10000)) {
		uint8_t b[256];

		if (read(f->fd, b, sizeof(b)) <= 0)
			break;
	}
	return NULL;
}

static struct smbiov_client *start(struct fake *f, enum answer a, int expect,
				   int timeout_ms)
{
	struct smbiov_client *c;

	memset(f, 0, sizeof(*f));
	f->answer = a;
	f->expect = expect;
	c = peer_client(&f->fd, timeout_ms);
	/* What a session setup's responses would have granted by now. */
	pthread_mutex_lock(&c->lock);
	smb_credits_grant(&c->credits, 16);
	pthread_mutex_unlock(&c->lock);
	T_ASSERT(pthread_create(&f->th, NULL, fake_thread, f) == 0);
	return c;
}

static void finish(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->fd);
}

static void test_tree_then_logoff_pipelined(void)
{
	struct fake f;
	struct smbiov_client *c = start(&f, A_ALL, 2, 5000);

	smbiov_disconnect(c);
	finish(&f);
	T_EXPECT_EQ(f.seen, 2);
	T_EXPECT(f.all_before_answer);
	T_EXPECT_EQ(f.req[0].command, SMB2_TREE_DISCONNECT);
	T_EXPECT_EQ(f.req[0].tree_id, 7);
	T_EXPECT_EQ(f.req[0].session_id, 0x1234);
	T_EXPECT_EQ(f.req[1].command, SMB2_LOGOFF);
	T_EXPECT_EQ(f.req[1].session_id, 0x1234);
	T_EXPECT(f.req[1].message_id > f.req[0].message_id);
}

static void test_logoff_only_without_tree(void)
{
	struct fake f;
	struct smbiov_client *c = start(&f, A_ALL, 1, 5000);

	c->tree_id = 0;
	smbiov_disconnect(c);
	finish(&f);
	T_EXPECT_EQ(f.seen, 1);
	T_EXPECT_EQ(f.req[0].command, SMB2_LOGOFF);
}

/* A silent server: the goodbye ends at its timeout, both were sent. */
static void test_silent_server(void)
{
	struct fake f;
	struct smbiov_client *c = start(&f, A_NEVER, 2, 5000);

	smbiov_disconnect(c);
	finish(&f);
	T_EXPECT_EQ(f.seen, 2);
	T_EXPECT(f.all_before_answer);
}

static void test_pipelined_echoes(void)
{
	static const uint8_t body[4] = {SMB2_ECHO_SIZE, 0, 0, 0};
	struct iovec iov = {(void *)body, sizeof(body)};
	struct smb_req r[3], *reqs[3];
	struct fake f;
	struct smbiov_client *c = start(&f, A_ALL, 3, 5000);

	for (int i = 0; i < 3; i++) {
		smb_req_init(&r[i], SMB2_ECHO);
		r[i].flags = SMB_REQ_NO_TREE;
		r[i].body = &iov;
		r[i].nbody = 1;
		reqs[i] = &r[i];
	}
	T_EXPECT_EQ(smb_call_pipelined(c, reqs, 3), 0);
	for (int i = 0; i < 3; i++) {
		T_EXPECT_EQ(r[i].result, 0);
		smb_req_release(&r[i]);
	}
	T_EXPECT_EQ(smb_call_pipelined(c, reqs, 0), -EINVAL);
	peer_client_stop(c);
	finish(&f);
	T_EXPECT_EQ(f.seen, 3);
	T_EXPECT(f.all_before_answer);
}

int main(void)
{
	T_RUN(test_tree_then_logoff_pipelined);
	T_RUN(test_logoff_only_without_tree);
	T_RUN(test_silent_server);
	T_RUN(test_pipelined_echoes);
	return t_done();
}
