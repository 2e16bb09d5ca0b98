// SPDX-License-Identifier: MIT
/*
 * SMB2 CREATE request/response and create contexts (MS-SMB2 2.2.13,
 * 2.2.13.2, 2.2.14, 2.2.14.2). Names and contexts are metadata and are
 * copied into the request body; responses are decoded in place.
 */
#include <errno.h>
#include <string.h>

#include "proto/create.h"
#include "proto/span.h"

static size_t align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

ssize_t smb2_create_req_encode(uint8_t *buf, size_t cap,
			       const struct smb2_create_req *req)
{
	size_t name_end, ctx_off = 0, total;

	if (!buf || !req)
		return -EINVAL;
	if ((req->name_len && !req->name) ||
	    (req->contexts_len && !req->contexts))
		return -EINVAL;
	/* NameLength is 16 bits and counts UTF-16 code units * 2. */
	if (req->name_len > 0xFFFE || (req->name_len & 1))
		return -EINVAL;
	if (req->contexts_len > UINT32_MAX)
		return -EINVAL;

	/* StructureSize 57 counts one Buffer byte even for an empty name. */
	name_end = SMB2_CREATE_REQ_FIXED + (req->name_len ? req->name_len : 1);
	total = name_end;
	if (req->contexts_len) {
		/* Offsets are from the header start; 64 keeps 8-alignment. */
		ctx_off = align8(name_end);
		total = ctx_off + req->contexts_len;
	}
	if (total > cap)
		return -ENOSPC;
	if (SMB2_HDR_SIZE + total > UINT32_MAX)
		return -EINVAL;

	memset(buf, 0, ctx_off ? ctx_off : name_end);
	le16_put(buf + 0, SMB2_CREATE_REQ_SIZE);
	buf[2] = 0; /* SecurityFlags: reserved */
	buf[3] = req->oplock_level;
	le32_put(buf + 4, req->impersonation);
	/* SmbCreateFlags (8) and Reserved (8) stay zero. */
	le32_put(buf + 24, req->desired_access);
	le32_put(buf + 28, req->file_attributes);
	le32_put(buf + 32, req->share_access);
	le32_put(buf + 36, req->disposition);
	le32_put(buf + 40, req->options);
	le16_put(buf + 44, SMB2_HDR_SIZE + SMB2_CREATE_REQ_FIXED);
	le16_put(buf + 46, (uint16_t)req->name_len);
	le32_put(buf + 48, ctx_off ? (uint32_t)(SMB2_HDR_SIZE + ctx_off) : 0);
	le32_put(buf + 52, (uint32_t)req->contexts_len);
	if (req->name_len)
		memcpy(buf + SMB2_CREATE_REQ_FIXED, req->name, req->name_len);
	if (req->contexts_len)
		memcpy(buf + ctx_off, req->contexts, req->contexts_len);
	return (ssize_t)total;
}

int smb2_create_rsp_decode(const uint8_t *msg, size_t len,
			   struct smb2_create_rsp *rsp)
{
	const uint8_t *b;
	uint32_t off, clen;
	struct smb2_cc_iter it;
	struct smb2_cc cc;
	int ret;

	ret = smb2_body_check(msg, len, SMB2_CREATE_RSP_SIZE,
			      SMB2_CREATE_RSP_FIXED);
	if (ret)
		return ret;
	b = msg + SMB2_HDR_SIZE;
	off = le32_get(b + 80);
	clen = le32_get(b + 84);
	if (span_check(len, SMB2_HDR_SIZE + SMB2_CREATE_RSP_FIXED, off, clen))
		return -EBADMSG;
	smb2_cc_iter_init(&it, clen ? msg + off : NULL, clen);
	while ((ret = smb2_cc_next(&it, &cc)) > 0)
		;
	if (ret < 0)
		return ret;

	rsp->oplock_level = b[2];
	rsp->flags = b[3];
	rsp->create_action = le32_get(b + 4);
	smb2_network_open_get(b + 8, &rsp->attrs);
	smb2_fileid_get(b + 64, &rsp->fid);
	rsp->contexts = clen ? msg + off : NULL;
	rsp->contexts_len = clen;
	return 0;
}

/* ---- builder ------------------------------------------------------------- */

void smb2_cc_builder_init(struct smb2_cc_builder *b, uint8_t *buf, size_t cap)
{
	b->buf = buf;
	b->cap = buf ? cap : 0;
	b->len = 0;
	b->last = 0;
	b->count = 0;
}

