// SPDX-License-Identifier: MIT
/*
 * Small READs submitted while another thread is sending wait for that
 * thread, which sends them together as one compound of unrelated requests
 * (MS-SMB2 3.2.4.1.4) before it leaves smb_submit().
 *
 * Why: at 16 random 4 KiB O_DIRECT reads in flight through the mount,
 * Samba's main process was the bottleneck, and most of its cost is per
 * request: each READ is a socket wake-up, a hand-off to its aio thread
 * pool and a reply of its own. A compounded READ that is not the last of
 * its chain is read at once by smbd's main thread (no aio hand-off), and
 * the chain is one receive and (until the last element) one reply. Batching
 * only what arrives while a send is already under way adds no wait: a
 * lone request goes out at once, as before. Measured in bench/RESULTS.md
 * (rand16) and docs/design.md §3 "Batched READs".
 *
 * Only single-credit READs qualify (SMB_BATCH_READ_MAX): the data of every
 * element but a chain's last is copied out of the buffered response, and a
 * big READ gains nothing from sharing a message.
 */
#include "client/engine.h"

#include "proto/rw.h"
#include "proto/smb2.h"

bool smb_bq_eligible(const struct smbiov_client *c, const struct smb_req *r)
{
	return (r->flags & SMB_REQ_BATCH) && r->command == SMB2_READ &&
	       r->dst && !r->src && !(r->flags & SMB_REQ_FD) &&
	       r->read_len <= SMB_BATCH_READ_MAX &&
	       /* the receiver must never wait for credits or the socket */
	       !(c->rx_started && pthread_equal(pthread_self(), c->rx_thread));
}

bool smb_bq_join(struct smbiov_client *c, struct smb_req *r)
{
	bool queued;

	pthread_mutex_lock(&c->bq_lock);
	queued = c->bq_busy;
	if (queued) {
		r->e.bq_next = NULL;
		r->e.queued = true;
		*c->bq_tail = r;
		c->bq_tail = &r->e.bq_next;
	} else {
		c->bq_busy = true;
	}
	pthread_mutex_unlock(&c->bq_lock);
	return queued;
}

/* Bytes a READ's answer takes in a compound response (padded element). */
static size_t rsp_cost(const struct smb_req *r)
{
	return SMB2_READ_RSP_HDR_LEN + (size_t)r->read_len + 8;
}

size_t smb_bq_take(struct smbiov_client *c, struct smb_req **reqs, size_t max)
{
	/*
	 * The answer comes as one message too: keep it within what one READ
	 * may bring (rsize=, the server's MaxReadSize), as a lone READ's is.
	 */
	size_t room = c->max_read, n = 0;

	pthread_mutex_lock(&c->bq_lock);
	while (c->bq_head && n < max && (!n || rsp_cost(c->bq_head) <= room)) {
		struct smb_req *r = c->bq_head;

		room = rsp_cost(r) < room ? room - rsp_cost(r) : 0;
		c->bq_head = r->e.bq_next;
		r->e.bq_next = NULL;
		r->e.queued = false;
		reqs[n++] = r;
	}
	if (!c->bq_head)
		c->bq_tail = &c->bq_head;
	if (!n)
		c->bq_busy = false;
	pthread_mutex_unlock(&c->bq_lock);
	return n;
}

bool smb_bq_queued(struct smbiov_client *c, const struct smb_req *r)
{
	bool q;

	pthread_mutex_lock(&c->bq_lock);
	q = r->e.queued;
	pthread_mutex_unlock(&c->bq_lock);
	return q;
}
