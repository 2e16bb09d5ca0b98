// SPDX-License-Identifier: MIT
/*
 * The receiving side of the engine (MS-SMB2 3.2.5.1): one thread per
 * connection reads frames, decrypts sealed ones into a library buffer,
 * receives the data of a plain READ response straight into the request's
 * iterator (DESIGN.md §3 READ, §6.4 receive plan), matches MessageIds,
 * verifies signatures and completes requests.
 */
#include "client/engine.h"
#include "client/reconnect.h"
#include "proto/rsp_table.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "crypto/aead.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct smb_req *node_req(struct smb_mid_node *n)
{
	return (struct smb_req *)((char *)n - offsetof(struct smb_req, e.node));
}

bool smb_req_finish_locked(struct smbiov_client *c, struct smb_req *r,
			   int result)
{
	/* The server did its part, but the local fd failed (fdio.c). */
	if (!result && (r->flags & SMB_REQ_FD) && r->fd_err)
		result = r->fd_err;
	/* caught by the connection's death: sent again (resend.c) */
	if (result < 0 && smb_rc_park_locked(c, r, result)) {
		r->e.receiving = false;
		return false;
	}
	if (!smb_rc_lost(result))
		c->rc_answered++;
	/* done() may free @r: the copy kept for a resend goes first */
	free(r->e.body_copy);
	r->e.body_copy = NULL;
	r->result = result;
	r->e.complete = true;
	r->e.receiving = false;
	smb_credits_done(&c->credits, r->e.charge);
	smb_activity_locked(c);
	/* in_flight changed: a credit waiter may now see -ENOBUFS. */
	pthread_cond_broadcast(&c->credit_cv);
	if (r->e.sync) {
		/* Compound members share one condvar: wake them all. */
		pthread_cond_broadcast(r->e.cv);
		return false;
	}
	return smb_req_done_due_locked(r);
}

bool smb_req_done_due_locked(struct smb_req *r)
{
	if (!r->done)
		return false;
	/*
	 * fuzz_engine finding 3: done() freed an aio operation's segment
	 * array while the reviver's resend of it was still advancing its
	 * iterator in the transport. The sender runs it (send.c).
	 */
	if (r->e.in_send) {
		r->e.done_owed = true;
		return false;
	}
	return true;
}

void smb_conn_kill(struct smbiov_client *c, int err)
{
	struct smb_mid_node *n, *keep = NULL, *run = NULL;

	pthread_mutex_lock(&c->lock);
	if (!c->dead) {
		c->dead = err ? err : -ECONNABORTED;
		/* Wake the receiver wherever it waits for the socket. */
		if (c->t)
			smb_transport_shutdown(c->t);
	}
	err = c->dead;
	while ((n = smb_mid_pop(&c->table))) {
		struct smb_req *r = node_req(n);

		/* The receiver is writing into its buffer: it finishes it. */
		if (r->e.receiving) {
			n->next = keep;
			keep = n;
			continue;
		}
		if (smb_req_finish_locked(c, r, err)) {
			n->next = run;
			run = n;
		}
	}
	while (keep) {
		n = keep;
		keep = n->next;
		smb_mid_insert(&c->table, n);
	}
	pthread_cond_broadcast(&c->credit_cv);
	pthread_mutex_unlock(&c->lock);
	smb_rc_revive(c);
	while (run) {
		struct smb_req *r = node_req(run);

		run = run->next;
		r->done(r);
	}
}

/*
 * The transport's socket wait timed out (nothing arrived for timeout_ms).
 * Between frames that is not an error by itself, the server may just be
 * slow: request deadlines are the watchdog's (conn.c) and smb_wait()'s
 * business. Inside a frame it is: a server silent for that long in the
 * middle of a message is gone, and the request being received (whose
 * waiter no longer watches the clock, smb_wait()) must not hang. Stop
 * too if the client is closing or the connection died meanwhile.
 */