int smb2_cc_add(struct smb2_cc_builder *b, const void *name, size_t name_len,
		const void *data, size_t data_len)
{
	size_t start, data_off, ctx_len;
	uint8_t *c;

	if (!b || !name || name_len == 0 || name_len > 0xFFFF ||
	    (data_len && !data))
		return -EINVAL;
	/* Every context starts 8-aligned relative to the chain (2.2.13.2). */
	start = b->count ? align8(b->len) : 0;
	data_off = data_len ? align8(SMB2_CC_HDR_SIZE + name_len) : 0;
	ctx_len = data_len ? data_off + data_len : SMB2_CC_HDR_SIZE + name_len;
	/* DataOffset is 16 bits, DataLength 32. */
	if (data_off > 0xFFFF || data_len > UINT32_MAX)
		return -EINVAL;
	if (start > b->cap || ctx_len > b->cap - start)
		return -ENOSPC;

	c = b->buf + start;
	memset(b->buf + b->len, 0, start + ctx_len - b->len);
	le32_put(c + 0, 0);
	le16_put(c + 4, SMB2_CC_HDR_SIZE);
	le16_put(c + 6, (uint16_t)name_len);
	le16_put(c + 10, (uint16_t)data_off);
	le32_put(c + 12, (uint32_t)data_len);
	memcpy(c + SMB2_CC_HDR_SIZE, name, name_len);
	if (data_len)
		memcpy(c + data_off, data, data_len);
	if (b->count)
		le32_put(b->buf + b->last, (uint32_t)(start - b->last));
	b->last = start;
	b->len = start + ctx_len;
	b->count++;
	return 0;
}

int smb2_cc_add_dh2q(struct smb2_cc_builder *b, const struct smb2_dh2q *d)
{
	uint8_t v[SMB2_DH2Q_REQ_SIZE] = {0};

	if (!d)
		return -EINVAL;
	le32_put(v + 0, d->timeout);
	le32_put(v + 4, d->flags);
	/* Reserved (8) zero */
	memcpy(v + 16, d->create_guid, 16);
	return smb2_cc_add(b, SMB2_CC_DH2Q, 4, v, sizeof(v));
}

int smb2_cc_add_dh2c(struct smb2_cc_builder *b, const struct smb2_fileid *fid,
		     const struct smb2_dh2q *d)
{
	uint8_t v[SMB2_DH2C_REQ_SIZE];

	if (!fid || !d)
		return -EINVAL;
	smb2_fileid_put(v, fid);
	memcpy(v + 16, d->create_guid, 16);
	le32_put(v + 32, d->flags);
	return smb2_cc_add(b, SMB2_CC_DH2C, 4, v, sizeof(v));
}

int smb2_cc_add_lease(struct smb2_cc_builder *b, const struct smb2_lease *l)
{
	uint8_t v[SMB2_LEASE_V2_SIZE] = {0};

	if (!l || (l->version != 1 && l->version != 2))
		return -EINVAL;
	memcpy(v, l->key, SMB2_LEASE_KEY_SIZE);
	le32_put(v + 16, l->state);
	le32_put(v + 20, l->flags);
	le64_put(v + 24, l->duration);
	if (l->version == 1)
		return smb2_cc_add(b, SMB2_CC_LEASE, 4, v, SMB2_LEASE_V1_SIZE);
	memcpy(v + 32, l->parent_key, SMB2_LEASE_KEY_SIZE);
	le16_put(v + 48, l->epoch);
	return smb2_cc_add(b, SMB2_CC_LEASE, 4, v, SMB2_LEASE_V2_SIZE);
}

int smb2_cc_add_mxac(struct smb2_cc_builder *b, uint64_t timestamp)
{
	uint8_t v[8];

	if (!timestamp)
		return smb2_cc_add(b, SMB2_CC_MXAC, 4, NULL, 0);
	le64_put(v, timestamp);
	return smb2_cc_add(b, SMB2_CC_MXAC, 4, v, sizeof(v));
}

int smb2_cc_add_qfid(struct smb2_cc_builder *b)
{
	return smb2_cc_add(b, SMB2_CC_QFID, 4, NULL, 0);
}

/* ---- walker -------------------------------------------------------------- */

void smb2_cc_iter_init(struct smb2_cc_iter *it, const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = buf ? len : 0;
	it->pos = 0;
	it->state = 0;
}

