// SPDX-License-Identifier: MIT
/*
 * fuzz_engine's template replies (engine_replies.h): a well-formed answer
 * to each request the engine sends (NEGOTIATE as the input's
 * configuration asks, SESSION_SETUP: NTLMSSP CHALLENGE then success,
 * TREE_CONNECT, CREATE with the lease and DH2Q contexts asked for, READ
 * with the bytes asked for, WRITE, CLOSE, FLUSH, QUERY_INFO, ECHO, break
 * acknowledgements, LOGOFF, TREE_DISCONNECT; anything else
 * STATUS_NOT_SUPPORTED), which fuzz_engine.c's ops then change.
 */
#include "engine_replies.h"

#include "auth/spnego.h"
#include "client/reconnect.h"
#include "proto/create.h"
#include "proto/le.h"
#include "proto/negotiate.h"
#include "proto/ntstatus.h"
#include "proto/oplock.h"
#include "proto/rw.h"
#include "proto/session.h"
#include "proto/tree.h"
#include "peer.h"

#include <smbiov/smbiov.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* MS-NLMP 4.2.4's example CHALLENGE_MESSAGE (0x68 bytes) */
static const uint8_t challenge[] = {
	0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x0c, 0x00, 0x0c, 0x00, 0x38, 0x00, 0x00, 0x00, 0x33, 0x82, 0x8a, 0xe2,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x24, 0x00, 0x44, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x70, 0x17, 0x00, 0x00, 0x00, 0x0f, 0x53, 0x00, 0x65, 0x00,
	0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00, 0x02, 0x00, 0x0c, 0x00,
	0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00, 0x6e, 0x00,
	0x01, 0x00, 0x0c, 0x00, 0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00,
	0x65, 0x00, 0x72, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static uint16_t cfg_dialect(void)
{
	static const uint16_t d[8] = {
		SMB2_DIALECT_311, SMB2_DIALECT_302, SMB2_DIALECT_300,
		SMB2_DIALECT_210, SMB2_DIALECT_202, SMB2_DIALECT_311,
		SMB2_DIALECT_311, SMB2_DIALECT_311,
	};

	return d[fz.cfg[0] & 7];
}

/* Room for @len bytes of message (the contents kept). */
void reply_size(struct reply *r, size_t len)
{
	if (len + 8 > r->cap) {
		r->m = realloc(r->m, len + 8);
		T_ASSERT(r->m);
		memset(r->m + r->cap, 0, len + 8 - r->cap);
		r->cap = len + 8;
	}
	r->len = len;
}

/* A header from @h and a zeroed body of @blen bytes. */
static uint8_t *reply_body(struct reply *r, const struct smb2_hdr *h,
			   size_t blen)
{
	reply_size(r, SMB2_HDR_SIZE + blen);
	memset(r->m, 0, r->len);
	smb2_hdr_encode(r->m, h);
	return r->m + SMB2_HDR_SIZE;
}

/* MS-SMB2 2.2.2: StructureSize 9, no error data. */
static void reply_error(struct reply *r, struct smb2_hdr *h, uint32_t status)
{
	h->status = status;
	reply_body(r, h, 9)[0] = 9;
}

static void rsp_negotiate(struct reply *r, const struct smb2_hdr *h)
{
	static const uint8_t salt[SMB2_PREAUTH_SALT_SIZE] = {1, 2, 3, 4};
	struct smb2_negotiate_rsp n;
	uint32_t size = fz.cfg[1] & C1_BIG ? 1u << 20 : SMB2_MIN_MAX_SIZE;
	ssize_t len;

	memset(&n, 0, sizeof(n));
	n.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED;
	n.dialect = cfg_dialect();
	memset(n.server_guid, 0x5e, sizeof(n.server_guid));
	if (!(fz.cfg[1] & C1_NO_MTU))
		n.capabilities |= SMB2_GLOBAL_CAP_LARGE_MTU;
	if (!(fz.cfg[1] & C1_NO_LEASE))
		n.capabilities |= SMB2_GLOBAL_CAP_LEASING;
	n.max_transact_size = n.max_read_size = n.max_write_size = size;
	n.system_time = FILETIME;
	if (n.dialect == SMB2_DIALECT_311) {
		n.has_preauth = true;
		n.preauth_hash_count = 1;
		n.preauth_hash = SMB2_PREAUTH_INTEGRITY_SHA512;
		n.preauth_salt = salt;
		n.preauth_salt_len = sizeof(salt);
		n.has_signing = true;
		n.signing_count = 1;
		n.signing_alg = SMB2_SIGNING_AES_CMAC;
		n.context_count = 2;
	}
	reply_size(r, 1024);
	len = smb2_negotiate_rsp_encode(r->m, r->cap, h, &n);
	T_ASSERT(len > 0);
	r->len = (size_t)len;
}

/* The first round answers with the CHALLENGE, the second with success. */
static void rsp_session(struct peer *p, struct reply *r, struct smb2_hdr *h)
{
	struct smb2_session_setup_rsp s;
	struct spnego_resp sr;
	uint8_t blob[256];
	size_t blen;
	ssize_t len;

	memset(&s, 0, sizeof(s));
	h->session_id = SESSION_ID;
	if (p->ss_round++ % 2 == 0) {
		h->status = STATUS_MORE_PROCESSING_REQUIRED;
		s.sec_buf = challenge;
		s.sec_len = sizeof(challenge);
		if (!(fz.cfg[0] & C0_RAW_NTLM)) {
			memset(&sr, 0, sizeof(sr));
			sr.has_neg_state = true;
			sr.neg_state = SPNEGO_ACCEPT_INCOMPLETE;
			sr.supported_mech = spnego_oid_ntlmssp;
			sr.supported_mech_len = sizeof(spnego_oid_ntlmssp);
			sr.response_token = challenge;
			sr.response_token_len = sizeof(challenge);
			T_ASSERT(spnego_encode_resp(&sr, blob, sizeof(blob),
						    &blen) == 0);
			s.sec_buf = blob;
			s.sec_len = (uint16_t)blen;
		}
	} else if (!(fz.cfg[0] & C0_AUTH)) {
		s.session_flags = SMB2_SESSION_FLAG_IS_GUEST;
	}
	reply_size(r, 1024);
	len = smb2_session_setup_rsp_encode(r->m, r->cap, h, &s);
	T_ASSERT(len > 0);
	r->len = (size_t)len;
}

static void rsp_tree(struct reply *r, struct smb2_hdr *h)
{
	struct smb2_tree_connect_rsp t = {
		.share_type = SMB2_SHARE_TYPE_DISK,
		.maximal_access = 0x001f01ffu,
	};
	ssize_t len;

	h->tree_id = TREE_ID;
	reply_size(r, 256);
	len = smb2_tree_connect_rsp_encode(r->m, r->cap, h, &t);
	T_ASSERT(len > 0);
	r->len = (size_t)len;
}

/*
 * The contexts a CREATE asked for, granted as asked: a lease (its state,
 * epoch 1) where the server has leases, DH2Q. Returns the oplock level.
 */
static uint8_t grant_contexts(const uint8_t *e, size_t elen,
			      struct smb2_cc_builder *b)
{
	const uint8_t *q = e + SMB2_HDR_SIZE;
	uint32_t off = le32_get(q + 48), len = le32_get(q + 52);
	static const uint8_t dh2q[SMB2_DH2Q_RSP_SIZE] = {0x60, 0xea};
	uint8_t level = q[3];
	struct smb2_cc_iter it;
	struct smb2_lease l;
	struct smb2_cc cc;

	if (!len || off > elen || len > elen - off)
		return level;
	smb2_cc_iter_init(&it, e + off, len);
	while (smb2_cc_next(&it, &cc) == 1) {
		if (cc.name_len != 4)
			continue;
		if (!memcmp(cc.name, SMB2_CC_LEASE, 4) &&
		    !(fz.cfg[1] & C1_NO_LEASE) &&
		    !smb2_cc_lease_decode(&cc, &l)) {
			l.flags = 0;
			l.epoch = 1;
			if (!smb2_cc_add_lease(b, &l))
				level = SMB2_OPLOCK_LEVEL_LEASE;
			pthread_mutex_lock(&fz.lock);
			memcpy(fz.lease_key, l.key, sizeof(l.key));
			pthread_mutex_unlock(&fz.lock);
		} else if (!memcmp(cc.name, SMB2_CC_DH2Q, 4)) {
			smb2_cc_add(b, SMB2_CC_DH2Q, 4, dh2q, sizeof(dh2q));
		}
	}
	return level;
}

/* MS-SMB2 2.2.14: the fixed part, then the contexts at 8-aligned 152. */
static void rsp_create(struct reply *r, struct smb2_hdr *h, const uint8_t *e,
		       size_t elen)
{
	uint8_t ctx[256], *b;
	struct smb2_cc_builder cb;
	struct smb2_fileid fid;
	uint8_t level;

	if (elen < SMB2_HDR_SIZE + SMB2_CREATE_REQ_FIXED) {
		reply_error(r, h, STATUS_INVALID_PARAMETER);
		return;
	}
	smb2_cc_builder_init(&cb, ctx, sizeof(ctx));
	level = grant_contexts(e, elen, &cb);
	pthread_mutex_lock(&fz.lock);
	fid.persistent = ++fz.next_fid;
	fid.volatile_id = fid.persistent ^ 0xabcdefull;
	fz.last_fid = fid;
	pthread_mutex_unlock(&fz.lock);
	b = reply_body(r, h, SMB2_CREATE_RSP_FIXED + cb.len);
	b[0] = SMB2_CREATE_RSP_SIZE;
	b[2] = level;
	le32_put(b + 4, 1); /* FILE_OPENED */
	for (int i = 0; i < 4; i++)
		le64_put(b + 8 + 8 * i, FILETIME);
	le64_put(b + 40, FILE_SIZE); /* AllocationSize */
	le64_put(b + 48, FILE_SIZE); /* EndofFile */
	le32_put(b + 56, 0x20);	     /* ARCHIVE */
	smb2_fileid_put(b + 64, &fid);
	if (cb.len) {
		le32_put(b + 80, SMB2_HDR_SIZE + SMB2_CREATE_RSP_FIXED);
		le32_put(b + 84, (uint32_t)cb.len);
		memcpy(b + SMB2_CREATE_RSP_FIXED, ctx, cb.len);
	}
}

static uint8_t data_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

/* DataOffset 80, DataLength @n, the file's bytes from @off. */
void read_data(struct reply *r, const struct smb2_hdr *h, uint64_t off,
	       uint32_t n)
{
	uint8_t *b = reply_body(r, h, SMB2_READ_RSP_FIXED + n);

	b[0] = SMB2_READ_RSP_SIZE;
	b[2] = SMB2_READ_RSP_HDR_LEN;
	le32_put(b + 4, n);
	for (uint32_t i = 0; i < n; i++)
		b[SMB2_READ_RSP_FIXED + i] = data_byte(off + i);
}

static void rsp_read(struct reply *r, struct smb2_hdr *h, const uint8_t *e,
		     size_t elen)
{
	const uint8_t *q = e + SMB2_HDR_SIZE;
	uint32_t n;

	if (elen < SMB2_HDR_SIZE + SMB2_READ_REQ_FIXED) {
		reply_error(r, h, STATUS_INVALID_PARAMETER);
		return;
	}
	n = le32_get(q + 4);
	read_data(r, h, le64_get(q + 8), n > (8u << 20) ? 8u << 20 : n);
}

/* MS-SMB2 2.2.38: the info asked for, as zeros (at most 104 bytes). */
static void rsp_query_info(struct reply *r, const struct smb2_hdr *h,
			   const uint8_t *e, size_t elen)
{
	uint32_t n = 0;
	uint8_t *b;

	if (elen >= SMB2_HDR_SIZE + 8)
		n = le32_get(e + SMB2_HDR_SIZE + 4);
	n = n > 104 ? 104 : n;
	b = reply_body(r, h, 8 + n);
	b[0] = 9;
	le16_put(b + 2, SMB2_HDR_SIZE + 8);
	le32_put(b + 4, n);
}

/* The template reply to the element @e (header @q) into @r. */
void build(struct peer *p, const struct smb2_hdr *q, const uint8_t *e,
	   size_t elen, struct reply *r)
{
	struct smb2_hdr h;
	uint8_t *b;

	peer_rsp_hdr(&h, q, STATUS_SUCCESS);
	h.flags |= q->flags & SMB2_FLAGS_RELATED_OPERATIONS;
	switch (q->command) {
	case SMB2_NEGOTIATE:
		rsp_negotiate(r, &h);
		break;
	case SMB2_SESSION_SETUP:
		rsp_session(p, r, &h);
		break;
	case SMB2_TREE_CONNECT:
		rsp_tree(r, &h);
		break;
	case SMB2_CREATE:
		rsp_create(r, &h, e, elen);
		break;
	case SMB2_CLOSE:
		reply_body(r, &h, SMB2_CLOSE_RSP_FIXED)[0] =
			SMB2_CLOSE_RSP_SIZE;
		break;
	case SMB2_READ:
		rsp_read(r, &h, e, elen);
		break;
	case SMB2_WRITE:
		b = reply_body(r, &h, SMB2_WRITE_RSP_FIXED);
		b[0] = SMB2_WRITE_RSP_SIZE;
		if (elen >= SMB2_HDR_SIZE + SMB2_WRITE_REQ_FIXED)
			le32_put(b + 4, le32_get(e + SMB2_HDR_SIZE + 4));
		break;
	case SMB2_QUERY_INFO:
		rsp_query_info(r, &h, e, elen);
		break;
	case SMB2_SET_INFO:
		reply_body(r, &h, 2)[0] = 2;
		break;
	case SMB2_OPLOCK_BREAK:
		/* both acknowledgements' replies repeat the request's body */
		b = reply_body(r, &h, elen - SMB2_HDR_SIZE);
		memcpy(b, e + SMB2_HDR_SIZE, elen - SMB2_HDR_SIZE);
		break;
	case SMB2_ECHO:
	case SMB2_FLUSH:
	case SMB2_LOGOFF:
	case SMB2_TREE_DISCONNECT:
		reply_body(r, &h, 4)[0] = 4;
		break;
	default:
		reply_error(r, &h, STATUS_NOT_SUPPORTED);
		break;
	}
}