static int rx_tick(struct smbiov_client *c)
{
	int ret = 0;

	if (c->rx_in_frame)
		return -ETIMEDOUT;
	pthread_mutex_lock(&c->lock);
	if (c->dead || c->closing)
		ret = c->dead ? c->dead : -ESHUTDOWN;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* Receive exactly count(@it) bytes; socket-wait timeouts just tick. */
static int rx_iter(struct smbiov_client *c, struct smbiov_iter *it)
{
	for (;;) {
		int ret = smb_transport_recv(c->t, it);

		if (ret != -ETIMEDOUT)
			return ret;
		ret = rx_tick(c);
		if (ret)
			return ret;
	}
}

static int rx_bytes(struct smbiov_client *c, void *buf, size_t len)
{
	struct iovec v = {.iov_base = buf, .iov_len = len};
	struct smbiov_iter it;

	if (!len)
		return 0;
	smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, &v, 1, len);
	return rx_iter(c, &it);
}

static int rx_discard(struct smbiov_client *c, size_t len)
{
	struct smbiov_iter it;

	if (!len)
		return 0;
	smbiov_iter_discard(&it, SMBIOV_ITER_DEST, len);
	return rx_iter(c, &it);
}

static bool rsp_needs_sig(const struct smbiov_client *c,
			  const struct smb_req *r)
{
	if (r->flags & SMB_REQ_NO_SIGN)
		return false;
	return c->have_signer &&
	       (c->signing || (r->flags & SMB_REQ_FORCE_SIGN));
}

static int status_result(uint32_t status)
{
	int err;

	if (status == STATUS_SUCCESS)
		return 0;
	err = ntstatus_to_errno(status);
	return err ? err : -EIO;
}

/*
 * A buffered READ response for an SMB_REQ_FD request (one that came
 * compounded): write its data out. Returns 0 or the fd's negative errno.
 */