int smb2_cc_next(struct smb2_cc_iter *it, struct smb2_cc *cc)
{
	const uint8_t *c;
	size_t rest, ext;
	uint32_t next, dlen;
	uint16_t noff, nlen, doff;

	if (it->state)
		return it->state > 0 ? 0 : it->state;
	if (it->pos >= it->len) {
		it->state = 1;
		return 0;
	}
	rest = it->len - it->pos;
	if (rest < SMB2_CC_HDR_SIZE)
		goto bad;
	c = it->buf + it->pos;
	next = le32_get(c);
	noff = le16_get(c + 4);
	nlen = le16_get(c + 6);
	doff = le16_get(c + 10);
	dlen = le32_get(c + 12);
	if (next) {
		/*
		 * Forward, aligned, past our header, and leaving room for
		 * the next header: the walk cannot loop or stall.
		 */
		if (next % SMB2_CC_ALIGN || next < SMB2_CC_HDR_SIZE ||
		    next > rest - SMB2_CC_HDR_SIZE)
			goto bad;
		ext = next;
	} else {
		ext = rest;
	}
	if (nlen == 0 || span_check(ext, SMB2_CC_HDR_SIZE, noff, nlen))
		goto bad;
	if (span_check(ext, SMB2_CC_HDR_SIZE, doff, dlen))
		goto bad;

	cc->name = c + noff;
	cc->name_len = nlen;
	cc->data = dlen ? c + doff : NULL;
	cc->data_len = dlen;
	if (next)
		it->pos += next;
	else
		it->state = 1;
	return 1;
bad:
	it->state = -EBADMSG;
	return -EBADMSG;
}

bool smb2_cc_is(const struct smb2_cc *cc, const char *tag)
{
	return cc->name_len == 4 && memcmp(cc->name, tag, 4) == 0;
}

int smb2_cc_find(const uint8_t *chain, size_t len, const char *tag,
		 struct smb2_cc *cc)
{
	struct smb2_cc_iter it;
	struct smb2_cc cur;
	int found = 0, ret;

	smb2_cc_iter_init(&it, chain, len);
	while ((ret = smb2_cc_next(&it, &cur)) > 0) {
		if (!found && smb2_cc_is(&cur, tag)) {
			*cc = cur;
			found = 1;
		}
	}
	return ret < 0 ? ret : found;
}

/* ---- typed response decoders ------------------------------------------- */

int smb2_cc_dh2q_rsp_decode(const struct smb2_cc *cc, struct smb2_dh2q *d)
{
	if (cc->data_len < SMB2_DH2Q_RSP_SIZE)
		return -EBADMSG;
	memset(d, 0, sizeof(*d));
	d->timeout = le32_get(cc->data);
	d->flags = le32_get(cc->data + 4);
	return 0;
}

int smb2_cc_lease_decode(const struct smb2_cc *cc, struct smb2_lease *l)
{
	const uint8_t *p = cc->data;

	/* The two layouts are told apart only by size (2.2.14.2.10/11). */
	if (cc->data_len != SMB2_LEASE_V1_SIZE &&
	    cc->data_len != SMB2_LEASE_V2_SIZE)
		return -EBADMSG;
	memset(l, 0, sizeof(*l));
	memcpy(l->key, p, SMB2_LEASE_KEY_SIZE);
	l->state = le32_get(p + 16);
	l->flags = le32_get(p + 20);
	l->duration = le64_get(p + 24);
	l->version = 1;
	if (cc->data_len == SMB2_LEASE_V2_SIZE) {
		memcpy(l->parent_key, p + 32, SMB2_LEASE_KEY_SIZE);
		l->epoch = le16_get(p + 48);
		l->version = 2;
	}
	return 0;
}

int smb2_cc_mxac_rsp_decode(const struct smb2_cc *cc, struct smb2_mxac *m)
{
	if (cc->data_len < SMB2_MXAC_RSP_SIZE)
		return -EBADMSG;
	m->query_status = le32_get(cc->data);
	m->maximal_access = le32_get(cc->data + 4);
	return 0;
}

int smb2_cc_qfid_rsp_decode(const struct smb2_cc *cc, struct smb2_qfid *q)
{
	if (cc->data_len < SMB2_QFID_RSP_SIZE)
		return -EBADMSG;
	q->disk_file_id = le64_get(cc->data);
	q->volume_id = le64_get(cc->data + 8);
	return 0;
}
