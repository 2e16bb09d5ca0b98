// SPDX-License-Identifier: MIT
/*
 * A request of another thread held while a reconnect reopens its file
 * goes out with the new handle (reopen.c smb_rc_patch_fid()), also
 * the first reconnect's. test_silent_loss failed rarely under load
 * (fsync: EBADF, the data not on the server): the reviver's parked
 * WRITEs were released when the reconnect cleared rc_busy and sent
 * before it counted itself done (rc_gen still 0), and the patch skipped
 * every message while rc_gen was 0; the server answered the old FileId
 * STATUS_FILE_CLOSED.
 *
 * No timing: the test does what a reconnect does at that point (the
 * requests held by rc_busy, the file reopened, rc_busy cleared, rc_gen
 * still 0) and the peer reads the FileIds sent; where the held thread
 * is when rc_busy clears does not change what it must send.
 */
#include "client/file.h"
#include "client/reconnect.h"
#include "peer.h"
#include "proto/create.h"
#include "proto/le.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct smb2_fileid old_fid = {0x11, 0x22};
static const struct smb2_fileid new_fid = {0x11, 0x33};
static const struct smb2_fileid gone_fid = {0x44, 0x55};

#define PAYLOAD 512

/* The peer: each request's FileId recorded, then answered (success). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct smb2_fileid seen[8];
static unsigned nr_seen;

static void *peer_main(void *arg)
{
	int fd = *(int *)arg;
	uint32_t len;
	uint8_t *m;

	while ((m = peer_read_frame(fd, &len))) {
		uint8_t rsp[17] = {0}; /* WRITE 2.2.22, FLUSH 2.2.18 */
		struct smb2_hdr q, h;
		bool wr;
		size_t fo;

		T_ASSERT(smb2_hdr_decode(m, len, &q) == 0);
		wr = q.command == SMB2_WRITE;
		fo = SMB2_HDR_SIZE + (wr ? 16 : 8);
		T_ASSERT(len >= fo + 16);
		pthread_mutex_lock(&mu);
		T_ASSERT(nr_seen < 8);
		seen[nr_seen].persistent = le64_get(m + fo);
		seen[nr_seen].volatile_id = le64_get(m + fo + 8);
		nr_seen++;
		pthread_mutex_unlock(&mu);
		free(m);
		peer_rsp_hdr(&h, &q, STATUS_SUCCESS);
		rsp[0] = wr ? 17 : 4;
		if (wr)
			le32_put(rsp + 4, PAYLOAD); /* Count */
		peer_send(fd, &h, rsp, rsp[0]);
	}
	return NULL;
}

/* A FLUSH of @fid, synchronous, on its own thread (held by rc_busy). */
struct flush_call {
	struct smbiov_client *c;
	struct smb2_fileid fid;
	int ret;
};

static void *flush_main(void *arg)
{
	struct flush_call *fc = arg;
	uint8_t body[SMB2_FLUSH_REQ_FIXED];
	struct iovec v = {body, sizeof(body)};
	struct smb_req r;

	T_ASSERT(smb2_flush_req_encode(body, sizeof(body), &fc->fid) > 0);
	peer_req_init(&r, SMB2_FLUSH, &v);
	fc->ret = smb_call(fc->c, &r);
	smb_req_release(&r);
	return NULL;
}

static bool same(const struct smb2_fileid *a, const struct smb2_fileid *b)
{
	return a->persistent == b->persistent &&
	       a->volatile_id == b->volatile_id;
}

static void test_first_reconnect_held_requests(void)
{
	static uint8_t payload[PAYLOAD];
	struct smbiov_file f = {.fid = old_fid}, lost = {.fid = gone_fid};
	struct flush_call fc = {.fid = old_fid, .ret = 1};
	struct peer_done wdone = PEER_DONE_INIT;
	uint8_t wbody[SMB2_WRITE_REQ_FIXED + 8];
	struct smb2_write_req w = {.fid = old_fid};
	struct smbiov_iter src;
	struct iovec pv = {payload, sizeof(payload)}, wv;
	struct smbiov_client *c;
	struct smb_req wr;
	pthread_t peer_th, flush_th;
	int peer;

	c = peer_client(&peer, 5000);
	c->rc_ms = 5000; /* reconnect on: WRITEs keep their body */
	c->credits.avail = 64;
	f.c = lost.c = c;
	smb_rc_file_add(c, &f);
	smb_rc_file_add(c, &lost);
	T_ASSERT(pthread_create(&peer_th, NULL, peer_main, &peer) == 0);

	/* a reconnect is on: other threads' requests wait (take_credits) */
	pthread_mutex_lock(&c->lock);
	c->rc_busy = true;
	pthread_mutex_unlock(&c->lock);
	fc.c = c;
	T_ASSERT(pthread_create(&flush_th, NULL, flush_main, &fc) == 0);

	/* the reopens: one file back with a new handle, one lost */
	pthread_mutex_lock(&c->lock);
	smb_rc_file_reopened_locked(c, &f, &new_fid);
	smb_rc_file_reopened_locked(c, &lost, NULL);
	T_EXPECT(same(&f.fid, &new_fid));
	T_EXPECT(lost.stale);
	/* done: the requests go, before the reconnect counted itself */
	c->rc_busy = false;
	pthread_cond_broadcast(&c->credit_cv);
	pthread_mutex_unlock(&c->lock);
	T_EXPECT_EQ(smb_rc_gen(c), 0);

	pthread_join(flush_th, NULL);
	T_EXPECT_EQ(fc.ret, 0);
	/* an asynchronous WRITE built with the old handle (the reviver's) */
	smbiov_iter_kvec(&src, SMBIOV_ITER_SOURCE, &pv, 1, sizeof(payload));
	peer_write_req_init(&wr, wbody, sizeof(wbody), &w, &src, &wv);
	wr.done = peer_done_fn;
	wr.priv = &wdone;
	T_EXPECT_EQ(smb_submit(c, &wr), 0);
	peer_wait_done(&wdone, 1);
	T_EXPECT_EQ(wr.result, 0);
	smb_req_release(&wr);
	/* a request naming the lost file is not sent: ESTALE */
	fc.fid = gone_fid;
	fc.ret = 1;
	flush_main(&fc);
	T_EXPECT_EQ(fc.ret, -ESTALE);

	/* the server saw the new handle only */
	pthread_mutex_lock(&mu);
	T_EXPECT_EQ(nr_seen, 2);
	for (unsigned i = 0; i < nr_seen; i++)
		T_EXPECT(same(&seen[i], &new_fid));
	pthread_mutex_unlock(&mu);
	T_EXPECT_EQ(c->dead, 0);
	smb_rc_file_del(c, &f);
	smb_rc_file_del(c, &lost);
	c->rc_ms = 0;
	peer_client_stop(c);
	pthread_join(peer_th, NULL);
	close(peer);
}

int main(void)
{
	T_RUN(test_first_reconnect_held_requests);
	return t_done();
}