static int rx_write_fd(struct smb_req *r, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = (r->flags & SMB_REQ_FD_POS)
				    ? write(r->fd, p, len)
				    : pwrite(r->fd, p, len, r->fd_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		if (!(r->flags & SMB_REQ_FD_POS))
			r->fd_off += n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Judge one final response element for @r and keep what the caller
 * needs: the checks of MS-SMB2 3.2.5.1.1 (sealed session: nothing
 * unsealed is accepted) and 3.2.5.1.3 (signature), then a copy of the
 * element, and for a READ the data copied into @r->dst (a buffered
 * response: sealed or compounded).
 */
static int rx_fill(struct smbiov_client *c, struct smb_req *r, const uint8_t *e,
		   size_t elen, const struct smb2_hdr *h, bool sealed)
{
	size_t keep = elen;
	int ret;

	if (!sealed && c->sealing)
		return -EPROTO;
	if (!sealed && rsp_needs_sig(c, r)) {
		if (!(h->flags & SMB2_FLAGS_SIGNED) ||
		    smb_signer_verify(&c->rx_signer, e, elen, NULL))
			return -EKEYREJECTED;
	}
	/*
	 * The reply must answer the command we sent, and a body that a
	 * decoder will read must be the one the per-command table allows for
	 * its status (DESIGN.md §6.13). An error status needs no body: only
	 * the status is used, so a peer's non-conforming ERROR body (impacket
	 * sends one for a missing share) does not hide what went wrong.
	 */
	if (h->command != r->command)
		return -EPROTO;
	if (smb2_rsp_body_kind(h->command, h->status) != SMB2_RSP_BODY_ERROR) {
		ret = smb2_rsp_check(e, elen);
		if (ret < 0)
			return ret == -EPROTO ? -EPROTO : -EBADMSG;
	}
	r->status = h->status;
	if ((r->flags & SMB_REQ_FD) && r->command == SMB2_READ &&
	    h->status == STATUS_SUCCESS) {
		struct smb2_read_plan plan;

		ret = smb2_read_rsp_plan(e, elen, elen, r->read_len, &plan);
		if (ret)
			return ret;
		r->fd_err = rx_write_fd(r, e + plan.data_offset, plan.data_len);
		smb_stat_copied(c, plan.data_len);
		atomic_fetch_add(&c->st_payload_received, plan.data_len);
		if (!r->fd_err)
			r->data_len = plan.data_len;
		keep = SMB2_READ_RSP_HDR_LEN + plan.pad;
	} else if (r->dst && r->command == SMB2_READ &&
		   h->status == STATUS_SUCCESS) {
		struct smb2_read_plan plan;

		ret = smb2_read_rsp_plan(e, elen, elen, r->read_len, &plan);

		if (ret)
			return ret;
		if (plan.data_len &&
		    smbiov_copy_to_iter(e + plan.data_offset, plan.data_len,
					r->dst) != plan.data_len)
			return -EFAULT;
		smb_stat_copied(c, plan.data_len);
		atomic_fetch_add(&c->st_payload_received, plan.data_len);
		r->data_len = plan.data_len;
		keep = SMB2_READ_RSP_HDR_LEN + plan.pad;
	}
	r->rsp = malloc(keep);
	if (!r->rsp)
		return -ENOMEM;
	memcpy(r->rsp, e, keep);
	r->rsp_len = keep;
	return status_result(h->status);
}

/*
 * The first response to a request: how long it took since the request took
 * its MessageId. The least of these is the link's round trip plus the
 * server's quickest answer (smbiov_conn_info.rtt_us); an interim
 * response's final answer is the server's time, not the link's.
 */
static void rtt_sample(struct smbiov_client *c, const struct smb_req *r)
{
	uint64_t dt = smb_now_ns() - r->e.sent_ns;
	uint64_t min = atomic_load(&c->st_rtt_min_ns);

	if (!dt)
		dt = 1; /* 0 stands for "none yet" */
	while ((!min || dt < min) &&
	       !atomic_compare_exchange_weak(&c->st_rtt_min_ns, &min, dt))
		;
}

/* One element of a buffered message (plain, decrypted, compounded). */
static int rx_element(struct smbiov_client *c, const uint8_t *e, size_t elen,
		      bool sealed)
{
	struct smb_mid_node *n;
	struct smb2_hdr h;
	struct smb_req *r;
	int ret, res;

	ret = smb2_hdr_decode(e, elen, &h);
	if (ret)
		return ret;
	if (!(h.flags & SMB2_FLAGS_SERVER_TO_REDIR))
		return -EBADMSG;
	if (h.message_id == SMB2_UNSOLICITED_MESSAGE_ID) {
		/*
		 * MS-SMB2 3.2.5.19: oplock/lease break notifications are
		 * not signed (3.2.5.1.3). Anything else with this id is
		 * ignored.
		 */
		if (h.command == SMB2_OPLOCK_BREAK && c->on_break)
			c->on_break(c, e, elen, c->on_break_arg);
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	/* Interim responses grant credits too (3.2.5.1.4). */
	smb_credits_grant(&c->credits, h.credits);
	pthread_cond_broadcast(&c->credit_cv);
	n = smb_mid_lookup(&c->table, h.message_id);
	if (!n || node_req(n)->e.receiving) {
		/* Not ours (anymore): drop it, the stream is still sound. */
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	r = node_req(n);
	if (!r->e.interim)
		rtt_sample(c, r);
	if (h.status == STATUS_PENDING &&
	    (h.flags & SMB2_FLAGS_ASYNC_COMMAND)) {
		/* 3.2.5.1.5: keep waiting, now under an AsyncId. */
		int t = r->timeout_ms ? r->timeout_ms : c->timeout_ms;

		r->e.interim = true;
		r->e.async_id = h.async_id;
		if (t > 0)
			smb_deadline(&r->e.deadline, t);
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	smb_mid_remove(&c->table, n);
	/* Out of the table: keep a timed-out waiter from racing us. */
	r->e.receiving = true;
	pthread_mutex_unlock(&c->lock);

	res = rx_fill(c, r, e, elen, &h, sealed);

	pthread_mutex_lock(&c->lock);
	ret = smb_req_finish_locked(c, r, res);
	pthread_mutex_unlock(&c->lock);
	if (ret)
		r->done(r);
	return 0;
}

static int rx_message(struct smbiov_client *c, const uint8_t *msg, size_t len,
		      bool sealed)
{
	struct smb2_compound_iter it;
	size_t off, elen;
	int ret;

	smb2_compound_iter_init(&it, msg, len, 0);
	while ((ret = smb2_compound_next(&it, &off, &elen)) == 1) {
		ret = rx_element(c, msg + off, elen, sealed);
		if (ret)
			return ret;
	}
	return ret;
}

/* Receive the rest of a frame whose first @have bytes are in @hb. */
static int rx_buffered(struct smbiov_client *c, const uint8_t *hb, size_t have,
		       uint32_t len)
{
	uint8_t *buf = malloc(len);
	int ret;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, hb, have);
	ret = rx_bytes(c, buf + have, len - have);
	if (!ret)
		ret = rx_message(c, buf, len, false);
	free(buf);
	return ret;
}

static void read_done(struct smbiov_client *c, struct smb_req *r,
		      const struct smb2_hdr *h, uint8_t *rsp, size_t rsp_len,
		      int res);

/*
 * A TRANSFORM_HEADER frame with a CCM cipher (MS-SMB2 3.2.5.1.1.1):
 * buffer, decrypt, then process.
 */
static int rx_sealed_ccm(struct smbiov_client *c, const uint8_t *hb,
			 size_t have, uint32_t len)
{
	uint8_t *buf;
	int ret;

	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hb, have);
	ret = rx_bytes(c, buf + have, len - have);
	if (!ret)
		ret = smb_seal_decrypt(
			&c->rx_sealer, buf, buf + SMB2_TRANSFORM_HEADER_SIZE,
			len - SMB2_TRANSFORM_HEADER_SIZE, NULL, NULL);
	if (!ret)
		ret = rx_message(c, buf + SMB2_TRANSFORM_HEADER_SIZE,
				 len - SMB2_TRANSFORM_HEADER_SIZE, true);
	free(buf);
	return ret;
}

/*
 * Ciphertext per receive-then-decrypt step of a sealed READ's data: small
 * enough to still be in cache when it is decrypted in place, large enough
 * to keep the number of receive calls low.
 */
#define RX_UNSEAL_STEP (256u * 1024)

/*
 * The rest of a sealed message whose first @have plaintext bytes are in
 * @first: receive it into one buffer, decrypting as it lands, check the
 * tag and process the message.
 */
static int rx_unseal_buffered(struct smbiov_client *c, struct smb_unseal *u,
			      const uint8_t *first, size_t have, size_t mlen)
{
	uint8_t *buf = malloc(mlen);
	int ret;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, first, have);
	ret = rx_bytes(c, buf + have, mlen - have);
	if (!ret)
		ret = smb_unseal_update(u, buf + have, mlen - have);
	if (!ret)
		ret = smb_unseal_final(u);
	if (!ret)
		ret = rx_message(c, buf, mlen, true);
	OPENSSL_cleanse(buf, mlen);
	free(buf);
	return ret;
}

/* Receive @len ciphertext bytes after the data and feed them. */
static int rx_unseal_discard(struct smbiov_client *c, struct smb_unseal *u,
			     size_t len)
{
	uint8_t scratch[512];
	int ret = 0;

	while (!ret && len) {
		size_t n = len < sizeof(scratch) ? len : sizeof(scratch);

		ret = rx_bytes(c, scratch, n);
		if (!ret)
			ret = smb_unseal_update(u, scratch, n);
		len -= n;
	}
	return ret;
}

/*
 * A sealed, uncompounded, successful READ response for a request with a
 * destination iterator, whose first SMB2_READ_RSP_HDR_LEN bytes are
 * decrypted in @first: the data's ciphertext is received straight into
 * the caller's memory and decrypted there in RX_UNSEAL_STEP pieces (no
 * buffer, no copy). Nothing is completed before the tag has been checked;
 * when it fails, or the stream breaks, the data written is zeroed and the
 * connection dies (the kill completes @r).
 */
static int rx_unseal_read(struct smbiov_client *c, struct smb_req *r,
			  struct smb_unseal *u, const uint8_t *first,
			  const struct smb2_hdr *h, size_t mlen)
{
	struct smb2_read_plan plan;
	struct smbiov_iter pos, piece;
	size_t rlen, done = 0;
	uint8_t *rsp = NULL;
	int ret;

	ret = smb2_read_rsp_plan(first, SMB2_READ_RSP_HDR_LEN, mlen,
				 r->read_len, &plan);
	if (!ret && plan.data_len > smbiov_iter_count(r->dst))
		ret = -EPROTO;
	if (ret) {
		/* Let the buffered path judge and fail the request. */
		pthread_mutex_lock(&c->lock);
		r->e.receiving = false;
		pthread_mutex_unlock(&c->lock);
		return rx_unseal_buffered(c, u, first, SMB2_READ_RSP_HDR_LEN,
					  mlen);
	}
	rlen = SMB2_READ_RSP_HDR_LEN + plan.pad;
	rsp = malloc(rlen);
	if (!rsp) {
		ret = -ENOMEM;
		goto fail;
	}
	memcpy(rsp, first, SMB2_READ_RSP_HDR_LEN);
	ret = rx_bytes(c, rsp + SMB2_READ_RSP_HDR_LEN, plan.pad);
	if (!ret)
		ret = smb_unseal_update(u, rsp + SMB2_READ_RSP_HDR_LEN,
					plan.pad);
	pos = *r->dst;
	while (!ret && done < plan.data_len) {
		size_t n = plan.data_len - done;

		if (n > RX_UNSEAL_STEP)
			n = RX_UNSEAL_STEP;
		piece = pos;
		smbiov_iter_truncate(&piece, n);
		ret = rx_iter(c, &piece);
		if (!ret) {
			done += n;
			ret = smb_unseal_update_iter(u, &pos, n);
		}
		if (!ret)
			smbiov_iter_advance(&pos, n);
	}
	if (!ret)
		ret = rx_unseal_discard(c, u, plan.tail);
	if (!ret)
		ret = smb_unseal_final(u);
	if (ret)
		goto fail;
	atomic_fetch_add(&c->st_payload_received, plan.data_len);
	smbiov_iter_advance(r->dst, plan.data_len);
	r->data_len = plan.data_len;
	read_done(c, r, h, rsp, rlen, 0);
	return 0;

fail:
	/* Unauthenticated plaintext never stays in the caller's memory. */
	smb_aead_zero_iter(r->dst, done);
	if (rsp)
		OPENSSL_cleanse(rsp, rlen);
	free(rsp);
	pthread_mutex_lock(&c->lock);
	r->e.receiving = false;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/*
 * A TRANSFORM_HEADER frame (MS-SMB2 3.2.5.1.1.1) whose first @have bytes
 * are in @hb. GCM is decrypted as it arrives: the first bytes of the
 * message tell whether it is a READ whose data can land in the caller's
 * memory (rx_unseal_read), else it is buffered.
 */
static int rx_sealed(struct smbiov_client *c, const uint8_t *hb, size_t have,
		     uint32_t len)
{
	uint8_t first[SMB2_READ_RSP_HDR_LEN];
	size_t mlen, got, n;
	struct smb_unseal u;
	struct smb_req *r = NULL;
	struct smb2_hdr h;
	int ret;

	if (!c->have_sealer || len <= SMB2_TRANSFORM_HEADER_SIZE ||
	    have < SMB2_TRANSFORM_HEADER_SIZE || have > len)
		return -EBADMSG;
	if (!smb2_cipher_is_gcm(c->rx_sealer.cipher))
		return rx_sealed_ccm(c, hb, have, len);
	mlen = len - SMB2_TRANSFORM_HEADER_SIZE;
	got = have - SMB2_TRANSFORM_HEADER_SIZE;
	if (mlen < SMB2_HDR_SIZE || got > sizeof(first))
		return -EBADMSG;
	ret = smb_unseal_begin(&u, &c->rx_sealer, hb, mlen);
	if (ret)
		return ret;
	n = mlen < sizeof(first) ? mlen : sizeof(first);
	memcpy(first, hb + SMB2_TRANSFORM_HEADER_SIZE, got);
	ret = rx_bytes(c, first + got, n - got);
	if (!ret)
		ret = smb_unseal_update(&u, first, n);
	if (ret)
		goto out;
	/* Unauthenticated until the tag: used only to route the data. */
	if (n == sizeof(first) && !smb2_hdr_decode(first, n, &h) &&
	    !h.next_command && h.command == SMB2_READ &&
	    h.status == STATUS_SUCCESS &&
	    (h.flags & SMB2_FLAGS_SERVER_TO_REDIR)) {
		struct smb_mid_node *node;

		pthread_mutex_lock(&c->lock);
		node = smb_mid_lookup(&c->table, h.message_id);
		if (node && !node_req(node)->e.receiving &&
		    node_req(node)->dst &&
		    node_req(node)->command == SMB2_READ) {
			r = node_req(node);
			r->e.receiving = true;
		}
		pthread_mutex_unlock(&c->lock);
	}
	if (r)
		ret = rx_unseal_read(c, r, &u, first, &h, mlen);
	else
		ret = rx_unseal_buffered(c, &u, first, n, mlen);
out:
	OPENSSL_cleanse(first, sizeof(first));
	return ret;
}

/* Finish a directly received READ and complete it. */
static void read_done(struct smbiov_client *c, struct smb_req *r,
		      const struct smb2_hdr *h, uint8_t *rsp, size_t rsp_len,
		      int res)
{
	bool run;

	pthread_mutex_lock(&c->lock);
	smb_credits_grant(&c->credits, h->credits);
	smb_mid_remove(&c->table, &r->e.node);
	r->status = h->status;
	r->rsp = rsp;
	r->rsp_len = rsp ? rsp_len : 0;
	run = smb_req_finish_locked(c, r, res);
	pthread_mutex_unlock(&c->lock);
	if (run)
		r->done(r);
}

/*
 * A plain, uncompounded, successful READ response for a request with a
 * destination iterator: execute smb2_read_rsp_plan() with the transport,
 * the data going straight from the socket into the caller's memory (zero
 * copies). The signature, when required, is checked over header and the
 * received data afterwards (DESIGN.md §3 Signing): a bad one fails the
 * request, whose buffer must then not be trusted.
 */
static int rx_read_direct(struct smbiov_client *c, struct smb_req *r,
			  uint8_t *hb, const struct smb2_hdr *h, uint32_t len)
{
	struct smb2_read_plan plan;
	struct smbiov_iter view;
	bool need_sig = rsp_needs_sig(c, r);
	bool to_fd = r->flags & SMB_REQ_FD;
	uint64_t rx0 = 0, moved = 0; /* bytes that reached r->fd */
	uint8_t *rsp;
	size_t rlen;
	int ret, res = 0;

	ret = rx_bytes(c, hb + SMB2_HDR_SIZE, SMB2_READ_RSP_FIXED);
	if (ret)
		goto fail_stream;
	ret = smb2_read_rsp_plan(hb, SMB2_READ_RSP_HDR_LEN, len, r->read_len,
				 &plan);
	if (!ret &&
	    plan.data_len > (to_fd ? r->read_len : smbiov_iter_count(r->dst)))
		ret = -EPROTO;
	if (ret) {
		/* Bad response, sound stream: drain it, fail the request. */
		int d = rx_discard(c, len - SMB2_READ_RSP_HDR_LEN);

		if (d) {
			ret = d;
			goto fail_stream;
		}
		read_done(c, r, h, NULL, 0, ret);
		return 0;
	}
	if (need_sig && (plan.tail || to_fd)) {
		/* The MAC needs the tail after the data: buffer it all. */
		pthread_mutex_lock(&c->lock);
		r->e.receiving = false;
		pthread_mutex_unlock(&c->lock);
		return rx_buffered(c, hb, SMB2_READ_RSP_HDR_LEN, len);
	}
	rlen = SMB2_READ_RSP_HDR_LEN + plan.pad;
	rsp = malloc(rlen);
	if (!rsp) {
		ret = -ENOMEM;
		goto fail_stream;
	}
	memcpy(rsp, hb, SMB2_READ_RSP_HDR_LEN);
	ret = rx_bytes(c, rsp + SMB2_READ_RSP_HDR_LEN, plan.pad);
	if (!ret && plan.data_len && to_fd) {
		/*
		 * Socket -> (pipe ->) fd, never through our memory. A socket
		 * wait that times out inside a frame is fatal (rx_tick), so
		 * the transport's -ETIMEDOUT needs no retry here.
		 */
		rx0 = c->t->bytes_received;
		ret = c->t->ops->recv_to_fd(
			c->t, r->fd,
			(r->flags & SMB_REQ_FD_POS) ? NULL : &r->fd_off,
			plan.data_len, &r->fd_err);
		/* on a socket error, what it consumed is in @fd (transport.h)
		 */
		moved = ret ? c->t->bytes_received - rx0 : plan.data_len;
	} else if (!ret && plan.data_len) {
		view = *r->dst;
		smbiov_iter_truncate(&view, plan.data_len);
		ret = rx_iter(c, &view);
	}
	if (!ret)
		ret = rx_discard(c, plan.tail);
	if (ret) {
		free(rsp);
		goto fail_stream;
	}
	atomic_fetch_add(&c->st_payload_received, plan.data_len);
	if (to_fd)
		atomic_fetch_add(&c->st_payload_spliced, plan.data_len);
	if (need_sig) {
		view = *r->dst;
		smbiov_iter_truncate(&view, plan.data_len);
		if (!(h->flags & SMB2_FLAGS_SIGNED) ||
		    smb_signer_verify(&c->rx_signer, rsp, rlen,
				      plan.data_len ? &view : NULL))
			res = -EKEYREJECTED;
	}
	if (to_fd) {
		res = r->fd_err;
		if (!res)
			r->data_len = plan.data_len;
	} else if (!res) {
		smbiov_iter_advance(r->dst, plan.data_len);
		r->data_len = plan.data_len;
	}
	read_done(c, r, h, rsp, rlen, res);
	return 0;

fail_stream:
	/* The stream is broken; let the kill complete this one too. */
	pthread_mutex_lock(&c->lock);
	/*
	 * A pipe cannot take back what reached it: that count goes with the
	 * failure, so this READ is not sent again whole (resend.c) and
	 * the caller asks for the rest only (io.c sub_result()).
	 */
	if ((r->flags & SMB_REQ_FD_POS) && !r->fd_err)
		r->data_len = (uint32_t)moved;
	/*
	 * What reached the fd went socket -> fd all the same: counted, so
	 * --stats' spliced bytes of a transfer that met resets are all of
	 * them (cli_reconnect's "get to /dev/null" came up short by the
	 * bytes of READs a reset cut in their data).
	 */
	if (moved) {
		atomic_fetch_add(&c->st_payload_received, moved);
		atomic_fetch_add(&c->st_payload_spliced, moved);
	}
	r->e.receiving = false;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/*
 * Claim the request a successful READ element answers for direct
 * landing: it must be pending, have a destination and not already be
 * being received. Returns it marked as being received, or NULL.
 *
 * @mid: the element is not its chain's last (a batch of READs, submit.c,
 * lands each one's data in place too). Then not when the answer must be
 * verified: rx_read_direct() would buffer a signed READ with bytes after
 * its data (the element's padding) as a message of its own, and an
 * element is not one; nor into an fd.
 */
static struct smb_req *rx_claim_read(struct smbiov_client *c,
				     const struct smb2_hdr *h, size_t elen,
				     bool mid)
{
	struct smb_mid_node *n;
	struct smb_req *r = NULL;

	if (h->command != SMB2_READ || h->status != STATUS_SUCCESS ||
	    c->sealing || !(h->flags & SMB2_FLAGS_SERVER_TO_REDIR) ||
	    elen < SMB2_READ_RSP_HDR_LEN)
		return NULL;
	pthread_mutex_lock(&c->lock);
	n = smb_mid_lookup(&c->table, h->message_id);
	if (n && !node_req(n)->e.receiving &&
	    (node_req(n)->dst || (node_req(n)->flags & SMB_REQ_FD)) &&
	    node_req(n)->command == SMB2_READ &&
	    !(mid && (rsp_needs_sig(c, node_req(n)) ||
		      (node_req(n)->flags & SMB_REQ_FD)))) {
		r = node_req(n);
		r->e.receiving = true;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/*
 * A plain frame whose first element has a NextCommand: a compound
 * response (MS-SMB2 3.2.5.1.9). It is received element by element, each
 * bounded by its NextCommand and what is left of the frame
 * (smb2_compound_step()), so that a READ in the last element (open+read:
 * CREATE + related READ) lands in the caller's memory like an
 * uncompounded one, as does an unsigned READ anywhere in a batch of them
 * (submit.c). Other earlier elements are buffered and dispatched one by
 * one exactly as rx_message() would; signing is per element (3.2.5.1.3),
 * so each is verified on its own. @hb holds the first element's header
 * (decoded into @first) and is reused for the following ones.
 */
static int rx_chain(struct smbiov_client *c, uint8_t *hb,
		    const struct smb2_hdr *first, uint32_t len)
{
	struct smb2_hdr h = *first;
	unsigned int count = 0;
	size_t off = 0, elen;
	struct smb_req *r;
	uint8_t *e;
	int ret;

	for (;;) {
		if (++count > SMB2_COMPOUND_MAX_ELEMS)
			return -E2BIG;
		ret = smb2_compound_step(hb, SMB2_HDR_SIZE, len - off, &elen);
		if (ret < 0)
			return ret;
		if (ret == 0)
			break;
		r = rx_claim_read(c, &h, elen, true);
		if (r) {
			ret = rx_read_direct(c, r, hb, &h, (uint32_t)elen);
		} else {
			e = malloc(elen);
			if (!e)
				return -ENOMEM;
			memcpy(e, hb, SMB2_HDR_SIZE);
			ret = rx_bytes(c, e + SMB2_HDR_SIZE,
				       elen - SMB2_HDR_SIZE);
			if (!ret)
				ret = rx_element(c, e, elen, false);
			free(e);
		}
		if (ret)
			return ret;
		off += elen;
		ret = rx_bytes(c, hb, SMB2_HDR_SIZE);
		if (!ret)
			ret = smb2_hdr_decode(hb, SMB2_HDR_SIZE, &h);
		if (ret)
			return ret;
	}
	/* The last element: the rest of the frame (elen == len - off). */
	r = rx_claim_read(c, &h, elen, false);
	if (r)
		return rx_read_direct(c, r, hb, &h, (uint32_t)elen);
	return rx_buffered(c, hb, SMB2_HDR_SIZE, (uint32_t)elen);
}

static int rx_frame(struct smbiov_client *c)
{
	uint8_t hb[SMB2_READ_RSP_HDR_LEN];
	struct smb2_hdr h;
	struct smb_req *r = NULL;
	uint32_t len, proto;
	int ret;

	c->rx_in_frame = false;
	ret = rx_bytes(c, hb, SMB2_NBSS_HDR_SIZE);
	if (ret)
		return ret;
	c->rx_in_frame = true;
	/* The length is bounded by what we negotiated (bug class 1). */
	ret = smb2_nbss_decode(hb, SMB2_NBSS_HDR_SIZE, c->max_frame, &len);
	if (ret)
		return ret;
	ret = rx_bytes(c, hb, SMB2_HDR_SIZE);
	if (ret)
		return ret;
	proto = smb2_proto_id(hb, SMB2_HDR_SIZE);
	if (proto == SMB2_TRANSFORM_PROTO_ID)
		return rx_sealed(c, hb, SMB2_HDR_SIZE, len);
	if (proto != SMB2_PROTO_ID)
		return -EBADMSG;
	ret = smb2_hdr_decode(hb, SMB2_HDR_SIZE, &h);
	if (ret)
		return ret;
	/* Sealing required: rx_message() rejects each unsealed element. */
	if (h.next_command && !c->sealing)
		return rx_chain(c, hb, &h, len);
	r = rx_claim_read(c, &h, len, false);
	if (r)
		return rx_read_direct(c, r, hb, &h, len);
	return rx_buffered(c, hb, SMB2_HDR_SIZE, len);
}

void *smb_recv_thread(void *arg)
{
	struct smbiov_client *c = arg;
	int ret;

	do {
		ret = rx_frame(c);
	} while (!ret);
	pthread_mutex_lock(&c->lock);
	if (c->closing && !c->dead)
		ret = -ESHUTDOWN;
	pthread_mutex_unlock(&c->lock);
	smb_conn_kill(c, ret);
	return NULL;
}
